//! The audit trail for auditors: filter, read, export, verify.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::audit::{AuditFilter, Outcome};
use civitas_core::authz::{Permission, Target};
use civitas_core::page::PageRequest;
use civitas_core::time::{Language, TAIPEI, Timestamp};
use serde::{Deserialize, Serialize};

use super::dashboard::{ChainSummary, chain_summary};
use super::{Chrome, Page, render};
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::i18n;
use crate::state::AppState;

/// Actions people filter by, with their i18n keys.
pub const ACTIONS: &[&str] = &[
    "auth",
    "auth.login",
    "auth.logout",
    "user",
    "user.create",
    "user.update",
    "user.grant",
    "user.revoke",
    "user.lock",
    "user.unlock",
    "user.password_change",
    "user.password_reset",
    "token",
    "token.create",
    "token.revoke",
    "agency",
    "agency.create",
    "agency.update",
    "agency.retire",
    "agency.import",
    "audit.export",
];

/// "帳號建立 (user.create)": the readable name of an action, with its code.
pub fn action_label(lang: Language, action: &str) -> String {
    match i18n::get(lang, &format!("action.{action}")) {
        Some(label) => format!("{label} ({action})"),
        None => action.to_string(),
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct FilterForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default, skip_serializing)]
    pub page: Option<u32>,
}

fn taipei_midnight(date: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date.trim(), &format).ok()?;
    Some(Timestamp::from_offset(day.midnight().assume_offset(TAIPEI)))
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl FilterForm {
    /// Dates are Taipei calendar days; `to` includes the whole day.
    pub fn filter(&self) -> AuditFilter {
        AuditFilter {
            from: taipei_midnight(&self.from),
            to: taipei_midnight(&self.to).map(|t| t.add(time::Duration::days(1))),
            actor: non_empty(&self.actor),
            action: non_empty(&self.action),
            object_type: None,
            object_id: None,
            agency: non_empty(&self.agency),
            outcome: Outcome::parse(self.outcome.trim()),
        }
    }
}

pub struct EntryRow {
    pub seq: i64,
    pub when: String,
    pub actor: String,
    pub agency: String,
    pub action: String,
    pub object: String,
    pub ip: String,
    pub summary: String,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    chain: Option<ChainSummary>,
    f: FilterForm,
    actions: Vec<(&'static str, String)>,
    entries: Vec<EntryRow>,
    query: String,
    page: u32,
    pages: u64,
    total: u64,
    base: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(f): ApiQuery<FilterForm>,
) -> ApiResult<Response> {
    page.require(Permission::ReadAudit, &Target::City)?;
    let result = state
        .platform
        .audit()
        .query(
            &page.caller,
            &f.filter(),
            PageRequest::new(f.page, Some(50)),
        )
        .await?;
    let chrome = page.chrome("audit.title");
    let lang = chrome.lang;
    let chain = state.last_chain_check().map(|c| chain_summary(&chrome, &c));
    let (page_no, pages, total) = (result.page, result.pages(), result.total);
    let entries = result
        .items
        .into_iter()
        .map(|e| EntryRow {
            seq: e.seq,
            when: chrome.datetime(e.at),
            actor: e.actor_name,
            agency: e.acting_agency.unwrap_or_default(),
            action: action_label(lang, &e.action),
            object: format!("{} {}", e.object_type, e.object_id),
            ip: e.source_ip.unwrap_or_default(),
            summary: e.summary,
            failed: e.outcome != Outcome::Success,
        })
        .collect();
    let query = serde_urlencoded::to_string(&f).unwrap_or_default();
    render(&AuditPage {
        chain,
        actions: ACTIONS
            .iter()
            .map(|a| (*a, action_label(lang, a)))
            .collect(),
        entries,
        base: format!("/audit?{query}&"),
        query,
        page: page_no,
        pages,
        total,
        f,
        chrome,
    })
}

pub async fn export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(f): ApiQuery<FilterForm>,
) -> ApiResult<Response> {
    let mut buffer = Vec::new();
    state
        .platform
        .audit()
        .export_csv(&page.caller, &f.filter(), &mut buffer)
        .await?;
    csv_response(buffer, "civitas-audit.csv")
}

pub fn csv_response(body: Vec<u8>, file_name: &str) -> ApiResult<Response> {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub async fn verify(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require(Permission::ReadAudit, &Target::City)?;
    state.check_chain().await;
    Ok(Redirect::to("/audit").into_response())
}
