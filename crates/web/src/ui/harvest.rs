//! The harvest sources: each configured catalogue with its last run (counts, whether it read
//! everything, why it stopped), its next run, and a "run now" button for catalogue managers.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::{Permission, Target};
use civitas_core::catalog::schedule::{RunTrigger, SourceStatus};

use super::{Chrome, Page, redirect_with_flash, render};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

pub struct SourceView {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub interval: String,
    pub configured: bool,
    pub requested: Option<String>,
    pub next_run: String,
    pub last: Option<RunView>,
}

pub struct RunView {
    pub started: String,
    pub finished: String,
    pub trigger: &'static str,
    pub import_run: Option<i64>,
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub withdrawn: u64,
    pub pages: u64,
    pub complete: bool,
    /// Read in full, but the source's format is no complete listing (a scrape, a package_show).
    pub not_a_listing: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/harvest.html")]
struct HarvestPage {
    chrome: Chrome,
    sources: Vec<SourceView>,
}

/// "每 1 天 / every 1 d" from seconds.
fn interval_text(seconds: Option<i64>, chrome: &Chrome) -> String {
    let Some(s) = seconds else {
        return chrome.t("harvest.on_demand").to_string();
    };
    let (n, unit) = if s % 604_800 == 0 {
        (s / 604_800, "harvest.weeks")
    } else if s % 86_400 == 0 {
        (s / 86_400, "harvest.days")
    } else if s % 3_600 == 0 {
        (s / 3_600, "harvest.hours")
    } else {
        (s / 60, "harvest.minutes")
    };
    chrome.t(unit).replace("{}", &n.to_string())
}

fn trigger_key(t: RunTrigger) -> &'static str {
    match t {
        RunTrigger::Schedule => "harvest.by_schedule",
        RunTrigger::Request => "harvest.by_request",
        RunTrigger::Cli => "harvest.by_cli",
    }
}

fn view(s: SourceStatus, chrome: &Chrome) -> SourceView {
    let lang = chrome.lang;
    SourceView {
        interval: interval_text(s.source.interval_seconds, chrome),
        requested: s.source.run_requested_at.map(|at| {
            format!(
                "{} {}",
                chrome.datetime(at),
                s.source.run_requested_by.clone().unwrap_or_default()
            )
        }),
        next_run: match s.next_run {
            Some(at) => chrome.datetime(at),
            None => chrome.t("harvest.not_scheduled").to_string(),
        },
        last: s.last_run.map(|r| RunView {
            started: chrome.datetime(r.started_at),
            finished: r
                .finished_at
                .map(|t| chrome.datetime(t))
                .unwrap_or_else(|| chrome.t("harvest.running").to_string()),
            trigger: chrome.t(trigger_key(r.trigger)),
            import_run: r.import_run,
            received: r.received,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            duplicates: r.duplicates,
            rejected: r.rejected,
            withdrawn: r.withdrawn,
            pages: r.pages_read,
            complete: r.complete,
            not_a_listing: !r.complete && r.error.is_none(),
            error: r.error.map(|e| e.get(lang).to_string()),
        }),
        name: s.source.name,
        kind: s.source.kind,
        url: s.source.url,
        configured: s.source.configured,
    }
}

pub async fn list(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require(Permission::ManageCatalog, &Target::City)?;
    let statuses = state.platform.harvests().sources(&page.caller).await?;
    let chrome = page.chrome("harvest.title");
    let sources = statuses.into_iter().map(|s| view(s, &chrome)).collect();
    render(&HarvestPage { chrome, sources })
}

/// "Run now": queued for the server's harvester, which takes it up within seconds.
pub async fn run_now(
    State(state): State<AppState>,
    page: Page,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Response> {
    page.require(Permission::ManageCatalog, &Target::City)?;
    state
        .platform
        .harvests()
        .request_run(&page.caller, &name)
        .await?;
    Ok(redirect_with_flash(
        "/catalog/harvest",
        "flash.harvest_queued",
        &name,
        state.settings.cookie_secure,
    ))
}
