//! civitas' HTTP face. Depends on the domain (`civitas-core`) and never the other way:
//! handlers parse input, call a domain service with the caller, and shape the answer.

pub mod api;
mod assets;
pub mod auth;
mod ckan;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod i18n;
mod metrics;
mod ops;
mod render;
pub mod state;
mod ui;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ERROR_CODES};
pub use state::{AppState, ChainCheck, WebSettings};

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// The whole application, and its OpenAPI document.
pub fn app(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (api, doc) = api::routes(state.settings.max_upload_bytes);
    let settings = state.settings.clone();
    let router = Router::new()
        .nest("/api/v1", api)
        .merge(ui::routes(settings.max_upload_bytes))
        .merge(ckan::routes())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_authenticated))
        .route("/static/{*path}", get(assets::serve))
        .route("/catalog.ttl", get(api::public_dcat))
        .route("/catalog.jsonld", get(api::public_dcat))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(middleware::from_fn(metrics::track))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, settings.request_timeout))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(header_layer(header::CONTENT_SECURITY_POLICY, CSP))
        // The exchange gateway: outside sign-in, CSRF and the page headers (its caller is an
        // information system named by X-Road-Client; provider responses pass unmodified).
        .merge(exchange::routes())
        .layer(CatchPanicLayer::custom(panicked))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                // The path only: query strings may carry values people typed.
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);
    (router, doc)
}

/// The exchange routes alone (`/r1`, `/listClients`), for the exchange TLS listener.
pub fn exchange_app(state: AppState) -> Router {
    Router::new()
        .merge(exchange::routes())
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// `/metrics` alone, for a separate listener that only the monitoring system reaches.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics_open))
        .fallback(not_found)
        .with_state(state)
}

/// Serve until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
