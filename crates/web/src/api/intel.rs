//! Threat intelligence over JSON: STIX 2.1 bundles posted by the regional exchange's tooling,
//! the indicators held, the city's sightings, and the bundle the city shares.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use civitas_core::DomainError;
use civitas_core::intel::{
    IndicatorFilter, IndicatorRow, IntelImport, SightingFilter, SightingRow, StixId,
};
use civitas_core::page::PageRequest;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::alerts::ReasonDto;
use super::dto::{Paged, RejectedDto, rejected_dtos};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The media type STIX 2.1 content is served as.
const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// What one bundle import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntelImportDto {
    /// The import run (listed under /imports with kind `stix`).
    pub run_id: i64,
    pub bundle_id: Option<String>,
    /// received = created + updated + unchanged + duplicates + rejected.
    pub received: u64,
    pub created: u64,
    /// Newer versions of objects already held (the older version is kept).
    pub updated: u64,
    /// Older versions than the one held: not stored.
    pub unchanged: u64,
    /// The same id and version already stored, or repeated in this bundle.
    pub duplicates: u64,
    pub rejected: u64,
    pub rejected_records: Vec<RejectedDto>,
    /// Indicators that can match alerts after the import.
    pub active_indicators: u64,
}

impl IntelImportDto {
    fn new(done: IntelImport) -> Self {
        let r = &done.report;
        IntelImportDto {
            run_id: done.run_id,
            bundle_id: done.bundle_id,
            received: r.received,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            duplicates: r.duplicates,
            rejected: r.rejected_count(),
            rejected_records: rejected_dtos(r),
            active_indicators: done.active_indicators,
        }
    }
}

/// Import a STIX 2.1 bundle. Needs `manage_alerts` city-wide (intel changes how alerts are
/// scored), checked before the body is read. Idempotent: posting the same bundle again stores
/// nothing new; a newer `modified` supersedes the stored version, which is kept.
#[utoipa::path(post, path = "/intel/bundles", tag = "intel",
    request_body(content = String, content_type = "application/stix+json", description = "a STIX 2.1 bundle"),
    responses((status = 200, body = IntelImportDto, description = "each rejected object with its position and reason"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    body: Body,
) -> ApiResult<Json<IntelImportDto>> {
    let intel = state.platform.intel();
    // Who first: a refused caller's body is never read.
    intel.authorize_manage(&caller)?;
    let limit = state.settings.max_alert_bulk_bytes;
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::payload_too_large(Some(limit)))?;
    let done = intel.import_bundle(&caller, &bytes, "api:bundle").await?;
    Ok(Json(IntelImportDto::new(done)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Only indicators comparing this value (an address, block `a.b.c.d/n`, domain, URL,
    /// e-mail address or lower-case hash).
    pub value: Option<String>,
    /// Only those that can match at this instant (RFC 3339): not revoked, matchable, valid.
    pub active_at: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorTestDto {
    /// ipv4-addr, ipv6-addr, domain-name, url, email-addr or file:hashes.<ALGORITHM>.
    pub kind: String,
    pub value: String,
}

/// An indicator's newest version.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorDto {
    pub id: String,
    pub name: Option<String>,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub revoked: bool,
    /// Why civitas cannot match the pattern (it is stored and exported all the same).
    pub not_matchable: Option<ReasonDto>,
    pub created_by_ref: Option<String>,
    pub modified: String,
    /// How many versions are kept.
    pub versions: u64,
    /// The values the pattern compares.
    pub tests: Vec<IndicatorTestDto>,
}

impl From<IndicatorRow> for IndicatorDto {
    fn from(i: IndicatorRow) -> Self {
        IndicatorDto {
            id: i.id.to_string(),
            name: i.name,
            pattern: i.pattern,
            pattern_type: i.pattern_type,
            valid_from: i.valid_from.to_rfc3339(),
            valid_until: i.valid_until.map(|t| t.to_rfc3339()),
            revoked: i.revoked,
            not_matchable: i.not_matchable.map(|t| ReasonDto { zh: t.zh, en: t.en }),
            created_by_ref: i.created_by_ref.map(|r| r.to_string()),
            modified: i.modified,
            versions: i.versions,
            tests: i
                .tests
                .into_iter()
                .map(|t| IndicatorTestDto {
                    kind: t.kind,
                    value: t.value,
                })
                .collect(),
        }
    }
}

/// Indicators held, newest version each, most recently modified first. Needs `read_alerts`.
#[utoipa::path(get, path = "/intel/indicators", tag = "intel", params(IndicatorQuery),
    responses((status = 200, body = Paged<IndicatorDto>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn indicators(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> ApiResult<Json<Paged<IndicatorDto>>> {
    let active_at = q
        .active_at
        .as_deref()
        .map(|v| {
            Timestamp::parse_rfc3339(v).ok_or_else(|| {
                DomainError::invalid(
                    "active_at",
                    Text::new(
                        "active_at 須為 RFC 3339 時間，例如 2024-12-31T16:00:00Z",
                        "active_at must be an RFC 3339 time such as 2024-12-31T16:00:00Z",
                    ),
                )
            })
        })
        .transpose()?;
    let filter = IndicatorFilter {
        value: q.value.clone(),
        active_at,
    };
    let page = state
        .platform
        .intel()
        .indicators(&caller, &filter, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, IndicatorDto::from)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SightingQuery {
    /// Only sightings of this indicator (its STIX id).
    pub indicator: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The city saw an indicator: alerts of one notification (警訊通報) matched it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingDto {
    /// The STIX sighting id (derived from the indicator and the notification).
    pub id: String,
    pub indicator: String,
    pub indicator_name: Option<String>,
    /// The notification whose alerts matched.
    pub notification_id: i64,
    pub agency: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// How many alerts of the notification matched.
    pub count: u64,
    pub created: String,
    pub modified: String,
}

impl From<SightingRow> for SightingDto {
    fn from(row: SightingRow) -> Self {
        let s = row.sighting;
        SightingDto {
            id: s.id.to_string(),
            indicator: s.sighting_of_ref.to_string(),
            indicator_name: row.indicator_name,
            notification_id: row.group_id,
            agency: row.agency.map(|a| a.to_string()),
            first_seen: s.first_seen.to_string(),
            last_seen: s.last_seen.to_string(),
            count: s.count,
            created: s.created.to_string(),
            modified: s.modified.to_string(),
        }
    }
}

/// Sightings of the notifications the caller reads (as for alerts), most recently seen first.
#[utoipa::path(get, path = "/intel/sightings", tag = "intel", params(SightingQuery),
    responses((status = 200, body = Paged<SightingDto>), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sightings(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiQuery(q): ApiQuery<SightingQuery>,
) -> ApiResult<Json<Paged<SightingDto>>> {
    let indicator = q
        .indicator
        .as_deref()
        .map(|v| StixId::parse(v).map_err(|why| DomainError::invalid("indicator", why)))
        .transpose()?;
    let filter = SightingFilter {
        indicator,
        ..SightingFilter::default()
    };
    let page = state
        .platform
        .intel()
        .sightings(&caller, &filter, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(Paged::from(page, SightingDto::from)))
}

/// The STIX 2.1 bundle the city shares: its identity, the TLP markings, its own indicators and
/// every sighting. Needs `manage_alerts` city-wide (sharing outside the city is the SOC's call).
#[utoipa::path(get, path = "/intel/export", tag = "intel",
    responses((status = 200, content_type = "application/stix+json;version=2.1", body = String, description = "a STIX 2.1 bundle"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Response> {
    let bundle = state.platform.intel().export(&caller).await?;
    let body = serde_json::to_vec(&bundle).map_err(DomainError::store)?;
    Ok(([(header::CONTENT_TYPE, STIX_MEDIA_TYPE)], body).into_response())
}
