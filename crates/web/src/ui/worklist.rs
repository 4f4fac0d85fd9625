//! The steward's worklist: their agencies' datasets that are due soon, late or due for review,
//! the sharing requests waiting for their decision, and what became of their own requests.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::catalog::{Facet, SearchQuery, SortOrder, freshness_label};
use civitas_core::freshness::{FreshnessState, explain_now};
use civitas_core::page::PageRequest;
use civitas_core::ports::RequestFilter;
use civitas_core::sharing::RequestStatus;

use super::sharing::{RequestRow, request_row};
use super::{Chrome, Page, render};
use crate::error::ApiResult;
use crate::state::AppState;

/// States that need a steward's attention, most urgent first.
const NEEDS_ACTION: [&str; 5] = [
    "delinquent",
    "overdue",
    "unreachable",
    "due_soon",
    "review_due",
];

pub struct DueRow {
    pub id: i64,
    pub title: String,
    pub agency: String,
    pub state_code: String,
    pub state: String,
    pub due: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct Worklist {
    chrome: Chrome,
    agencies: Vec<String>,
    due: Vec<DueRow>,
    due_total: u64,
    waiting: Vec<RequestRow>,
    decided: Vec<RequestRow>,
}

pub async fn show(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageCatalog)?;
    let chrome = page.chrome("work.title");
    let names = super::agency_names(&state).await;
    // The agencies this steward looks after (a bureau's grant covers its offices).
    let mut mine = Vec::new();
    for a in state.platform.stores.agencies.agencies().await? {
        let target = state.platform.agencies().target(Some(&a.code)).await?;
        if a.active && page.can(Permission::ManageCatalog, &target) {
            mine.push(a.code);
        }
    }
    let city_wide = page.caller.principal.can(
        Permission::ManageCatalog,
        &civitas_core::authz::Target::City,
    );
    let mut query = SearchQuery {
        sort: SortOrder::DueDate,
        page: PageRequest::new(Some(1), Some(100)),
        ..SearchQuery::default()
    };
    for s in NEEDS_ACTION {
        query.filters.push((Facet::Freshness, s.to_string()));
    }
    if !city_wide {
        for a in &mine {
            query.filters.push((Facet::Agency, a.to_string()));
        }
    }
    let found = if mine.is_empty() && !city_wide {
        None
    } else {
        Some(
            state
                .platform
                .catalog()
                .search(&page.caller, &query)
                .await?,
        )
    };
    let sharing = state.platform.sharing();
    let waiting = sharing
        .waiting_for(&page.caller)
        .await?
        .iter()
        .map(|r| request_row(r, &names, &chrome))
        .collect();
    let me = page.caller.principal.user_name.clone();
    let decided = sharing
        .requests(&page.caller, &RequestFilter::default())
        .await?
        .iter()
        .filter(|r| {
            r.requester == me && !r.status.is_open() && r.status != RequestStatus::Withdrawn
        })
        .take(10)
        .map(|r| request_row(r, &names, &chrome))
        .collect();
    let lang = chrome.lang;
    let now = state.platform.now();
    let (due, due_total) = match found {
        Some(result) => (
            result
                .hits
                .iter()
                .map(|h| {
                    let code = h.freshness.clone().unwrap_or_else(|| "unknown".into());
                    let held = FreshnessState::ALL
                        .into_iter()
                        .find(|s| s.code() == code)
                        .unwrap_or(FreshnessState::Unknown);
                    DueRow {
                        id: h.id,
                        title: h.title_zh.clone(),
                        agency: names
                            .get(&h.agency)
                            .cloned()
                            .unwrap_or_else(|| h.agency.clone()),
                        state: freshness_label(&code).get(lang).to_string(),
                        state_code: code,
                        due: chrome.opt_datetime(h.due_at),
                        why: h
                            .freshness_explanation
                            .as_ref()
                            .map(|t| explain_now(t, held, h.due_at, now).get(lang).to_string())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
            result.total,
        ),
        None => (Vec::new(), 0),
    };
    render(&Worklist {
        agencies: if city_wide {
            vec![chrome.t("user.city_wide").to_string()]
        } else {
            mine.iter()
                .map(|c| {
                    names
                        .get(c.as_str())
                        .cloned()
                        .unwrap_or_else(|| c.to_string())
                })
                .collect()
        },
        due,
        due_total,
        waiting,
        decided,
        chrome,
    })
}
