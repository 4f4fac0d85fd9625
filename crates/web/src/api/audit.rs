//! The audit trail.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use civitas_core::DomainError;
use civitas_core::audit::{AuditFilter, Outcome};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{AuditEntryDto, Paged};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// From this instant (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this instant (RFC 3339), exclusive.
    pub to: Option<String>,
    pub actor: Option<String>,
    /// An action (`user.create`) or a dotted prefix (`user`).
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub agency: Option<String>,
    /// success, failure or denied.
    pub outcome: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn instant(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, DomainError> {
    raw.map(|r| {
        Timestamp::parse_rfc3339(r).ok_or_else(|| {
            DomainError::invalid(
                field,
                Text::new(
                    "時間格式須為 RFC 3339，例如 2024-01-01T00:00:00+08:00",
                    "use an RFC 3339 date-time, e.g. 2024-01-01T00:00:00+08:00",
                ),
            )
        })
    })
    .transpose()
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, DomainError> {
        Ok(AuditFilter {
            from: instant("from", self.from.as_deref())?,
            to: instant("to", self.to.as_deref())?,
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            agency: self.agency.clone(),
            outcome: match self.outcome.as_deref() {
                None => None,
                Some(o) => Some(Outcome::parse(o).ok_or_else(|| {
                    DomainError::invalid(
                        "outcome",
                        Text::new(
                            "結果須為 success、failure 或 denied",
                            "outcome must be success, failure or denied",
                        ),
                    )
                })?),
            },
        })
    }
}

#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Paged<AuditEntryDto>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paged<AuditEntryDto>>> {
    let page = state
        .platform
        .audit()
        .query(&caller, &q.filter()?, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, AuditEntryDto::from)))
}

#[utoipa::path(get, path = "/audit/export", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "UTF-8 CSV with a BOM, all matching entries"),
              (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    let mut buffer = Vec::new();
    state
        .platform
        .audit()
        .export_csv(&caller, &q.filter()?, &mut buffer)
        .await?;
    crate::ui::csv_response(buffer, "civitas-audit.csv")
}

#[derive(Serialize, ToSchema)]
pub struct ProblemDto {
    pub seq: i64,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct VerificationDto {
    pub intact: bool,
    pub entries_checked: u64,
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The first entry found altered, deleted or out of order.
    pub problem: Option<ProblemDto>,
}

#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    responses((status = 200, body = VerificationDto), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<VerificationDto>> {
    let v = state.platform.audit().verify_for(&caller).await?;
    Ok(Json(VerificationDto {
        intact: v.intact(),
        entries_checked: v.entries_checked,
        head_seq: v.head.as_ref().map(|h| h.seq),
        head_hash: v.head.as_ref().map(|h| h.hash.clone()),
        problem: v.problem.map(|p| ProblemDto {
            seq: p.seq,
            message: p.message,
        }),
    }))
}
