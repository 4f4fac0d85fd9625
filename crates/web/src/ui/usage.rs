//! Use of the city's data: per dataset and per agency, views, downloads and API calls,
//! distinct consuming agencies, requests and their outcomes, and datasets nobody used.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::catalog::Dataset;
use civitas_core::ports::RequestFilter;
use civitas_core::sharing::UsageRow;
use serde::Deserialize;

use super::sharing::{RequestStats, request_stats};
use super::spreadsheet::Value;
use super::{Chrome, Page, render};
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct Query {
    /// Months back (default 12).
    pub months: Option<i64>,
    pub agency: Option<String>,
}

pub struct DatasetUse {
    pub id: i64,
    pub title: String,
    pub agency: String,
    pub views: u64,
    pub downloads: u64,
    pub api_calls: u64,
    pub agencies: u64,
    pub last_used: String,
}

pub struct AgencyUse {
    pub code: String,
    pub name: String,
    pub datasets: usize,
    pub used: usize,
    pub uses: u64,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    chrome: Chrome,
    months: i64,
    agency: String,
    agency_options: Vec<(String, String)>,
    total_views: u64,
    total_downloads: u64,
    total_api: u64,
    used: usize,
    unused_count: usize,
    active: usize,
    top: Vec<DatasetUse>,
    by_agency: Vec<AgencyUse>,
    unused: Vec<(i64, String, String)>,
    stats: RequestStats,
    export_query: String,
    trend: Vec<(String, u64, u64, u64)>,
    trend_json: String,
}

struct Report {
    datasets: Vec<Dataset>,
    usage: HashMap<i64, UsageRow>,
    months: i64,
}

async fn report(state: &AppState, page: &Page, q: &Query) -> ApiResult<Report> {
    page.require_somewhere(Permission::ReadCatalog)?;
    let months = q.months.unwrap_or(12).clamp(1, 120);
    let from = state
        .platform
        .now()
        .sub(time::Duration::days(months * 30 + months / 2));
    let usage: HashMap<i64, UsageRow> = state
        .platform
        .sharing()
        .usage(&page.caller, from)
        .await?
        .into_iter()
        .map(|u| (u.dataset_id, u))
        .collect();
    let agency = q.agency.as_deref().filter(|a| !a.is_empty());
    let datasets = state
        .platform
        .stores
        .catalog
        .active_datasets()
        .await?
        .into_iter()
        .filter(|d| agency.is_none_or(|a| d.record.agency.as_str() == a))
        .collect();
    Ok(Report {
        datasets,
        usage,
        months,
    })
}

fn uses(u: &UsageRow) -> u64 {
    u.views + u.downloads + u.api_calls
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Response> {
    let r = report(&state, &page, &q).await?;
    let chrome = page.chrome("usage.title");
    let names = super::agency_names(&state).await;
    let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_string());
    let requests = state
        .platform
        .sharing()
        .requests(&page.caller, &RequestFilter::default())
        .await?;
    let mut rows: Vec<(&Dataset, &UsageRow)> = r
        .datasets
        .iter()
        .filter_map(|d| r.usage.get(&d.id).map(|u| (d, u)))
        .collect();
    rows.sort_by(|a, b| uses(b.1).cmp(&uses(a.1)).then(a.0.id.cmp(&b.0.id)));
    let mut by_agency: HashMap<String, AgencyUse> = HashMap::new();
    for d in &r.datasets {
        let code = d.record.agency.to_string();
        let entry = by_agency.entry(code.clone()).or_insert_with(|| AgencyUse {
            name: name(&code),
            code,
            datasets: 0,
            used: 0,
            uses: 0,
        });
        entry.datasets += 1;
        if let Some(u) = r.usage.get(&d.id) {
            entry.used += 1;
            entry.uses += uses(u);
        }
    }
    let mut by_agency: Vec<AgencyUse> = by_agency.into_values().collect();
    by_agency.sort_by(|a, b| b.uses.cmp(&a.uses).then(a.code.cmp(&b.code)));
    let unused: Vec<(i64, String, String)> = r
        .datasets
        .iter()
        .filter(|d| !r.usage.contains_key(&d.id))
        .map(|d| {
            (
                d.id,
                d.record.title_zh.clone(),
                name(d.record.agency.as_str()),
            )
        })
        .collect();
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    agency_options.sort();
    let agency = q.agency.clone().unwrap_or_default();
    let agency_code = civitas_core::agencies::AgencyCode::parse(&agency).ok();
    let from = state
        .platform
        .now()
        .sub(time::Duration::days(r.months * 30 + r.months / 2));
    let trend = state
        .platform
        .sharing()
        .usage_by_day(&page.caller, from, agency_code.as_ref())
        .await?;
    let trend_json = serde_json::to_string(
        &trend
            .iter()
            .map(|(d, v, dl, a)| serde_json::json!([d, v, dl, a]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
    .replace('<', "\\u003c");
    render(&UsagePage {
        trend,
        trend_json,
        total_views: rows.iter().map(|(_, u)| u.views).sum(),
        total_downloads: rows.iter().map(|(_, u)| u.downloads).sum(),
        total_api: rows.iter().map(|(_, u)| u.api_calls).sum(),
        used: rows.len(),
        unused_count: unused.len(),
        active: r.datasets.len(),
        top: rows
            .iter()
            .take(50)
            .map(|(d, u)| DatasetUse {
                id: d.id,
                title: d.record.title_zh.clone(),
                agency: name(d.record.agency.as_str()),
                views: u.views,
                downloads: u.downloads,
                api_calls: u.api_calls,
                agencies: u.consuming_agencies,
                last_used: chrome.opt_datetime(u.last_used),
            })
            .collect(),
        by_agency,
        unused: unused.into_iter().take(100).collect(),
        stats: request_stats(&requests),
        export_query: serde_urlencoded::to_string([
            ("months", r.months.to_string()),
            ("agency", agency.clone()),
        ])
        .unwrap_or_default(),
        months: r.months,
        agency,
        agency_options,
        chrome,
    })
}

/// Every active dataset with its use in the period, as CSV, XLSX or ODS.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let r = report(&state, &page, &q).await?;
    let chrome = page.chrome("usage.title");
    let names = super::agency_names(&state).await;
    let headers = [
        chrome.t("catalog.identifier"),
        chrome.t("fresh.dataset"),
        chrome.t("catalog.agency"),
        chrome.t("usage.views"),
        chrome.t("usage.downloads"),
        chrome.t("usage.api_calls"),
        chrome.t("usage.rows"),
        chrome.t("usage.agencies"),
        chrome.t("usage.last_used"),
    ];
    let empty = UsageRow::default();
    let rows = r
        .datasets
        .iter()
        .map(|d| {
            let u = r.usage.get(&d.id).unwrap_or(&empty);
            let count = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
            vec![
                Value::Text(d.record.identifier.clone()),
                Value::Text(d.record.title_zh.clone()),
                Value::Text(
                    names
                        .get(d.record.agency.as_str())
                        .cloned()
                        .unwrap_or_else(|| d.record.agency.to_string()),
                ),
                count(u.views),
                count(u.downloads),
                count(u.api_calls),
                count(u.rows),
                count(u.consuming_agencies),
                Value::Text(u.last_used.map(|t| chrome.datetime(t)).unwrap_or_default()),
            ]
        })
        .collect();
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    super::spreadsheet::respond(
        &ext,
        chrome.t("usage.title"),
        &headers,
        rows,
        "civitas-dataset-use",
    )
}
