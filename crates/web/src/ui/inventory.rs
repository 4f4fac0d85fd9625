//! Supply and demand pages: the city-wide matrix (which agency needs what from whom, gaps
//! highlighted), each agency's supply and demand, a demand with its suggested and confirmed
//! datasets, the steward's demand form, and the export of every demand.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Permission, Target};
use civitas_core::catalog::{Facet, SearchQuery};
use civitas_core::inventory::{Demand, DemandStatus, Suggestion, Urgency};
use civitas_core::page::PageRequest;
use serde::Deserialize;

use super::spreadsheet::Value;
use super::{Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render};
use crate::api::inventory::{DemandBody, demand_input, status_param};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn name_of(names: &HashMap<String, String>, code: &str) -> String {
    names.get(code).cloned().unwrap_or_else(|| code.to_string())
}

/// One demand as a row of a list.
pub struct DemandRow {
    pub id: i64,
    pub title: String,
    pub needing: String,
    pub needing_code: String,
    pub holders: String,
    pub urgency: String,
    pub urgency_code: &'static str,
    pub status: String,
    pub status_code: &'static str,
    pub gap: bool,
    pub created: String,
}

fn demand_row(
    d: &Demand,
    gap: bool,
    names: &HashMap<String, String>,
    chrome: &Chrome,
) -> DemandRow {
    let lang = chrome.lang;
    let holders: Vec<String> = d
        .holders()
        .into_iter()
        .map(|h| match h {
            Some(c) => name_of(names, c.as_str()),
            None => chrome.t("inv.holder_unknown").to_string(),
        })
        .collect();
    DemandRow {
        id: d.id,
        title: d.input.title.clone(),
        needing: name_of(names, d.input.needing_agency.as_str()),
        needing_code: d.input.needing_agency.to_string(),
        holders: holders.join("、"),
        urgency: d.input.urgency.label().get(lang).to_string(),
        urgency_code: d.input.urgency.code(),
        status: d.status.label().get(lang).to_string(),
        status_code: d.status.code(),
        gap,
        created: chrome.date(d.created_at),
    }
}

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    pub needing: Option<String>,
    /// A holding agency's code, or `unknown`.
    pub holder: Option<String>,
    pub status: Option<String>,
    /// 1: gaps only.
    pub gap: Option<String>,
}

pub struct MatrixRow {
    pub code: String,
    pub name: String,
    /// (demands not withdrawn, gaps, link) per column; 0 means an empty cell.
    pub cells: Vec<(u64, u64, String)>,
    pub total: u64,
}

#[derive(Template)]
#[template(path = "inventory/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    total: usize,
    matched: usize,
    met: usize,
    gaps: usize,
    columns: Vec<(String, String)>,
    matrix: Vec<MatrixRow>,
    rows: Vec<DemandRow>,
    filtered: bool,
    can_create: bool,
    agency_options: Vec<(String, String)>,
    q_needing: String,
    q_holder: String,
    q_status: String,
    q_gap: bool,
    export_query: String,
    statuses: Vec<(&'static str, String)>,
}

fn holder_key(h: &Option<AgencyCode>) -> String {
    h.as_ref()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "unknown".into())
}

struct Listed {
    demands: Vec<Demand>,
    gap_ids: std::collections::HashSet<i64>,
    cells: Vec<civitas_core::inventory::MatrixCell>,
}

async fn listed(state: &AppState, page: &Page, q: &OverviewQuery) -> ApiResult<Listed> {
    let o = state.platform.inventory().overview(&page.caller).await?;
    let status = status_param(q.status.as_deref())?;
    let needing = q.needing.as_deref().filter(|s| !s.is_empty());
    let holder = q.holder.as_deref().filter(|s| !s.is_empty());
    let gap_only = q.gap.as_deref() == Some("1");
    let demands = o
        .demands
        .into_iter()
        .filter(|d| needing.is_none_or(|n| d.input.needing_agency.as_str() == n))
        .filter(|d| holder.is_none_or(|h| d.holders().iter().any(|x| holder_key(x) == h)))
        .filter(|d| status.is_none_or(|s| d.status == s))
        .filter(|d| !gap_only || o.gap_ids.contains(&d.id))
        .collect();
    Ok(Listed {
        demands,
        gap_ids: o.gap_ids,
        cells: o.cells,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<OverviewQuery>,
) -> ApiResult<Response> {
    let l = listed(&state, &page, &q).await?;
    let all = state
        .platform
        .inventory()
        .demands(&page.caller, &Default::default())
        .await?;
    let chrome = page.chrome("inv.title");
    let names = super::agency_names(&state).await;
    // Columns: every holding agency that appears, then "unknown".
    let mut columns: Vec<(String, String)> = Vec::new();
    let mut has_unknown = false;
    for c in &l.cells {
        match &c.holder {
            Some(h) if !columns.iter().any(|(k, _)| k == h.as_str()) => {
                columns.push((h.to_string(), name_of(&names, h.as_str())))
            }
            None => has_unknown = true,
            _ => {}
        }
    }
    columns.sort_by(|a, b| a.1.cmp(&b.1));
    if has_unknown {
        columns.push(("unknown".into(), chrome.t("inv.holder_unknown").into()));
    }
    let mut needing: Vec<String> = l.cells.iter().map(|c| c.needing.to_string()).collect();
    needing.sort();
    needing.dedup();
    let mut matrix: Vec<MatrixRow> = needing
        .into_iter()
        .map(|code| {
            let cells: Vec<(u64, u64, String)> = columns
                .iter()
                .map(|(col, _)| {
                    l.cells
                        .iter()
                        .find(|c| c.needing.as_str() == code && holder_key(&c.holder) == *col)
                        .map(|c| {
                            (
                                c.demands + c.met,
                                c.gaps,
                                format!("/inventory?needing={code}&holder={col}"),
                            )
                        })
                        .unwrap_or((0, 0, String::new()))
                })
                .collect();
            MatrixRow {
                name: name_of(&names, &code),
                total: cells.iter().map(|c| c.0).sum(),
                cells,
                code,
            }
        })
        .collect();
    matrix.sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(&b.name)));
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    agency_options.sort();
    let rows = l
        .demands
        .iter()
        .map(|d| demand_row(d, l.gap_ids.contains(&d.id), &names, &chrome))
        .collect();
    let export_query = serde_urlencoded::to_string([
        ("needing", q.needing.clone().unwrap_or_default()),
        ("holder", q.holder.clone().unwrap_or_default()),
        ("status", q.status.clone().unwrap_or_default()),
        ("gap", q.gap.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    render(&OverviewPage {
        total: all
            .iter()
            .filter(|d| d.status != DemandStatus::Withdrawn)
            .count(),
        matched: all
            .iter()
            .filter(|d| d.status == DemandStatus::Matched)
            .count(),
        met: all.iter().filter(|d| d.status == DemandStatus::Met).count(),
        gaps: l.gap_ids.len(),
        columns,
        matrix,
        rows,
        filtered: q.needing.as_deref().is_some_and(|s| !s.is_empty())
            || q.holder.as_deref().is_some_and(|s| !s.is_empty())
            || q.status.as_deref().is_some_and(|s| !s.is_empty())
            || q.gap.as_deref() == Some("1"),
        can_create: page
            .caller
            .principal
            .can_somewhere(Permission::ManageCatalog),
        agency_options,
        q_needing: q.needing.clone().unwrap_or_default(),
        q_holder: q.holder.clone().unwrap_or_default(),
        q_status: q.status.clone().unwrap_or_default(),
        q_gap: q.gap.as_deref() == Some("1"),
        export_query,
        statuses: DemandStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label().get(chrome.lang).to_string()))
            .collect(),
        chrome,
    })
}

/// Every listed demand as CSV, XLSX or ODS.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<OverviewQuery>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let l = listed(&state, &page, &q).await?;
    let chrome = page.chrome("inv.title");
    let names = super::agency_names(&state).await;
    let headers = [
        chrome.t("inv.id"),
        chrome.t("inv.needing"),
        chrome.t("inv.what"),
        chrome.t("inv.purpose"),
        chrome.t("inv.legal_basis"),
        chrome.t("inv.fields"),
        chrome.t("inv.urgency"),
        chrome.t("inv.holder"),
        chrome.t("inv.matched_datasets"),
        chrome.t("inv.status"),
        chrome.t("inv.gap"),
        chrome.t("inv.created"),
    ];
    let rows = l
        .demands
        .iter()
        .map(|d| {
            let r = demand_row(d, l.gap_ids.contains(&d.id), &names, &chrome);
            vec![
                Value::Int(d.id),
                Value::Text(r.needing),
                Value::Text(d.input.title.clone()),
                Value::Text(d.input.purpose.clone()),
                Value::Text(d.input.legal_basis.clone().unwrap_or_default()),
                Value::Text(d.input.fields.join("、")),
                Value::Text(r.urgency),
                Value::Text(r.holders),
                Value::Text(
                    d.matches
                        .iter()
                        .map(|m| m.dataset_title.clone())
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
                Value::Text(r.status),
                Value::Text(if r.gap {
                    chrome.t("inv.gap_yes").into()
                } else {
                    String::new()
                }),
                Value::Text(r.created),
            ]
        })
        .collect();
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    super::spreadsheet::respond(
        &ext,
        chrome.t("inv.title"),
        &headers,
        rows,
        "civitas-data-demand",
    )
}

#[derive(Template)]
#[template(path = "inventory/agency.html")]
struct AgencyPage {
    chrome: Chrome,
    code: String,
    name: String,
    supply_total: u64,
    supply: Vec<(i64, String, String)>,
    needs: Vec<DemandRow>,
    asked: Vec<DemandRow>,
    can_create: bool,
}

/// One agency's supply (its datasets) and demand (what it needs; what others need from it).
pub async fn agency(
    State(state): State<AppState>,
    page: Page,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let code = AgencyCode::parse(&code)?;
    let o = state.platform.inventory().overview(&page.caller).await?;
    let a = state
        .platform
        .stores
        .agencies
        .agency(&code)
        .await?
        .ok_or_else(|| civitas_core::DomainError::not_found("agency", code.to_string()))?;
    let supply = state
        .platform
        .catalog()
        .search(
            &page.caller,
            &SearchQuery {
                filters: vec![(Facet::Agency, code.to_string())],
                page: PageRequest {
                    page: 1,
                    per_page: 50,
                },
                sort: civitas_core::catalog::SortOrder::Title,
                ..SearchQuery::default()
            },
        )
        .await?;
    let chrome = page.chrome("inv.agency_title");
    let names = super::agency_names(&state).await;
    let needs = o
        .demands
        .iter()
        .filter(|d| d.input.needing_agency == code)
        .map(|d| demand_row(d, o.gap_ids.contains(&d.id), &names, &chrome))
        .collect();
    let asked = o
        .demands
        .iter()
        .filter(|d| d.status != DemandStatus::Withdrawn)
        .filter(|d| d.holders().iter().any(|h| h.as_ref() == Some(&code)))
        .map(|d| demand_row(d, o.gap_ids.contains(&d.id), &names, &chrome))
        .collect();
    render(&AgencyPage {
        name: a.name_zh.clone(),
        supply_total: supply.total,
        supply: supply
            .hits
            .into_iter()
            .map(|h| (h.id, h.title_zh, h.frequency))
            .collect(),
        needs,
        asked,
        can_create: state
            .platform
            .inventory()
            .may_edit(&page.caller, &code)
            .await,
        code: code.to_string(),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "inventory/demand.html")]
struct DemandPage {
    chrome: Chrome,
    d: Demand,
    needing: String,
    holder: String,
    urgency: String,
    status: String,
    status_code: &'static str,
    matches: Vec<(i64, String, String)>,
    suggestions: Vec<(Suggestion, String)>,
    gap: bool,
    can_edit: bool,
    can_request: bool,
    next: Vec<(&'static str, String)>,
    created: String,
}

pub async fn demand(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let inv = state.platform.inventory();
    let d = inv.demand(&page.caller, id).await?;
    let suggestions = if d.status == DemandStatus::Withdrawn || d.status == DemandStatus::Met {
        Vec::new()
    } else {
        inv.suggestions(&page.caller, id).await?
    };
    let chrome = page.chrome("inv.demand_title");
    let names = super::agency_names(&state).await;
    let lang = chrome.lang;
    let can_edit = inv.may_edit(&page.caller, &d.input.needing_agency).await;
    let next: Vec<(&'static str, String)> = match d.status {
        DemandStatus::Open | DemandStatus::Matched => vec![
            ("met", chrome.t("inv.mark_met").to_string()),
            ("withdrawn", chrome.t("inv.withdraw").to_string()),
        ],
        DemandStatus::Met | DemandStatus::Withdrawn => {
            vec![("open", chrome.t("inv.reopen").to_string())]
        }
    };
    render(&DemandPage {
        needing: name_of(&names, d.input.needing_agency.as_str()),
        holder: d
            .input
            .likely_holder
            .as_ref()
            .map(|h| name_of(&names, h.as_str()))
            .unwrap_or_else(|| chrome.t("inv.holder_unknown").to_string()),
        urgency: d.input.urgency.label().get(lang).to_string(),
        status: d.status.label().get(lang).to_string(),
        status_code: d.status.code(),
        matches: d
            .matches
            .iter()
            .map(|m| {
                (
                    m.dataset_id,
                    m.dataset_title.clone(),
                    name_of(&names, m.providing_agency.as_str()),
                )
            })
            .collect(),
        gap: d.is_unmatched() && suggestions.is_empty(),
        suggestions: suggestions
            .into_iter()
            .map(|s| {
                let n = name_of(&names, &s.agency);
                (s, n)
            })
            .collect(),
        can_edit,
        can_request: can_edit && page.caller.principal.can_somewhere(Permission::RequestData),
        next,
        created: chrome.date(d.created_at),
        d,
        chrome,
    })
}

#[derive(Template)]
#[template(path = "inventory/demand_form.html")]
struct DemandForm {
    chrome: Chrome,
    action: String,
    editing: bool,
    agencies: Vec<(String, String)>,
    holders: Vec<(String, String)>,
    needing: String,
    title: String,
    description: String,
    fields: String,
    purpose: String,
    legal_basis: String,
    urgency: String,
    urgencies: Vec<(&'static str, String)>,
    likely_holder: String,
    search_words: String,
    errors: FieldErrors,
}

/// Agencies whose demand the caller may write: all of them for a city-wide steward.
async fn writable_agencies(
    state: &AppState,
    page: &Page,
    names: &HashMap<String, String>,
) -> Vec<(String, String)> {
    let active: Vec<String> = state
        .platform
        .stores
        .agencies
        .agencies()
        .await
        .map(|l| {
            l.into_iter()
                .filter(|a| a.active)
                .map(|a| a.code.to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    if page.can(Permission::ManageCatalog, &Target::City) {
        out = active
            .iter()
            .map(|c| (c.clone(), name_of(names, c)))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        return out;
    }
    if let Some(home) = &page.caller.principal.home_agency
        && state
            .platform
            .inventory()
            .may_edit(&page.caller, home)
            .await
    {
        out.push((home.to_string(), name_of(names, home.as_str())));
    }
    for g in &page.caller.principal.grants {
        if g.role.has(Permission::ManageCatalog)
            && let Some(c) = g.scope.agency()
            && !out.iter().any(|(k, _)| k == c.as_str())
        {
            out.push((c.to_string(), name_of(names, c.as_str())));
        }
    }
    out
}

async fn form_page(
    state: &AppState,
    page: &Page,
    editing: Option<&Demand>,
    pairs: Option<&Pairs>,
    errors: FieldErrors,
) -> DemandForm {
    let names = super::agency_names(state).await;
    let chrome = page.chrome(if editing.is_some() {
        "inv.edit_title"
    } else {
        "inv.new_title"
    });
    let agencies = writable_agencies(state, page, &names).await;
    let mut holders: Vec<(String, String)> =
        names.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    holders.sort_by(|a, b| a.1.cmp(&b.1));
    let from = |k: &str, current: String| match pairs {
        Some(p) => value(p, k).to_string(),
        None => current,
    };
    let e = editing;
    DemandForm {
        action: match e {
            Some(d) => format!("/inventory/demands/{}", d.id),
            None => "/inventory/demands".into(),
        },
        editing: e.is_some(),
        needing: from(
            "needing_agency",
            e.map(|d| d.input.needing_agency.to_string())
                .or_else(|| agencies.first().map(|a| a.0.clone()))
                .unwrap_or_default(),
        ),
        title: from(
            "title",
            e.map(|d| d.input.title.clone()).unwrap_or_default(),
        ),
        description: from(
            "description",
            e.map(|d| d.input.description.clone()).unwrap_or_default(),
        ),
        fields: from(
            "fields",
            e.map(|d| d.input.fields.join("、")).unwrap_or_default(),
        ),
        purpose: from(
            "purpose",
            e.map(|d| d.input.purpose.clone()).unwrap_or_default(),
        ),
        legal_basis: from(
            "legal_basis",
            e.and_then(|d| d.input.legal_basis.clone())
                .unwrap_or_default(),
        ),
        urgency: from(
            "urgency",
            e.map(|d| d.input.urgency.code().to_string())
                .unwrap_or_else(|| "medium".into()),
        ),
        urgencies: Urgency::ALL
            .iter()
            .map(|u| (u.code(), u.label().get(chrome.lang).to_string()))
            .collect(),
        likely_holder: from(
            "likely_holder",
            e.and_then(|d| d.input.likely_holder.as_ref().map(|c| c.to_string()))
                .unwrap_or_default(),
        ),
        search_words: from(
            "search_words",
            e.map(|d| d.input.search_words.clone()).unwrap_or_default(),
        ),
        agencies,
        holders,
        errors,
        chrome,
    }
}

pub async fn new_form(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    render(&form_page(&state, &page, None, None, FieldErrors::new()).await)
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let d = state
        .platform
        .inventory()
        .editable(&page.caller, id)
        .await?;
    render(&form_page(&state, &page, Some(&d), None, FieldErrors::new()).await)
}

fn body_of(pairs: &Pairs) -> DemandBody {
    DemandBody {
        needing_agency: Some(value(pairs, "needing_agency").to_string()),
        title: value(pairs, "title").to_string(),
        description: value(pairs, "description").to_string(),
        fields: value(pairs, "fields")
            .split(['、', ',', '，', '\n'])
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect(),
        purpose: value(pairs, "purpose").to_string(),
        legal_basis: Some(value(pairs, "legal_basis").to_string()),
        urgency: Some(value(pairs, "urgency").to_string()),
        likely_holder: Some(value(pairs, "likely_holder").to_string()),
        search_words: value(pairs, "search_words").to_string(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let needing = value(&pairs, "needing_agency").to_string();
    let result = match demand_input(&page.caller, Some(&needing), body_of(&pairs)) {
        Ok(input) => {
            state
                .platform
                .inventory()
                .create_demand(&page.caller, input)
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &page, None, &pairs, result).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    let current = state
        .platform
        .inventory()
        .editable(&page.caller, id)
        .await?;
    let needing = value(&pairs, "needing_agency").to_string();
    let result = match demand_input(&page.caller, Some(&needing), body_of(&pairs)) {
        Ok(input) => {
            state
                .platform
                .inventory()
                .update_demand(&page.caller, id, input)
                .await
        }
        Err(e) => Err(e),
    };
    finish(&state, &page, Some(&current), &pairs, result).await
}

async fn finish(
    state: &AppState,
    page: &Page,
    editing: Option<&Demand>,
    pairs: &Pairs,
    result: Result<Demand, civitas_core::DomainError>,
) -> ApiResult<Response> {
    match result {
        Ok(d) => Ok(redirect_with_flash(
            &format!("/inventory/demands/{}", d.id),
            "flash.demand_saved",
            &d.input.title,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let form = form_page(state, page, editing, Some(pairs), errors).await;
            super::render_status(axum::http::StatusCode::BAD_REQUEST, &form)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let status = status_param(Some(value(&pairs, "status")))?.unwrap_or(DemandStatus::Open);
    let d = state
        .platform
        .inventory()
        .set_status(&page.caller, id, status)
        .await?;
    Ok(redirect_with_flash(
        &format!("/inventory/demands/{id}"),
        "flash.demand_status",
        d.status.label().get(page.ctx.lang),
        state.settings.cookie_secure,
    ))
}

pub async fn confirm_match(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let dataset_id = value(&pairs, "dataset_id").parse::<i64>().unwrap_or(0);
    let d = state
        .platform
        .inventory()
        .confirm_match(&page.caller, id, dataset_id)
        .await?;
    let title = d
        .matches
        .iter()
        .find(|m| m.dataset_id == dataset_id)
        .map(|m| m.dataset_title.clone())
        .unwrap_or_default();
    Ok(redirect_with_flash(
        &format!("/inventory/demands/{id}"),
        "flash.demand_matched",
        &title,
        state.settings.cookie_secure,
    ))
}

pub async fn remove_match(
    State(state): State<AppState>,
    page: Page,
    ApiPath((id, dataset_id)): ApiPath<(i64, i64)>,
    UiForm(_pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    state
        .platform
        .inventory()
        .remove_match(&page.caller, id, dataset_id)
        .await?;
    Ok(redirect_with_flash(
        &format!("/inventory/demands/{id}"),
        "flash.demand_unmatched",
        "",
        state.settings.cookie_secure,
    ))
}
