//! Registering datasets without a system of one's own: a form for one dataset, editing a
//! description, and uploading many at once with civitas' dataset sheet (CSV, XLSX or ODS),
//! whose template is downloadable here.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Permission, Target};
use civitas_core::catalog::sources::sheet::{self, COLUMNS};
use civitas_core::catalog::{AccessLevel, CatalogFormat, DatasetRecord, resolve_agency};
use civitas_core::error::DomainError;
use civitas_core::time::Language;

use super::agencies::read_upload;
use super::spreadsheet::respond;
use super::{
    Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render,
    render_status,
};
use crate::error::ApiResult;
use crate::extract::{ApiPath, UiForm};
use crate::state::AppState;

/// Frequencies offered in the form (any other readable form may be typed).
const FREQUENCIES: &[&str] = &[
    "即時",
    "每小時",
    "每日",
    "每週",
    "每月",
    "每季",
    "每半年",
    "每年",
    "不定期",
    "不更新",
];

/// One input of the form.
pub struct Input {
    pub key: &'static str,
    pub label: String,
    pub help: String,
    pub value: String,
    pub required: bool,
    /// text, textarea, agency, frequency, access, email, url
    pub kind: &'static str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/entry.html")]
struct EntryPage {
    chrome: Chrome,
    editing: bool,
    action: String,
    cancel: String,
    error: Option<String>,
    inputs: Vec<Input>,
    agencies: Vec<(String, String)>,
    frequencies: Vec<&'static str>,
    access_levels: Vec<(String, String)>,
}

fn kind_of(key: &str) -> &'static str {
    match key {
        "description_zh" | "description_en" | "fields" | "notes" => "textarea",
        "agency" => "agency",
        "frequency" => "frequency",
        "access_level" => "access",
        "contact_email" => "email",
        "download_url" | "landing_page" => "url",
        _ => "text",
    }
}

/// Keys the edit form leaves out: the identifier never changes, and a description edit must
/// never move the data's update time or replace its distributions.
const NOT_EDITABLE: &[&str] = &["identifier", "format", "download_url", "data_updated"];

/// The agencies a caller may register datasets for, as (code, indented name).
async fn manageable(state: &AppState, page: &Page) -> ApiResult<Vec<(String, String)>> {
    let agencies = state.platform.agencies().list(&page.caller).await?;
    let mut out = Vec::new();
    for a in agencies.iter().filter(|a| a.active) {
        let target = state.platform.agencies().target(Some(&a.code)).await?;
        if page.can(Permission::ManageCatalog, &target) {
            out.push((a.code.to_string(), format!("{}（{}）", a.name_zh, a.code)));
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    page: &Page,
    editing: Option<i64>,
    values: &HashMap<String, String>,
    errors: &FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let lang = page.ctx.lang;
    let agencies = manageable(state, page).await?;
    if agencies.is_empty() {
        return Err(DomainError::Forbidden {
            needed: Permission::ManageCatalog.as_str().into(),
        }
        .into());
    }
    let inputs = COLUMNS
        .iter()
        .filter(|c| editing.is_none() || !NOT_EDITABLE.contains(&c.key))
        .map(|c| Input {
            key: c.key,
            label: match lang {
                Language::ZhTw => c.zh.to_string(),
                Language::En => format!("{} ({})", c.zh, c.en),
            },
            help: match lang {
                Language::ZhTw => c.help_zh.to_string(),
                Language::En => c.help_en.to_string(),
            },
            value: values.get(c.key).cloned().unwrap_or_default(),
            required: c.required,
            kind: kind_of(c.key),
            error: errors.0.get(c.key).cloned(),
        })
        .collect();
    render_status(
        status,
        &EntryPage {
            chrome: page.chrome(if editing.is_some() {
                "entry.edit_title"
            } else {
                "entry.new_title"
            }),
            editing: editing.is_some(),
            action: match editing {
                Some(id) => format!("/catalog/datasets/{id}/edit"),
                None => "/catalog/new".into(),
            },
            cancel: match editing {
                Some(id) => format!("/catalog/datasets/{id}"),
                None => "/catalog".into(),
            },
            error: errors.0.get("_").cloned(),
            inputs,
            agencies,
            frequencies: FREQUENCIES.to_vec(),
            access_levels: AccessLevel::ALL
                .iter()
                .map(|a| (a.label().zh.clone(), a.label().get(lang).to_string()))
                .collect(),
        },
    )
}

/// The form's values for an existing description.
fn values_of(r: &DatasetRecord) -> HashMap<String, String> {
    let fields = r
        .fields
        .iter()
        .map(|f| match &f.label {
            Some(l) => format!("{}({l})", f.name),
            None => f.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("、");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        ("identifier", r.identifier.clone()),
        ("title_zh", r.title_zh.clone()),
        ("title_en", opt(&r.title_en)),
        ("description_zh", r.description_zh.clone()),
        ("description_en", opt(&r.description_en)),
        ("agency", r.agency.to_string()),
        ("category", opt(&r.category)),
        ("keywords", r.keywords.join("、")),
        ("frequency", r.frequency.clone()),
        ("access_level", r.access_level.label().zh),
        ("license", opt(&r.license)),
        ("fields", fields),
        ("landing_page", opt(&r.landing_page)),
        ("temporal_from", opt(&r.temporal_from)),
        ("temporal_to", opt(&r.temporal_to)),
        ("spatial", opt(&r.spatial)),
        (
            "record_count",
            r.record_count.map(|n| n.to_string()).unwrap_or_default(),
        ),
        ("contact_name", opt(&r.contact_name)),
        ("contact_email", opt(&r.contact_email)),
        ("contact_phone", opt(&r.contact_phone)),
        ("cost", opt(&r.cost)),
        ("notes", opt(&r.notes)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Read the form as one sheet row, so the form and the bulk upload apply the same rules.
async fn record_of(
    state: &AppState,
    values: &HashMap<String, String>,
) -> Result<DatasetRecord, DomainError> {
    let tree = state.platform.stores.agencies.agencies().await?;
    sheet::record_from(values, &|cell| resolve_agency(&tree, cell)).map_err(|why| {
        // Name the input the reason is about, when it names one.
        let field = COLUMNS
            .iter()
            .find(|c| why.zh.contains(&format!("「{}」", c.zh)) || why.zh.contains(c.zh))
            .map(|c| c.key)
            .unwrap_or("_");
        DomainError::invalid(field, why)
    })
}

pub async fn new_form(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let mut values = HashMap::new();
    if let Some(home) = &page.caller.principal.home_agency {
        values.insert("agency".to_string(), home.to_string());
    }
    values.insert("access_level".to_string(), AccessLevel::Open.label().zh);
    form_page(
        &state,
        &page,
        None,
        &values,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(values): UiForm<HashMap<String, String>>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let result = match record_of(&state, &values).await {
        Ok(record) => state.platform.catalog().create(&page.caller, record).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Ok(redirect_with_flash(
            &format!("/catalog/datasets/{}", d.id),
            "flash.dataset_created",
            &d.record.title_zh,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            form_page(
                &state,
                &page,
                None,
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn require_manage(state: &AppState, page: &Page, agency: &AgencyCode) -> ApiResult<()> {
    let target = state.platform.agencies().target(Some(agency)).await?;
    page.require(Permission::ManageCatalog, &target)
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = state.platform.catalog().get(&page.caller, id).await?;
    require_manage(&state, &page, &d.record.agency).await?;
    form_page(
        &state,
        &page,
        Some(id),
        &values_of(&d.record),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(mut values): UiForm<HashMap<String, String>>,
) -> ApiResult<Response> {
    let current = state.platform.catalog().get(&page.caller, id).await?;
    require_manage(&state, &page, &current.record.agency).await?;
    values.insert("identifier".into(), current.record.identifier.clone());
    let held = values_of(&current.record);
    let result = match record_of(&state, &values).await {
        Ok(mut record) => {
            let was = &current.record;
            // What the form does not show stays as it was.
            record.distributions.clone_from(&was.distributions);
            record.source_modified = was.source_modified;
            record.issued = was.issued;
            record.kind = was.kind;
            record.language.clone_from(&was.language);
            record.category_code.clone_from(&was.category_code);
            record.cost_url.clone_from(&was.cost_url);
            record.cost_law.clone_from(&was.cost_law);
            if record.license == was.license {
                record.license_url.clone_from(&was.license_url);
            }
            if values.get("fields") == held.get("fields") {
                // Unchanged text keeps each field's type and description.
                record.fields.clone_from(&was.fields);
            }
            if values.get("cost").is_none_or(|c| c.trim().is_empty()) {
                record.cost.clone_from(&was.cost);
            }
            state
                .platform
                .catalog()
                .update(&page.caller, id, record)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/catalog/datasets/{id}"),
            "flash.saved",
            "",
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            form_page(
                &state,
                &page,
                Some(id),
                &values,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "catalog/import.html")]
struct ImportPage {
    chrome: Chrome,
    /// (code, label) of the formats this person may upload.
    formats: Vec<(&'static str, &'static str)>,
    /// (heading, meaning, example, required)
    columns: Vec<(String, String, String, bool)>,
}

fn format_label(format: CatalogFormat, lang: Language) -> &'static str {
    let (zh, en) = match format {
        CatalogFormat::Sheet => (
            "資料集登錄表（CSV、XLSX 或 ODS）",
            "Dataset sheet (CSV, XLSX or ODS)",
        ),
        CatalogFormat::TaoyuanSupplyList => (
            "桃園市開放資料供應清單（CSV）",
            "Taoyuan open-data supply list (CSV)",
        ),
        CatalogFormat::CkanPackageSearch => (
            "CKAN package_search 回應（JSON）",
            "CKAN package_search response (JSON)",
        ),
        CatalogFormat::CkanPackageShow => (
            "CKAN package_show 回應（JSON）",
            "CKAN package_show response (JSON)",
        ),
        CatalogFormat::DatagovtwJsonl => (
            "政府資料開放平臺資料集詮釋資料（每行一筆 JSON）",
            "data.gov.tw dataset metadata (JSON lines)",
        ),
        CatalogFormat::DatagovtwCsv => (
            "政府資料開放平臺資料集清單（CSV）",
            "data.gov.tw catalogue export (CSV)",
        ),
        CatalogFormat::DatagovtwJson => (
            "政府資料開放平臺資料集清單（JSON）",
            "data.gov.tw catalogue export (JSON)",
        ),
        CatalogFormat::DcatJsonld => ("DCAT 目錄（JSON-LD）", "DCAT catalogue (JSON-LD)"),
    };
    match lang {
        Language::ZhTw => zh,
        Language::En => en,
    }
}

pub async fn import_form(page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let lang = page.ctx.lang;
    let city = page.can(Permission::ManageCatalog, &Target::City);
    // The sheet first (what most people upload); whole catalogues are the platform's.
    let formats = std::iter::once(CatalogFormat::Sheet)
        .chain(
            CatalogFormat::ALL
                .into_iter()
                .filter(|f| *f != CatalogFormat::Sheet),
        )
        .filter(|f| city || *f == CatalogFormat::Sheet)
        .map(|f| (f.code(), format_label(f, lang)))
        .collect();
    render(&ImportPage {
        chrome: page.chrome("entry.import_title"),
        formats,
        columns: COLUMNS
            .iter()
            .map(|c| {
                (
                    c.zh.to_string(),
                    match lang {
                        Language::ZhTw => c.help_zh.to_string(),
                        Language::En => format!("{}. {}", c.en, c.help_en),
                    },
                    c.example.to_string(),
                    c.required,
                )
            })
            .collect(),
    })
}

pub async fn import(
    State(state): State<AppState>,
    page: Page,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    // Refuse before reading a large body the caller may not send.
    page.require_somewhere(Permission::ManageCatalog)?;
    let multipart = super::agencies::multipart_of(request, &state).await?;
    let (name, bytes, format) = read_upload(multipart, state.settings.max_upload_bytes).await?;
    let format = CatalogFormat::parse(&format).unwrap_or(CatalogFormat::Sheet);
    let (id, _) = state
        .platform
        .catalog()
        .import(&page.caller, &bytes, format, &name)
        .await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

/// The dataset sheet's template: the headings only (each column's meaning and an example are
/// on the upload page), so an example row can never be uploaded by mistake.
pub async fn template(page: Page, uri: axum::http::Uri) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let ext = uri.path().rsplit('.').next().unwrap_or("csv");
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.zh).collect();
    respond(
        ext,
        "資料集登錄表",
        &headers,
        Vec::new(),
        "civitas-dataset-sheet",
    )
}
