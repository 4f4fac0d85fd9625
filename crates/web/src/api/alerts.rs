//! Security alerts over JSON: the bulk endpoint a sensor's shipper posts NDJSON to, the
//! alert list, and the counts by category and severity (the audit's table).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{AlertFilter, AlertImport, AlertRow, AlertSummary, Category, Severity};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{Paged, RejectedDto, rejected_dtos};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
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
    /// Observed at or after (RFC 3339).
    pub from: Option<String>,
    /// Observed before (RFC 3339).
    pub to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn bad(field: &str, zh: String, en: String) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

impl AlertQuery {
    fn filter(&self) -> Result<AlertFilter, DomainError> {
        let time = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| {
                    Timestamp::parse_rfc3339(v).ok_or_else(|| {
                        bad(
                            field,
                            format!("{field} 須為 RFC 3339 時間，例如 2024-12-31T16:00:00Z"),
                            format!(
                                "{field} must be an RFC 3339 time such as 2024-12-31T16:00:00Z"
                            ),
                        )
                    })
                })
                .transpose()
        };
        let agency = self
            .agency
            .as_deref()
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
        Ok(AlertFilter {
            agency,
            category,
            severity,
            from: time("from", &self.from)?,
            to: time("to", &self.to)?,
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
