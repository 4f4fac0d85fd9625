//! Import runs: what came in, what was stored, and every rejected line with its reason.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::import::ImportRun;
use civitas_core::page::PageRequest;
use serde::Deserialize;

use super::{Chrome, Page, render};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

pub struct RunRow {
    pub id: i64,
    pub when: String,
    pub kind: String,
    pub source: String,
    pub received: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "imports/list.html")]
struct ListPage {
    chrome: Chrome,
    runs: Vec<RunRow>,
    page: u32,
    pages: u64,
    total: u64,
    base: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    kind: Option<String>,
    page: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let result = state
        .platform
        .imports()
        .list(
            &page.caller,
            q.kind.as_deref(),
            PageRequest::new(q.page, Some(50)),
        )
        .await?;
    let chrome = page.chrome("import.runs");
    let runs = result
        .items
        .iter()
        .map(|r| RunRow {
            id: r.id,
            when: chrome.datetime(r.finished_at),
            kind: r.report.kind.clone(),
            source: r.report.source.clone(),
            received: r.report.received,
            stored: r.report.stored(),
            duplicates: r.report.duplicates,
            rejected: r.rejected_total,
            actor: r.actor_name.clone(),
        })
        .collect();
    let base = match &q.kind {
        Some(k) => format!(
            "/imports?{}&",
            serde_urlencoded::to_string([("kind", k)]).unwrap_or_default()
        ),
        None => "/imports?".into(),
    };
    render(&ListPage {
        runs,
        page: result.page,
        pages: result.pages(),
        total: result.total,
        base,
        chrome,
    })
}

#[derive(Template)]
#[template(path = "imports/detail.html")]
struct DetailPage {
    chrome: Chrome,
    run: ImportRun,
    finished: String,
    rejected: Vec<(u64, String, String)>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let run = state.platform.imports().get(&page.caller, id).await?;
    let chrome = page.chrome("import.result");
    let lang = chrome.lang;
    render(&DetailPage {
        finished: chrome.datetime(run.finished_at),
        rejected: run
            .report
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.get(lang).to_string(), r.raw.clone()))
            .collect(),
        run,
        chrome,
    })
}
