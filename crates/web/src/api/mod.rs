//! The JSON API under /api/v1, described by an OpenAPI 3 document generated from the
//! handlers themselves (utoipa), so the description cannot drift from the code.

mod agencies;
pub(crate) mod alerts;
mod audit;
mod catalog;
mod dto;
mod exchange;
pub(crate) mod exchange_verify;
mod harvest;
mod imports;
pub(crate) mod incident_measures;
pub(crate) mod incidents;
mod intel;
pub(crate) mod inventory;
mod me;
mod notifications;
mod sharing;
mod tokens;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ERROR_CODES;
use crate::state::AppState;

pub use catalog::public_dcat;
pub use dto::Paged;
pub use sharing::{data_reader, file_response};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "civitas API",
        description = "The city's data governance and security operations platform. Every call needs \
                       `Authorization: Bearer <token>` (create tokens under 我的 API 權杖 / My API tokens, \
                       or with `civitas token create`). Errors are `{code, message, detail}`; codes are \
                       listed below and never change meaning. Lists page with `?page=&per_page=` and \
                       answer `{items, page, per_page, total}`. Send `Accept-Language: zh-TW` for messages \
                       in Traditional Chinese.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/api/v1")),
    tags(
        (name = "me", description = "The caller's own account"),
        (name = "agencies", description = "The city's organisation tree"),
        (name = "users", description = "Accounts and role grants"),
        (name = "tokens", description = "API tokens"),
        (name = "audit", description = "The hash-chained audit trail"),
        (name = "imports", description = "Import runs and their rejected records"),
        (name = "catalog", description = "Datasets: search, records, versions, freshness reviews, imports"),
        (name = "sharing", description = "Sharing between agencies: requests, decisions, grants, data keys; the data API, files and use counts"),
        (name = "notifications", description = "The caller's own notifications: datasets falling due, overdue or due for review"),
        (name = "alerts", description = "Security alerts: the bulk endpoint sensors post to, the alert list, and counts by category and severity"),
        (name = "incidents", description = "Incidents on legal clocks: the board, levels with reasons, timeline, forensic reports and findings, follow-up actions to verified closure, recurrence checks, STIX 2.1 export"),
        (name = "exchange", description = "The exchange gateway (X-Road REST, /r1): services an agency offers, access grants answering approved sharing requests, the message log"),
        (name = "intel", description = "Threat intelligence: STIX 2.1 bundles in, the indicators held, the city's sightings, and the bundle it shares"),
        (name = "inventory", description = "Supply and demand: agencies' demand for other agencies' data, matched to datasets or listed as gaps; the city's platforms, their yearly costs and the benefit report"),
    )
)]
struct ApiDoc;

/// The router and its OpenAPI document.
pub fn routes(max_upload_bytes: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    // File uploads get the upload limit; everything else the (smaller) body limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(agencies::import))
        .routes(routes!(catalog::import))
        .routes(routes!(harvest::sources))
        .routes(routes!(harvest::run_now))
        .routes(routes!(sharing::upload))
        .routes(routes!(incidents::upload_report))
        .routes(routes!(incidents::record_work))
        .routes(routes!(exchange_verify::verify))
        .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes));
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::whoami))
        .routes(routes!(me::set_preferences))
        .routes(routes!(me::change_password))
        .routes(routes!(agencies::list, agencies::create))
        .routes(routes!(agencies::get_one, agencies::update))
        .routes(routes!(agencies::retire))
        .routes(routes!(agencies::reactivate))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get_one, users::update))
        .routes(routes!(users::add_grant))
        .routes(routes!(users::remove_grant))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::unlock))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(audit::export))
        .routes(routes!(audit::verify))
        .routes(routes!(catalog::search, catalog::create))
        .routes(routes!(catalog::get_one, catalog::update))
        .routes(routes!(catalog::review))
        .routes(routes!(catalog::versions))
        .routes(routes!(catalog::dcat))
        .routes(routes!(imports::list))
        .routes(routes!(imports::get_one))
        .routes(routes!(sharing::create_request, sharing::list_requests))
        .routes(routes!(sharing::get_request))
        .routes(routes!(sharing::decide))
        .routes(routes!(sharing::withdraw))
        .routes(routes!(sharing::list_grants))
        .routes(routes!(sharing::get_grant))
        .routes(routes!(sharing::revoke_grant))
        .routes(routes!(sharing::create_key, sharing::list_keys))
        .routes(routes!(sharing::revoke_key))
        .routes(routes!(sharing::data))
        .routes(routes!(sharing::download))
        .routes(routes!(sharing::usage))
        .routes(routes!(sharing::dataset_usage))
        .routes(routes!(sharing::access_log))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::read_all))
        .routes(routes!(inventory::list_demands, inventory::create_demand))
        .routes(routes!(inventory::get_demand, inventory::update_demand))
        .routes(routes!(inventory::set_status))
        .routes(routes!(inventory::suggestions))
        .routes(routes!(inventory::confirm_match))
        .routes(routes!(inventory::remove_match))
        .routes(routes!(inventory::matrix))
        .routes(routes!(
            inventory::list_platforms,
            inventory::create_platform
        ))
        .routes(routes!(inventory::update_platform))
        .routes(routes!(inventory::set_cost, inventory::remove_cost))
        .routes(routes!(inventory::list_sources, inventory::map_source))
        .routes(routes!(inventory::benefit))
        .routes(routes!(alerts::bulk))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::summary))
        .routes(routes!(alerts::analysis))
        .routes(routes!(alerts::rules, alerts::save_rules))
        .routes(routes!(alerts::preview_rules))
        .routes(routes!(alerts::add_note))
        .routes(routes!(alerts::show))
        .routes(routes!(incident_measures::measures))
        .routes(routes!(incident_measures::compliance))
        .routes(routes!(incidents::list, incidents::create))
        .routes(routes!(incidents::get_one))
        .routes(routes!(incidents::assess))
        .routes(routes!(incidents::add_event))
        .routes(routes!(incidents::determine))
        .routes(routes!(incidents::close))
        .routes(routes!(incidents::stix))
        .routes(routes!(incidents::request_forensics))
        .routes(routes!(incidents::accept_report))
        .routes(routes!(incidents::add_finding))
        .routes(routes!(incidents::create_action))
        .routes(routes!(incidents::list_actions))
        .routes(routes!(incidents::recurrence_check))
        .routes(routes!(incidents::get_action))
        .routes(routes!(incidents::verify))
        .routes(routes!(incidents::send_back))
        .routes(routes!(incidents::extend))
        .routes(routes!(intel::import))
        .routes(routes!(intel::indicators))
        .routes(routes!(intel::sightings))
        .routes(routes!(intel::export))
        .routes(routes!(exchange::list_services, exchange::register_service))
        .routes(routes!(exchange::disable_service))
        .routes(routes!(exchange::enable_service))
        .routes(routes!(exchange::service_traffic))
        .routes(routes!(exchange::transfer_records))
        .routes(routes!(exchange::trust_health))
        .routes(routes!(exchange::list_grants, exchange::create_grant))
        .routes(routes!(exchange::revoke_grant))
        .routes(routes!(exchange::log))
        .routes(routes!(exchange::message_asice))
        .routes(routes!(
            exchange::list_credentials,
            exchange::issue_credential
        ))
        .routes(routes!(exchange::revoke_credential))
        .merge(uploads)
        .split_for_parts();
    let mut table = String::from("\n\n| code | status | meaning |\n|---|---|---|\n");
    for (code, status, meaning) in ERROR_CODES {
        table.push_str(&format!("| `{code}` | {status} | {meaning} |\n"));
    }
    if let Some(d) = doc.info.description.as_mut() {
        d.push_str(&table);
    }
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("civ_…")
                .build(),
        ),
    );
    doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    let json: Arc<String> = Arc::new(doc.to_pretty_json().unwrap_or_else(|_| "{}".into()));
    let router = router.route(
        "/openapi.json",
        get(move || {
            let json = json.clone();
            async move { openapi_response(&json) }
        }),
    );
    (router, doc)
}

fn openapi_response(json: &str) -> Response {
    let mut response = json.to_string().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
