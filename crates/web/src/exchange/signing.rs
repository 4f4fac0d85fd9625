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

/// Sign one message (on the signing thread, which signs messages waiting together with one
/// signature over a hash chain) and make its log evidence.
pub(super) async fn sign(
    monitor: &Arc<TrustMonitor>,
    member: ClientId,
    side: MessageSide,
    message: Vec<u8>,
    body: Bytes,
    keep_body: bool,
    fault_side: FaultSide,
) -> Result<MessageEvidence, RestFault> {
    let has_body = !body.is_empty();
    let signed = monitor
        .sign(&member, message.clone(), has_body.then(|| body.to_vec()))
        .await
        .map_err(|e| sign_fault(fault_side, &e))?;
    Ok(MessageEvidence {
        side,
        message,
        body: (has_body && keep_body).then(|| body.to_vec()),
        body_omitted: has_body && !keep_body,
        signature: signed.signature,
        sig_hash_chain: signed.sig_hash_chain,
    })
}

/// Between civitas nodes, a signed message travels with the call so both nodes log both
/// signed messages (X-Road's security servers exchange them in their multipart messages): the
/// request's signature in this header (base64 of `signatures.xml`), the response's in the
/// answer with its header part. Neither reaches an information system.
pub(super) const SIGNATURE_HEADER: &str = "x-civitas-signature";
pub(super) const SIGNED_MESSAGE_HEADER: &str = "x-civitas-signed-message";
/// A batch signature's `sig-hashchain.xml` and `sig-hashchainresult.xml`.
pub(super) const SIG_CHAIN_HEADER: &str = "x-civitas-sig-hashchain";
pub(super) const SIG_CHAIN_RESULT_HEADER: &str = "x-civitas-sig-hashchain-result";

/// A signed message's parts as they travel (base64 header values).
#[derive(Default)]
pub(super) struct Carried {
    pub signature: Option<String>,
    pub chain: Option<String>,
    pub chain_result: Option<String>,
    pub message: Option<String>,
}

impl Carried {
    /// The headers carrying `evidence` (and its header part, for an answer).
    pub(super) fn headers(evidence: &MessageEvidence, with_message: bool) -> Vec<(String, String)> {
        let mut out = vec![(SIGNATURE_HEADER.to_string(), encode(&evidence.signature))];
        if let Some((chain, result)) = &evidence.sig_hash_chain {
            out.push((SIG_CHAIN_HEADER.to_string(), encode(chain)));
            out.push((SIG_CHAIN_RESULT_HEADER.to_string(), encode(result)));
        }
        if with_message {
            out.push((SIGNED_MESSAGE_HEADER.to_string(), encode(&evidence.message)));
        }
        out
    }
}

/// Remove the carried signature headers from `headers`, returning their values.
pub(super) fn take_carried(headers: &mut Vec<(String, String)>) -> Carried {
    let mut c = Carried::default();
    headers.retain(|(n, v)| {
        let slot = if n.eq_ignore_ascii_case(SIGNATURE_HEADER) {
            &mut c.signature
        } else if n.eq_ignore_ascii_case(SIG_CHAIN_HEADER) {
            &mut c.chain
        } else if n.eq_ignore_ascii_case(SIG_CHAIN_RESULT_HEADER) {
            &mut c.chain_result
        } else if n.eq_ignore_ascii_case(SIGNED_MESSAGE_HEADER) {
            &mut c.message
        } else {
            return true;
        };
        *slot = Some(v.clone());
        false
    });
    c
}

pub(super) fn encode(bytes: &[u8]) -> String {
    civitas_core::exchange::asic::hashchain::encode_b64(bytes)
}

/// A signed message another node sent: checked against this node's verification configuration
/// (signature, certificate chain to an approved CA, signer = the member the message names, good
/// and fresh OCSP) and made into evidence. Missing, undecodable or failing signatures refuse
/// the call with X-Road's `InvalidSignatureValue`; no configuration to check against is
/// `OutdatedGlobalConf`.
pub(super) fn received(
    state: &AppState,
    side: MessageSide,
    message: Vec<u8>,
    body: &Bytes,
    carried: &Carried,
    keep_body: bool,
    fault_side: FaultSide,
) -> Result<MessageEvidence, RestFault> {
    let bad = |why: String| {
        tracing::warn!(side = side.as_str(), error = %why, "a peer node's signature was refused");
        RestFault::new(
            fault_side,
            codes::INVALID_SIGNATURE_VALUE,
            format!(
                "the {} signature from the other node is not valid: {why}",
                side.as_str()
            ),
        )
    };
    let decode = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| civitas_core::exchange::asic::hashchain::decode_b64(s).ok_or(()))
            .transpose()
    };
    let signature = decode(&carried.signature)
        .map_err(|()| bad("the signature header is not base64".into()))?
        .ok_or_else(|| bad("no signature came with the message".into()))?;
    let sig_hash_chain = match (decode(&carried.chain), decode(&carried.chain_result)) {
        (Ok(Some(c)), Ok(Some(r))) => Some((c, r)),
        (Ok(None), Ok(None)) => None,
        _ => return Err(bad("the batch signature's hash chain is incomplete".into())),
    };
    let conf = state.verification_conf().ok_or_else(|| {
        RestFault::new(
            fault_side,
            codes::OUTDATED_GLOBALCONF,
            "this node has no global configuration to check the other node's signature against",
        )
    })?;
    let has_body = !body.is_empty();
    civitas_core::exchange::asic::check_signed_message(
        &message,
        has_body.then_some(&body[..]),
        &signature,
        sig_hash_chain.as_ref(),
        &conf,
    )
    .map_err(bad)?;
    Ok(MessageEvidence {
        side,
        message,
        body: (has_body && keep_body).then(|| body.to_vec()),
        body_omitted: has_body && !keep_body,
        signature,
        sig_hash_chain,
    })
}
