//! The consumer face: a department system calls `/r1/{serviceId}…` on its own node; when the
//! service's provider member is served by a peer node (or by the upstream security server),
//! this node relays the call there over mutual TLS and the answer back unchanged.
//!
//! What travels between nodes is the REST request as X-Road's client proxy prepares it: the
//! system's headers minus hop-by-hop ones, `X-Road-Client`, `X-Road-Id` (the system's, or one
//! made here), this node's `X-Road-Request-Id`, and `X-Road-Request-Hash` over that header part
//! and the body. The providing node computes the hash over what it received and writes it on
//! its response; this node checks that it matches (PR-REST §4.3: "the consumer SS MUST verify
//! it"), and otherwise answers `Server.ClientProxy.InconsistentResponse`. Errors of the
//! providing node, with their `X-Road-Error`, pass through as they came.

use axum::body::{Body, Bytes};
use axum::http::Method;
use axum::response::Response;
use civitas_core::exchange::id::{ClientId, ServiceId};
use civitas_core::exchange::rest::{self, FaultSide, RestFault, RestTarget, codes};

use super::peers::Peer;
use super::{Call, build_response, client_fault};
use crate::state::AppState;

fn proxy_fault(code: &'static str, message: impl Into<String>) -> RestFault {
    RestFault::new(FaultSide::ClientProxy, code, message)
}

/// The node that serves the service's provider, when it is not this one: the peer serving its
/// member, else the upstream security server for a provider subsystem this node does not know.
pub(super) async fn route<'a>(state: &'a AppState, t: &RestTarget) -> Option<&'a Peer> {
    let table = state.settings.exchange_peers.as_deref()?;
    if let Some(peer) = table.peer_for(&t.service.owner) {
        return Some(peer);
    }
    let upstream = table.upstream()?;
    match state
        .platform
        .stores
        .exchange
        .exchange_member(&t.service.owner)
        .await
    {
        Ok(Some(_)) => None,
        Ok(None) => Some(upstream),
        Err(e) => {
            tracing::error!(error = %e, "exchange member look-up failed");
            None
        }
    }
}

/// The header part as it travels between nodes: the consumer headers once more through the
/// same rule, so that `x-road-request-id` comes last — exactly what the providing node derives
/// from what it receives.
pub(super) fn node_headers(
    request_headers: &[(String, String)],
    request_id: &str,
) -> Result<Vec<(String, String)>, RestFault> {
    let mut headers = request_headers.to_vec();
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
    {
        headers.insert(0, ("accept".into(), rest::DEFAULT_ACCEPT.into()));
    }
    // The X-Road-Id is present by now, so no new one is made.
    rest::consumer_request_headers(&headers, request_id, "")
}

fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Relay one call to `peer` and its answer back. Returns the response and the hash of the
/// response as relayed (for the log).
#[allow(clippy::too_many_arguments)]
pub(super) async fn relay(
    state: &AppState,
    peer: &Peer,
    method: &str,
    target: &str,
    request_headers: &[(String, String)],
    body: Bytes,
    call: &mut Call,
    ids: (&ClientId, &ServiceId),
) -> Result<(Response, String), RestFault> {
    let headers = node_headers(request_headers, &call.request_id)?;
    let header_part = rest::request_header_part(method, target, &headers);
    let request_hash = rest::request_hash(&header_part, (!body.is_empty()).then_some(&body[..]));
    call.request_hash = Some(request_hash.clone());
    call.endpoint = Some(format!("→ {}", peer.name));
    // The request leaves signed with the client member's key; a civitas peer gets the
    // signature with it (an official security server does its own signing).
    let signer = super::signing::signer(state);
    let _in_progress = signer.as_ref().map(|m| m.call_started());
    let (client, service) = ids;
    let keep_body = super::signing::keep_body(state, client, service);
    let mut carried = None;
    if let Some(m) = &signer {
        let signed = super::signing::sign(
            m,
            client.member(),
            civitas_core::exchange::MessageSide::Request,
            header_part,
            body.clone(),
            keep_body,
            FaultSide::ClientProxy,
        )
        .await?;
        if !peer.upstream {
            carried = Some(super::signing::Carried::headers(&signed, false));
        }
        call.evidence.push(signed);
    }

    let verb = Method::from_bytes(method.as_bytes())
        .map_err(|_| client_fault(codes::INVALID_HTTP_METHOD, "unknown HTTP method"))?;
    let mut builder = peer
        .client()
        .request(verb, peer.url_for(target))
        .timeout(peer.timeout);
    for (n, v) in &headers {
        if !rest::is_skipped(n) {
            builder = builder.header(n.as_str(), v.as_str());
        }
    }
    if !peer.upstream {
        builder = builder.header(rest::HEADER_REQUEST_HASH, request_hash.as_str());
    }
    for (n, v) in carried.iter().flatten() {
        builder = builder.header(n.as_str(), v.as_str());
    }
    if !body.is_empty() {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(|e| {
        let text = if e.is_timeout() {
            format!(
                "the node {} did not answer within {} s",
                peer.name,
                peer.timeout.as_secs()
            )
        } else {
            // The address of the peer is the city's internal business.
            format!("cannot reach the node {}: {}", peer.name, error_text(&e))
        };
        proxy_fault(codes::NETWORK_ERROR, text)
    })?;
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or("").to_string();
    let out_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(n, _)| !rest::is_skipped(n.as_str()))
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_string(), v.to_string()))
        })
        .collect();
    let limit = state.settings.exchange_max_body_bytes;
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(proxy_fault(
            codes::SERVICE_FAILED,
            format!("the answer is larger than {limit} bytes"),
        ));
    }
    let mut response = response;
    let mut out: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(proxy_fault(
                        codes::SERVICE_FAILED,
                        format!("the answer is larger than {limit} bytes"),
                    ));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(proxy_fault(
                    codes::NETWORK_ERROR,
                    format!(
                        "reading the answer of the node {} failed: {}",
                        peer.name,
                        error_text(&e)
                    ),
                ));
            }
        }
    }
    // The provider node's signed response, when it came: taken out of what the system sees.
    let mut out_headers = out_headers;
    let response_signature = super::signing::take_carried(&mut out_headers);
    let error_type = header_value(&out_headers, rest::HEADER_ERROR);
    if error_type.is_none() && !peer.upstream {
        let echoed = header_value(&out_headers, rest::HEADER_REQUEST_HASH);
        if echoed.as_deref() != Some(request_hash.as_str()) {
            return Err(proxy_fault(
                codes::INCONSISTENT_RESPONSE,
                format!(
                    "the request hash in the answer of the node {} does not match the request sent",
                    peer.name
                ),
            ));
        }
    }
    if let Some(id) = header_value(&out_headers, rest::HEADER_ID)
        && error_type.is_none()
        && id != call.xroad_id
    {
        return Err(proxy_fault(
            codes::INCONSISTENT_RESPONSE,
            format!("the node {} answered another X-Road-Id", peer.name),
        ));
    }
    // With signing on, a peer's answer must come signed by the provider member, about this
    // very call; it is checked and logged here too.
    if signer.is_some() && !peer.upstream && error_type.is_none() {
        let message = response_signature
            .message
            .as_deref()
            .and_then(civitas_core::exchange::asic::hashchain::decode_b64)
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&message).to_ascii_lowercase();
        let names = |name: &str, value: &str| {
            text.lines()
                .any(|l| l.trim_end() == format!("{name}:{value}").to_ascii_lowercase())
        };
        let this_call = names(rest::HEADER_ID, &call.xroad_id)
            && names(rest::HEADER_REQUEST_HASH, &request_hash);
        if !message.is_empty() && !this_call {
            return Err(proxy_fault(
                codes::INCONSISTENT_RESPONSE,
                format!(
                    "the signed answer of the node {} is about another call",
                    peer.name
                ),
            ));
        }
        let out_bytes = Bytes::from(out.clone());
        let received = super::signing::received(
            state,
            civitas_core::exchange::MessageSide::Response,
            message,
            &out_bytes,
            &response_signature,
            keep_body,
            FaultSide::ClientProxy,
        )?;
        call.evidence.push(received);
    }
    call.relayed_error = error_type;
    let response_part = rest::response_header_part(status.as_u16(), &reason, &out_headers);
    let response_hash = rest::request_hash(&response_part, (!out.is_empty()).then_some(&out[..]));
    Ok((
        build_response(status.as_u16(), &out_headers, Body::from(out)),
        response_hash,
    ))
}

/// A client error's text with its sources (a refused certificate shows there), without the
/// peer's address.
fn error_text(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "<node>");
    }
    text
}
