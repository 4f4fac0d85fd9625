//! 資安警訊 for people: the analysis page (the audit's table, the trend, agencies, top values
//! and whether they come back, spikes, the analysts' notes), the alert list every number
//! drills down to, and one alert with its raw record and the reasons for its class.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::alerts::analysis::{AlertAnalysis, Dimension, next_month};
use civitas_core::alerts::{AlertFilter, AlertRow, Category, Severity};
use civitas_core::authz::Permission;
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Language;
use serde::{Deserialize, Serialize};

use super::spreadsheet::Value;
use super::{Chrome, Page, redirect_with_flash, render};
use crate::api::alerts::{AlertQuery, AnalysisQuery, NewNoteDto};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::i18n;
use crate::state::AppState;
use civitas_core::agencies::AgencyCode;

/// A number with where it leads.
pub struct Cell {
    pub label: String,
    pub count: u64,
    pub share: String,
    pub href: String,
    /// Bar width in percent of the largest in its list, for the CSS bar chart.
    pub bar: u32,
    pub extra: String,
}

pub struct TopBlock {
    pub title: String,
    pub rows: Vec<Cell>,
}

pub struct SpikeRow {
    pub agency: String,
    pub day: String,
    pub observed: u64,
    pub why: String,
    pub href: String,
}

pub struct NoteRow {
    pub pattern: String,
    pub agency: String,
    pub cause: String,
    pub countermeasure: String,
    pub author: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "alerts/analysis.html")]
struct AnalysisPage {
    chrome: Chrome,
    agency: String,
    agency_options: Vec<(String, String)>,
    from_month: String,
    to_month: String,
    period: String,
    total: u64,
    total_href: String,
    high: Cell,
    changes: Vec<String>,
    categories: Vec<Cell>,
    severities: Vec<Cell>,
    others: Vec<Cell>,
    months: Vec<Cell>,
    trend_json: String,
    agencies: Vec<Cell>,
    sources: Vec<Cell>,
    top: Vec<TopBlock>,
    spikes: Vec<SpikeRow>,
    notes: Vec<NoteRow>,
    can_note: bool,
    note_targets: Vec<(String, String)>,
}

fn pct(share: f64) -> String {
    format!("{share:.2}%")
}

/// The list address for a filter, period included.
fn list_href(base: &[(&str, String)], more: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = base
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    pairs.extend(more.iter().filter(|(_, v)| !v.is_empty()));
    match serde_urlencoded::to_string(&pairs) {
        Ok(q) if !q.is_empty() => format!("/alerts/list?{q}"),
        _ => "/alerts/list".into(),
    }
}

/// The last day of a `YYYY-MM` month, ISO.
fn last_day(month: &str) -> String {
    next_month(month)
        .and_then(|next| civitas_core::time::parse_iso_date(&format!("{next}-01")))
        .and_then(|d| d.previous_day())
        .map(civitas_core::time::iso_date)
        .unwrap_or_else(|| format!("{month}-28"))
}

fn bars(mut cells: Vec<Cell>) -> Vec<Cell> {
    let max = cells.iter().map(|c| c.count).max().unwrap_or(0).max(1);
    for c in &mut cells {
        c.bar = ((c.count * 100) / max) as u32;
    }
    cells
}

fn label(text: &Text, lang: Language) -> String {
    text.get(lang).to_string()
}

fn agency_label(code: Option<&str>, names: &HashMap<String, String>, lang: Language) -> String {
    match code {
        Some(c) => names.get(c).cloned().unwrap_or_else(|| c.to_string()),
        None => match lang {
            Language::ZhTw => "未歸屬機關".into(),
            Language::En => "No agency".into(),
        },
    }
}

pub async fn analysis(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let filter = q.filter()?;
    let a: AlertAnalysis = state
        .platform
        .alerts()
        .analysis(
            &page.caller,
            &filter,
            q.from_month.as_deref().filter(|m| !m.is_empty()),
            q.to_month.as_deref().filter(|m| !m.is_empty()),
            10,
        )
        .await?;
    let chrome = page.chrome("alerts.title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let agency = q.agency.clone().unwrap_or_default();
    let period: Vec<(&str, String)> = vec![
        ("agency", agency.clone()),
        ("from", format!("{}-01", a.from_month)),
        ("to", last_day(&a.to_month)),
    ];
    let s = &a.summary;
    let categories = bars(
        s.by_category
            .iter()
            .map(|l| Cell {
                label: label(&l.label, lang),
                count: l.share.count,
                share: pct(l.share.share_percent),
                href: list_href(&period, &[("category", l.category.as_str())]),
                bar: 0,
                extra: String::new(),
            })
            .collect(),
    );
    let severities = bars(
        s.by_severity
            .iter()
            .map(|l| Cell {
                label: label(&l.label, lang),
                count: l.share.count,
                share: pct(l.share.share_percent),
                href: list_href(&period, &[("severity", l.severity.as_str())]),
                bar: 0,
                extra: String::new(),
            })
            .collect(),
    );
    let others = s
        .other_by_sub_bucket
        .iter()
        .map(|l| Cell {
            label: label(&l.label, lang),
            count: l.share.count,
            share: pct(l.share.share_percent),
            href: list_href(
                &period,
                &[
                    ("category", Category::Other.as_str()),
                    ("sub_bucket", l.sub_bucket.as_str()),
                ],
            ),
            bar: 0,
            extra: String::new(),
        })
        .collect();
    let high_line = s.by_severity.iter().find(|l| l.severity == Severity::High);
    let high = Cell {
        label: chrome.t("alerts.high").into(),
        count: high_line.map(|l| l.share.count).unwrap_or(0),
        share: pct(high_line.map(|l| l.share.share_percent).unwrap_or(0.0)),
        href: list_href(&period, &[("severity", "high")]),
        bar: 0,
        extra: String::new(),
    };
    let mut changes = Vec::new();
    if let Some(c) = &a.trend.month_over_month {
        changes.push(label(
            &c.explain(&Text::new("上月", "the month before")),
            lang,
        ));
    }
    if let Some(c) = &a.trend.year_over_year {
        changes.push(label(
            &c.explain(&Text::new("去年同月", "the same month last year")),
            lang,
        ));
    }
    let agency_only: Vec<(&str, String)> = vec![("agency", agency.clone())];
    let months = a
        .trend
        .months
        .iter()
        .map(|m| Cell {
            label: m.month.clone(),
            count: m.total,
            share: String::new(),
            href: list_href(
                &agency_only,
                &[
                    ("from", &format!("{}-01", m.month)),
                    ("to", &last_day(&m.month)),
                ],
            ),
            bar: 0,
            extra: format!("{} / {} / {}", m.high, m.medium, m.low),
        })
        .collect();
    let trend_json = serde_json::to_string(
        &a.trend
            .months
            .iter()
            .map(|m| (m.month.as_str(), m.total, m.high, m.medium))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into());
    let breakdown = |lines: &[civitas_core::alerts::analysis::Breakdown], key: &str| {
        bars(
            lines
                .iter()
                .map(|b| {
                    let shown = if key == "agency" {
                        agency_label(b.key.as_deref(), &names, lang)
                    } else {
                        b.key.clone().unwrap_or_default()
                    };
                    let mut base = period.clone();
                    if key == "agency" {
                        base.retain(|(k, _)| *k != "agency");
                    }
                    Cell {
                        label: shown,
                        count: b.share.count,
                        share: pct(b.share.share_percent),
                        href: match &b.key {
                            Some(k) => list_href(&base, &[(key, k)]),
                            None => list_href(&base, &[]),
                        },
                        bar: 0,
                        extra: if b.high > 0 {
                            format!("{} {}", chrome.t("alerts.high"), b.high)
                        } else {
                            String::new()
                        },
                    }
                })
                .collect(),
        )
    };
    let agencies = breakdown(&a.by_agency, "agency");
    let sources = breakdown(&a.by_source, "source");
    let top = a
        .top
        .iter()
        .map(|list| TopBlock {
            title: label(&list.label, lang),
            rows: bars(
                list.values
                    .iter()
                    .map(|v| Cell {
                        label: v.value.clone(),
                        count: v.share.count,
                        share: pct(v.share.share_percent),
                        href: list_href(&period, &[(list.dimension.as_str(), &v.value)]),
                        bar: 0,
                        extra: if v.recurring {
                            match lang {
                                Language::ZhTw => format!("反覆出現：{} 個月", v.months_seen),
                                Language::En => format!("recurring: {} months", v.months_seen),
                            }
                        } else {
                            String::new()
                        },
                    })
                    .collect(),
            ),
        })
        .collect();
    let spikes = a
        .spikes
        .iter()
        .map(|sp| SpikeRow {
            agency: agency_label(sp.agency.as_ref().map(|c| c.as_str()), &names, lang),
            day: sp.day.clone(),
            observed: sp.observed,
            why: label(&sp.explanation, lang),
            href: list_href(
                &[(
                    "agency",
                    sp.agency
                        .as_ref()
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                )],
                &[("from", &sp.day), ("to", &sp.day)],
            ),
        })
        .collect();
    let notes = a
        .notes
        .iter()
        .map(|n| NoteRow {
            pattern: pattern_label(&n.dimension, &n.value, lang),
            agency: agency_label(n.agency.as_ref().map(|c| c.as_str()), &names, lang),
            cause: n.cause.clone(),
            countermeasure: n.countermeasure.clone(),
            author: n.author.clone(),
            when: chrome.date(n.created_at),
        })
        .collect();
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    agency_options.sort();
    let note_targets = Category::ALL
        .iter()
        .map(|c| (format!("category|{}", c.as_str()), label(&c.label(), lang)))
        .chain(a.top.iter().flat_map(|list| {
            list.values.iter().take(5).map(move |v| {
                (
                    format!("{}|{}", list.dimension.as_str(), v.value),
                    format!("{}：{}", label(&list.dimension.label(), lang), v.value),
                )
            })
        }))
        .collect();
    render(&AnalysisPage {
        can_note: page
            .caller
            .principal
            .can_somewhere(Permission::ManageAlerts),
        agency,
        agency_options,
        period: format!("{} – {}", a.from_month, a.to_month),
        from_month: a.from_month.clone(),
        to_month: a.to_month.clone(),
        total: s.total,
        total_href: list_href(&period, &[]),
        high,
        changes,
        categories,
        severities,
        others,
        months,
        trend_json,
        agencies,
        sources,
        top,
        spikes,
        notes,
        note_targets,
        chrome,
    })
}

fn pattern_label(dimension: &str, value: &str, lang: Language) -> String {
    if dimension == "category"
        && let Some(c) = Category::parse(value)
    {
        return label(&c.label(), lang);
    }
    match Dimension::parse(dimension) {
        Some(d) => format!("{}：{value}", label(&d.label(), lang)),
        None => value.to_string(),
    }
}

pub struct ListRow {
    pub id: i64,
    pub when: String,
    pub agency: String,
    pub category: String,
    pub severity: &'static str,
    pub severity_label: String,
    pub signature: String,
    pub source: String,
    pub target: String,
}

#[derive(Template)]
#[template(path = "alerts/list.html")]
struct ListPage {
    chrome: Chrome,
    q: ListForm,
    agency_options: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    rows: Vec<ListRow>,
    total: u64,
    page: u32,
    pages: u64,
    base: String,
    narrowed: Vec<String>,
}

/// The list's filter as the form and links carry it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListForm {
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub sub_bucket: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub signature: String,
    #[serde(default)]
    pub source_ip: String,
    #[serde(default)]
    pub destination_ip: String,
    #[serde(default)]
    pub technique: String,
    #[serde(default)]
    pub notification: String,
    #[serde(default)]
    pub q: String,
    #[serde(skip_serializing, default)]
    pub page: Option<u32>,
}

fn opt(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.trim().to_string())
}

impl ListForm {
    fn filter(&self) -> Result<AlertFilter, civitas_core::DomainError> {
        let notification = match opt(&self.notification) {
            Some(n) => Some(n.parse::<i64>().map_err(|_| {
                civitas_core::DomainError::invalid(
                    "notification",
                    Text::new("通報編號須為數字", "a notification number is a number"),
                )
            })?),
            None => None,
        };
        AlertQuery {
            agency: opt(&self.agency),
            category: opt(&self.category),
            severity: opt(&self.severity),
            from: opt(&self.from),
            to: opt(&self.to),
            sub_bucket: opt(&self.sub_bucket),
            source: opt(&self.source),
            signature: opt(&self.signature),
            source_ip: opt(&self.source_ip),
            destination_ip: opt(&self.destination_ip),
            technique: opt(&self.technique),
            notification,
            q: opt(&self.q),
            page: None,
            per_page: None,
        }
        .filter()
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
    }
}

fn endpoint(ip: &Option<String>, port: Option<u16>) -> String {
    match (ip, port) {
        (Some(ip), Some(p)) if ip.contains(':') => format!("[{ip}]:{p}"),
        (Some(ip), Some(p)) => format!("{ip}:{p}"),
        (Some(ip), None) => ip.clone(),
        _ => "—".into(),
    }
}

fn list_row(a: &AlertRow, chrome: &Chrome, names: &HashMap<String, String>) -> ListRow {
    let lang = chrome.lang;
    let mut category = label(&a.category.label(), lang);
    if let Some(b) = a.sub_bucket {
        category = format!("{category}（{}）", label(&b.label(), lang));
    }
    ListRow {
        id: a.id,
        when: chrome.datetime(a.observed_at),
        agency: agency_label(a.agency.as_ref().map(|c| c.as_str()), names, lang),
        category,
        severity: severity_class(a.severity),
        severity_label: label(&a.severity.label(), lang),
        signature: a.signature.clone(),
        source: endpoint(&a.source_ip, a.source_port),
        target: endpoint(&a.destination_ip, a.destination_port),
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ListForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let filter = q.filter()?;
    let result = state
        .platform
        .alerts()
        .list(&page.caller, &filter, PageRequest::new(q.page, Some(50)))
        .await?;
    let chrome = page.chrome("alerts.list_title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let rows = result
        .items
        .iter()
        .map(|a| list_row(a, &chrome, &names))
        .collect();
    let mut narrowed = Vec::new();
    for (key, value) in [
        ("alerts.signature", &q.signature),
        ("alerts.source_ip", &q.source_ip),
        ("alerts.destination_ip", &q.destination_ip),
        ("alerts.technique", &q.technique),
        ("alerts.notification", &q.notification),
        ("alerts.sub_bucket", &q.sub_bucket),
        ("alerts.source", &q.source),
    ] {
        if let Some(v) = opt(value) {
            narrowed.push(format!("{}：{v}", chrome.t(key)));
        }
    }
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    agency_options.sort();
    let base = match serde_urlencoded::to_string(&q) {
        Ok(s) if !s.is_empty() => format!("/alerts/list?{s}&"),
        _ => "/alerts/list?".into(),
    };
    render(&ListPage {
        total: result.total,
        page: result.page,
        pages: result.pages(),
        rows,
        agency_options,
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), label(&c.label(), lang)))
            .collect(),
        base,
        narrowed,
        q,
        chrome,
    })
}

#[derive(Template)]
#[template(path = "alerts/show.html")]
struct ShowPage {
    chrome: Chrome,
    row: ListRow,
    score: i32,
    rsit: String,
    rule_set: String,
    matched_rule: String,
    reasons: Vec<String>,
    /// The reasons that name a threat-intelligence indicator.
    intel: Vec<String>,
    source_name: String,
    source_kind: String,
    original_time: String,
    techniques: Vec<String>,
    notification: i64,
    related: Vec<ListRow>,
    related_total: u64,
    raw: String,
    normalised: String,
    signature_href: String,
    source_href: String,
    notes: Vec<NoteRow>,
    /// The new-incident form filled in from this alert's notification (empty: may not open).
    open_incident: String,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let alerts = state.platform.alerts();
    let (row, alert) = alerts.alert(&page.caller, id).await?;
    let chrome = page.chrome("alerts.alert_title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let related = alerts
        .list(
            &page.caller,
            &AlertFilter {
                group_id: Some(row.group_id),
                ..AlertFilter::default()
            },
            PageRequest::new(None, Some(20)),
        )
        .await?;
    let notes = alerts
        .notes(&page.caller, Dimension::Signature.as_str(), &row.signature)
        .await?
        .into_iter()
        .map(|n| NoteRow {
            pattern: pattern_label(&n.dimension, &n.value, lang),
            agency: agency_label(n.agency.as_ref().map(|c| c.as_str()), &names, lang),
            cause: n.cause,
            countermeasure: n.countermeasure,
            author: n.author,
            when: chrome.date(n.created_at),
        })
        .collect();
    let record = serde_json::json!({
        "observer": alert.observer,
        "source": alert.source,
        "destination": alert.destination,
        "transport": alert.transport,
        "app_protocol": alert.app_protocol,
        "rule": alert.rule,
        "native_severity": alert.native_severity,
        "action": alert.action,
        "host_name": alert.host_name,
        "agent_name": alert.agent_name,
        "flow_id": alert.flow_id.map(|f| f.to_string()),
        "message": alert.message,
    });
    let open_incident = if page
        .caller
        .principal
        .can_somewhere(Permission::ManageIncidents)
    {
        incident_href(&row)
    } else {
        String::new()
    };
    render(&ShowPage {
        open_incident,
        score: row.score,
        rsit: row.rsit.clone(),
        rule_set: row.rule_set_version.clone(),
        matched_rule: row.matched_rule_id.clone().unwrap_or_else(|| "—".into()),
        reasons: row.reasons.iter().map(|r| label(r, lang)).collect(),
        intel: row
            .reasons
            .iter()
            .filter(|r| r.en.contains("threat-intelligence indicator"))
            .map(|r| label(r, lang))
            .collect(),
        source_name: row.source_name.clone(),
        source_kind: row.source_kind.clone(),
        original_time: alert.original_time.clone(),
        techniques: alert
            .techniques
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        notification: row.group_id,
        related: related
            .items
            .iter()
            .filter(|r| r.id != row.id)
            .map(|r| list_row(r, &chrome, &names))
            .collect(),
        related_total: related.total,
        raw: alert.raw.clone(),
        normalised: serde_json::to_string_pretty(&record).unwrap_or_default(),
        signature_href: list_href(&[], &[("signature", &row.signature)]),
        source_href: row
            .source_ip
            .as_deref()
            .map(|ip| list_href(&[], &[("source_ip", ip)]))
            .unwrap_or_default(),
        notes,
        row: list_row(&row, &chrome, &names),
        chrome,
    })
}

/// The new-incident form prefilled from an alert: its notification, agency, a title, the
/// suggested category, the time it was seen and the city's own address involved.
fn incident_href(row: &AlertRow) -> String {
    let internal = |ip: &&String| {
        ip.starts_with("10.") || ip.starts_with("192.168.") || ip.starts_with("172.")
    };
    let host = row
        .source_ip
        .as_ref()
        .filter(internal)
        .or(row.destination_ip.as_ref())
        .cloned()
        .unwrap_or_default();
    let category = civitas_core::cases::IncidentCategory::suggested_for(row.category);
    let category = serde_json::to_value(category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let pairs = [
        ("notification", row.group_id.to_string()),
        (
            "agency",
            row.agency
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        ),
        ("title", row.signature.clone()),
        ("category", category),
        ("aware", row.observed_at.to_rfc3339()),
        ("host", host),
    ];
    format!(
        "/incidents/new?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// The note form: the pattern as `dimension|value`, or typed in.
#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub countermeasure: String,
    /// Where to go back to.
    #[serde(default)]
    pub back: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<NoteForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageAlerts)?;
    let (dimension, value) = form
        .target
        .split_once('|')
        .unwrap_or(("", form.target.as_str()));
    let note = NewNoteDto {
        dimension: dimension.to_string(),
        value: value.to_string(),
        agency: opt(&form.agency),
        cause: form.cause.clone(),
        countermeasure: form.countermeasure.clone(),
    }
    .domain()?;
    state.platform.alerts().add_note(&page.caller, note).await?;
    // Only our own pages are places to go back to.
    let back = if form.back.starts_with("/alerts") && !form.back.starts_with("//") {
        form.back.as_str()
    } else {
        "/alerts"
    };
    Ok(redirect_with_flash(
        back,
        "flash.alert_note_added",
        "",
        state.settings.cookie_secure,
    ))
}

#[derive(Template)]
#[template(path = "alerts/rules.html")]
struct RulesPage {
    chrome: Chrome,
    version: String,
    rules: String,
    can_edit: bool,
    error: Option<String>,
    preview: Option<PreviewView>,
}

pub struct PreviewView {
    pub version: String,
    pub examined: u64,
    pub changed: u64,
    pub restamped: u64,
    pub moves: Vec<String>,
    /// (category, before, after)
    pub categories: Vec<(String, u64, u64)>,
}

fn preview_view(
    r: &civitas_core::alerts::reclassify::Reclassification,
    lang: Language,
) -> PreviewView {
    PreviewView {
        version: r.rule_set_version.clone(),
        examined: r.examined,
        changed: r.changed,
        restamped: r.restamped,
        moves: r
            .transitions
            .iter()
            .map(|t| label(&t.explain(), lang))
            .collect(),
        categories: r
            .before
            .iter()
            .zip(&r.after)
            .map(|((c, b), (_, a))| (label(&c.label(), lang), *b, *a))
            .collect(),
    }
}

pub async fn rules(State(state): State<AppState>, page: Page) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let (version, rules) = state.platform.alerts().rules_text(&page.caller).await?;
    render(&RulesPage {
        can_edit: page
            .caller
            .principal
            .can(Permission::ManageAlerts, &civitas_core::authz::Target::City),
        chrome: page.chrome("alerts.rules_title"),
        version,
        rules,
        error: None,
        preview: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    pub rules: String,
    /// How many days back a trial looks (30 unless chosen).
    #[serde(default)]
    pub days: Option<u32>,
}

/// Try a rule file on the last 30 days, or save it and re-apply it to all of history; either
/// way the page comes back with the text as typed and what it did or would do.
async fn rules_action(
    state: AppState,
    page: Page,
    form: RulesForm,
    save: bool,
) -> ApiResult<Response> {
    page.require(Permission::ManageAlerts, &civitas_core::authz::Target::City)?;
    let alerts = state.platform.alerts();
    let result = if save {
        alerts
            .save_rules(&page.caller, &form.rules, None, None)
            .await
    } else {
        alerts
            .preview_rules(&page.caller, &form.rules, form.days.unwrap_or(30))
            .await
    };
    let chrome = page.chrome("alerts.rules_title");
    let lang = chrome.lang;
    let (version, _) = alerts.rules_text(&page.caller).await?;
    let (error, preview) = match result {
        Ok(r) => (None, Some(preview_view(&r, lang))),
        Err(
            e @ (civitas_core::DomainError::Invalid { .. }
            | civitas_core::DomainError::AlreadyExists { .. }),
        ) => (Some(e.message(lang)), None),
        Err(e) => return Err(e.into()),
    };
    render(&RulesPage {
        can_edit: true,
        version,
        rules: form.rules,
        error,
        preview,
        chrome,
    })
}

pub async fn preview_rules(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<RulesForm>,
) -> ApiResult<Response> {
    rules_action(state, page, form, false).await
}

pub async fn save_rules(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<RulesForm>,
) -> ApiResult<Response> {
    rules_action(state, page, form, true).await
}

/// `2026-11` → 民國115年11月 / November 2026.
fn month_title(month: &str, lang: Language) -> String {
    let parsed = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)));
    match (parsed, lang) {
        (Some((y, m)), Language::ZhTw) => format!("民國{}年{}月", y - 1911, m),
        (Some((y, m)), Language::En) => {
            const NAMES: [&str; 12] = [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ];
            let name = NAMES
                .get((m as usize).saturating_sub(1))
                .copied()
                .unwrap_or("");
            format!("{name} {y}")
        }
        (None, _) => month.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub agency: String,
}

/// One line of the report as the page and the spreadsheets show it.
pub struct ReportLine {
    pub item: String,
    pub count: Option<u64>,
    pub share: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "alerts/report.html")]
struct ReportPage {
    chrome: Chrome,
    month: String,
    title: String,
    agency: String,
    agency_name: String,
    agency_options: Vec<(String, String)>,
    sections: Vec<(String, Vec<ReportLine>)>,
    commentary: String,
    commentary_by: String,
    can_edit: bool,
    query: String,
}

async fn report_lines(
    state: &AppState,
    page: &Page,
    q: &ReportQuery,
) -> ApiResult<(
    String,
    Option<(String, String, civitas_core::time::Timestamp)>,
    Vec<(String, Vec<ReportLine>)>,
)> {
    let lang = page.ctx.lang;
    let now = state.platform.now();
    let month = if q.month.trim().is_empty() {
        // Last month: the one a report is written about.
        civitas_core::alerts::analysis::months_back(
            &civitas_core::alerts::analysis::month_of(now),
            1,
        )
        .unwrap_or_default()
    } else {
        q.month.trim().to_string()
    };
    let filter = AnalysisQuery {
        agency: opt(&q.agency),
        from_month: None,
        to_month: None,
        top: None,
    }
    .filter()?;
    let report = state
        .platform
        .alerts()
        .monthly_report(&page.caller, &filter, &month)
        .await?;
    let names = super::agency_names(state).await;
    let a = &report.analysis;
    let s = &a.summary;
    let t = |k: &str| i18n::t(lang, k).to_string();
    // The first argument names the kind of line, for whoever reads the calls.
    let line =
        |_kind: &str, item: String, count: Option<u64>, share: String, note: String| ReportLine {
            item,
            count,
            share,
            note,
        };
    let mut sections: Vec<(String, Vec<ReportLine>)> = Vec::new();
    let mut summary = vec![line(
        "summary",
        t("alerts.total"),
        Some(s.total),
        String::new(),
        String::new(),
    )];
    for (key, change) in [
        ("alerts.report_mom", &a.trend.month_over_month),
        ("alerts.report_yoy", &a.trend.year_over_year),
    ] {
        if let Some(c) = change {
            let against = if key == "alerts.report_mom" {
                Text::new("上月", "the month before")
            } else {
                Text::new("去年同月", "the same month last year")
            };
            summary.push(line(
                "summary",
                t(key),
                Some(c.previous),
                String::new(),
                label(&c.explain(&against), lang),
            ));
        }
    }
    sections.push((t("alerts.report_summary"), summary));
    sections.push((
        t("alerts.by_category"),
        s.by_category
            .iter()
            .map(|l| {
                line(
                    "category",
                    label(&l.label, lang),
                    Some(l.share.count),
                    pct(l.share.share_percent),
                    String::new(),
                )
            })
            .collect(),
    ));
    sections.push((
        t("alerts.by_severity"),
        s.by_severity
            .iter()
            .map(|l| {
                line(
                    "severity",
                    label(&l.label, lang),
                    Some(l.share.count),
                    pct(l.share.share_percent),
                    String::new(),
                )
            })
            .collect(),
    ));
    sections.push((
        t("alerts.other_split"),
        s.other_by_sub_bucket
            .iter()
            .map(|l| {
                line(
                    "other",
                    label(&l.label, lang),
                    Some(l.share.count),
                    pct(l.share.share_percent),
                    String::new(),
                )
            })
            .collect(),
    ));
    sections.push((
        t("alerts.by_agency"),
        a.by_agency
            .iter()
            .map(|b| {
                line(
                    "agency",
                    agency_label(b.key.as_deref(), &names, lang),
                    Some(b.share.count),
                    pct(b.share.share_percent),
                    if b.high > 0 {
                        format!("{} {}", t("alerts.high"), b.high)
                    } else {
                        String::new()
                    },
                )
            })
            .collect(),
    ));
    sections.push((
        t("alerts.by_source"),
        a.by_source
            .iter()
            .map(|b| {
                line(
                    "source",
                    b.key.clone().unwrap_or_default(),
                    Some(b.share.count),
                    pct(b.share.share_percent),
                    String::new(),
                )
            })
            .collect(),
    ));
    for list in &a.top {
        sections.push((
            format!("{}：{}", t("alerts.top"), label(&list.label, lang)),
            list.values
                .iter()
                .map(|v| {
                    line(
                        list.dimension.as_str(),
                        v.value.clone(),
                        Some(v.share.count),
                        pct(v.share.share_percent),
                        if v.recurring {
                            match lang {
                                Language::ZhTw => format!("近一年 {} 個月出現", v.months_seen),
                                Language::En => {
                                    format!("seen in {} months of the year", v.months_seen)
                                }
                            }
                        } else {
                            String::new()
                        },
                    )
                })
                .collect(),
        ));
    }
    sections.push((
        t("alerts.spikes"),
        a.spikes
            .iter()
            .filter(|sp| sp.day.starts_with(&month))
            .map(|sp| {
                line(
                    "spike",
                    format!(
                        "{} {}",
                        sp.day,
                        agency_label(sp.agency.as_ref().map(|c| c.as_str()), &names, lang)
                    ),
                    Some(sp.observed),
                    String::new(),
                    label(&sp.explanation, lang),
                )
            })
            .collect(),
    ));
    sections.push((
        t("alerts.notes"),
        a.notes
            .iter()
            .map(|n| {
                line(
                    "note",
                    pattern_label(&n.dimension, &n.value, lang),
                    None,
                    String::new(),
                    format!(
                        "{}：{} → {}",
                        agency_label(n.agency.as_ref().map(|c| c.as_str()), &names, lang),
                        n.cause,
                        n.countermeasure
                    ),
                )
            })
            .collect(),
    ));
    Ok((month, report.commentary, sections))
}

pub async fn report(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let (month, commentary, sections) = report_lines(&state, &page, &q).await?;
    let chrome = page.chrome("alerts.report_title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    agency_options.sort();
    let agency = q.agency.trim().to_string();
    let (commentary, commentary_by) = match commentary {
        Some((text, by, at)) => (text, format!("{by} · {}", chrome.datetime(at))),
        None => (String::new(), String::new()),
    };
    let can_edit = match AgencyCode::parse(&agency) {
        Ok(code) => {
            page.caller
                .principal
                .can_somewhere(Permission::ManageAlerts)
                && names.contains_key(code.as_str())
        }
        Err(_) => page
            .caller
            .principal
            .can(Permission::ManageAlerts, &civitas_core::authz::Target::City),
    };
    render(&ReportPage {
        title: month_title(&month, lang),
        agency_name: if agency.is_empty() {
            chrome.t("alerts.whole_city").to_string()
        } else {
            names
                .get(&agency)
                .cloned()
                .unwrap_or_else(|| agency.clone())
        },
        query: serde_urlencoded::to_string([
            ("month", month.as_str()),
            ("agency", agency.as_str()),
        ])
        .unwrap_or_default(),
        month,
        agency,
        agency_options,
        sections,
        commentary,
        commentary_by,
        can_edit,
        chrome,
    })
}

/// The report as a spreadsheet: one row per line, its section named, the commentary first.
pub async fn report_export(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<ReportQuery>,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadAlerts)?;
    let ext = uri.path().rsplit('.').next().unwrap_or("csv").to_string();
    let (month, commentary, sections) = report_lines(&state, &page, &q).await?;
    let lang = page.ctx.lang;
    let t = |k: &str| i18n::t(lang, k);
    let mut rows = Vec::new();
    if let Some((text, by, _)) = &commentary {
        rows.push(vec![
            Value::Text(t("alerts.report_commentary").into()),
            Value::Text(by.clone()),
            Value::Text(String::new()),
            Value::Text(String::new()),
            Value::Text(text.clone()),
        ]);
    }
    for (title, lines) in sections {
        for l in lines {
            rows.push(vec![
                Value::Text(title.clone()),
                Value::Text(l.item),
                match l.count {
                    Some(n) => Value::Int(i64::try_from(n).unwrap_or(i64::MAX)),
                    None => Value::Text(String::new()),
                },
                Value::Text(l.share),
                Value::Text(l.note),
            ]);
        }
    }
    super::spreadsheet::respond(
        &ext,
        &format!("{} {}", t("alerts.report_title"), month_title(&month, lang)),
        &[
            t("alerts.report_section"),
            t("alerts.report_item"),
            t("alerts.count"),
            t("alerts.share"),
            t("alerts.why"),
        ],
        rows,
        &format!("soc-report-{month}"),
    )
}

#[derive(Debug, Deserialize)]
pub struct CommentaryForm {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub commentary: String,
}

pub async fn save_commentary(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<CommentaryForm>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageAlerts)?;
    let agency = match opt(&form.agency) {
        Some(a) => Some(AgencyCode::parse(&a).map_err(|_| {
            civitas_core::DomainError::invalid(
                "agency",
                Text::new(
                    format!("「{a}」不是機關代碼"),
                    format!("\"{a}\" is not an agency code"),
                ),
            )
        })?),
        None => None,
    };
    state
        .platform
        .alerts()
        .save_commentary(&page.caller, &form.month, agency.as_ref(), &form.commentary)
        .await?;
    let back = format!(
        "/alerts/report?{}",
        serde_urlencoded::to_string([
            ("month", form.month.as_str()),
            ("agency", form.agency.as_str())
        ])
        .unwrap_or_default()
    );
    Ok(redirect_with_flash(
        &back,
        "flash.alert_commentary_saved",
        "",
        state.settings.cookie_secure,
    ))
}
