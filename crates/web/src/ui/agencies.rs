//! The organisation tree: browse, create, edit, retire, import.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::agencies::{
    Agency, AgencyCode, AgencyImportFormat, AgencyInput, AgencyKind, AgencyTree,
};
use civitas_core::audit::AuditFilter;
use civitas_core::authz::{Permission, Target};
use civitas_core::error::DomainError;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Language;
use serde::Deserialize;

use super::{
    Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render,
    render_status,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::state::AppState;

pub fn kind_label(lang: Language, kind: AgencyKind) -> &'static str {
    match lang {
        Language::ZhTw => kind.label_zh(),
        Language::En => kind.label_en(),
    }
}

pub struct Row {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: &'static str,
    pub active: bool,
    pub depth: usize,
}

#[derive(Template)]
#[template(path = "agencies/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    show: String,
    can_manage: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    show: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let agencies = state.platform.agencies().list(&page.caller).await?;
    let show = q.show.unwrap_or_else(|| "active".into());
    let tree = AgencyTree::new(&agencies);
    let lang = page.ctx.lang;
    let rows = tree
        .walk()
        .into_iter()
        .filter(|n| match show.as_str() {
            "all" => true,
            "retired" => !n.agency.active,
            _ => n.agency.active,
        })
        .map(|n| Row {
            code: n.agency.code.to_string(),
            name: n.agency.name_zh.clone(),
            name_en: n.agency.name_en.clone(),
            kind: kind_label(lang, n.agency.kind),
            active: n.agency.active,
            depth: n.depth.min(4),
        })
        .collect();
    render(&ListPage {
        chrome: page.chrome("agency.title"),
        rows,
        show,
        can_manage: page.can(Permission::ManageAgencies, &Target::City),
    })
}

pub struct HistoryRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "agencies/detail.html")]
struct DetailPage {
    chrome: Chrome,
    agency: Agency,
    kind: &'static str,
    parent: Option<(String, String)>,
    successor: Option<(String, String)>,
    retired_at: String,
    created_at: String,
    updated_at: String,
    children: Vec<(String, String, bool)>,
    can_manage: bool,
    successor_options: Vec<(String, String)>,
    history: Vec<HistoryRow>,
}

fn parse_code(raw: &str) -> ApiResult<AgencyCode> {
    AgencyCode::parse(raw).map_err(|_| DomainError::not_found("agency", raw).into())
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let code = parse_code(&code)?;
    let agencies = state.platform.agencies().list(&page.caller).await?;
    let tree = AgencyTree::new(&agencies);
    let agency = tree
        .get(&code)
        .cloned()
        .ok_or_else(|| ApiError::from(DomainError::not_found("agency", code.as_str())))?;
    let chrome = page.chrome("agency.title");
    let named = |c: &Option<AgencyCode>| {
        c.as_ref()
            .and_then(|c| tree.get(c))
            .map(|a| (a.code.to_string(), a.name_zh.clone()))
    };
    let can_manage = page.can(
        Permission::ManageAgencies,
        &Target::Agency(tree.lineage(&code)),
    );
    let history = if page.can(Permission::ReadAudit, &Target::City) {
        let filter = AuditFilter {
            object_type: Some("agency".into()),
            object_id: Some(code.to_string()),
            ..Default::default()
        };
        state
            .platform
            .audit()
            .query(
                &page.caller,
                &filter,
                PageRequest {
                    page: 1,
                    per_page: 20,
                },
            )
            .await?
            .items
            .into_iter()
            .map(|e| HistoryRow {
                when: chrome.datetime(e.at),
                actor: e.actor_name,
                action: super::audit::action_label(chrome.lang, &e.action),
                summary: e.summary,
            })
            .collect()
    } else {
        Vec::new()
    };
    let template = DetailPage {
        kind: kind_label(chrome.lang, agency.kind),
        parent: named(&agency.parent),
        successor: named(&agency.successor),
        retired_at: chrome.opt_datetime(agency.retired_at),
        created_at: chrome.datetime(agency.created_at),
        updated_at: chrome.datetime(agency.updated_at),
        children: tree
            .children_of(Some(&code))
            .iter()
            .map(|a| (a.code.to_string(), a.name_zh.clone(), a.active))
            .collect(),
        can_manage,
        successor_options: agencies
            .iter()
            .filter(|a| a.active && a.code != code)
            .map(|a| (a.code.to_string(), format!("{} {}", a.code, a.name_zh)))
            .collect(),
        history,
        agency,
        chrome,
    };
    render(&template)
}

#[derive(Deserialize, Default, Clone)]
pub struct AgencyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    short_name_zh: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    parent: String,
}

impl AgencyForm {
    fn input(&self) -> Result<AgencyInput, DomainError> {
        let code = AgencyCode::parse(&self.code)?;
        let parent = match self.parent.trim() {
            "" => None,
            p => Some(AgencyCode::parse(p).map_err(|_| {
                DomainError::invalid(
                    "parent",
                    Text::new("請選擇上級機關", "choose a parent agency"),
                )
            })?),
        };
        let kind = AgencyKind::parse(&self.kind).ok_or_else(|| {
            DomainError::invalid(
                "kind",
                Text::new("請選擇機關類型", "choose the kind of agency"),
            )
        })?;
        Ok(AgencyInput {
            code,
            name_zh: self.name_zh.clone(),
            name_en: Some(self.name_en.clone()),
            short_name_zh: Some(self.short_name_zh.clone()),
            parent,
            kind,
        })
    }

    fn of(a: &Agency) -> Self {
        AgencyForm {
            code: a.code.to_string(),
            name_zh: a.name_zh.clone(),
            name_en: a.name_en.clone().unwrap_or_default(),
            short_name_zh: a.short_name_zh.clone().unwrap_or_default(),
            kind: a.kind.as_str().into(),
            parent: a.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "agencies/form.html")]
struct FormPage {
    chrome: Chrome,
    editing: bool,
    action: String,
    form: AgencyForm,
    errors: FieldErrors,
    kinds: Vec<(&'static str, &'static str)>,
    parents: Vec<(String, String)>,
}

async fn form_page(
    state: &AppState,
    page: &Page,
    editing: Option<&AgencyCode>,
    form: AgencyForm,
    errors: FieldErrors,
    status: StatusCode,
) -> ApiResult<Response> {
    let lang = page.ctx.lang;
    let agencies = state.platform.agencies().list(&page.caller).await?;
    let tree = AgencyTree::new(&agencies);
    let parents = tree
        .walk()
        .into_iter()
        .filter(|n| n.agency.active)
        .filter(|n| editing.is_none_or(|code| !tree.is_descendant_or_self(&n.agency.code, code)))
        .map(|n| {
            (
                n.agency.code.to_string(),
                format!("{}{}", "　".repeat(n.depth), n.agency.name_zh),
            )
        })
        .collect();
    render_status(
        status,
        &FormPage {
            chrome: page.chrome(if editing.is_some() {
                "agency.edit"
            } else {
                "agency.new"
            }),
            editing: editing.is_some(),
            action: match editing {
                Some(code) => format!("/agencies/{code}"),
                None => "/agencies".into(),
            },
            form,
            errors,
            kinds: AgencyKind::ALL
                .iter()
                .map(|k| (k.as_str(), kind_label(lang, *k)))
                .collect(),
            parents,
        },
    )
}

pub async fn new_form(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageAgencies)?;
    let form = AgencyForm {
        kind: "bureau".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &page,
        None,
        form,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<AgencyForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageAgencies)?;
    let result = match form.input() {
        Ok(input) => state.platform.agencies().create(&page.caller, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Ok(redirect_with_flash(
            &format!("/agencies/{}", a.code),
            "flash.agency_created",
            a.code.as_str(),
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            form_page(
                &state,
                &page,
                None,
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let code = parse_code(&code)?;
    let agency = state.platform.agencies().get(&page.caller, &code).await?;
    let lineage = state.platform.agencies().lineage(&code).await?;
    page.require(Permission::ManageAgencies, &Target::Agency(lineage))?;
    form_page(
        &state,
        &page,
        Some(&code),
        AgencyForm::of(&agency),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
    UiForm(mut form): UiForm<AgencyForm>,
) -> ApiResult<Response> {
    let code = parse_code(&code)?;
    form.code = code.to_string();
    let result = match form.input() {
        Ok(input) => {
            state
                .platform
                .agencies()
                .update(&page.caller, &code, input)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Ok(redirect_with_flash(
            &format!("/agencies/{}", a.code),
            "flash.saved",
            "",
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            form_page(
                &state,
                &page,
                Some(&code),
                form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RetireForm {
    #[serde(default)]
    successor: String,
}

pub async fn retire(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
    UiForm(form): UiForm<RetireForm>,
) -> ApiResult<Response> {
    let code = parse_code(&code)?;
    let successor = match form.successor.trim() {
        "" => None,
        s => Some(AgencyCode::parse(s)?),
    };
    state
        .platform
        .agencies()
        .retire(&page.caller, &code, successor)
        .await?;
    Ok(redirect_with_flash(
        &format!("/agencies/{code}"),
        "flash.agency_retired",
        code.as_str(),
        state.settings.cookie_secure,
    ))
}

pub async fn reactivate(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let code = parse_code(&code)?;
    state
        .platform
        .agencies()
        .reactivate(&page.caller, &code)
        .await?;
    Ok(redirect_with_flash(
        &format!("/agencies/{code}"),
        "flash.saved",
        "",
        state.settings.cookie_secure,
    ))
}

#[derive(Template)]
#[template(path = "agencies/import.html")]
struct ImportPage {
    chrome: Chrome,
}

pub async fn import_form(page: Page) -> ApiResult<Response> {
    page.require(Permission::ManageAgencies, &Target::City)?;
    render(&ImportPage {
        chrome: page.chrome("agency.import"),
    })
}

/// The multipart form of a request whose caller has already been checked (so a caller who
/// may not upload is refused before the body is read).
pub async fn multipart_of(
    request: axum::extract::Request,
    state: &AppState,
) -> ApiResult<Multipart> {
    <Multipart as axum::extract::FromRequest<AppState>>::from_request(request, state)
        .await
        .map_err(|e| {
            ApiError::new(
                "invalid_input",
                Text::new("請以檔案上傳表單送出", "send the file with the upload form"),
            )
            .with_detail(serde_json::json!({ "reason": e.body_text() }))
        })
}

/// Read an uploaded file (and the format field) from a multipart form, within `limit` bytes.
pub async fn read_upload(
    mut multipart: Multipart,
    limit: usize,
) -> ApiResult<(String, Vec<u8>, String)> {
    let mut format = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| {
        ApiError::new(
            "invalid_input",
            Text::new("上傳內容無法解讀", "the upload could not be read"),
        )
        .with_detail(serde_json::json!({"reason": e.body_text()}))
    })? {
        match field.name() {
            Some("format") => format = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::payload_too_large(Some(limit))
                    } else {
                        ApiError::new(
                            "invalid_input",
                            Text::new("上傳內容無法解讀", "the upload could not be read"),
                        )
                    }
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| {
        ApiError::from(DomainError::invalid(
            "file",
            Text::new("請選擇要上傳的檔案", "choose a file to upload"),
        ))
    })?;
    Ok((name, bytes, format))
}

pub async fn import(
    State(state): State<AppState>,
    page: Page,
    multipart: Multipart,
) -> ApiResult<Response> {
    page.require(Permission::ManageAgencies, &Target::City)?;
    let (name, bytes, format) = read_upload(multipart, state.settings.max_upload_bytes).await?;
    let format = AgencyImportFormat::parse(&format).unwrap_or(AgencyImportFormat::CivitasCsv);
    let (id, _) = state
        .platform
        .agencies()
        .import(&page.caller, &bytes, format, &name)
        .await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}
