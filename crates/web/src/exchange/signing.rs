//! Signed evidence for the message log (research notes §3.3): when the node holds members'
//! signing keys (`[[exchange.trust.signers]]`), the request is signed with the client member's
//! key on the node the client calls, and the response with the provider member's key on the
//! node that serves it; both are logged with their bodies (unless body logging is off for the
//! client's or the provider's subsystem) and wait for their batch time-stamp. A member whose
//! key is missing or whose certificate is not good (OCSP) gets no signature, and its call is
//! refused with X-Road's `CannotCreateSignature` before anything is forwarded.

use std::sync::Arc;

use axum::body::Bytes;
use civitas_core::exchange::id::{ClientId, ServiceId};
use civitas_core::exchange::rest::{FaultSide, RestFault, codes};
use civitas_core::exchange::trust::{SignError, TrustMonitor};
use civitas_core::exchange::{MessageEvidence, MessageSide};

use crate::state::AppState;

/// The node's signing monitor, when it signs messages at all (trust services on and at least
/// one signing key configured).
pub(super) fn signer(state: &AppState) -> Option<Arc<TrustMonitor>> {
    state.trust().filter(|m| !m.config().signers.is_empty())
}

/// Whether bodies of calls between these two subsystems are kept in the log.
pub(super) fn keep_body(state: &AppState, client: &ClientId, service: &ServiceId) -> bool {
    let s = &state.settings;
    if !s.exchange_body_logging {
        return false;
    }
    let client = client.to_path();
    let provider = service.owner.to_path();
    !s.exchange_body_logging_off
        .iter()
        .any(|off| *off == client || *off == provider)
}

pub(super) fn sign_fault(side: FaultSide, e: &SignError) -> RestFault {
    tracing::error!(code = e.code, error = %e.message, "a message could not be signed: call refused");
    RestFault::new(
        side,
        codes::CANNOT_CREATE_SIGNATURE,
        format!("the message cannot be signed: {}", e.message),
    )
}

/// Sign one message (off the async workers: an RSA signature costs about a millisecond) and
/// make its log evidence.
pub(super) async fn sign(
    monitor: &Arc<TrustMonitor>,
    member: ClientId,
    side: MessageSide,
    message: Vec<u8>,
    body: Bytes,
    keep_body: bool,
    fault_side: FaultSide,
) -> Result<MessageEvidence, RestFault> {
    let m = monitor.clone();
    let signed = tokio::task::spawn_blocking(move || {
        let body_ref = (!body.is_empty()).then_some(&body[..]);
        m.sign(&member, &message, body_ref).map(|signature| {
            let has_body = !body.is_empty();
            MessageEvidence {
                side,
                message,
                body: (has_body && keep_body).then(|| body.to_vec()),
                body_omitted: has_body && !keep_body,
                signature,
                sig_hash_chain: None,
            }
        })
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "the signing task failed");
        RestFault::new(
            fault_side,
            codes::CANNOT_CREATE_SIGNATURE,
            "the message cannot be signed: the signing task failed",
        )
    })?;
    signed.map_err(|e| sign_fault(fault_side, &e))
}
