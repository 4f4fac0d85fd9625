//! OCSP (RFC 6960) over HTTP for the gateway's own certificate: the unsigned `OCSPRequest` for
//! a certificate and its issuer, and the checks of the response — signed by the issuer, by a
//! configured responder, or by a responder certificate the issuer delegated (OCSP-signing
//! extended key usage); about our certificate; its status; and fresh: `thisUpdate` no older than
//! the configured freshness (X-Road's `ocspFreshnessSeconds`) and `nextUpdate`, when given, not
//! passed.

use serde::Serialize;

use crate::exchange::asic::der::{self, oid};
use crate::exchange::asic::ocsp::{CertStatus, OcspResponse};
use crate::exchange::asic::x509::{self, Certificate};
use crate::time::Timestamp;

/// A certificate's status as a checked, fresh response states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OcspStatus {
    Good,
    Revoked,
    Unknown,
}

impl OcspStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OcspStatus::Good => "good",
            OcspStatus::Revoked => "revoked",
            OcspStatus::Unknown => "unknown",
        }
    }
}

/// A checked response's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspAnswer {
    pub status: OcspStatus,
    pub produced_at: Timestamp,
    pub this_update: Timestamp,
    pub next_update: Option<Timestamp>,
    pub responder: String,
}

/// Why a response was refused; `code` is one of the ASiC verifier's OCSP codes where one
/// fits (`ocsp_malformed`, `ocsp_signature_invalid`, `ocsp_wrong_certificate`, `ocsp_stale`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspError {
    pub code: &'static str,
    pub message: String,
}

impl OcspError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        OcspError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for OcspError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for OcspError {}

/// `OCSPRequest { tbsRequest { requestList { Request { CertID (SHA-1) } } } }`, unsigned and
/// without a nonce, as X-Road's security server asks.
pub fn ocsp_request(cert: &Certificate, issuer: &Certificate) -> Vec<u8> {
    let sha1 = |data: &[u8]| x509::digest_by_oid(oid::SHA1, data).unwrap_or_default();
    let alg = der::encode(
        der::SEQUENCE,
        &[
            der::encode(der::OID, oid::SHA1),
            der::encode(der::NULL, &[]),
        ]
        .concat(),
    );
    let cert_id = der::encode(
        der::SEQUENCE,
        &[
            alg,
            der::encode(der::OCTET_STRING, &sha1(issuer.subject_der())),
            der::encode(der::OCTET_STRING, &sha1(issuer.public_key())),
            der::encode(der::INTEGER, cert.serial()),
        ]
        .concat(),
    );
    let request = der::encode(der::SEQUENCE, &cert_id);
    let request_list = der::encode(der::SEQUENCE, &request);
    let tbs = der::encode(der::SEQUENCE, &request_list);
    der::encode(der::SEQUENCE, &tbs)
}

/// Check a response about `cert` (issued by `issuer`) at `now`.
pub fn check_response(
    bytes: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    responders: &[Certificate],
    now: Timestamp,
    freshness_secs: i64,
) -> Result<OcspAnswer, OcspError> {
    let response = OcspResponse::from_der(bytes)
        .map_err(|e| OcspError::new("ocsp_malformed", e.to_string()))?;
    let at = now.inner();
    // Who may sign: the issuer itself, a configured responder, or a certificate the issuer
    // delegated OCSP signing to (sent along in the response).
    let delegated = response
        .certs
        .iter()
        .filter(|c| c.is_issued_by(issuer) && c.has_eku(oid::EKU_OCSP_SIGNING) && c.valid_at(at));
    let signer = std::iter::once(issuer)
        .chain(responders.iter())
        .chain(delegated)
        .find(|c| response.signed_by(c))
        .ok_or_else(|| {
            OcspError::new(
                "ocsp_signature_invalid",
                "the response is not signed by the issuer or an approved responder",
            )
        })?;
    let single = response.response_for(cert, issuer).ok_or_else(|| {
        OcspError::new(
            "ocsp_wrong_certificate",
            "the response says nothing about the gateway's certificate",
        )
    })?;
    let this_update = Timestamp::from_offset(single.this_update);
    let age = now.since(this_update).whole_seconds();
    if age > freshness_secs {
        return Err(OcspError::new(
            "ocsp_stale",
            format!(
                "the response was made {age} s ago (thisUpdate {}), more than the allowed {freshness_secs} s",
                this_update.to_rfc3339()
            ),
        ));
    }
    if let Some(next) = single.next_update
        && next < at
    {
        return Err(OcspError::new(
            "ocsp_stale",
            format!(
                "the response's nextUpdate {} has passed",
                Timestamp::from_offset(next).to_rfc3339()
            ),
        ));
    }
    Ok(OcspAnswer {
        status: match single.status {
            CertStatus::Good => OcspStatus::Good,
            CertStatus::Revoked => OcspStatus::Revoked,
            CertStatus::Unknown => OcspStatus::Unknown,
        },
        produced_at: Timestamp::from_offset(response.produced_at),
        this_update,
        next_update: single.next_update.map(Timestamp::from_offset),
        responder: signer.subject_text(),
    })
}
