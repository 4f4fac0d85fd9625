//! The exchange gateway's provider face: `ANY /r1/{serviceId}[/path][?query]` with
//! `X-Road-Client`, forwarded to the registered service only under an active access grant, and
//! the PR-MREST metaservices (`listMethods`, `allowedMethods`, `getOpenAPI` under `/r1`, and
//! `GET /listClients`). Every rule is in `civitas_core::exchange::rest`; this module reads the
//! HTTP request, calls those rules and the domain's decision, forwards, and logs every call.
//!
//! These routes sit outside the session/token middleware: the caller is an information system
//! named by `X-Road-Client` and authenticated as that subsystem by a bound credential — its
//! client certificate on the exchange TLS listener ([`tls`]), or its token in
//! `X-Civitas-Exchange-Token` on the plain listener (removed before forwarding). Its
//! `Authorization` header belongs to the provider and passes through, and the provider's response passes unmodified apart from the protocol's headers.

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use civitas_core::exchange::id::ClientId;
use civitas_core::exchange::rest::{
    self, Endpoint, FaultSide, ResponseIds, RestFault, RestTarget, codes,
};
use civitas_core::exchange::{MessageRecord, PresentedCredential, RegisteredService, TOKEN_HEADER};
use civitas_core::time::Timestamp;
use serde_json::json;

use crate::state::AppState;

pub mod consumer;
pub mod peers;
mod signing;
pub mod tls;

pub use tls::ExchangePeer;

/// The service codes answered by the gateway itself (PR-MREST).
const LIST_METHODS: &str = "listMethods";
const ALLOWED_METHODS: &str = "allowedMethods";
const GET_OPENAPI: &str = "getOpenAPI";

/// HTTP clients for forwarding: one checking the provider's TLS certificate, one not (for a
/// service registered with TLS verification off). Neither follows redirects (PR-REST §4.4).
pub struct Forwarder {
    verifying: Option<reqwest::Client>,
    lax: Option<reqwest::Client>,
}

impl Forwarder {
    pub fn new() -> Self {
        // reqwest is built with rustls but no crypto provider of its own: install ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let build = |verify: bool| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .tls_danger_accept_invalid_certs(!verify)
                .pool_max_idle_per_host(64)
                .build()
                .map_err(
                    |e| tracing::error!(error = %e, "the exchange HTTP client cannot be built"),
                )
                .ok()
        };
        Forwarder {
            verifying: build(true),
            lax: build(false),
        }
    }

    fn client(&self, tls_verify: bool) -> Option<&reqwest::Client> {
        if tls_verify {
            self.verifying.as_ref()
        } else {
            self.lax.as_ref()
        }
    }
}

impl Default for Forwarder {
    fn default() -> Self {
        Self::new()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/r1", any(r1))
        .route("/r1/", any(r1))
        .route("/r1/{*rest}", any(r1))
        .route("/listClients", get(list_clients))
}

/// A fresh random UUID (version 4) in its usual text form.
fn uuid() -> String {
    let mut b = civitas_core::random::bytes::<16>().unwrap_or_default();
    if let Some(x) = b.get_mut(6) {
        *x = (*x & 0x0f) | 0x40;
    }
    if let Some(x) = b.get_mut(8) {
        *x = (*x & 0x3f) | 0x80;
    }
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(12..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}

fn client_fault(code: &'static str, message: impl Into<String>) -> RestFault {
    RestFault::new(FaultSide::Client, code, message)
}

fn server_fault(code: &'static str, message: impl Into<String>) -> RestFault {
    RestFault::new(FaultSide::ServerProxy, code, message)
}

/// The request's headers as (name, value) pairs in their order; a value that is not text is
/// refused (it could not be signed or logged faithfully).
fn header_pairs(headers: &HeaderMap) -> Result<Vec<(String, String)>, RestFault> {
    headers
        .iter()
        // The caller's token is the gateway's, never the provider's (nor hashed or logged).
        .filter(|(n, _)| !n.as_str().eq_ignore_ascii_case(TOKEN_HEADER))
        .map(|(n, v)| {
            v.to_str()
                .map(|v| (n.as_str().to_string(), v.to_string()))
                .map_err(|_| {
                    client_fault(
                        codes::BAD_REQUEST,
                        format!("the header {} is not visible ASCII text", n.as_str()),
                    )
                })
        })
        .collect()
}

fn build_response(status: u16, headers: &[(String, String)], body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let map = response.headers_mut();
    for (n, v) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(n.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(n, v);
        }
    }
    response
}

fn fault_response(fault: &RestFault, detail: &str, accept: Option<&str>) -> Response {
    let e = rest::error_response(fault, detail, accept);
    build_response(e.status, &e.headers, Body::from(e.body))
}

/// What the log row of one call holds, filled in as the call goes.
struct Call {
    started: Timestamp,
    clock: Instant,
    xroad_id: String,
    request_id: String,
    client: Option<String>,
    service: Option<String>,
    service_id: Option<civitas_core::exchange::id::ServiceId>,
    agency: Option<civitas_core::agencies::AgencyCode>,
    endpoint: Option<String>,
    method: String,
    path: String,
    request_hash: Option<String>,
    /// The error type of an error answer relayed from another node.
    relayed_error: Option<String>,
    /// The signed messages to log with the call (empty: the node signs nothing).
    evidence: Vec<civitas_core::exchange::MessageEvidence>,
}

impl Call {
    fn record(
        self,
        finished: Timestamp,
        status: u16,
        response_hash: Option<String>,
        error: Option<&RestFault>,
    ) -> MessageRecord {
        MessageRecord {
            id: 0,
            xroad_id: self.xroad_id,
            request_id: self.request_id,
            client: self.client,
            service: self.service,
            agency: self.agency,
            endpoint: self.endpoint,
            method: self.method,
            path: self.path,
            status,
            request_hash: self.request_hash,
            response_hash,
            started_at: self.started,
            finished_at: finished,
            duration_us: i64::try_from(self.clock.elapsed().as_micros()).unwrap_or(i64::MAX),
            error_type: error.map(RestFault::error_type).or(self.relayed_error),
            evidence: Vec::new(),
        }
    }
}

async fn r1(State(state): State<AppState>, req: Request) -> Response {
    let platform = &state.platform;
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let accept = parts
        .headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut call = Call {
        started: platform.now(),
        clock: Instant::now(),
        xroad_id: String::new(),
        request_id: uuid(),
        client: None,
        service: None,
        service_id: None,
        agency: None,
        endpoint: None,
        method: parts.method.as_str().to_string(),
        // The path as received, cut to what the log column is for.
        path: target.chars().take(2000).collect(),
        request_hash: None,
        relayed_error: None,
        evidence: Vec::new(),
    };
    let detail = uuid();
    match handle(&state, &parts, body, &target, &mut call).await {
        Ok((response, response_hash)) => {
            let status = response.status().as_u16();
            let evidence = std::mem::take(&mut call.evidence);
            let record = call.record(platform.now(), status, Some(response_hash), None);
            if evidence.is_empty() {
                platform.exchange().log(&record).await;
            } else if let Err(e) = platform.exchange().log_signed(&record, &evidence).await {
                // X-Road answers LoggingFailed when the log cannot be written: the call's
                // evidence would be lost.
                tracing::error!(error = %e, xroad_id = %record.xroad_id, "exchange message log write failed");
                let fault = server_fault(
                    codes::LOGGING_FAILED,
                    "the gateway cannot write its message log",
                );
                return fault_response(&fault, &detail, accept.as_deref());
            }
            response
        }
        Err(fault) => {
            if call.agency.is_none()
                && let Some(service) = &call.service_id
            {
                call.agency = platform.exchange().service_agency(service).await;
            }
            if call.xroad_id.is_empty() {
                call.xroad_id = format!("{}-{}", state.settings.exchange_instance, detail);
            }
            let response = fault_response(&fault, &detail, accept.as_deref());
            let record = call.record(platform.now(), fault.status(), None, Some(&fault));
            tracing::info!(
                error_type = %fault.error_type(),
                xroad_id = %record.xroad_id,
                detail = %detail,
                "exchange call refused"
            );
            platform.exchange().log(&record).await;
            response
        }
    }
}

/// The credential a call presents: on the exchange TLS listener, the verified client
/// certificate (and nothing else); on the plain listener, the token header.
fn presented_credential(parts: &axum::http::request::Parts) -> Option<PresentedCredential> {
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<ExchangePeer>>() {
        return peer
            .certificate
            .clone()
            .map(PresentedCredential::Certificate);
    }
    parts
        .headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| PresentedCredential::Token(t.to_string()))
}

async fn handle(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    target: &str,
    call: &mut Call,
) -> Result<(Response, String), RestFault> {
    let settings = &state.settings;
    let t: RestTarget = rest::parse_target(target, settings.exchange_max_uri_len)?;
    call.service = Some(t.service.to_path().unwrap_or_else(|| t.service.to_string()));
    call.service_id = Some(t.service.clone());
    call.path = format!(
        "{}{}",
        t.normalized_path,
        t.raw_query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    )
    .chars()
    .take(2000)
    .collect();
    let method = parts.method.as_str().to_string();
    rest::check_method(&method)?;
    let mut headers = header_pairs(&parts.headers)?;
    // A peer node's signature of the request travels in its own header, outside the signed
    // header part.
    let carried_signature = signing::take_carried(&mut headers);
    let client = rest::client_from_headers(&headers)?.id;
    call.client = Some(client.to_path());
    // Who is calling, before anything is looked up for it: a refusal is logged, never forwarded.
    // A peer node (its pinned certificate, from the node CA) speaks for clients of the members
    // it serves; anyone else is an information system with a credential bound to its subsystem.
    let node = calling_node(state, parts, &client)?;
    let mut client_agency = None;
    if node.is_some() {
        // The consumer node's request id is part of the hashed header part: keep it.
        if let Some(id) = headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(rest::HEADER_REQUEST_ID))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty() && v.len() <= 100 && rest::is_safe_header_value(v))
        {
            call.request_id = id.to_string();
        }
    } else {
        let credential = state
            .platform
            .exchange()
            .authenticate(
                presented_credential(parts).as_ref(),
                &client,
                state.platform.now(),
            )
            .await?;
        client_agency = Some(credential.agency);
    }
    let generated_id = rest::generated_xroad_id(&settings.exchange_instance, &uuid());
    let request_headers =
        rest::consumer_request_headers(&headers, &call.request_id, &generated_id)?;
    call.xroad_id = request_headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(rest::HEADER_ID))
        .map(|(_, v)| v.clone())
        .unwrap_or(generated_id);
    if !rest::is_safe_header_value(&call.xroad_id) || call.xroad_id.len() > 200 {
        return Err(client_fault(
            codes::BAD_REQUEST,
            "X-Road-Id is longer than 200 characters",
        ));
    }

    // A node's call whose X-Road-Id is already in this node's log is a replay: refused,
    // logged, never forwarded.
    if node.is_some() {
        let seen = state
            .platform
            .exchange()
            .xroad_id_seen(&call.xroad_id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "exchange replay check failed");
                server_fault(codes::INTERNAL_ERROR, "the message log cannot be read")
            })?;
        if seen {
            return Err(client_fault(
                codes::INVALID_REQUEST,
                "this X-Road-Id was already used: a replayed request is not forwarded",
            ));
        }
    }

    // A provider served by another node: relay (a call from a node is never relayed further).
    if node.is_none()
        && let Some(peer) = consumer::route(state, &t).await
    {
        // Logged where the client agency's stewards read it.
        call.agency = client_agency;
        check_trust(state)?;
        let body = read_body(state, parts, body).await?;
        return consumer::relay(
            state,
            peer,
            &method,
            target,
            &request_headers,
            body,
            call,
            (&client, &t.service),
        )
        .await;
    }
    // Metaservices: a service code of the gateway's own, addressed to the provider subsystem.
    if t.raw_path.is_empty()
        && matches!(
            t.service.service_code.as_str(),
            LIST_METHODS | ALLOWED_METHODS | GET_OPENAPI
        )
    {
        let header_part = rest::request_header_part(&method, target, &request_headers);
        call.request_hash = Some(rest::request_hash(&header_part, None));
        return metaservice(state, &method, &t, &client, call).await;
    }

    let now = state.platform.now();
    let decision = state
        .platform
        .exchange()
        .authorize(&client, &t.service, &method, &t.normalized_path, now)
        .await?;
    call.agency = Some(decision.service.agency.clone());
    call.endpoint = decision
        .endpoint
        .as_ref()
        .map(|e| format!("{} {}", e.method, e.path));

    check_trust(state)?;
    let body = read_body(state, parts, body).await?;

    let header_part = rest::request_header_part(&method, target, &request_headers);
    let request_hash = rest::request_hash(&header_part, (!body.is_empty()).then_some(&body[..]));
    call.request_hash = Some(request_hash.clone());

    // Evidence: the provider's key must be able to sign the answer before the call goes out,
    // and a client calling this node has its request signed with its member's key here (a
    // peer node's client was signed for on that node).
    let signer = signing::signer(state);
    let _in_progress = signer.as_ref().map(|m| m.call_started());
    let provider = t.service.owner.member();
    let keep_body = signing::keep_body(state, &client, &t.service);
    if let Some(m) = &signer {
        m.ready(&provider)
            .map_err(|e| signing::sign_fault(FaultSide::ServerProxy, &e))?;
        if node.is_some() {
            // The consumer node signed the request with the client member's key: checked and
            // kept, so this node's log holds it too.
            let received = signing::received(
                state,
                civitas_core::exchange::MessageSide::Request,
                header_part,
                &body,
                &carried_signature,
                keep_body,
                FaultSide::ServerProxy,
            )?;
            call.evidence.push(received);
        } else {
            let signed = signing::sign(
                m,
                client.member(),
                civitas_core::exchange::MessageSide::Request,
                header_part,
                body.clone(),
                keep_body,
                FaultSide::ClientProxy,
            )
            .await?;
            call.evidence.push(signed);
        }
    }

    let (status, reason, provider_headers, provider_body) = forward(
        state,
        &decision.service,
        &method,
        &t,
        &request_headers,
        body,
    )
    .await?;
    let ids = ResponseIds {
        xroad_id: &call.xroad_id,
        client: &client,
        service: &t.service,
        request_id: &call.request_id,
        request_hash: &request_hash,
    };
    let out_headers = rest::provider_response_headers(&provider_headers, &ids);
    let response_part = rest::response_header_part(status, &reason, &out_headers);
    let response_hash = rest::request_hash(
        &response_part,
        (!provider_body.is_empty()).then_some(&provider_body[..]),
    );
    let mut out_headers = out_headers;
    if let Some(m) = &signer {
        let signed = signing::sign(
            m,
            provider,
            civitas_core::exchange::MessageSide::Response,
            response_part,
            provider_body.clone(),
            keep_body,
            FaultSide::ServerProxy,
        )
        .await?;
        if node.is_some() {
            // The signed response goes back to the consumer node for its log.
            out_headers.extend(signing::Carried::headers(&signed, true));
        }
        call.evidence.push(signed);
    }
    Ok((
        build_response(status, &out_headers, Body::from(provider_body)),
        response_hash,
    ))
}

/// Whether a peer node is calling (its pinned certificate on the exchange TLS listener), and
/// then that it may speak for `client`: only for clients of the members it serves
/// (`Server.ServerProxy.SslAuthenticationFailed` otherwise, as X-Road refuses a security server
/// that is not the client's).
fn calling_node<'a>(
    state: &'a AppState,
    parts: &axum::http::request::Parts,
    client: &ClientId,
) -> Result<Option<&'a peers::Peer>, RestFault> {
    let Some(table) = state.settings.exchange_peers.as_deref() else {
        return Ok(None);
    };
    let Some(der) = parts
        .extensions
        .get::<ConnectInfo<ExchangePeer>>()
        .and_then(|ConnectInfo(p)| p.certificate.as_deref())
    else {
        return Ok(None);
    };
    match table.calling_node(der) {
        None => Ok(None),
        Some(Err(fault)) => Err(fault),
        Some(Ok(peer)) if peer.serves(client) => Ok(Some(peer)),
        Some(Ok(peer)) => Err(server_fault(
            codes::SSL_AUTHENTICATION_FAILED,
            format!(
                "the node {} does not serve the member of the client {}",
                peer.name,
                client.to_path()
            ),
        )),
    }
}

/// The request body, within the limit: a declared length over it is refused unread, and a slow
/// client does not hold the gateway (the body must arrive within the request timeout).
/// X-Road's fail-closed rule: no new traffic once time-stamping has failed for longer than the
/// acceptable period, since the call could not be given evidence.
fn check_trust(state: &AppState) -> Result<(), RestFault> {
    if let Some(trust) = state.trust()
        && let Err(e) = trust.check()
    {
        tracing::error!(error = %e, "exchange call refused: time-stamping has failed too long");
        return Err(server_fault(
            codes::TIMESTAMPER_FAILED,
            "the gateway cannot time-stamp its message log: calls are refused until time-stamping works again",
        ));
    }
    Ok(())
}

async fn read_body(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<Bytes, RestFault> {
    let settings = &state.settings;
    let limit = settings.exchange_max_body_bytes;
    let too_large = || {
        client_fault(
            codes::BAD_REQUEST,
            format!("the request body is larger than {limit} bytes"),
        )
    };
    if parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        return Err(too_large());
    }
    let wait = settings.request_timeout;
    tokio::time::timeout(wait, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| {
            client_fault(
                codes::BAD_REQUEST,
                format!(
                    "the request body did not arrive within {} s",
                    wait.as_secs()
                ),
            )
        })?
        .map_err(|_| too_large())
}

/// Send the call to the provider system: `base URL + service path + ?query`, the protocol's
/// headers and the caller's own, within the service's timeout; the answer is read whole, up to
/// the body limit.
async fn forward(
    state: &AppState,
    service: &RegisteredService,
    method: &str,
    t: &RestTarget,
    request_headers: &[(String, String)],
    body: Bytes,
) -> Result<(u16, String, Vec<(String, String)>, Bytes), RestFault> {
    let client = state.forwarder.client(service.tls_verify).ok_or_else(|| {
        server_fault(
            codes::INTERNAL_ERROR,
            "the gateway's HTTP client is not available",
        )
    })?;
    let mut url = format!("{}{}", service.base_url, t.raw_path);
    if let Some(q) = &t.raw_query {
        url.push('?');
        url.push_str(q);
    }
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| client_fault(codes::INVALID_HTTP_METHOD, "unknown HTTP method"))?;
    let mut builder = client
        .request(method, &url)
        .timeout(std::time::Duration::from_millis(u64::from(
            service.timeout_ms,
        )));
    let mut has_accept = false;
    for (n, v) in rest::provider_forward_headers(request_headers) {
        has_accept |= n.eq_ignore_ascii_case("accept");
        builder = builder.header(n, v);
    }
    if !has_accept {
        builder = builder.header("accept", rest::DEFAULT_ACCEPT);
    }
    if !body.is_empty() {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(|e| {
        if e.is_timeout() {
            server_fault(
                codes::SERVICE_FAILED,
                format!(
                    "the service did not answer within {} ms",
                    service.timeout_ms
                ),
            )
        } else if e.is_connect() {
            server_fault(
                codes::NETWORK_ERROR,
                format!("cannot connect to the service: {}", without_url(&e)),
            )
        } else {
            server_fault(
                codes::SERVICE_FAILED,
                format!("the service call failed: {}", without_url(&e)),
            )
        }
    })?;
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_string(), v.to_string()))
        })
        .collect();
    let limit = state.settings.exchange_max_body_bytes;
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(server_fault(
            codes::SERVICE_FAILED,
            format!("the service's response is larger than {limit} bytes"),
        ));
    }
    let mut response = response;
    let mut out: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(server_fault(
                        codes::SERVICE_FAILED,
                        format!("the service's response is larger than {limit} bytes"),
                    ));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(server_fault(
                    if e.is_timeout() {
                        codes::SERVICE_FAILED
                    } else {
                        codes::NETWORK_ERROR
                    },
                    format!("reading the service's response failed: {}", without_url(&e)),
                ));
            }
        }
    }
    Ok((status.as_u16(), reason, headers, Bytes::from(out)))
}

/// A client error's text without the provider's address (callers must not learn it).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<service>");
    }
    text
}

fn json_response(value: &serde_json::Value) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json;charset=utf-8",
        )],
        value.to_string(),
    )
        .into_response()
}

fn service_json(s: &RegisteredService, endpoints: &[Endpoint]) -> serde_json::Value {
    let owner = &s.service.owner;
    json!({
        "member_class": owner.member_class,
        "member_code": owner.member_code,
        "object_type": "SERVICE",
        "service_code": s.service.service_code,
        "service_type": s.service_type.metaservice_name(),
        "subsystem_code": owner.subsystem,
        "xroad_instance": owner.instance,
        "endpoint_list": endpoints
            .iter()
            .map(|e| json!({"method": e.method, "path": e.path}))
            .collect::<Vec<_>>(),
    })
}

/// `listMethods`, `allowedMethods` and `getOpenAPI?serviceCode=` for the provider subsystem
/// named by the service id's first four parts (PR-MREST, JSON as the examples and the reference
/// implementation write it).
async fn metaservice(
    state: &AppState,
    method: &str,
    t: &RestTarget,
    client: &ClientId,
    call: &mut Call,
) -> Result<(Response, String), RestFault> {
    if method != "GET" {
        return Err(client_fault(
            codes::INVALID_HTTP_METHOD,
            format!(
                "the metaservice {} answers GET only",
                t.service.service_code
            ),
        ));
    }
    let x = state.platform.exchange();
    let owner = &t.service.owner;
    let internal = |e: civitas_core::DomainError| {
        tracing::error!(error = %e, "exchange metaservice failed");
        server_fault(
            codes::INTERNAL_ERROR,
            "the gateway could not read its registry",
        )
    };
    let body = match t.service.service_code.as_str() {
        LIST_METHODS => {
            let services = x.list_methods(owner).await.map_err(internal)?;
            json!({"service": services.iter().map(|s| service_json(s, &s.endpoints)).collect::<Vec<_>>()})
        }
        ALLOWED_METHODS => {
            let allowed = x
                .allowed_methods(owner, client, state.platform.now())
                .await
                .map_err(internal)?;
            json!({"service": allowed.iter().map(|(s, e)| service_json(s, e)).collect::<Vec<_>>()})
        }
        _ => {
            let code = t
                .raw_query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .find_map(|kv| kv.strip_prefix("serviceCode="))
                .map(|v| civitas_core::exchange::id::decode_segment("serviceCode", v))
                .transpose()
                .map_err(|e| client_fault(codes::BAD_REQUEST, e.to_string()))?
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    client_fault(
                        codes::BAD_REQUEST,
                        "getOpenAPI needs the query parameter serviceCode",
                    )
                })?;
            let doc = x.get_openapi(owner, &code).await?;
            let hash = rest::request_hash(doc.as_bytes(), None);
            call.endpoint = Some(format!("GET {GET_OPENAPI}"));
            return Ok((
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/json;charset=utf-8",
                    )],
                    doc,
                )
                    .into_response(),
                hash,
            ));
        }
    };
    call.endpoint = Some(format!("GET {}", t.service.service_code));
    let hash = rest::request_hash(body.to_string().as_bytes(), None);
    Ok((json_response(&body), hash))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /listClients[?xRoadInstance=AA]` (PR-META §2): the members and subsystems this node
/// knows, XML `clientList` by default, JSON with `Accept: application/json`.
async fn list_clients(State(state): State<AppState>, req: Request) -> Response {
    let started = state.platform.now();
    let clock = Instant::now();
    let instance = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("xRoadInstance="))
            .map(str::to_string)
    });
    let wants_json = req
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.to_ascii_lowercase().contains("application/json"));
    let x = state.platform.exchange();
    let detail = uuid();
    let (members, names) = match (x.list_clients().await, x.agency_names().await) {
        (Ok(m), Ok(n)) => (m, n),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "listClients failed");
            let fault = server_fault(
                codes::INTERNAL_ERROR,
                "the gateway could not read its registry",
            );
            return fault_response(&fault, &detail, None);
        }
    };
    let members: Vec<_> = members
        .into_iter()
        .filter(|m| instance.as_deref().is_none_or(|i| m.client.instance == i))
        .collect();
    let member_name = |m: &civitas_core::exchange::ExchangeMember| {
        names
            .get(&m.agency)
            .cloned()
            .unwrap_or_else(|| m.agency.to_string())
    };
    let (content_type, body) = if wants_json {
        let list: Vec<serde_json::Value> = members
            .iter()
            .map(|m| {
                let mut id = serde_json::Map::new();
                id.insert("member_class".into(), json!(m.client.member_class));
                id.insert("member_code".into(), json!(m.client.member_code));
                id.insert("object_type".into(), json!(m.client.object_type().as_str()));
                id.insert("xroad_instance".into(), json!(m.client.instance));
                let mut v = serde_json::Map::new();
                if let Some(sub) = &m.client.subsystem {
                    id.insert("subsystem_code".into(), json!(sub));
                    v.insert("subsystem_name".into(), json!(m.name));
                }
                v.insert("id".into(), serde_json::Value::Object(id));
                v.insert("name".into(), json!(member_name(m)));
                serde_json::Value::Object(v)
            })
            .collect();
        (
            "application/json;charset=utf-8",
            json!({ "member": list }).to_string(),
        )
    } else {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><xrd:clientList xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\" xmlns:id=\"http://x-road.eu/xsd/identifiers\">",
        );
        for m in &members {
            xml.push_str("<xrd:member>");
            xml.push_str(&m.client.to_xml("xrd:id"));
            xml.push_str(&format!(
                "<xrd:name>{}</xrd:name>",
                xml_escape(&member_name(m))
            ));
            if m.client.subsystem.is_some() {
                xml.push_str(&format!(
                    "<xrd:subsystemName>{}</xrd:subsystemName>",
                    xml_escape(&m.name)
                ));
            }
            xml.push_str("</xrd:member>");
        }
        xml.push_str("</xrd:clientList>");
        ("text/xml;charset=utf-8", xml)
    };
    let record = MessageRecord {
        id: 0,
        xroad_id: format!("{}-{}", state.settings.exchange_instance, detail),
        request_id: detail,
        client: None,
        service: None,
        agency: None,
        endpoint: Some("GET listClients".into()),
        method: "GET".into(),
        path: req.uri().to_string().chars().take(2000).collect(),
        status: 200,
        request_hash: None,
        response_hash: Some(rest::request_hash(body.as_bytes(), None)),
        started_at: started,
        finished_at: state.platform.now(),
        duration_us: i64::try_from(clock.elapsed().as_micros()).unwrap_or(i64::MAX),
        error_type: None,
        evidence: Vec::new(),
    };
    x.log(&record).await;
    ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
}
