//! The city's platforms: what each cost per ROC year, the use its datasets got, cost per
//! active user and per use, and datasets nobody used. Administrators register platforms,
//! enter costs and map harvest sources here; auditors and stewards read.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::{Permission, Target};
use civitas_core::inventory::{BenefitReport, DataPlatform, PlatformStatus};
use civitas_core::time::Language;
use serde::Deserialize;

use super::spreadsheet::Value;
use super::{Chrome, Page, redirect_with_flash, render};
use crate::api::inventory::{PlatformBody, platform_input};
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

fn opt(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// "8,492,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn money(v: Option<f64>, unknown: &str) -> String {
    match v {
        Some(x) => thousands(x.round() as i64),
        None => unknown.to_string(),
    }
}

/// 民國110年 / 2021.
fn year(lang: Language, roc: i32) -> String {
    match lang {
        Language::ZhTw => format!("民國{roc}年"),
        Language::En => format!("{} (ROC {roc})", roc + 1911),
    }
}

#[derive(Deserialize, Default)]
pub struct Query {
    /// Datasets nobody used in this many months (default 12).
    pub months: Option<i64>,
}

/// Unused datasets of one platform: its name, the first few (id, title, agency), how many.
type UnusedGroup = (String, Vec<(i64, String, String)>, usize);

pub struct PlatformLine {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub operator: String,
    pub since: String,
    pub status: String,
    pub retired: bool,
    pub note: String,
    pub total: String,
    pub datasets: u64,
}

pub struct Line {
    pub platform: String,
    pub year: String,
    pub datasets: u64,
    pub used: u64,
    pub uses: u64,
    pub users: u64,
    pub agencies: u64,
    pub cost: String,
    pub per_user: String,
    pub per_use: String,
    pub unknown_cost: bool,
}

#[derive(Template)]
#[template(path = "inventory/platforms.html")]
struct PlatformsPage {
    chrome: Chrome,
    platforms: Vec<PlatformLine>,
    lines: Vec<Line>,
    total_cost: String,
    months: i64,
    unused: Vec<UnusedGroup>,
    /// (source, platform id or 0, datasets).
    sources: Vec<(String, i64, u64)>,
    options: Vec<(i64, String)>,
    can_manage: bool,
    this_year: i32,
    agencies: Vec<(String, String)>,
    chart_json: String,
}

struct Built {
    report: BenefitReport,
    names: HashMap<String, String>,
    platform_names: HashMap<i64, String>,
}

async fn build(state: &AppState, page: &Page, q: &Query) -> ApiResult<Built> {
    let report = state
        .platform
        .inventory()
        .benefit(&page.caller, q.months.unwrap_or(12))
        .await?;
    let names = super::agency_names(state).await;
    let platform_names = report
        .platforms
        .iter()
        .map(|p| (p.id, p.input.name_zh.clone()))
        .collect();
    Ok(Built {
        report,
        names,
        platform_names,
    })
}

fn lines(b: &Built, chrome: &Chrome) -> Vec<Line> {
    let unknown = chrome.t("plat.unknown");
    b.report
        .rows
        .iter()
        .map(|r| Line {
            platform: b
                .platform_names
                .get(&r.platform_id)
                .cloned()
                .unwrap_or_default(),
            year: year(chrome.lang, r.roc_year),
            datasets: r.datasets,
            used: r.used_datasets,
            uses: r.uses,
            users: r.users,
            agencies: r.agencies,
            cost: r.cost.map(thousands).unwrap_or_else(|| unknown.to_string()),
            per_user: money(r.cost_per_user, "—"),
            per_use: money(r.cost_per_use, "—"),
            unknown_cost: r.cost.is_none(),
        })
        .collect()
}

fn platform_line(p: &DataPlatform, b: &Built, chrome: &Chrome) -> PlatformLine {
    let costs: Vec<i64> = b
        .report
        .costs
        .iter()
        .filter(|c| c.platform_id == p.id)
        .map(|c| c.amount)
        .collect();
    PlatformLine {
        id: p.id,
        name: p.input.name_zh.clone(),
        name_en: p.input.name_en.clone().unwrap_or_default(),
        operator: b
            .names
            .get(p.input.operator.as_str())
            .cloned()
            .unwrap_or_else(|| p.input.operator.to_string()),
        since: p
            .input
            .since_year
            .map(|y| year(chrome.lang, y))
            .unwrap_or_default(),
        status: match (p.input.status, p.input.retired_year) {
            (PlatformStatus::Retired, Some(y)) => format!(
                "{}（{}）",
                p.input.status.label().get(chrome.lang),
                year(chrome.lang, y)
            ),
            (s, _) => s.label().get(chrome.lang).to_string(),
        },
        retired: p.input.status == PlatformStatus::Retired,
        note: p.input.note.clone().unwrap_or_default(),
        total: if costs.is_empty() {
            chrome.t("plat.unknown").to_string()
        } else {
            thousands(costs.iter().sum())
        },
        datasets: b
            .report
            .sources
            .iter()
            .filter(|s| s.platform_id == Some(p.id))
            .map(|s| s.datasets)
            .sum(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
) -> ApiResult<Response> {
    let b = build(&state, &page, &q).await?;
    let chrome = page.chrome("plat.title");
    // The city's cost and use per year, for the chart: [[rocYear, NT$ millions | null, uses]].
    let mut per_year: std::collections::BTreeMap<i32, (Option<i64>, u64)> = Default::default();
    for r in &b.report.rows {
        let e = per_year.entry(r.roc_year).or_insert((None, 0));
        if let Some(c) = r.cost {
            e.0 = Some(e.0.unwrap_or(0) + c);
        }
        e.1 += r.uses;
    }
    let chart_json = serde_json::to_string(
        &per_year
            .iter()
            .map(|(y, (c, u))| serde_json::json!([y, c.map(|c| c as f64 / 1_000_000.0), u]))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
    .replace('<', "\\u003c");
    let mut unused: Vec<UnusedGroup> = Vec::new();
    for u in &b.report.unused {
        let platform = u
            .platform_id
            .and_then(|id| b.platform_names.get(&id).cloned())
            .unwrap_or_else(|| chrome.t("plat.no_platform").to_string());
        if unused.last().is_none_or(|l| l.0 != platform) {
            unused.push((platform, Vec::new(), 0));
        }
        if let Some(last) = unused.last_mut() {
            last.2 += 1;
            if last.1.len() < 30 {
                last.1.push((
                    u.dataset_id,
                    u.title.clone(),
                    b.names
                        .get(&u.agency)
                        .cloned()
                        .unwrap_or_else(|| u.agency.clone()),
                ));
            }
        }
    }
    let mut agencies: Vec<(String, String)> = b
        .names
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    agencies.sort_by(|a, c| a.1.cmp(&c.1));
    render(&PlatformsPage {
        platforms: b
            .report
            .platforms
            .iter()
            .map(|p| platform_line(p, &b, &chrome))
            .collect(),
        lines: lines(&b, &chrome),
        total_cost: thousands(b.report.total_cost),
        months: b.report.unused_months,
        unused,
        sources: b
            .report
            .sources
            .iter()
            .map(|s| (s.source.clone(), s.platform_id.unwrap_or(0), s.datasets))
            .collect(),
        options: b
            .report
            .platforms
            .iter()
            .map(|p| (p.id, p.input.name_zh.clone()))
            .collect(),
        can_manage: page.can(Permission::ManagePortfolio, &Target::City),
        this_year: state.platform.inventory().this_year(),
        agencies,
        chart_json,
        chrome,
    })
}

/// The benefit report as CSV, XLSX or ODS. Unknown costs stay empty with 未填, never 0.
pub async fn export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<Query>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let b = build(&state, &page, &q).await?;
    let chrome = page.chrome("plat.title");
    let headers = [
        chrome.t("plat.platform"),
        chrome.t("plat.year"),
        chrome.t("plat.datasets"),
        chrome.t("plat.used_datasets"),
        chrome.t("plat.uses"),
        chrome.t("plat.users"),
        chrome.t("plat.agencies"),
        chrome.t("plat.cost"),
        chrome.t("plat.per_user"),
        chrome.t("plat.per_use"),
    ];
    let count = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    let rows = b
        .report
        .rows
        .iter()
        .map(|r| {
            vec![
                Value::Text(
                    b.platform_names
                        .get(&r.platform_id)
                        .cloned()
                        .unwrap_or_default(),
                ),
                Value::Int(i64::from(r.roc_year)),
                count(r.datasets),
                count(r.used_datasets),
                count(r.uses),
                count(r.users),
                count(r.agencies),
                match r.cost {
                    Some(c) => Value::Int(c),
                    None => Value::Text(chrome.t("plat.unknown").into()),
                },
                match r.cost_per_user {
                    Some(c) => Value::Int(c.round() as i64),
                    None => Value::Text(String::new()),
                },
                match r.cost_per_use {
                    Some(c) => Value::Int(c.round() as i64),
                    None => Value::Text(String::new()),
                },
            ]
        })
        .collect();
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    super::spreadsheet::respond(
        &ext,
        chrome.t("plat.title"),
        &headers,
        rows,
        "civitas-platform-benefit",
    )
}

fn number<T: std::str::FromStr>(pairs: &Pairs, key: &str) -> Option<T> {
    value(pairs, key).replace(',', "").parse::<T>().ok()
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require(Permission::ManagePortfolio, &Target::City)?;
    let input = platform_input(PlatformBody {
        name_zh: value(&pairs, "name_zh").into(),
        name_en: opt(value(&pairs, "name_en")),
        operator: value(&pairs, "operator").into(),
        since_year: number(&pairs, "since_year"),
        status: value(&pairs, "status").into(),
        retired_year: number(&pairs, "retired_year"),
        note: opt(value(&pairs, "note")),
    })?;
    let p = state
        .platform
        .inventory()
        .create_platform(&page.caller, input)
        .await?;
    Ok(redirect_with_flash(
        "/platforms",
        "flash.platform_saved",
        &p.input.name_zh,
        state.settings.cookie_secure,
    ))
}

pub async fn set_cost(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require(Permission::ManagePortfolio, &Target::City)?;
    let year: i32 = number(&pairs, "roc_year").unwrap_or(0);
    let inv = state.platform.inventory();
    if value(&pairs, "amount").is_empty() {
        // An empty amount means "not known": remove what was entered.
        inv.remove_cost(&page.caller, id, year).await?;
    } else {
        let amount: i64 = number(&pairs, "amount").unwrap_or(-1);
        inv.set_cost(&page.caller, id, year, amount, opt(value(&pairs, "note")))
            .await?;
    }
    Ok(redirect_with_flash(
        "/platforms",
        "flash.cost_saved",
        &year.to_string(),
        state.settings.cookie_secure,
    ))
}

pub async fn map_source(
    State(state): State<AppState>,
    page: Page,
    UiForm(pairs): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require(Permission::ManagePortfolio, &Target::City)?;
    let source = value(&pairs, "source").to_string();
    state
        .platform
        .inventory()
        .map_source(&page.caller, &source, number(&pairs, "platform_id"))
        .await?;
    Ok(redirect_with_flash(
        "/platforms",
        "flash.source_mapped",
        &source,
        state.settings.cookie_secure,
    ))
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn amounts_are_written_with_thousands_separators() {
        assert_eq!(thousands(89_452_900), "89,452,900");
        assert_eq!(thousands(976_500), "976,500");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(-1_000), "-1,000");
    }
}
