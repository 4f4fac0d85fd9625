//! A CKAN-compatible read API (`/api/3/action/…`, also `/api/action/…` where ckanapi looks)
//! over the catalogue, so existing CKAN clients and harvesters can read civitas.
//!
//! Actions: `package_search`, `package_show`, `package_list`, `organization_list`,
//! `organization_show`, `status_show`, `help_show` — by GET (query string) or POST (JSON body),
//! answered in CKAN's envelope with CKAN's error types and status codes (`reply`). Anyone reads
//! the open datasets; staff with `read_catalog` (session or `Authorization: Bearer <token>`)
//! read all active ones (`catalogue`). How ids and names map: `ids`; the package dict:
//! `package`; what of Solr's syntax is understood: `query`.

mod actions;
mod catalogue;
mod ids;
mod organization;
mod package;
mod params;
mod query;
mod reply;
mod search;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use self::params::Params;
use self::reply::{CkanError, CkanResult, help_url, success};
use crate::auth::RequestContext;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/3", get(version))
        .route("/api/3/action/{name}", get(action).post(action))
        .route("/api/action/{name}", get(action).post(action))
}

async fn version() -> axum::Json<Value> {
    axum::Json(json!({ "version": 3 }))
}

async fn run(state: &AppState, ctx: &RequestContext, name: &str, p: &Params) -> CkanResult<Value> {
    match name {
        "package_search" => search::package_search(state, ctx, p).await,
        "package_show" => actions::package_show(state, ctx, p).await,
        "package_list" => actions::package_list(state, ctx, p).await,
        "organization_list" => organization::organization_list(state, ctx, p).await,
        "organization_show" => organization::organization_show(state, ctx, p).await,
        "status_show" => Ok(actions::status_show(state)),
        "help_show" => actions::help_show(p),
        other => Err(CkanError::BadRequest(format!(
            "Action name not known: {other}"
        ))),
    }
}

async fn action(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ctx: RequestContext,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let help = help_url(&state.settings.public_base, &name);
    let answer = match Params::read(&method, &headers, query.as_deref(), &body) {
        Ok(p) => run(&state, &ctx, &name, &p).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(result) => success(&help, result),
        Err(e) => e.respond(&help),
    }
}
