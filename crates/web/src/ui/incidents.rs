//! 資安事件 for people: the board by state and nearest legal deadline, opening an incident by
//! hand or from an alert notification, and the incident page (the next step, the legal clocks
//! with their source, timeline, level and its history, alerts, forensics, findings, actions and
//! evidence custody). Every form posts to `CaseService`; the service checks the caller.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use civitas_core::DomainError;
use civitas_core::accounts::UserName;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::Permission;
use civitas_core::cases::query::IncidentFilter;
use civitas_core::cases::{
    ActionInput, ActionStatus, AffectedAsset, AssetClass, ClockState, Deadline, Determination,
    Effect, EngagementStatus, EvidenceUpload, Impact, IncidentCategory, IncidentInput,
    IncidentOrigin, IncidentStatus, IncidentView, Obligation, Priority, RecordId, ReportSection,
    RootCause, Sensitivity, Severity, TimelineKind,
};
use civitas_core::intel::{HashAlgorithm, Observable, ObservableKind};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::{Language, Timestamp};
use serde::Deserialize;

use super::{Chrome, Page, redirect_with_flash, render};
use crate::api::incidents::{Form, multipart_of, read_form, word};
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, UiForm};
use crate::state::AppState;

/// A posted form as its name/value pairs (checkbox groups repeat a name).
pub type Pairs = Vec<(String, String)>;

pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn bad(field: &str, zh: &str, en: &str) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

pub fn required(form: &[(String, String)], name: &str) -> Result<String, DomainError> {
    let v = field(form, name);
    if v.is_empty() {
        Err(bad(name, "此欄位必填", "this field is required"))
    } else {
        Ok(v.to_string())
    }
}

/// A time from a `datetime-local` field (Taipei) or RFC 3339.
pub fn local_time(name: &str, text: &str) -> Result<Timestamp, DomainError> {
    let text = text.trim();
    let full = match text.len() {
        16 => format!("{text}:00+08:00"),
        19 => format!("{text}+08:00"),
        10 => format!("{text}T17:00:00+08:00"),
        _ => text.to_string(),
    };
    Timestamp::parse_rfc3339(&full).ok_or_else(|| {
        bad(
            name,
            "請填寫日期與時間，例如 2024-03-01 09:30",
            "enter a date and time such as 2024-03-01 09:30",
        )
    })
}

/// A timestamp as a `datetime-local` value in Taipei time.
pub fn input_value(at: Timestamp) -> String {
    let t = at.in_taipei();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub fn revision(form: &[(String, String)]) -> Result<u32, DomainError> {
    field(form, "revision").parse().map_err(|_| {
        bad(
            "revision",
            "表單缺少版本，請重新載入頁面",
            "the form lacks its revision; reload the page",
        )
    })
}

pub fn record_id(text: &str) -> ApiResult<RecordId> {
    Ok(RecordId::parse(text)?)
}

pub fn user_name(name: &str, text: &str) -> Result<UserName, DomainError> {
    UserName::parse(text.trim()).map_err(|_| bad(name, "請填寫帳號名稱", "enter an account name"))
}

pub fn lbl(text: &Text, lang: Language) -> String {
    text.get(lang).to_string()
}

/// The serde word of a value (`illegal-intrusion`, `system_tampered`).
pub fn word_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// "3 天 4 小時" / "3 d 4 h": how long, roughly, for a countdown.
pub fn span(minutes: i64, lang: Language) -> String {
    let m = minutes.abs();
    let (d, h, mi) = (m / 1440, (m % 1440) / 60, m % 60);
    match lang {
        Language::ZhTw => {
            if d > 0 {
                format!("{d} 天 {h} 小時")
            } else if h > 0 {
                format!("{h} 小時 {mi} 分")
            } else {
                format!("{mi} 分鐘")
            }
        }
        Language::En => {
            if d > 0 {
                format!("{d} d {h} h")
            } else if h > 0 {
                format!("{h} h {mi} min")
            } else {
                format!("{mi} min")
            }
        }
    }
}

/// "還有 2 小時" or "已逾期 3 天": the countdown to `due` from `now`.
pub fn countdown(due: Timestamp, now: Timestamp, lang: Language) -> String {
    let minutes = due.since(now).whole_minutes();
    let s = span(minutes, lang);
    match (minutes >= 0, lang) {
        (true, Language::ZhTw) => format!("還有 {s}"),
        (true, Language::En) => format!("{s} left"),
        (false, Language::ZhTw) => format!("已逾期 {s}"),
        (false, Language::En) => format!("{s} overdue"),
    }
}

pub struct ClockView {
    pub obligation: String,
    pub css: &'static str,
    pub state: String,
    pub due: String,
    pub countdown: String,
    pub source: String,
    pub explanation: String,
    pub verified: bool,
    pub rule_set: String,
}

fn is_running(state: ClockState) -> bool {
    matches!(
        state,
        ClockState::OnTrack | ClockState::DueSoon | ClockState::Overdue
    )
}

fn clock_view(d: &Deadline, chrome: &Chrome, now: Timestamp) -> ClockView {
    let lang = chrome.lang;
    let css = match d.state {
        ClockState::Overdue | ClockState::Missed => "tag tag-bad",
        ClockState::DueSoon => "tag tag-soon",
        ClockState::Met => "tag tag-ok",
        _ => "tag",
    };
    let countdown = match (d.state, d.due_at, d.met_at) {
        (s, Some(due), _) if is_running(s) => countdown(due, now, lang),
        (_, _, Some(met)) => format!("{} {}", chrome.t("incidents.met_at"), chrome.datetime(met)),
        _ => String::new(),
    };
    ClockView {
        obligation: lbl(&d.obligation.label(), lang),
        css,
        state: lbl(&d.state.label(), lang),
        due: chrome.opt_datetime(d.due_at),
        countdown,
        source: lbl(&d.source, lang),
        explanation: lbl(&d.explanation, lang),
        verified: d.verified,
        rule_set: d.rule_set.clone(),
    }
}

/// The running clock due first.
fn nearest(clocks: &[Deadline]) -> Option<&Deadline> {
    clocks
        .iter()
        .filter(|d| is_running(d.state) && d.due_at.is_some())
        .min_by_key(|d| d.due_at)
}

pub const STATUSES: [IncidentStatus; 6] = [
    IncidentStatus::New,
    IncidentStatus::Triage,
    IncidentStatus::Contained,
    IncidentStatus::Recovered,
    IncidentStatus::Reported,
    IncidentStatus::Closed,
];

const CATEGORIES: [IncidentCategory; 9] = [
    IncidentCategory::IllegalIntrusion,
    IncidentCategory::DenialOfService,
    IncidentCategory::WebDefacement,
    IncidentCategory::MaliciousWebContent,
    IncidentCategory::Phishing,
    IncidentCategory::DataLeak,
    IncidentCategory::Malware,
    IncidentCategory::EquipmentFault,
    IncidentCategory::Other,
];

const ROOT_CAUSES: [RootCause; 8] = [
    RootCause::UnpatchedVulnerability,
    RootCause::WeakOrDefaultCredentials,
    RootCause::Misconfiguration,
    RootCause::OutsourcedVendor,
    RootCause::UserBehaviour,
    RootCause::UnsupportedSystem,
    RootCause::MissingControl,
    RootCause::Undetermined,
];

/// The timeline moments a person records on the page (aware is set at opening, closed by the
/// close form).
const RECORDABLE: [TimelineKind; 7] = [
    TimelineKind::Occurred,
    TimelineKind::Notified,
    TimelineKind::LevelReviewed,
    TimelineKind::Contained,
    TimelineKind::Recovered,
    TimelineKind::ReportSubmitted,
    TimelineKind::ImprovementPlanSubmitted,
];

pub fn timeline_label(kind: TimelineKind, lang: Language) -> &'static str {
    crate::i18n::t(lang, &format!("incidents.tl.{}", kind.as_str()))
}

pub fn determination_label(d: Determination, lang: Language) -> &'static str {
    crate::i18n::t(lang, &format!("incidents.det.{}", word_of(&d)))
}

pub fn priority_label(p: Priority, lang: Language) -> &'static str {
    crate::i18n::t(lang, &format!("incidents.priority.{}", word_of(&p)))
}

fn options<T: serde::Serialize>(
    values: &[T],
    label: impl Fn(&T) -> String,
) -> Vec<(String, String)> {
    values.iter().map(|v| (word_of(v), label(v))).collect()
}

fn agency_name(code: &AgencyCode, names: &HashMap<String, String>) -> String {
    names
        .get(code.as_str())
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

// ---------------------------------------------------------------- the board

pub struct BoardRow {
    pub id: String,
    pub title: String,
    pub agency: String,
    pub level: String,
    pub category: String,
    pub clock: Option<ClockView>,
}

pub struct Column {
    pub label: String,
    pub rows: Vec<BoardRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub page: Option<u32>,
}

#[derive(Template)]
#[template(path = "incidents/board.html")]
struct BoardPage {
    chrome: Chrome,
    columns: Vec<Column>,
    total: u64,
    agency: String,
    state: String,
    agency_options: Vec<(String, String)>,
    state_options: Vec<(String, String)>,
    can_open: bool,
    can_verify: bool,
}

pub async fn board(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let chrome = page.chrome("incidents.title");
    let lang = chrome.lang;
    let cases = state.platform.cases();
    let filter = IncidentFilter {
        agency: (!q.agency.is_empty())
            .then(|| AgencyCode::parse(&q.agency))
            .transpose()?,
        status: (!q.state.is_empty())
            .then(|| word::<IncidentStatus>("state", &q.state))
            .transpose()?,
        ..IncidentFilter::default()
    };
    let rows = cases
        .list(&page.caller, &filter, PageRequest::new(q.page, Some(100)))
        .await?;
    let names = super::agency_names(&state).await;
    let now = state.platform.now();
    let mut columns: Vec<(IncidentStatus, Column)> = STATUSES
        .iter()
        .filter(|s| filter.status.is_none_or(|f| f == **s))
        .map(|s| {
            (
                *s,
                Column {
                    label: lbl(&s.label(), lang),
                    rows: Vec::new(),
                },
            )
        })
        .collect();
    for row in &rows.items {
        let view = cases.get(&page.caller, &row.id).await?;
        let board_row = BoardRow {
            id: row.id.to_string(),
            title: row.title.clone(),
            agency: agency_name(&row.agency, &names),
            level: row
                .level
                .and_then(civitas_core::cases::IncidentLevel::new)
                .map(|l| lbl(&l.label(), lang))
                .unwrap_or_else(|| chrome.t("incidents.level_unknown").to_string()),
            category: lbl(&row.category.label(), lang),
            clock: nearest(&view.clocks).map(|d| clock_view(d, &chrome, now)),
        };
        if let Some((_, col)) = columns.iter_mut().find(|(s, _)| *s == row.status) {
            col.rows.push(board_row);
        }
    }
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    agency_options.sort();
    render(&BoardPage {
        columns: columns.into_iter().map(|(_, c)| c).collect(),
        total: rows.total,
        agency: q.agency,
        state: q.state,
        agency_options,
        state_options: options(&STATUSES, |s| lbl(&s.label(), lang)),
        can_open: page
            .caller
            .principal
            .can_somewhere(Permission::ManageIncidents),
        can_verify: page
            .caller
            .principal
            .can_somewhere(Permission::VerifyActions),
        chrome,
    })
}

// ---------------------------------------------------------------- opening one

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    pub notification: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub aware: String,
    #[serde(default)]
    pub host: String,
}

#[derive(Template)]
#[template(path = "incidents/new.html")]
struct NewPage {
    chrome: Chrome,
    q: NewQuery,
    aware: String,
    agency_options: Vec<(String, String)>,
    category_options: Vec<(String, String)>,
    class_options: Vec<(String, String)>,
}

fn class_options(lang: Language) -> Vec<(String, String)> {
    options(
        &[
            AssetClass::General,
            AssetClass::Core,
            AssetClass::CriticalInfrastructure,
        ],
        |c| lbl(&c.label(), lang),
    )
}

/// The form to open an incident; from an alert page it comes filled in with the notification.
pub async fn new_form(
    State(state): State<AppState>,
    page: Page,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let chrome = page.chrome("incidents.new_title");
    let lang = chrome.lang;
    let names = super::agency_names(&state).await;
    let mut agency_options: Vec<(String, String)> =
        names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    agency_options.sort();
    let aware = if q.aware.is_empty() {
        input_value(state.platform.now())
    } else {
        Timestamp::parse_rfc3339(&q.aware)
            .map(input_value)
            .unwrap_or_else(|| q.aware.clone())
    };
    render(&NewPage {
        aware,
        q,
        agency_options,
        category_options: options(&CATEGORIES, |c| lbl(&c.label(), lang)),
        class_options: class_options(lang),
        chrome,
    })
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let notifications = field(&form, "notification")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_start_matches('#').parse::<i64>().map_err(|_| {
                bad(
                    "notification",
                    "警訊通報編號須為數字",
                    "an alert notification number is a number",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let asset = field(&form, "asset");
    let assets = if asset.is_empty() {
        Vec::new()
    } else {
        vec![AffectedAsset {
            name: asset.to_string(),
            class: word("asset_class", field(&form, "asset_class"))?,
            host: Some(field(&form, "host").to_string()).filter(|h| !h.is_empty()),
        }]
    };
    let occurred = field(&form, "occurred_at");
    let input = IncidentInput {
        title: required(&form, "title")?,
        agency: AgencyCode::parse(field(&form, "agency"))
            .map_err(|_| bad("agency", "請選擇機關", "choose the agency"))?,
        category: word("category", field(&form, "category"))?,
        notifications,
        how_learned: Some(field(&form, "how_learned").to_string()).filter(|h| !h.is_empty()),
        assets,
        occurred_at: (!occurred.is_empty())
            .then(|| local_time("occurred_at", occurred))
            .transpose()?,
        aware_at: local_time("aware_at", field(&form, "aware_at"))?,
        people: Vec::new(),
        description: field(&form, "description").to_string(),
    };
    let incident = state.platform.cases().create(&page.caller, input).await?;
    Ok(redirect_with_flash(
        &format!("/incidents/{}", incident.id),
        "flash.incident_opened",
        incident.id.as_str(),
        state.settings.cookie_secure,
    ))
}

// ---------------------------------------------------------------- the incident page

pub struct TimelineRow {
    pub kind: &'static str,
    pub at: String,
    pub by: String,
    pub note: String,
    pub withdrawn: String,
}

pub struct ReasonRow {
    pub text: String,
    pub decisive: bool,
}

pub struct LevelRow {
    pub at: String,
    pub by: String,
    pub change: String,
    pub why: String,
}

pub struct ReportRow {
    pub version: u32,
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub received: String,
    pub missing: Vec<String>,
}

pub struct FindingRow {
    pub id: String,
    pub root_cause: String,
    pub detail: String,
    pub iocs: Vec<String>,
    pub hosts: Vec<String>,
    pub recommendations: Vec<String>,
}

pub struct EngagementRow {
    pub id: String,
    pub vendor: String,
    pub scope: String,
    pub dates: String,
    pub status: &'static str,
    pub revision: u32,
    pub reports: Vec<ReportRow>,
    pub findings: Vec<FindingRow>,
    pub can_accept: bool,
}

pub struct ActionRow {
    pub id: String,
    pub recommendation: String,
    pub owner: String,
    pub due: String,
    pub status: String,
    pub overdue: bool,
    pub verified: bool,
}

pub struct CustodyRow {
    pub id: String,
    pub name: String,
    pub collected: String,
    pub sha256: String,
    pub holder: String,
    pub handovers: Vec<String>,
    pub seen: usize,
}

#[derive(Template)]
#[template(path = "incidents/show.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    title: String,
    agency: String,
    category: String,
    status: String,
    determination: String,
    level: String,
    revision: u32,
    closed: bool,
    next_steps: Vec<String>,
    description: String,
    origin: String,
    notifications: Vec<String>,
    assets: Vec<String>,
    clocks: Vec<ClockView>,
    rule_set: String,
    timeline: Vec<TimelineRow>,
    reasons: Vec<ReasonRow>,
    level_source: String,
    levels: Vec<LevelRow>,
    engagements: Vec<EngagementRow>,
    actions: Vec<ActionRow>,
    evidence: Vec<CustodyRow>,
    findings: Vec<(String, String)>,
    can_manage: bool,
    now: String,
    kind_options: Vec<(String, String)>,
    class_options: Vec<(String, String)>,
    impact_options: Vec<(String, String)>,
    sensitivity_options: Vec<(String, String)>,
    determination_options: Vec<(String, String)>,
    section_options: Vec<(String, String)>,
    root_cause_options: Vec<(String, String)>,
    priority_options: Vec<(String, String)>,
    agency_code: String,
    agency_options: Vec<(String, String)>,
}

/// What to do next, in plain words: the most urgent thing first.
fn next_steps(view: &IncidentView, chrome: &Chrome, now: Timestamp) -> Vec<String> {
    let lang = chrome.lang;
    let i = &view.incident;
    let mut steps = Vec::new();
    for d in view
        .clocks
        .iter()
        .filter(|d| d.state == ClockState::Overdue)
    {
        steps.push(
            chrome
                .t("incidents.next.overdue")
                .replacen("{}", d.obligation.label().get(lang), 1)
                .replacen("{}", &chrome.opt_datetime(d.due_at), 1),
        );
    }
    if i.status == IncidentStatus::Closed {
        let open = view
            .actions
            .iter()
            .filter(|a| a.status != ActionStatus::Verified)
            .count();
        steps.push(if open > 0 {
            chrome
                .t("incidents.next.closed_open_actions")
                .replace("{}", &open.to_string())
        } else {
            chrome.t("incidents.next.closed_done").to_string()
        });
        return steps;
    }
    if i.level().is_none() {
        steps.push(chrome.t("incidents.next.assess").to_string());
    }
    if view.needs_renotification {
        steps.push(chrome.t("incidents.next.renotify").to_string());
    }
    if let Some(d) = view.clocks.iter().find(|d| {
        d.obligation == Obligation::Notify
            && matches!(d.state, ClockState::OnTrack | ClockState::DueSoon)
    }) && let Some(due) = d.due_at
    {
        steps.push(
            chrome
                .t("incidents.next.notify")
                .replacen("{}", &chrome.datetime(due), 1)
                .replacen("{}", &countdown(due, now, lang), 1),
        );
    }
    let step = match i.status {
        IncidentStatus::New | IncidentStatus::Triage if i.level().is_some() => {
            Some("incidents.next.contain")
        }
        IncidentStatus::Contained => Some("incidents.next.recover"),
        IncidentStatus::Recovered => Some(if view.engagements.is_empty() {
            "incidents.next.forensics_or_report"
        } else {
            "incidents.next.report"
        }),
        IncidentStatus::Reported => Some(if i.determination == Determination::Suspected {
            "incidents.next.determine"
        } else {
            "incidents.next.close"
        }),
        _ => None,
    };
    if let Some(key) = step {
        steps.push(chrome.t(key).to_string());
    }
    let waiting = view
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::DonePendingVerification)
        .count();
    if waiting > 0 {
        steps.push(
            chrome
                .t("incidents.next.verify")
                .replace("{}", &waiting.to_string()),
        );
    }
    steps
}

fn observable_text(o: &Observable) -> String {
    let kind = match o.kind {
        ObservableKind::Ipv4 => "IPv4".to_string(),
        ObservableKind::Ipv6 => "IPv6".to_string(),
        ObservableKind::Domain => "domain".to_string(),
        ObservableKind::Url => "URL".to_string(),
        ObservableKind::Email => "e-mail".to_string(),
        ObservableKind::FileHash(a) => a.stix_name().to_string(),
    };
    format!("{kind} {}", o.value)
}

/// An indicator typed by a person: an address, a hash, a URL, an e-mail or a domain.
pub fn parse_observable(text: &str) -> Result<Observable, DomainError> {
    let v = text.trim();
    let hex = v.chars().all(|c| c.is_ascii_hexdigit());
    let kind = if let Ok(ip) = v.parse::<std::net::IpAddr>() {
        if ip.is_ipv4() {
            ObservableKind::Ipv4
        } else {
            ObservableKind::Ipv6
        }
    } else if hex && v.len() == 64 {
        ObservableKind::FileHash(HashAlgorithm::Sha256)
    } else if hex && v.len() == 40 {
        ObservableKind::FileHash(HashAlgorithm::Sha1)
    } else if hex && v.len() == 32 {
        ObservableKind::FileHash(HashAlgorithm::Md5)
    } else if v.contains("://") {
        ObservableKind::Url
    } else if v.contains('@') {
        ObservableKind::Email
    } else if v.contains('.') && !v.contains(' ') {
        ObservableKind::Domain
    } else {
        return Err(DomainError::invalid(
            "iocs",
            Text::new(
                format!("「{v}」不是 IP、網域、網址、電子郵件或雜湊值"),
                format!("\"{v}\" is not an address, domain, URL, e-mail or hash"),
            ),
        ));
    };
    Ok(Observable::new(kind, v))
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let id = record_id(&id)?;
    let view = state.platform.cases().get(&page.caller, &id).await?;
    let chrome = page.chrome("incidents.incident_title");
    let lang = chrome.lang;
    let now = state.platform.now();
    let names = super::agency_names(&state).await;
    let i = &view.incident;
    let last_level = i.levels.last();
    let (origin, notifications) = match &i.origin {
        IncidentOrigin::Alerts { notifications } => (
            chrome.t("incidents.from_alerts").to_string(),
            notifications
                .iter()
                .map(|n| n.as_str().to_string())
                .collect(),
        ),
        IncidentOrigin::Manual { how_learned } => (
            format!("{}{}", chrome.t("incidents.by_hand"), how_learned),
            Vec::new(),
        ),
    };
    let engagements = view
        .engagements
        .iter()
        .map(|e| EngagementRow {
            id: e.id.to_string(),
            vendor: e.vendor.clone(),
            scope: e.scope.clone(),
            dates: format!(
                "{} – {}",
                chrome.date(e.starts_on),
                chrome.datetime(e.report_due)
            ),
            status: chrome.t(&format!("incidents.fx.{}", word_of(&e.status))),
            revision: e.revision,
            reports: e
                .reports
                .iter()
                .map(|r| ReportRow {
                    version: r.version,
                    file: r.file_name.clone(),
                    size: r.size,
                    sha256: r.sha256.clone(),
                    received: format!("{} {}", chrome.datetime(r.received_at), r.received_by),
                    missing: r
                        .missing_sections()
                        .iter()
                        .map(|s| lbl(&s.label(), lang))
                        .collect(),
                })
                .collect(),
            findings: e
                .findings
                .iter()
                .map(|f| FindingRow {
                    id: f.id.to_string(),
                    root_cause: lbl(&f.root_cause.label(), lang),
                    detail: f.detail.clone(),
                    iocs: f.iocs.iter().map(observable_text).collect(),
                    hosts: f.affected_hosts.clone(),
                    recommendations: f.recommendations.iter().map(|r| r.text.clone()).collect(),
                })
                .collect(),
            can_accept: e.status == EngagementStatus::ReportReceived,
        })
        .collect();
    let findings = view
        .engagements
        .iter()
        .flat_map(|e| e.findings.iter())
        .map(|f| {
            (
                f.id.to_string(),
                format!("{} {}", f.id, lbl(&f.root_cause.label(), lang)),
            )
        })
        .collect();
    let page_view = ShowPage {
        id: i.id.to_string(),
        title: i.title.clone(),
        agency: agency_name(&i.agency, &names),
        category: lbl(&i.category.label(), lang),
        status: lbl(&i.status.label(), lang),
        determination: determination_label(i.determination, lang).to_string(),
        level: i
            .level()
            .map(|l| lbl(&l.label(), lang))
            .unwrap_or_else(|| chrome.t("incidents.level_unknown").to_string()),
        revision: i.revision,
        closed: i.status == IncidentStatus::Closed,
        next_steps: next_steps(&view, &chrome, now),
        description: i.description.clone(),
        origin,
        notifications,
        assets: i
            .assets
            .iter()
            .map(|a| {
                format!(
                    "{}（{}{}）",
                    a.name,
                    lbl(&a.class.label(), lang),
                    a.host
                        .as_deref()
                        .map(|h| format!(" · {h}"))
                        .unwrap_or_default()
                )
            })
            .collect(),
        clocks: view
            .clocks
            .iter()
            .map(|d| clock_view(d, &chrome, now))
            .collect(),
        rule_set: i.rule_set.clone(),
        timeline: i
            .timeline
            .iter()
            .map(|e| TimelineRow {
                kind: timeline_label(e.kind, lang),
                at: chrome.datetime(e.at),
                by: e.by.to_string(),
                note: e.note.clone().unwrap_or_default(),
                withdrawn: e
                    .withdrawn
                    .as_ref()
                    .map(|w| format!("{} {}：{}", chrome.datetime(w.at), w.by, w.why))
                    .unwrap_or_default(),
            })
            .collect(),
        reasons: last_level
            .map(|l| {
                l.decision
                    .reasons
                    .iter()
                    .map(|r| ReasonRow {
                        text: lbl(&r.reason, lang),
                        decisive: r.decisive,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        level_source: last_level
            .map(|l| lbl(&l.decision.source, lang))
            .unwrap_or_default(),
        levels: i
            .levels
            .iter()
            .map(|l| LevelRow {
                at: chrome.datetime(l.at),
                by: l.by.to_string(),
                change: format!(
                    "{} → {}",
                    l.previous
                        .map(|p| lbl(&p.label(), lang))
                        .unwrap_or_else(|| "—".into()),
                    lbl(&l.decision.level.label(), lang)
                ),
                why: l.why.clone().unwrap_or_default(),
            })
            .collect(),
        engagements,
        actions: view
            .actions
            .iter()
            .map(|a| ActionRow {
                id: a.id.to_string(),
                recommendation: a.recommendation.clone(),
                owner: format!("{}（{}）", a.owner, agency_name(&a.owner_agency, &names)),
                due: chrome.datetime(a.due_at),
                status: lbl(&a.status.label(), lang),
                overdue: a.is_overdue(now),
                verified: a.status == ActionStatus::Verified,
            })
            .collect(),
        evidence: view
            .evidence
            .iter()
            .map(|e| CustodyRow {
                id: e.id.to_string(),
                name: e.name.clone(),
                collected: format!("{} {}", chrome.datetime(e.collected_at), e.collected_by),
                sha256: e.sha256.clone(),
                holder: e
                    .handovers
                    .last()
                    .map(|h| h.to.clone())
                    .unwrap_or_else(|| e.collected_by.clone()),
                handovers: e
                    .handovers
                    .iter()
                    .map(|h| {
                        format!(
                            "{} {} → {}（{}）",
                            chrome.datetime(h.at),
                            h.from,
                            h.to,
                            h.purpose
                        )
                    })
                    .collect(),
                seen: e.handovers.len(),
            })
            .collect(),
        findings,
        can_manage: page
            .caller
            .principal
            .can_somewhere(Permission::ManageIncidents),
        now: input_value(now),
        kind_options: RECORDABLE
            .iter()
            .map(|k| (k.as_str().to_string(), timeline_label(*k, lang).to_string()))
            .collect(),
        class_options: class_options(lang),
        impact_options: [
            "information_leaked",
            "information_tampered",
            "system_tampered",
            "operation_disrupted",
        ]
        .iter()
        .map(|k| {
            (
                k.to_string(),
                chrome.t(&format!("incidents.impact.{k}")).to_string(),
            )
        })
        .collect(),
        sensitivity_options: ["ordinary", "official_secret", "national_secret"]
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    chrome.t(&format!("incidents.sens.{k}")).to_string(),
                )
            })
            .collect(),
        determination_options: options(
            &[
                Determination::Confirmed,
                Determination::FalsePositive,
                Determination::BenignTruePositive,
                Determination::Suspected,
            ],
            |d| determination_label(*d, lang).to_string(),
        ),
        section_options: options(&ReportSection::ALL, |s| lbl(&s.label(), lang)),
        root_cause_options: options(&ROOT_CAUSES, |r| lbl(&r.label(), lang)),
        agency_code: i.agency.to_string(),
        agency_options: {
            let mut list: Vec<(String, String)> =
                names.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
            list.sort();
            list
        },
        priority_options: options(&[Priority::High, Priority::Medium, Priority::Low], |p| {
            priority_label(*p, lang).to_string()
        }),
        chrome,
    };
    render(&page_view)
}

fn back_to(state: &AppState, id: &RecordId, key: &str) -> Response {
    redirect_with_flash(
        &format!("/incidents/{id}"),
        key,
        id.as_str(),
        state.settings.cookie_secure,
    )
}

/// Effects from the assessment form's rows (`asset_1`, `class_1`, `impact_1`, `heavy_1`…).
fn effects(form: &[(String, String)]) -> Result<Vec<Effect>, DomainError> {
    let mut out = Vec::new();
    for n in 1..=3 {
        let asset = field(form, &format!("asset_{n}"));
        if asset.is_empty() {
            continue;
        }
        let heavy = !field(form, &format!("heavy_{n}")).is_empty();
        let severity = if heavy {
            Severity::Severe
        } else {
            Severity::Minor
        };
        let impact = match field(form, &format!("impact_{n}")) {
            "information_leaked" => Impact::InformationLeaked { severity },
            "information_tampered" => Impact::InformationTampered { severity },
            "system_tampered" => Impact::SystemTampered { severity },
            "operation_disrupted" => Impact::OperationDisrupted {
                within_max_tolerable_downtime: !heavy,
            },
            _ => {
                return Err(bad(
                    &format!("impact_{n}"),
                    "請選擇對資產的影響",
                    "choose what happened to the asset",
                ));
            }
        };
        let sensitivity: Sensitivity = match field(form, &format!("sensitivity_{n}")) {
            "" => Sensitivity::Ordinary,
            s => word(&format!("sensitivity_{n}"), s)?,
        };
        out.push(Effect {
            asset: asset.to_string(),
            class: word(&format!("class_{n}"), field(form, &format!("class_{n}")))?,
            sensitivity,
            impact,
        });
    }
    Ok(out)
}

pub async fn assess(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let why = Some(field(&form, "why").to_string()).filter(|w| !w.is_empty());
    state
        .platform
        .cases()
        .assess(&page.caller, &id, revision(&form)?, effects(&form)?, why)
        .await?;
    Ok(back_to(&state, &id, "flash.incident_assessed"))
}

pub async fn add_event(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let kind: TimelineKind = word("kind", field(&form, "kind"))?;
    let note = Some(field(&form, "note").to_string()).filter(|n| !n.is_empty());
    state
        .platform
        .cases()
        .record_event(
            &page.caller,
            &id,
            revision(&form)?,
            kind,
            local_time("at", field(&form, "at"))?,
            note,
        )
        .await?;
    Ok(back_to(&state, &id, "flash.incident_recorded"))
}

pub async fn determine(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let determination: Determination = word("determination", field(&form, "determination"))?;
    state
        .platform
        .cases()
        .determine(
            &page.caller,
            &id,
            revision(&form)?,
            determination,
            field(&form, "why"),
        )
        .await?;
    Ok(back_to(&state, &id, "flash.incident_recorded"))
}

pub async fn close(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    state
        .platform
        .cases()
        .close(
            &page.caller,
            &id,
            revision(&form)?,
            &required(&form, "summary")?,
        )
        .await?;
    Ok(back_to(&state, &id, "flash.incident_closed"))
}

pub async fn request_forensics(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    state
        .platform
        .cases()
        .request_forensics(
            &page.caller,
            &id,
            &required(&form, "vendor")?,
            &required(&form, "scope")?,
            local_time("starts_on", field(&form, "starts_on"))?,
            local_time("report_due", field(&form, "report_due"))?,
        )
        .await?;
    Ok(back_to(&state, &id, "flash.forensics_requested"))
}

/// The files of a multipart form that were chosen (a browser sends an empty part otherwise).
pub fn chosen_files(form: Form) -> (Vec<(String, String)>, Vec<EvidenceUpload>) {
    let typed_hash = form
        .text("sha256")
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    let files = form
        .files
        .into_iter()
        .filter(|(name, bytes, ..)| !(name.is_empty() && bytes.is_empty()))
        .filter(|(name, ..)| !name.is_empty())
        .map(|(name, bytes, media_type, claimed)| EvidenceUpload {
            name,
            bytes,
            claimed_sha256: claimed.or_else(|| typed_hash.clone()),
            media_type,
        })
        .collect();
    (form.texts, files)
}

pub async fn upload_report(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let cases = state.platform.cases();
    cases.authorize_engagement_change(&page.caller, &id).await?;
    let form = read_form(
        multipart_of(request, &state).await?,
        state.settings.max_upload_bytes,
    )
    .await?;
    let (texts, mut files) = chosen_files(form);
    let sections = texts
        .iter()
        .filter(|(n, _)| n == "sections")
        .map(|(_, v)| word::<ReportSection>("sections", v))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let incident = field(&texts, "incident").to_string();
    if files.is_empty() {
        return Err(bad(
            "file",
            "請選擇要上傳的報告檔",
            "choose the report file to upload",
        )
        .into());
    }
    let file = files.remove(0);
    cases
        .upload_report(
            &page.caller,
            &id,
            revision(&texts)?,
            &file.name,
            file.bytes,
            file.claimed_sha256.as_deref(),
            sections,
        )
        .await?;
    Ok(redirect_with_flash(
        &format!("/incidents/{}", RecordId::parse(&incident)?),
        "flash.report_uploaded",
        &file.name,
        state.settings.cookie_secure,
    ))
}

pub async fn accept_report(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let engagement = state
        .platform
        .cases()
        .accept_report(&page.caller, &id, revision(&form)?)
        .await?;
    Ok(back_to(
        &state,
        &engagement.incident,
        "flash.report_accepted",
    ))
}

pub async fn add_finding(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let lines = |name: &str| -> Vec<String> {
        field(&form, name)
            .lines()
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let iocs = lines("iocs")
        .iter()
        .map(|s| parse_observable(s))
        .collect::<Result<Vec<_>, _>>()?;
    let recommendations: Vec<String> = field(&form, "recommendations")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let engagement = state
        .platform
        .cases()
        .add_finding(
            &page.caller,
            &id,
            revision(&form)?,
            word("root_cause", field(&form, "root_cause"))?,
            required(&form, "detail")?,
            iocs,
            lines("hosts"),
            recommendations,
        )
        .await?;
    Ok(back_to(&state, &engagement.incident, "flash.finding_added"))
}

pub async fn plan_action(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let finding = field(&form, "finding");
    let input = ActionInput {
        finding: (!finding.is_empty())
            .then(|| RecordId::parse(finding))
            .transpose()?,
        recommendation: required(&form, "recommendation")?,
        owner_agency: AgencyCode::parse(field(&form, "owner_agency"))
            .map_err(|_| bad("owner_agency", "請選擇負責機關", "choose the owning agency"))?,
        owner: user_name("owner", field(&form, "owner"))?,
        due_at: local_time("due_at", field(&form, "due_at"))?,
        priority: word("priority", field(&form, "priority"))?,
        closure_criteria: required(&form, "closure_criteria")?,
    };
    let action = state
        .platform
        .cases()
        .plan_action(&page.caller, &id, input)
        .await?;
    Ok(redirect_with_flash(
        &format!("/incidents/actions/{}", action.id),
        "flash.action_planned",
        action.id.as_str(),
        state.settings.cookie_secure,
    ))
}

pub async fn collect_evidence(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    // Who first: a caller who may not change this incident is refused before the body is read.
    state
        .platform
        .cases()
        .authorize_incident_change(&page.caller, &id)
        .await?;
    let form = read_form(
        multipart_of(request, &state).await?,
        state.settings.max_upload_bytes,
    )
    .await?;
    let (texts, mut files) = chosen_files(form);
    if files.is_empty() {
        return Err(bad("file", "請選擇證據檔案", "choose the evidence file").into());
    }
    let file = files.remove(0);
    let name = Some(field(&texts, "name").to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| file.name.clone());
    state
        .platform
        .cases()
        .collect_evidence(
            &page.caller,
            &id,
            &name,
            &required(&texts, "collected_by")?,
            local_time("collected_at", field(&texts, "collected_at"))?,
            file,
        )
        .await?;
    Ok(back_to(&state, &id, "flash.evidence_collected"))
}

pub async fn hand_over(
    State(state): State<AppState>,
    page: Page,
    ApiPath((id, item)): ApiPath<(String, String)>,
    UiForm(form): UiForm<Pairs>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ManageIncidents)?;
    let id = record_id(&id)?;
    let item = record_id(&item)?;
    let seen: usize = field(&form, "seen").parse().map_err(|_| {
        bad(
            "seen",
            "表單缺少版本，請重新載入頁面",
            "the form lacks its revision; reload the page",
        )
    })?;
    state
        .platform
        .cases()
        .hand_over_evidence(
            &page.caller,
            &id,
            &item,
            seen,
            &required(&form, "from")?,
            &required(&form, "to")?,
            local_time("at", field(&form, "at"))?,
            &required(&form, "purpose")?,
        )
        .await?;
    Ok(back_to(&state, &id, "flash.evidence_handed_over"))
}

pub async fn custody_csv(
    State(state): State<AppState>,
    page: Page,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    page.require_somewhere(Permission::ReadIncidents)?;
    let id = record_id(&id)?;
    let csv = state
        .platform
        .cases()
        .custody_log(&page.caller, &id)
        .await?;
    super::csv_response(csv.into_bytes(), &format!("custody-{id}.csv"))
}
