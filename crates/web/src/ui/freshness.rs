//! 資料逾期更新檢測 for people: the city's and each agency's scorecard, the trend, and the list
//! of late datasets with the evidence for each, exportable.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use civitas_core::Caller;
use civitas_core::authz::{Permission, Target};
use civitas_core::catalog::report::{AgencyScore, scores_by_day};
use civitas_core::catalog::{Facet, SearchHit, SearchQuery, SortOrder, freshness_label};
use civitas_core::freshness::UpdateFrequency;
use civitas_core::page::PageRequest;
use civitas_core::time::Language;
use serde::Deserialize;

use super::{Chrome, Page, render};
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Query {
    #[serde(default)]
    agency: String,
}

pub struct Card {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub class: &'static str,
}

pub struct ScoreRow {
    pub code: String,
    pub name: String,
    pub datasets: u64,
    pub scheduled: u64,
    pub rate: String,
    pub due_soon: u64,
    pub overdue: u64,
    pub delinquent: u64,
    pub review_due: u64,
}

pub struct LateRow {
    pub id: i64,
    pub title: String,
    pub agency: String,
    pub frequency: String,
    pub updated: String,
    pub due: String,
    pub days_late: i64,
    pub state: String,
    pub state_label: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "catalog/freshness.html")]
struct FreshnessPage {
    chrome: Chrome,
    agency: String,
    agency_options: Vec<(String, String)>,
    can_recompute: bool,
    assessed: String,
    cards: Vec<Card>,
    trend: Vec<(String, String)>,
    trend_json: String,
    scores: Vec<ScoreRow>,
    late: Vec<LateRow>,
    late_more: u64,
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// Late datasets (overdue and long overdue), earliest due first.
pub async fn late_datasets(
    state: &AppState,
    caller: &Caller,
    agency: &str,
    limit: u32,
) -> ApiResult<(Vec<SearchHit>, u64)> {
    let mut query = SearchQuery {
        sort: SortOrder::DueDate,
        page: PageRequest::new(Some(1), Some(limit)),
        ..Default::default()
    };
    query.filters.push((Facet::Freshness, "overdue".into()));
    query.filters.push((Facet::Freshness, "delinquent".into()));
    if !agency.is_empty() {
        query.filters.push((Facet::Agency, agency.to_string()));
    }
    let result = state.platform.catalog().search(caller, &query).await?;
    Ok((result.hits, result.total))
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadCatalog)?;
    let chrome = page.chrome("fresh.title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let now = state.platform.now();
    let from = civitas_core::time::iso_date(now.sub(time::Duration::days(400)).taipei_date());
    let history = state
        .platform
        .stores
        .catalog
        .freshness_history(&from)
        .await?;
    let days = scores_by_day(&history);
    let key = q.agency.clone();
    let latest = days.iter().next_back();
    let empty = HashMap::new();
    let today: HashMap<String, AgencyScore> = latest
        .map(|(_, s)| s.clone().into_iter().collect())
        .unwrap_or(empty);
    let focus = today.get(&key).cloned().unwrap_or_default();
    let link = |state: &str| {
        let mut href = format!("/catalog?freshness={state}");
        if !key.is_empty() {
            href.push_str(&format!("&agency={key}"));
        }
        href
    };
    let t = |k: &str| chrome.t(k).to_string();
    let cards = vec![
        Card {
            label: t("fresh.datasets"),
            count: focus.datasets,
            href: link("")
                .replace("freshness=&", "")
                .replace("?freshness=", "?"),
            class: "",
        },
        Card {
            label: t("fresh.fresh"),
            count: focus.fresh,
            href: link("fresh"),
            class: "ok",
        },
        Card {
            label: t("fresh.due_soon"),
            count: focus.due_soon,
            href: link("due_soon"),
            class: "",
        },
        Card {
            label: t("fresh.overdue"),
            count: focus.overdue,
            href: link("overdue"),
            class: if focus.overdue > 0 { "bad" } else { "" },
        },
        Card {
            label: t("fresh.delinquent"),
            count: focus.delinquent,
            href: link("delinquent"),
            class: if focus.delinquent > 0 { "bad" } else { "" },
        },
        Card {
            label: t("fresh.review_due"),
            count: focus.review_due,
            href: link("review_due"),
            class: "",
        },
    ];
    let trend: Vec<(String, f64)> = days
        .iter()
        .filter_map(|(day, scores)| {
            scores
                .get(&key)
                .and_then(|s| s.on_time_rate)
                .map(|r| (day.clone(), (r * 1000.0).round() / 10.0))
        })
        .collect();
    let trend_json = serde_json::to_string(
        &trend
            .iter()
            .map(|(d, r)| serde_json::json!([d, r]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
    .replace('<', "\\u003c");
    let mut scores: Vec<ScoreRow> = today
        .values()
        .filter(|s| !s.agency.is_empty())
        .filter(|s| key.is_empty() || s.agency == key)
        .map(|s| ScoreRow {
            code: s.agency.clone(),
            name: names
                .get(&s.agency)
                .cloned()
                .unwrap_or_else(|| s.agency.clone()),
            datasets: s.datasets,
            scheduled: s.scheduled,
            rate: percent(s.on_time_rate),
            due_soon: s.due_soon,
            overdue: s.overdue,
            delinquent: s.delinquent,
            review_due: s.review_due,
        })
        .collect();
    scores.sort_by(|a, b| {
        (b.overdue + b.delinquent)
            .cmp(&(a.overdue + a.delinquent))
            .then_with(|| a.code.cmp(&b.code))
    });
    let (hits, total) = late_datasets(&state, &page.caller, &key, 200).await?;
    let late = hits
        .iter()
        .map(|h| late_row(h, &names, &chrome, now))
        .collect::<Vec<_>>();
    let mut agency_options: Vec<(String, String)> = names
        .iter()
        .filter(|(c, _)| today.contains_key(*c))
        .map(|(c, n)| (c.clone(), n.clone()))
        .collect();
    agency_options.sort();
    render(&FreshnessPage {
        assessed: match latest {
            Some((day, _)) => match lang {
                Language::ZhTw => format!("最近一次檢測日期：{day}"),
                Language::En => format!("Last assessed: {day}"),
            },
            None => t("fresh.never_assessed"),
        },
        can_recompute: page.can(Permission::ManageCatalog, &Target::City),
        late_more: total.saturating_sub(late.len() as u64),
        trend: trend
            .into_iter()
            .map(|(d, r)| (d, format!("{r:.1}%")))
            .collect(),
        agency: key,
        agency_options,
        cards,
        trend_json,
        scores,
        late,
        chrome,
    })
}

pub fn late_row(
    h: &SearchHit,
    names: &HashMap<String, String>,
    chrome: &Chrome,
    now: civitas_core::time::Timestamp,
) -> LateRow {
    let lang = chrome.lang;
    let state = h.freshness.clone().unwrap_or_else(|| "unknown".into());
    LateRow {
        id: h.id,
        title: h.title_zh.clone(),
        agency: names
            .get(&h.agency)
            .cloned()
            .unwrap_or_else(|| h.agency.clone()),
        frequency: UpdateFrequency::parse(&h.frequency)
            .label()
            .get(lang)
            .to_string(),
        updated: chrome.opt_datetime(h.data_updated_at),
        due: chrome.opt_datetime(h.due_at),
        days_late: h
            .due_at
            .map(|d| now.since(d).whole_days().max(0))
            .unwrap_or(0),
        state_label: freshness_label(&state).get(lang).to_string(),
        state,
        why: h
            .freshness_explanation
            .as_ref()
            .map(|t| t.get(lang).to_string())
            .unwrap_or_default(),
    }
}

/// The late list as a spreadsheet: CSV, XLSX or ODS.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadCatalog)?;
    let chrome = page.chrome("fresh.title");
    let names = super::agency_names(&state).await;
    let now = state.platform.now();
    let (hits, _) = late_datasets(
        &state,
        &page.caller,
        &q.agency,
        civitas_core::page::MAX_PER_PAGE,
    )
    .await?;
    let rows: Vec<LateRow> = hits
        .iter()
        .map(|h| late_row(h, &names, &chrome, now))
        .collect();
    let headers = [
        chrome.t("fresh.dataset"),
        chrome.t("catalog.agency"),
        chrome.t("catalog.declared"),
        chrome.t("fresh.state"),
        chrome.t("catalog.data_updated"),
        chrome.t("catalog.due"),
        chrome.t("fresh.days_late"),
        chrome.t("fresh.why"),
    ];
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    super::spreadsheet::respond(
        &ext,
        chrome.t("fresh.late_list"),
        &headers,
        rows.iter()
            .map(|r| {
                vec![
                    super::spreadsheet::Value::Text(r.title.clone()),
                    super::spreadsheet::Value::Text(r.agency.clone()),
                    super::spreadsheet::Value::Text(r.frequency.clone()),
                    super::spreadsheet::Value::Text(r.state_label.clone()),
                    super::spreadsheet::Value::Text(r.updated.clone()),
                    super::spreadsheet::Value::Text(r.due.clone()),
                    super::spreadsheet::Value::Int(r.days_late),
                    super::spreadsheet::Value::Text(r.why.clone()),
                ]
            })
            .collect(),
        "civitas-late-datasets",
    )
}

pub async fn recompute(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require(Permission::ManageCatalog, &Target::City)?;
    let now = state.platform.now();
    state.platform.catalog().recompute_freshness(now).await?;
    Ok(Redirect::to("/freshness").into_response())
}
