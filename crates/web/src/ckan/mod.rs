//! A CKAN-compatible read API (`/api/3/action/…`) over the catalogue, so existing CKAN clients
//! and harvesters can read civitas.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
