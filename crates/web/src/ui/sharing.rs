//! Sharing for people: the request form on a dataset, the steward's worklist, the decision
//! page (approve, approve in part, refuse), grants with their data keys, and uploads.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::Permission;
use civitas_core::catalog::{AccessLevel, Dataset};
use civitas_core::ports::RequestFilter;
use civitas_core::sharing::{
    AccessRequest, Decision, NewAccessRequest, RequestStatus, SharingGrant, SharingKey,
};
use civitas_core::text::Text;

use super::{Chrome, FieldErrors, Page, field_errors, is_form_error, redirect_with_flash, render};
use crate::error::ApiResult;
use crate::extract::{ApiPath, UiForm};
use crate::state::AppState;

type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn values(pairs: &Pairs, key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// One request as a row of a table.
pub struct RequestRow {
    pub id: i64,
    pub dataset_id: i64,
    pub dataset: String,
    pub from: String,
    pub to: String,
    pub requester: String,
    pub status_code: &'static str,
    pub status: String,
    pub created: String,
}

pub fn request_row(
    r: &AccessRequest,
    names: &HashMap<String, String>,
    chrome: &Chrome,
) -> RequestRow {
    let name = |c: &AgencyCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    RequestRow {
        id: r.id,
        dataset_id: r.request.dataset_id,
        dataset: r.dataset_title.clone(),
        from: name(&r.request.requesting_agency),
        to: name(&r.providing_agency),
        requester: r.requester.clone(),
        status_code: r.status.code(),
        status: r.status.label().get(chrome.lang).to_string(),
        created: chrome.date(r.created_at),
    }
}

pub struct GrantRow {
    pub id: i64,
    pub dataset_id: i64,
    pub dataset: String,
    pub provider: String,
    pub grantee: String,
    pub fields: String,
    pub until: String,
    pub active: bool,
}

fn grant_row(
    g: &SharingGrant,
    names: &HashMap<String, String>,
    chrome: &Chrome,
    now: civitas_core::time::Timestamp,
) -> GrantRow {
    let name = |c: &AgencyCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    GrantRow {
        id: g.id,
        dataset_id: g.dataset_id,
        dataset: g.dataset_title.clone(),
        provider: name(&g.providing_agency),
        grantee: name(&g.grantee_agency),
        fields: if g.fields.is_empty() {
            chrome.t("sharing.all_fields").to_string()
        } else {
            g.fields.join("、")
        },
        until: chrome.date(g.valid_until),
        active: g.is_active(now),
    }
}

#[derive(Template)]
#[template(path = "sharing/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    waiting: Vec<RequestRow>,
    mine: Vec<RequestRow>,
    others: Vec<RequestRow>,
    grants: Vec<GrantRow>,
    stats: RequestStats,
}

/// Requests made, approved, refused, and how long a decision took.
#[derive(Default)]
pub struct RequestStats {
    pub total: usize,
    pub open: usize,
    pub approved: usize,
    pub refused: usize,
    /// Median days from request to decision, over decided requests.
    pub median_days: Option<String>,
}

pub fn request_stats(list: &[AccessRequest]) -> RequestStats {
    let mut days: Vec<f64> = list
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                RequestStatus::Approved | RequestStatus::PartlyApproved
            )
        })
        .filter_map(|r| {
            r.decided_at
                .map(|d| d.since(r.created_at).as_seconds_f64() / 86_400.0)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => days.get(n / 2).copied(),
        n => match (days.get(n / 2 - 1), days.get(n / 2)) {
            (Some(a), Some(b)) => Some((a + b) / 2.0),
            _ => None,
        },
    };
    RequestStats {
        total: list.len(),
        open: list.iter().filter(|r| r.status.is_open()).count(),
        approved: list
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    RequestStatus::Approved | RequestStatus::PartlyApproved
                )
            })
            .count(),
        refused: list
            .iter()
            .filter(|r| r.status == RequestStatus::Refused)
            .count(),
        median_days: median.map(|d| format!("{d:.1}")),
    }
}

pub async fn overview(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadCatalog)?;
    let sharing = state.platform.sharing();
    let all = sharing
        .requests(&page.caller, &RequestFilter::default())
        .await?;
    let waiting_ids: Vec<i64> = sharing
        .waiting_for(&page.caller)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    let grants = sharing.grants(&page.caller).await?;
    let chrome = page.chrome("sharing.title");
    let names = super::agency_names(&state).await;
    let now = state.platform.now();
    let home = page.caller.principal.home_agency.clone();
    let me = page.caller.principal.user_name.clone();
    let mut waiting = Vec::new();
    let mut mine = Vec::new();
    let mut others = Vec::new();
    for r in &all {
        let row = request_row(r, &names, &chrome);
        if waiting_ids.contains(&r.id) {
            waiting.push(row);
        } else if r.requester == me || Some(&r.request.requesting_agency) == home.as_ref() {
            mine.push(row);
        } else if others.len() < 100 {
            others.push(row);
        }
    }
    render(&OverviewPage {
        stats: request_stats(&all),
        grants: grants
            .iter()
            .filter(|g| g.is_active(now))
            .map(|g| grant_row(g, &names, &chrome, now))
            .collect(),
        waiting,
        mine,
        others,
        chrome,
    })
}

#[derive(Template)]
#[template(path = "sharing/request_form.html")]
struct RequestForm {
    chrome: Chrome,
    d: Dataset,
    provider: String,
    agencies: Vec<(String, String)>,
    agency: String,
    purpose: String,
    legal_basis: String,
    fields: Vec<(String, String, bool)>,
    period_from: String,
    period_to: String,
    days: String,
    personal: bool,
    errors: FieldErrors,
}

/// The agencies the caller may ask for: their home agency first, then agencies their
/// request-data grants name.
fn asking_agencies(page: &Page, names: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |c: &AgencyCode| {
        if !out.iter().any(|(k, _)| k == c.as_str()) {
            out.push((
                c.to_string(),
                names
                    .get(c.as_str())
                    .cloned()
                    .unwrap_or_else(|| c.to_string()),
            ));
        }
    };
    if let Some(home) = &page.caller.principal.home_agency {
        push(home);
    }
    for g in &page.caller.principal.grants {
        if g.role.has(Permission::RequestData)
            && let Some(c) = g.scope.agency()
        {
            push(c);
        }
    }
    out
}

async fn request_form_page(
    state: &AppState,
    page: &Page,
    id: i64,
    pairs: Option<&Pairs>,
    errors: FieldErrors,
) -> ApiResult<RequestForm> {
    let d = state.platform.catalog().get(&page.caller, id).await?;
    let names = super::agency_names(state).await;
    let chrome = page.chrome("sharing.request_title");
    let agencies = asking_agencies(page, &names);
    let chosen = pairs.map(|p| values(p, "field")).unwrap_or_default();
    let get = |k: &str, default: &str| {
        pairs
            .map(|p| value(p, k).to_string())
            .unwrap_or_else(|| default.to_string())
    };
    Ok(RequestForm {
        provider: names
            .get(d.record.agency.as_str())
            .cloned()
            .unwrap_or_else(|| d.record.agency.to_string()),
        agency: get(
            "requesting_agency",
            agencies.first().map(|a| a.0.as_str()).unwrap_or(""),
        ),
        agencies,
        purpose: get("purpose", ""),
        legal_basis: get("legal_basis", ""),
        fields: d
            .record
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.label.clone().unwrap_or_default(),
                    chosen.contains(&f.name),
                )
            })
            .collect(),
        period_from: get("period_from", ""),
        period_to: get("period_to", ""),
        days: get("days", "365"),
        personal: d.record.access_level == AccessLevel::PersonalData,
        errors,
        d,
        chrome,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct RequestFormQuery {
    /// A data need (inventory demand) to fill the form from.
    pub demand: Option<i64>,
}

pub async fn request_form(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<RequestFormQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::RequestData)?;
    // A matched demand becomes a request: its agency, purpose and legal basis carry over.
    let prefill: Option<Pairs> = match q.demand {
        Some(demand) => {
            let d = state
                .platform
                .inventory()
                .demand(&page.caller, demand)
                .await?;
            Some(vec![
                (
                    "requesting_agency".into(),
                    d.input.needing_agency.to_string(),
                ),
                (
                    "purpose".into(),
                    format!("{}：{}", d.input.title, d.input.purpose),
                ),
                (
                    "legal_basis".into(),
                    d.input.legal_basis.unwrap_or_default(),
                ),
                ("days".into(), "365".into()),
            ])
        }
        None => None,
    };
    render(&request_form_page(&state, &page, id, prefill.as_ref(), FieldErrors::new()).await?)
}

pub async fn request_submit(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::RequestData)?;
    let agency = match AgencyCode::parse(value(&pairs, "requesting_agency")) {
        Ok(code) => code,
        Err(e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let form = request_form_page(&state, &page, id, Some(&pairs), errors).await?;
            return super::render_status(axum::http::StatusCode::BAD_REQUEST, &form);
        }
    };
    let days = value(&pairs, "days").parse::<u32>().unwrap_or(0);
    let request = NewAccessRequest {
        dataset_id: id,
        requesting_agency: agency,
        purpose: value(&pairs, "purpose").to_string(),
        legal_basis: opt(value(&pairs, "legal_basis")),
        fields: values(&pairs, "field"),
        period_from: opt(value(&pairs, "period_from")),
        period_to: opt(value(&pairs, "period_to")),
        days,
    };
    match state
        .platform
        .sharing()
        .request(&page.caller, request)
        .await
    {
        Ok(r) => Ok(redirect_with_flash(
            &format!("/sharing/requests/{}", r.id),
            "flash.request_filed",
            &r.dataset_title,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let errors = field_errors(&e, page.ctx.lang);
            let form = request_form_page(&state, &page, id, Some(&pairs), errors).await?;
            super::render_status(axum::http::StatusCode::BAD_REQUEST, &form)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "sharing/request.html")]
struct RequestPage {
    chrome: Chrome,
    r: AccessRequest,
    row: RequestRow,
    personal: bool,
    can_decide: bool,
    second: bool,
    can_withdraw: bool,
    /// Fields a decision may grant (asked, or kept by the first approver), with labels.
    decidable_fields: Vec<String>,
    grant_id: Option<i64>,
    decided_at: String,
    errors: FieldErrors,
}

async fn request_page(
    state: &AppState,
    page: &Page,
    id: i64,
    errors: FieldErrors,
) -> ApiResult<RequestPage> {
    let sharing = state.platform.sharing();
    let r = sharing.get_request(&page.caller, id).await?;
    let chrome = page.chrome("sharing.request_title");
    let names = super::agency_names(state).await;
    let dataset = state
        .platform
        .catalog()
        .get(&page.caller, r.request.dataset_id)
        .await?;
    let me = &page.caller.principal.user_name;
    let provider = state
        .platform
        .agencies()
        .target(Some(&r.providing_agency))
        .await?;
    let can_decide = r.status.is_open()
        && page.can(Permission::ManageCatalog, &provider)
        && &r.requester != me
        && r.first_approver.as_ref() != Some(me);
    let requesting = state
        .platform
        .agencies()
        .target(Some(&r.request.requesting_agency))
        .await?;
    let decidable_fields =
        if r.status == RequestStatus::AwaitingSecondApproval && !r.granted_fields.is_empty() {
            r.granted_fields.clone()
        } else if r.request.fields.is_empty() {
            dataset
                .record
                .fields
                .iter()
                .map(|f| f.name.clone())
                .collect()
        } else {
            r.request.fields.clone()
        };
    let grant_id = if matches!(
        r.status,
        RequestStatus::Approved | RequestStatus::PartlyApproved
    ) {
        sharing
            .grants(&page.caller)
            .await?
            .into_iter()
            .find(|g| g.request_id == r.id)
            .map(|g| g.id)
    } else {
        None
    };
    Ok(RequestPage {
        decided_at: r.decided_at.map(|t| chrome.datetime(t)).unwrap_or_default(),
        row: request_row(&r, &names, &chrome),
        personal: dataset.record.access_level == AccessLevel::PersonalData,
        second: r.status == RequestStatus::AwaitingSecondApproval,
        can_withdraw: r.status.is_open() && page.can(Permission::RequestData, &requesting),
        can_decide,
        decidable_fields,
        grant_id,
        errors,
        r,
        chrome,
    })
}

pub async fn request_detail(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    render(&request_page(&state, &page, id, FieldErrors::new()).await?)
}

pub async fn decide(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    let days = value(&pairs, "days").parse::<u32>().ok();
    let reason = value(&pairs, "reason").to_string();
    let decision = match value(&pairs, "decision") {
        "approve" => Decision::Approve { days },
        "approve_in_part" => Decision::ApproveInPart {
            fields: values(&pairs, "field"),
            days,
            reason,
        },
        "refuse" => Decision::Refuse { reason },
        _ => {
            let e = DomainError::invalid(
                "decision",
                Text::new(
                    "請選擇核准、部分核准或不予核准",
                    "choose approve, approve in part or refuse",
                ),
            );
            let p = request_page(&state, &page, id, field_errors(&e, page.ctx.lang)).await?;
            return super::render_status(axum::http::StatusCode::BAD_REQUEST, &p);
        }
    };
    match state
        .platform
        .sharing()
        .decide(&page.caller, id, decision)
        .await
    {
        Ok((r, _)) => Ok(redirect_with_flash(
            &format!("/sharing/requests/{id}"),
            "flash.request_decided",
            r.status.label().get(page.ctx.lang),
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let p = request_page(&state, &page, id, field_errors(&e, page.ctx.lang)).await?;
            super::render_status(axum::http::StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let r = state.platform.sharing().withdraw(&page.caller, id).await?;
    Ok(redirect_with_flash(
        &format!("/sharing/requests/{id}"),
        "flash.request_withdrawn",
        &r.dataset_title,
        state.settings.cookie_secure,
    ))
}

#[derive(Template)]
#[template(path = "sharing/grant.html")]
struct GrantPage {
    chrome: Chrome,
    g: SharingGrant,
    row: GrantRow,
    keys: Vec<(SharingKey, String, String, bool)>,
    can_key: bool,
    can_revoke: bool,
    new_secret: Option<String>,
    approved_by: String,
    valid_from: String,
    revoked: Option<String>,
    errors: FieldErrors,
}

async fn grant_page(
    state: &AppState,
    page: &Page,
    id: i64,
    new_secret: Option<String>,
    errors: FieldErrors,
) -> ApiResult<GrantPage> {
    let sharing = state.platform.sharing();
    let g = sharing.get_grant(&page.caller, id).await?;
    let keys = sharing.keys(&page.caller, id).await?;
    let chrome = page.chrome("sharing.grant_title");
    let names = super::agency_names(state).await;
    let now = state.platform.now();
    let grantee = state
        .platform
        .agencies()
        .target(Some(&g.grantee_agency))
        .await?;
    let provider = state
        .platform
        .agencies()
        .target(Some(&g.providing_agency))
        .await?;
    Ok(GrantPage {
        valid_from: chrome.date(g.valid_from),
        revoked: g.revoked_at.map(|t| chrome.datetime(t)),
        row: grant_row(&g, &names, &chrome, now),
        keys: keys
            .into_iter()
            .map(|k| {
                let created = chrome.date(k.created_at);
                let used = chrome.opt_datetime(k.last_used_at);
                let usable = k.is_usable(now);
                (k, created, used, usable)
            })
            .collect(),
        can_key: g.is_active(now) && page.can(Permission::ReadSharedData, &grantee),
        can_revoke: g.revoked_at.is_none() && page.can(Permission::ManageCatalog, &provider),
        approved_by: match &g.second_approved_by {
            Some(second) => format!("{}、{second}", g.approved_by),
            None => g.approved_by.clone(),
        },
        new_secret,
        errors,
        g,
        chrome,
    })
}

pub async fn grant_detail(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    render(&grant_page(&state, &page, id, None, FieldErrors::new()).await?)
}

pub async fn create_key(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    match state
        .platform
        .sharing()
        .issue_key(&page.caller, id, value(&pairs, "label"))
        .await
    {
        // The secret is shown on this response only: never in a cookie or a redirect.
        Ok((secret, _)) => {
            let mut r =
                render(&grant_page(&state, &page, id, Some(secret), FieldErrors::new()).await?)?;
            super::no_store(r.headers_mut());
            Ok(r)
        }
        Err(e) if is_form_error(&e) => {
            let p = grant_page(&state, &page, id, None, field_errors(&e, page.ctx.lang)).await?;
            super::render_status(axum::http::StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_key(
    State(state): State<AppState>,
    page: Page,
    ApiPath((id, key)): ApiPath<(i64, i64)>,
) -> ApiResult<Response> {
    state
        .platform
        .sharing()
        .revoke_key(&page.caller, id, key)
        .await?;
    Ok(Redirect::to(&format!("/sharing/grants/{id}")).into_response())
}

pub async fn revoke_grant(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    match state
        .platform
        .sharing()
        .revoke_grant(&page.caller, id, value(&pairs, "reason"))
        .await
    {
        Ok(g) => Ok(redirect_with_flash(
            &format!("/sharing/grants/{id}"),
            "flash.grant_revoked",
            &g.dataset_title,
            state.settings.cookie_secure,
        )),
        Err(e) if is_form_error(&e) => {
            let p = grant_page(&state, &page, id, None, field_errors(&e, page.ctx.lang)).await?;
            super::render_status(axum::http::StatusCode::BAD_REQUEST, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// A steward uploads the dataset's file from its page.
pub async fn upload(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    // Refuse before reading a large body the caller may not send.
    page.require_somewhere(Permission::ManageCatalog)?;
    let multipart = super::agencies::multipart_of(request, &state).await?;
    let (name, bytes, _) =
        super::agencies::read_upload(multipart, state.settings.max_upload_bytes).await?;
    let media = if name.to_ascii_lowercase().ends_with(".csv") {
        "text/csv"
    } else {
        "application/octet-stream"
    };
    let outcome = state
        .platform
        .sharing()
        .upload(&page.caller, id, &name, media, &bytes)
        .await?;
    Ok(redirect_with_flash(
        &format!("/catalog/datasets/{id}"),
        if outcome.changed {
            "flash.uploaded"
        } else {
            "flash.upload_same"
        },
        &name,
        state.settings.cookie_secure,
    ))
}

#[derive(Template)]
#[template(path = "sharing/preview_partial.html")]
struct Preview {
    chrome: Chrome,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    total: u64,
    limited: bool,
}

/// The first rows of a dataset, for a person allowed to read them (logged like any read).
pub async fn preview(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let data = state
        .platform
        .sharing()
        .read_rows(Some(&page.caller), id, 0, 20, None)
        .await?;
    render(&Preview {
        chrome: page.chrome("sharing.preview"),
        limited: data.grant_id.is_some(),
        columns: data.columns,
        total: data.total,
        rows: data.rows,
    })
}

/// The dataset's file for a person: same rules as the API, errors as pages.
pub async fn download(
    State(state): State<AppState>,
    ctx: crate::auth::RequestContext,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let (name, media, bytes) = state
        .platform
        .sharing()
        .download(ctx.caller().as_ref(), id, None)
        .await?;
    Ok(crate::api::file_response(bytes, &media, &name))
}
