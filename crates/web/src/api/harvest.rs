//! Harvest sources over the JSON API: each configured catalogue with its last and next run,
//! and "run now" (queued for the server's harvester). City-wide catalogue managers only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use civitas_core::catalog::schedule::{HarvestRun, SourceStatus};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HarvestRunDto {
    pub id: i64,
    /// schedule, request or cli.
    pub trigger: String,
    pub started_at: String,
    /// Empty while the run is in progress.
    pub finished_at: Option<String>,
    /// The import run holding every rejected record with its reason (`/api/v1/imports/{id}`).
    pub import_run: Option<i64>,
    /// received = created + updated + unchanged + duplicates + rejected.
    pub received: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Marked withdrawn (never deleted); only a complete run withdraws.
    pub withdrawn: u64,
    pub pages_read: u64,
    /// Every record the source lists was read.
    pub complete: bool,
    /// Why the run stopped early (English).
    pub error: Option<String>,
    /// The same in Traditional Chinese.
    pub error_zh: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HarvestSourceDto {
    pub name: String,
    /// ckan, dcat or datagovtw.
    pub kind: String,
    pub url: String,
    /// Empty: on demand only.
    pub interval_seconds: Option<i64>,
    /// In the server's configuration now.
    pub configured: bool,
    /// Someone asked for a run that has not started yet.
    pub run_requested_at: Option<String>,
    pub last_run: Option<HarvestRunDto>,
    pub next_run: Option<String>,
}

impl From<HarvestRun> for HarvestRunDto {
    fn from(r: HarvestRun) -> Self {
        HarvestRunDto {
            id: r.id,
            trigger: r.trigger.code().into(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            import_run: r.import_run,
            received: r.received,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            duplicates: r.duplicates,
            rejected: r.rejected,
            withdrawn: r.withdrawn,
            pages_read: r.pages_read,
            complete: r.complete,
            error_zh: r.error.as_ref().map(|e| e.zh.clone()),
            error: r.error.map(|e| e.en),
        }
    }
}

impl From<SourceStatus> for HarvestSourceDto {
    fn from(s: SourceStatus) -> Self {
        HarvestSourceDto {
            name: s.source.name,
            kind: s.source.kind,
            url: s.source.url,
            interval_seconds: s.source.interval_seconds,
            configured: s.source.configured,
            run_requested_at: s.source.run_requested_at.map(|t| t.to_rfc3339()),
            last_run: s.last_run.map(Into::into),
            next_run: s.next_run.map(|t| t.to_rfc3339()),
        }
    }
}

/// The harvest sources, configured ones first, each with its last and next run.
#[utoipa::path(get, path = "/catalog/harvest/sources", tag = "catalog",
    responses((status = 200, body = Vec<HarvestSourceDto>), (status = 403, body = ErrorBody)))]
pub async fn sources(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Json<Vec<HarvestSourceDto>>> {
    let list = state.platform.harvests().sources(&caller).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Ask the server's harvester to run this source now (within seconds). Audited.
#[utoipa::path(post, path = "/catalog/harvest/sources/{name}/run", tag = "catalog",
    params(("name" = String, Path, description = "the source's configured name")),
    responses((status = 202, description = "queued"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn run_now(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .platform
        .harvests()
        .request_run(&caller, &name)
        .await?;
    Ok(StatusCode::ACCEPTED)
}
