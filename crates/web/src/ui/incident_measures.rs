//! 資安事件成效與法定時限遵循 for people: the measures dashboard (charts and tables, per agency
//! and city-wide) and the compliance report with every missed deadline, both downloadable as
//! XLSX, ODS and CSV. The numbers come from `CaseService::measures` / `compliance`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::authz::Permission;
use civitas_core::cases::{DeadlineTally, DurationStat, MeasureRow, Obligation, Period};
use civitas_core::time::Language;
use serde_json::json;

use super::spreadsheet::Value;
use super::{Chrome, Page, render};
use crate::api::incident_measures::MeasuresQuery;
use crate::error::ApiResult;
use crate::extract::ApiQuery;
use crate::state::AppState;

fn pct(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn text(lang: Language, t: civitas_core::text::Text) -> String {
    match lang {
        Language::ZhTw => t.zh,
        Language::En => t.en,
    }
}

fn median(lang: Language, s: &DurationStat) -> String {
    if s.count == 0 {
        return "—".into();
    }
    format!("{}（n={}）", text(lang, s.median_text()), s.count)
}

/// The filter as the form shows it, and as a query string for the downloads.
pub struct Filter {
    pub from: String,
    pub to: String,
    pub agency: String,
    pub query: String,
    pub agency_options: Vec<(String, String)>,
    /// "全部期間" or "民國114年1月1日至民國114年6月30日".
    pub period_label: String,
}

async fn filter(state: &AppState, chrome: &Chrome, q: &MeasuresQuery, period: Period) -> Filter {
    let names = super::agency_names(state).await;
    let mut agency_options: Vec<(String, String)> = names.into_iter().collect();
    agency_options.sort();
    let get = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
    let (from, to, agency) = (get(&q.from), get(&q.to), get(&q.agency));
    let period_label = match (period.from, period.to) {
        (None, None) => chrome.t("im.all_time").to_string(),
        (f, t) => format!(
            "{} – {}",
            f.map(|f| chrome.date(f)).unwrap_or_default(),
            t.map(|t| chrome.date(t.sub(time::Duration::seconds(1))))
                .unwrap_or_else(|| chrome.t("im.now").to_string())
        ),
    };
    Filter {
        query: serde_urlencoded::to_string([
            ("from", from.as_str()),
            ("to", to.as_str()),
            ("agency", agency.as_str()),
        ])
        .unwrap_or_default(),
        from,
        to,
        agency,
        agency_options,
        period_label,
    }
}

pub struct Row {
    pub code: String,
    pub name: String,
    pub incidents: u32,
    pub closed: u32,
    pub actions: u32,
    pub open: u32,
    pub overdue: u32,
    pub verified: u32,
    pub remediate: String,
    pub recurrence: String,
    pub mttd: String,
    pub mttr: String,
    pub deadlines_met: u32,
    pub deadlines_missed: u32,
    pub deadline_rate: String,
}

fn row(lang: Language, r: &MeasureRow, name: String) -> Row {
    let total = r.deadlines_total();
    Row {
        code: r.agency.as_ref().map(|a| a.to_string()).unwrap_or_default(),
        name,
        incidents: r.incidents,
        closed: r.incidents_closed,
        actions: r.actions,
        open: r.actions_open,
        overdue: r.actions_overdue,
        verified: r.actions_verified,
        remediate: median(lang, &r.time_to_remediate),
        recurrence: match r.recurrence_rate() {
            Some(rate) => format!(
                "{}（{}/{}）",
                pct(Some(rate)),
                r.actions_reopened,
                r.actions_ever_verified
            ),
            None => "—".into(),
        },
        mttd: median(lang, &r.mttd),
        mttr: median(lang, &r.mttr),
        deadlines_met: total.met,
        deadlines_missed: total.missed(),
        deadline_rate: pct(total.rate()),
    }
}

pub struct ClockRow {
    pub label: String,
    pub met: u32,
    pub met_late: u32,
    pub overdue: u32,
    pub running: u32,
    pub rate: String,
    pub bar: u32,
}

fn clock_rows(lang: Language, r: &MeasureRow) -> Vec<ClockRow> {
    Obligation::ALL
        .iter()
        .map(|o| {
            let t: DeadlineTally = r.deadlines.get(o).copied().unwrap_or_default();
            ClockRow {
                label: text(lang, o.label()),
                met: t.met,
                met_late: t.met_late,
                overdue: t.overdue,
                running: t.running,
                rate: pct(t.rate()),
                bar: t.rate().map(|r| (r * 100.0).round() as u32).unwrap_or(0),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "incident_measures/measures.html")]
struct MeasuresPage {
    chrome: Chrome,
    filter: Filter,
    city: Row,
    agencies: Vec<Row>,
    clocks: Vec<ClockRow>,
    chart_json: String,
    computed: String,
}

async fn measure_rows(
    state: &AppState,
    page: &Page,
    q: &MeasuresQuery,
) -> ApiResult<(Period, Row, Vec<Row>, Vec<ClockRow>)> {
    let lang = page.ctx.lang;
    let (period, agency) = q.parse()?;
    let m = state
        .platform
        .cases()
        .measures(&page.caller, period, agency.as_ref())
        .await?;
    let names = super::agency_names(state).await;
    let city_name = match &agency {
        Some(code) => names
            .get(code.as_str())
            .cloned()
            .unwrap_or_else(|| code.to_string()),
        None => i18n_t(lang, "im.city_total").to_string(),
    };
    let agencies = m
        .agencies
        .iter()
        .map(|r| {
            let code = r.agency.as_ref().map(|a| a.to_string()).unwrap_or_default();
            let name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
            row(lang, r, name)
        })
        .collect();
    Ok((
        period,
        row(lang, &m.city, city_name),
        agencies,
        clock_rows(lang, &m.city),
    ))
}

fn i18n_t(lang: Language, key: &str) -> &'static str {
    crate::i18n::t(lang, key)
}

pub async fn measures(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let chrome = page.chrome("im.title");
    let (period, city, agencies, clocks) = measure_rows(&state, &page, &q).await?;
    let chart: Vec<serde_json::Value> = agencies
        .iter()
        .map(|r| {
            json!([
                r.name,
                r.open - r.overdue.min(r.open),
                r.overdue,
                r.verified
            ])
        })
        .collect();
    let filter = filter(&state, &chrome, &q, period).await;
    render(&MeasuresPage {
        computed: chrome.datetime(state.platform.now()),
        chart_json: serde_json::to_string(&chart)
            .unwrap_or_else(|_| "[]".into())
            .replace("</", "<\\/"),
        filter,
        city,
        agencies,
        clocks,
        chrome,
    })
}

/// The measures as a spreadsheet: one row per agency, then the city.
pub async fn measures_export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    let lang = page.ctx.lang;
    let t = |k: &str| i18n_t(lang, k);
    let (_, city, agencies, _) = measure_rows(&state, &page, &q).await?;
    let n = |v: u32| Value::Int(i64::from(v));
    let rows = agencies
        .iter()
        .chain(std::iter::once(&city))
        .map(|r| {
            vec![
                Value::Text(r.name.clone()),
                Value::Text(r.code.clone()),
                n(r.incidents),
                n(r.closed),
                n(r.actions),
                n(r.open),
                n(r.overdue),
                n(r.verified),
                Value::Text(r.remediate.clone()),
                Value::Text(r.recurrence.clone()),
                Value::Text(r.mttd.clone()),
                Value::Text(r.mttr.clone()),
                n(r.deadlines_met),
                n(r.deadlines_missed),
                Value::Text(r.deadline_rate.clone()),
            ]
        })
        .collect();
    super::spreadsheet::respond(
        &ext,
        t("im.title"),
        &[
            t("im.agency"),
            t("im.code"),
            t("im.incidents"),
            t("im.closed"),
            t("im.actions"),
            t("im.open"),
            t("im.overdue"),
            t("im.verified"),
            t("im.remediate"),
            t("im.recurrence"),
            t("im.mttd"),
            t("im.mttr"),
            t("im.met"),
            t("im.missed"),
            t("im.rate"),
        ],
        rows,
        "incident-measures",
    )
}

pub struct TallyRow {
    pub code: String,
    pub name: String,
    pub met: u32,
    pub met_late: u32,
    pub overdue: u32,
    pub running: u32,
    pub rate: String,
    pub bar: u32,
}

fn tally_row(code: String, name: String, t: &DeadlineTally) -> TallyRow {
    TallyRow {
        code,
        name,
        met: t.met,
        met_late: t.met_late,
        overdue: t.overdue,
        running: t.running,
        rate: pct(t.rate()),
        bar: t.rate().map(|r| (r * 100.0).round() as u32).unwrap_or(0),
    }
}

pub struct MissedRow {
    pub incident: String,
    pub title: String,
    pub agency: String,
    pub clock: String,
    pub state: String,
    pub overdue: bool,
    pub due: String,
    pub done: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "incident_measures/compliance.html")]
struct CompliancePage {
    chrome: Chrome,
    filter: Filter,
    city: TallyRow,
    agencies: Vec<TallyRow>,
    missed: Vec<MissedRow>,
    computed: String,
}

async fn compliance_rows(
    state: &AppState,
    page: &Page,
    chrome: &Chrome,
    q: &MeasuresQuery,
) -> ApiResult<(Period, TallyRow, Vec<TallyRow>, Vec<MissedRow>)> {
    let lang = chrome.lang;
    let (period, agency) = q.parse()?;
    let report = state
        .platform
        .cases()
        .compliance(&page.caller, period, agency.as_ref())
        .await?;
    let names = super::agency_names(state).await;
    let name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
    let agencies = report
        .agencies
        .iter()
        .map(|(code, t)| tally_row(code.to_string(), name(code.as_str()), t))
        .collect();
    let missed = report
        .missed
        .iter()
        .map(|d| MissedRow {
            incident: d.incident.to_string(),
            title: d.title.clone(),
            agency: name(d.agency.as_str()),
            clock: text(lang, d.obligation.label()),
            state: text(lang, d.state.label()),
            overdue: d.state == civitas_core::cases::ClockState::Overdue,
            due: chrome.opt_datetime(d.due_at),
            done: d
                .met_at
                .map(|t| chrome.datetime(t))
                .unwrap_or_else(|| chrome.t("im.not_done").to_string()),
            source: text(lang, d.source.clone()),
        })
        .collect();
    let city_name = match &agency {
        Some(code) => name(code.as_str()),
        None => chrome.t("im.city_total").to_string(),
    };
    Ok((
        period,
        tally_row(String::new(), city_name, &report.city),
        agencies,
        missed,
    ))
}

pub async fn compliance(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let chrome = page.chrome("im.compliance_title");
    let (period, city, agencies, missed) = compliance_rows(&state, &page, &chrome, &q).await?;
    let filter = filter(&state, &chrome, &q, period).await;
    render(&CompliancePage {
        computed: chrome.datetime(state.platform.now()),
        filter,
        city,
        agencies,
        missed,
        chrome,
    })
}

/// The compliance report as a spreadsheet: the per-agency counts, then every missed deadline.
pub async fn compliance_export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    let chrome = page.chrome("im.compliance_title");
    let t = |k: &str| chrome.t(k);
    let (_, city, agencies, missed) = compliance_rows(&state, &page, &chrome, &q).await?;
    let n = |v: u32| Value::Int(i64::from(v));
    let blank = || Value::Text(String::new());
    let mut rows = Vec::new();
    for r in agencies.iter().chain(std::iter::once(&city)) {
        rows.push(vec![
            Value::Text(t("im.summary").into()),
            Value::Text(r.name.clone()),
            blank(),
            blank(),
            Value::Text(format!(
                "{} {} · {} {} · {} {} · {} {}",
                t("im.met"),
                r.met,
                t("im.met_late"),
                r.met_late,
                t("im.overdue"),
                r.overdue,
                t("im.running"),
                r.running
            )),
            n(r.met),
            n(r.met_late + r.overdue),
            Value::Text(r.rate.clone()),
            blank(),
        ]);
    }
    for m in &missed {
        rows.push(vec![
            Value::Text(t("im.missed_one").into()),
            Value::Text(m.agency.clone()),
            Value::Text(m.incident.clone()),
            Value::Text(m.title.clone()),
            Value::Text(format!("{}：{}", m.clock, m.state)),
            blank(),
            blank(),
            Value::Text(format!("{} → {}", m.due, m.done)),
            Value::Text(m.source.clone()),
        ]);
    }
    super::spreadsheet::respond(
        &ext,
        t("im.compliance_title"),
        &[
            t("im.section"),
            t("im.agency"),
            t("im.incident"),
            t("im.incident_title"),
            t("im.clock"),
            t("im.met"),
            t("im.missed"),
            t("im.due_done"),
            t("im.source"),
        ],
        rows,
        "incident-compliance",
    )
}
