//! Security alerts over JSON: the bulk endpoint a sensor's shipper posts NDJSON to, the
//! alert list, and the counts by category and severity (the audit's table).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::analysis::{AlertAnalysis, Dimension, NewAlertNote};
use civitas_core::alerts::{
    AlertFilter, AlertImport, AlertRow, AlertSummary, Category, Severity, SubBucket,
};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Paged, RejectedDto, rejected_dtos};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// What one bulk post did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertImportDto {
    /// The import run (listed under /imports with kind `alerts`).
    pub run_id: i64,
    pub source: String,
    pub format: String,
    /// received = created + duplicates + rejected.
    pub received: u64,
    pub created: u64,
    /// Alerts already stored (an earlier post of the same events) or repeated in this body.
    pub duplicates: u64,
    pub rejected: u64,
    pub rejected_records: Vec<RejectedDto>,
    /// Events of the source that are not alerts (EVE `flow`, `dns`…): counted, not kept, not
    /// part of `received`.
    pub skipped_other_events: u64,
    /// The classification rule set that classified the new alerts.
    pub rule_set_version: String,
}

impl AlertImportDto {
    fn new(done: AlertImport) -> Self {
        let r = &done.report;
        AlertImportDto {
            run_id: done.run_id,
            source: r.source.clone(),
            format: r.format.clone(),
            received: r.received,
            created: r.created,
            duplicates: r.duplicates,
            rejected: r.rejected_count(),
            rejected_records: rejected_dtos(r),
            skipped_other_events: done.skipped_other_events,
            rule_set_version: done.rule_set_version,
        }
    }
}

/// Post a sensor's alerts: one JSON event per line (NDJSON; a JSON array is read too), or one
/// CEF/syslog record per line for such sources. Needs `manage_alerts` city-wide, checked before
/// the body is read. Idempotent: posting the same events again stores nothing new.
#[utoipa::path(post, path = "/alerts/{source}/bulk", tag = "alerts",
    params(("source" = String, Path, description = "a source configured under [[alerts.sources]]")),
    request_body(content = String, content_type = "application/x-ndjson", description = "one event per line"),
    responses((status = 200, body = AlertImportDto, description = "received = created + duplicates + rejected, each rejected line with its reason"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(source): ApiPath<String>,
    body: Body,
) -> ApiResult<Json<AlertImportDto>> {
    let alerts = state.platform.alerts();
    // Who and which source first: a refused caller's body is never read.
    alerts.authorize_import(&caller)?;
    let config = alerts.source(&source)?.clone();
    let limit = state.settings.max_alert_bulk_bytes;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::payload_too_large(Some(limit)))?;
    let done = alerts
        .import(&caller, &config, &bytes, &format!("bulk:{source}"))
        .await?;
    Ok(Json(AlertImportDto::new(done)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// An agency code.
    pub agency: Option<String>,
    /// intrusion-attempt, information-gathering, malware, dos, web-attack, credential-attack, other.
    pub category: Option<String>,
    /// high, medium or low.
    pub severity: Option<String>,
    /// Observed at or after: RFC 3339, or a date (2024-03-01, from Taipei midnight).
    pub from: Option<String>,
    /// Observed before: RFC 3339, or a date (2024-03-31, that Taipei day included).
    pub to: Option<String>,
    /// For `other`: policy, protocol-anomaly, informational or unclassified.
    pub sub_bucket: Option<String>,
    /// A configured source name.
    pub source: Option<String>,
    /// Exactly this signature (rule name).
    pub signature: Option<String>,
    /// Exactly this source address.
    pub source_ip: Option<String>,
    /// Exactly this target address.
    pub destination_ip: Option<String>,
    /// An ATT&CK technique id, T1190 or T1059.001.
    pub technique: Option<String>,
    /// The alerts of one notification.
    pub notification: Option<i64>,
    /// Words every alert must contain (full-text search over the signature, rule, addresses,
    /// hosts, users, message, observables and techniques): `log4j 10.47.2.2`.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn bad(field: &str, zh: String, en: String) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

/// The instant a Taipei day begins; `next` moves to the day after (for an inclusive `to`).
fn taipei_day_start(text: &str, next: bool) -> Option<Timestamp> {
    let date = civitas_core::time::parse_iso_date(text)?;
    let date = if next { date.next_day()? } else { date };
    Some(Timestamp::taipei_midnight(date))
}

impl AlertQuery {
    pub(crate) fn empty() -> Self {
        AlertQuery {
            agency: None,
            category: None,
            severity: None,
            from: None,
            to: None,
            sub_bucket: None,
            source: None,
            signature: None,
            source_ip: None,
            destination_ip: None,
            technique: None,
            notification: None,
            q: None,
            page: None,
            per_page: None,
        }
    }

    pub(crate) fn filter(&self) -> Result<AlertFilter, DomainError> {
        let time = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    Timestamp::parse_rfc3339(v)
                        .or_else(|| taipei_day_start(v, field == "to"))
                        .ok_or_else(|| {
                            bad(
                                field,
                                format!(
                                    "{field} 須為日期（2024-12-31）或 RFC 3339 時間（2024-12-31T16:00:00Z）"
                                ),
                                format!(
                                    "{field} must be a date (2024-12-31) or an RFC 3339 time such as 2024-12-31T16:00:00Z"
                                ),
                            )
                        })
                })
                .transpose()
        };
        let agency = self
            .agency
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|a| {
                AgencyCode::parse(a).map_err(|_| {
                    bad(
                        "agency",
                        format!("「{a}」不是機關代碼"),
                        format!("\"{a}\" is not an agency code"),
                    )
                })
            })
            .transpose()?;
        let category = self
            .category
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|c| {
                Category::parse(c).ok_or_else(|| {
                    let known = Category::ALL.map(|c| c.as_str()).join(", ");
                    bad(
                        "category",
                        format!("類別須為下列之一：{known}"),
                        format!("category must be one of: {known}"),
                    )
                })
            })
            .transpose()?;
        let severity = self
            .severity
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|s| {
                Severity::parse(s).ok_or_else(|| {
                    bad(
                        "severity",
                        "嚴重程度須為 high、medium 或 low".into(),
                        "severity must be high, medium or low".into(),
                    )
                })
            })
            .transpose()?;
        let sub_bucket = self
            .sub_bucket
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|b| {
                SubBucket::parse(b).ok_or_else(|| {
                    let known = SubBucket::ALL.map(|b| b.as_str()).join(", ");
                    bad(
                        "sub_bucket",
                        format!("子類須為下列之一：{known}"),
                        format!("sub_bucket must be one of: {known}"),
                    )
                })
            })
            .transpose()?;
        let value = [
            (Dimension::Signature, &self.signature),
            (Dimension::SourceIp, &self.source_ip),
            (Dimension::DestinationIp, &self.destination_ip),
            (Dimension::Technique, &self.technique),
        ]
        .into_iter()
        .find_map(|(d, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| (d, v.trim().to_string()))
        });
        Ok(AlertFilter {
            agency,
            category,
            severity,
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
            sub_bucket,
            source: self.source.clone().filter(|s| !s.is_empty()),
            value,
            group_id: self.notification,
            text: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_string),
            ..AlertFilter::default()
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonDto {
    pub zh: String,
    pub en: String,
}

/// One stored alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    pub id: i64,
    /// SHA-256 of the source name and the canonical record.
    pub fingerprint: String,
    pub source_name: String,
    pub source_kind: String,
    pub observed_at: String,
    pub agency: Option<String>,
    pub category: String,
    /// For `other`: policy, protocol-anomaly, informational or unclassified.
    pub sub_bucket: Option<String>,
    pub severity: String,
    pub score: i32,
    /// ENISA RSIT `class:type`.
    pub rsit: String,
    pub rule_set_version: String,
    pub matched_rule_id: Option<String>,
    pub signature: String,
    pub source_ip: Option<String>,
    pub source_port: Option<u16>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<u16>,
    /// The notification (警訊通報) it belongs to.
    pub notification_id: i64,
    /// Why it got its category and severity.
    pub reasons: Vec<ReasonDto>,
}

impl From<AlertRow> for AlertDto {
    fn from(a: AlertRow) -> Self {
        AlertDto {
            id: a.id,
            fingerprint: a.fingerprint,
            source_name: a.source_name,
            source_kind: a.source_kind,
            observed_at: a.observed_at.to_rfc3339(),
            agency: a.agency.map(|c| c.to_string()),
            category: a.category.as_str().into(),
            sub_bucket: a.sub_bucket.map(|s| s.as_str().into()),
            severity: a.severity.as_str().into(),
            score: a.score,
            rsit: a.rsit,
            rule_set_version: a.rule_set_version,
            matched_rule_id: a.matched_rule_id,
            signature: a.signature,
            source_ip: a.source_ip,
            source_port: a.source_port,
            destination_ip: a.destination_ip,
            destination_port: a.destination_port,
            notification_id: a.group_id,
            reasons: a
                .reasons
                .into_iter()
                .map(|t| ReasonDto { zh: t.zh, en: t.en })
                .collect(),
        }
    }
}

/// Alerts of the agencies the caller reads (alerts placed in no agency: city-wide readers
/// only), newest first.
#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = Paged<AlertDto>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Paged<AlertDto>>> {
    let filter = q.filter()?;
    let page = state
        .platform
        .alerts()
        .list(&caller, &filter, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, AlertDto::from)))
}

/// A count with its share of the total in percent (two decimals).
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareLineDto {
    /// The category, severity or sub-bucket code.
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub count: u64,
    pub share_percent: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryCellDto {
    pub category: String,
    pub severity: String,
    pub count: u64,
    pub share_percent: f64,
}

/// The audit's table: category, count, share; the same by severity and for 其他's sub-buckets;
/// and the category × severity cells.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSummaryDto {
    pub total: u64,
    pub by_category: Vec<ShareLineDto>,
    pub by_severity: Vec<ShareLineDto>,
    pub other_by_sub_bucket: Vec<ShareLineDto>,
    pub cells: Vec<SummaryCellDto>,
}

fn line(code: &str, label: Text, count: u64, share_percent: f64) -> ShareLineDto {
    ShareLineDto {
        code: code.into(),
        label_zh: label.zh,
        label_en: label.en,
        count,
        share_percent,
    }
}

impl From<AlertSummary> for AlertSummaryDto {
    fn from(s: AlertSummary) -> Self {
        AlertSummaryDto {
            total: s.total,
            by_category: s
                .by_category
                .into_iter()
                .map(|l| {
                    line(
                        l.category.as_str(),
                        l.label,
                        l.share.count,
                        l.share.share_percent,
                    )
                })
                .collect(),
            by_severity: s
                .by_severity
                .into_iter()
                .map(|l| {
                    line(
                        l.severity.as_str(),
                        l.label,
                        l.share.count,
                        l.share.share_percent,
                    )
                })
                .collect(),
            other_by_sub_bucket: s
                .other_by_sub_bucket
                .into_iter()
                .map(|l| {
                    line(
                        l.sub_bucket.as_str(),
                        l.label,
                        l.share.count,
                        l.share.share_percent,
                    )
                })
                .collect(),
            cells: s
                .cells
                .into_iter()
                .map(|c| SummaryCellDto {
                    category: c.category.as_str().into(),
                    severity: c.severity.as_str().into(),
                    count: c.share.count,
                    share_percent: c.share.share_percent,
                })
                .collect(),
        }
    }
}

/// Counts and shares by category and severity, read from the per-day counts kept at import
/// (`from`/`to` select whole Taipei days; paging parameters are ignored).
#[utoipa::path(get, path = "/alerts/summary", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = AlertSummaryDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertSummaryDto>> {
    let filter = q.filter()?;
    let summary = state.platform.alerts().summary(&caller, &filter).await?;
    Ok(Json(AlertSummaryDto::from(summary)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalysisQuery {
    /// An agency code.
    pub agency: Option<String>,
    /// The first month, 2024-01 (default: eleven months before `to_month`).
    pub from_month: Option<String>,
    /// The last month, 2024-12 (default: this month).
    pub to_month: Option<String>,
    /// How many values each top list holds (1–100, default 10).
    pub top: Option<u32>,
}

impl AnalysisQuery {
    pub(crate) fn filter(&self) -> Result<AlertFilter, DomainError> {
        AlertQuery {
            agency: self.agency.clone(),
            ..AlertQuery::empty()
        }
        .filter()
    }
}

/// The analysis of a period of whole months: the audit's table, the 24-month trend with
/// month-over-month and year-over-year change, counts by agency and source, the top
/// signatures, addresses and ATT&CK techniques with how many months each came back in, spikes
/// in an agency's daily notifications (a Poisson test against its 28 days before), and the
/// analysts' notes on causes and countermeasures.
#[utoipa::path(get, path = "/alerts/analysis", tag = "alerts", params(AnalysisQuery),
    responses((status = 200, body = Object, description = "the analysis (see the alert analysis page for each part)"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn analysis(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<AlertAnalysis>> {
    let filter = q.filter()?;
    let analysis = state
        .platform
        .alerts()
        .analysis(
            &caller,
            &filter,
            q.from_month.as_deref().filter(|m| !m.is_empty()),
            q.to_month.as_deref().filter(|m| !m.is_empty()),
            q.top.unwrap_or(10),
        )
        .await?;
    Ok(Json(analysis))
}

/// One stored alert: the list's fields, and the normalised record with the raw one verbatim.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetailDto {
    #[serde(flatten)]
    pub alert: AlertDto,
    /// The normalised alert (ECS-aligned fields), its `raw` field the record as received.
    #[schema(value_type = Object)]
    pub record: civitas_core::alerts::Alert,
}

/// One alert, if the caller reads its agency.
#[utoipa::path(get, path = "/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "the alert's id")),
    responses((status = 200, body = AlertDetailDto), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AlertDetailDto>> {
    let (row, record) = state.platform.alerts().alert(&caller, id).await?;
    Ok(Json(AlertDetailDto {
        alert: AlertDto::from(row),
        record,
    }))
}

/// An analyst's note on a pattern.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewNoteDto {
    /// category, agency, signature, source_ip, destination_ip or technique.
    pub dimension: String,
    /// Which one: a category code, a signature, an address, a technique id.
    pub value: String,
    /// The agency the note is about; absent for the whole city.
    pub agency: Option<String>,
    /// The cause found.
    #[serde(default)]
    pub cause: String,
    /// The countermeasure taken or planned.
    #[serde(default)]
    pub countermeasure: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteCreatedDto {
    pub id: i64,
}

impl NewNoteDto {
    pub(crate) fn domain(self) -> Result<NewAlertNote, DomainError> {
        let agency = self
            .agency
            .filter(|a| !a.is_empty())
            .map(|a| {
                AgencyCode::parse(&a).map_err(|_| {
                    bad(
                        "agency",
                        format!("「{a}」不是機關代碼"),
                        format!("\"{a}\" is not an agency code"),
                    )
                })
            })
            .transpose()?;
        Ok(NewAlertNote {
            dimension: self.dimension.trim().to_string(),
            value: self.value.trim().to_string(),
            agency,
            cause: self.cause.trim().to_string(),
            countermeasure: self.countermeasure.trim().to_string(),
        })
    }
}

/// Record the cause found for a pattern and the countermeasure taken, so that the next
/// report can say what was done. Needs `manage_alerts` for the agency (or city-wide).
#[utoipa::path(post, path = "/alerts/notes", tag = "alerts", request_body = NewNoteDto,
    responses((status = 201, body = NoteCreatedDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<NewNoteDto>,
) -> ApiResult<(axum::http::StatusCode, Json<NoteCreatedDto>)> {
    let id = state
        .platform
        .alerts()
        .add_note(&caller, body.domain()?)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(NoteCreatedDto { id })))
}

/// The classification rules in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesDto {
    pub version: String,
    /// The rule file (TOML), as saved or as shipped.
    pub rules: String,
}

/// The rules that classify new alerts, as a rule file to edit.
#[utoipa::path(get, path = "/alerts/rules", tag = "alerts",
    responses((status = 200, body = RulesDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn rules(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<RulesDto>> {
    let (version, rules) = state.platform.alerts().rules_text(&caller).await?;
    Ok(Json(RulesDto { version, rules }))
}

/// A rule file to try or to save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RulesInputDto {
    /// The whole rule file (TOML) with a new `version`.
    pub rules: String,
    /// Preview: how many days back to classify again (default 30).
    pub days: Option<u32>,
    /// Save: re-apply to alerts observed from this date or time (default: all of history).
    pub from: Option<String>,
    /// Save: … and before this one.
    pub to: Option<String>,
}

/// What re-classification did or would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReclassificationDto {
    pub rule_set_version: String,
    pub examined: u64,
    /// Alerts whose category, sub-bucket or severity moves.
    pub changed: u64,
    /// Alerts that keep their class and only take the new version.
    pub restamped: u64,
    /// Each move with its count, largest first.
    #[schema(value_type = Vec<Object>)]
    pub transitions: Vec<civitas_core::alerts::reclassify::Transition>,
    /// Counts by category before and after.
    #[schema(value_type = Vec<Object>)]
    pub before: Vec<(Category, u64)>,
    #[schema(value_type = Vec<Object>)]
    pub after: Vec<(Category, u64)>,
}

impl From<civitas_core::alerts::reclassify::Reclassification> for ReclassificationDto {
    fn from(r: civitas_core::alerts::reclassify::Reclassification) -> Self {
        ReclassificationDto {
            rule_set_version: r.rule_set_version,
            examined: r.examined,
            changed: r.changed,
            restamped: r.restamped,
            transitions: r.transitions,
            before: r.before,
            after: r.after,
        }
    }
}

/// How a rule file would reclassify the alerts of the last `days` days; nothing is written.
/// Needs `manage_alerts` city-wide.
#[utoipa::path(post, path = "/alerts/rules/preview", tag = "alerts", request_body = RulesInputDto,
    responses((status = 200, body = ReclassificationDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn preview_rules(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<RulesInputDto>,
) -> ApiResult<Json<ReclassificationDto>> {
    let done = state
        .platform
        .alerts()
        .preview_rules(&caller, &body.rules, body.days.unwrap_or(30))
        .await?;
    Ok(Json(done.into()))
}

/// Save a rule file (its `version` must be new) and re-apply it to stored alerts: categories,
/// severities, notifications and every count move together, in one transaction, and each
/// alert names the rule set that classified it. Needs `manage_alerts` city-wide.
#[utoipa::path(put, path = "/alerts/rules", tag = "alerts", request_body = RulesInputDto,
    responses((status = 200, body = ReclassificationDto), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn save_rules(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiJson(body): ApiJson<RulesInputDto>,
) -> ApiResult<Json<ReclassificationDto>> {
    let range = AlertQuery {
        from: body.from.clone(),
        to: body.to.clone(),
        ..AlertQuery::empty()
    }
    .filter()?;
    let done = state
        .platform
        .alerts()
        .save_rules(&caller, &body.rules, range.from, range.to)
        .await?;
    Ok(Json(done.into()))
}
