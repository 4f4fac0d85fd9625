//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use civitas_core::authz::{Permission, Target};
use civitas_core::text::Text;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize)]
pub struct Ready {
    pub status: &'static str,
    pub schema_applied: i64,
    pub schema_expected: i64,
}

/// The store answers and its schema is current.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Ready>> {
    state.platform.stores.admin.ping().await.map_err(|e| {
        tracing::error!(error = %e, "store not reachable");
        ApiError::unavailable(Text::new("資料庫無法連線", "the store is not reachable"))
    })?;
    let schema = state.platform.stores.admin.schema_status().await?;
    if !schema.current() {
        return Err(ApiError::unavailable(Text::new(
            format!(
                "資料庫結構版本 {} 與程式需要的 {} 不符；請執行 civitas migrate",
                schema.applied, schema.expected
            ),
            format!(
                "the schema is at {} but {} is needed; run civitas migrate",
                schema.applied, schema.expected
            ),
        )));
    }
    Ok(Json(Ready {
        status: "ready",
        schema_applied: schema.applied,
        schema_expected: schema.expected,
    }))
}

pub fn prometheus_text(state: &AppState) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// Metrics on the main listener need `read_metrics`; the separate listener needs nothing.
pub async fn metrics_authenticated(
    State(state): State<AppState>,
    ApiCaller { caller, .. }: ApiCaller,
) -> ApiResult<Response> {
    if !state.settings.metrics_on_main_listener {
        return Err(ApiError::route_not_found());
    }
    caller
        .principal
        .authorize(Permission::ReadMetrics, &Target::City)?;
    Ok(prometheus_text(&state))
}

pub async fn metrics_open(State(state): State<AppState>) -> Response {
    prometheus_text(&state)
}
