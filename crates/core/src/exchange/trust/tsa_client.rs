//! RFC 3161 time-stamping over HTTP: the `TimeStampReq` for an imprint (with a fresh nonce and
//! `certReq`), and the checks of the `TimeStampResp` that comes back — status granted, the token
//! covers our imprint and echoes our nonce, and its CMS signature verifies with one of the
//! configured TSA certificates, valid at the token's time.

use crate::exchange::asic::der::{self, DerError, Tlv, oid};
use crate::exchange::asic::tsp::TimeStampToken;
use crate::exchange::asic::x509::Certificate;
use crate::time::Timestamp;

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedToken {
    /// The `TimeStampToken` (a CMS ContentInfo), DER, as stored with the batch.
    pub token_der: Vec<u8>,
    pub gen_time: Timestamp,
    /// The TSA certificate's subject.
    pub signer: String,
    /// The TSA that answered (set by the monitor).
    pub tsa_url: String,
}

/// Why a reply was refused; `code` is stable, the text is for the health panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaError {
    pub code: &'static str,
    pub message: String,
}

impl TsaError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        TsaError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for TsaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for TsaError {}

/// The digest algorithm an imprint's length implies (X-Road stamps SHA-512 digests).
pub fn imprint_algorithm(imprint: &[u8]) -> Option<&'static [u8]> {
    match imprint.len() {
        64 => Some(oid::SHA512),
        48 => Some(oid::SHA384),
        32 => Some(oid::SHA256),
        _ => None,
    }
}

/// A positive DER INTEGER's content for unsigned big-endian bytes.
fn positive_integer(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        None => vec![0],
        Some(b) if *b >= 0x80 => [&[0u8][..], &trimmed].concat(),
        Some(_) => trimmed,
    }
}

/// `TimeStampReq { version 1, messageImprint, nonce, certReq TRUE }`, DER.
/// The one RFC 3161 request encoder (the batch time-stamping and the health probe use it).
pub fn timestamp_request(imprint: &[u8], nonce: &[u8]) -> Result<Vec<u8>, TsaError> {
    let alg = imprint_algorithm(imprint).ok_or_else(|| {
        TsaError::new(
            "timestamp_imprint_invalid",
            format!(
                "an imprint of {} bytes is not a SHA-256/384/512 digest",
                imprint.len()
            ),
        )
    })?;
    let alg_id = der::encode(
        der::SEQUENCE,
        &[der::encode(der::OID, alg), der::encode(der::NULL, &[])].concat(),
    );
    let message_imprint = der::encode(
        der::SEQUENCE,
        &[alg_id, der::encode(der::OCTET_STRING, imprint)].concat(),
    );
    Ok(der::encode(
        der::SEQUENCE,
        &[
            der::encode(der::INTEGER, &[1]),
            message_imprint,
            der::encode(der::INTEGER, &positive_integer(nonce)),
            der::encode(der::BOOLEAN, &[0xff]),
        ]
        .concat(),
    ))
}

fn malformed(e: DerError) -> TsaError {
    TsaError::new("timestamp_malformed", e.to_string())
}

/// Check a `TimeStampResp` against the request's imprint and nonce and the accepted TSA
/// certificates.
pub fn check_reply(
    reply: &[u8],
    imprint: &[u8],
    nonce: &[u8],
    tsa_certs: &[Certificate],
) -> Result<CheckedToken, TsaError> {
    let top = Tlv::parse(reply)
        .and_then(|t| t.expect(der::SEQUENCE))
        .map_err(malformed)?;
    let mut r = top.reader();
    let status_info = r.next_tag(der::SEQUENCE).map_err(malformed)?;
    let mut s = status_info.reader();
    let status = s.next_tag(der::INTEGER).map_err(malformed)?;
    // PKIStatus: 0 granted, 1 grantedWithMods; anything else carries no token.
    if status.content != [0] && status.content != [1] {
        let text = s
            .optional(der::SEQUENCE)
            .ok()
            .flatten()
            .and_then(|f| f.reader().next().ok())
            .map(|t| String::from_utf8_lossy(t.content).into_owned())
            .unwrap_or_default();
        return Err(TsaError::new(
            "timestamp_refused",
            format!(
                "the TSA refused the request (status {}){}",
                status.content.first().copied().unwrap_or(0),
                if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                }
            ),
        ));
    }
    let token = r
        .next_tag(der::SEQUENCE)
        .map_err(|_| TsaError::new("timestamp_missing", "the reply grants but carries no token"))?;
    let token_der = token.raw.to_vec();
    let parsed = TimeStampToken::from_der(&token_der).map_err(malformed)?;
    if parsed.imprint != imprint
        || imprint_algorithm(imprint) != Some(parsed.imprint_alg.as_slice())
    {
        return Err(TsaError::new(
            "timestamp_imprint_mismatch",
            "the token covers another imprint than the one sent",
        ));
    }
    if parsed.nonce.as_deref() != Some(positive_integer(nonce).as_slice()) {
        return Err(TsaError::new(
            "timestamp_nonce_mismatch",
            "the token does not echo the request's nonce (a replayed or foreign answer)",
        ));
    }
    let signer = tsa_certs
        .iter()
        .filter(|c| parsed.names_signer(c))
        .find(|c| parsed.signed_by(c).is_ok())
        .ok_or_else(|| {
            TsaError::new(
                "timestamp_signature_invalid",
                "the token's signature does not verify with any configured TSA certificate",
            )
        })?;
    if !signer.valid_at(parsed.gen_time) {
        return Err(TsaError::new(
            "timestamp_untrusted",
            "the TSA certificate was not valid at the token's time",
        ));
    }
    Ok(CheckedToken {
        token_der,
        gen_time: Timestamp::from_offset(parsed.gen_time),
        signer: signer.subject_text(),
        tsa_url: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_the_imprint_its_algorithm_a_positive_nonce_and_cert_req() {
        let imprint = [7u8; 64];
        let req = timestamp_request(&imprint, &[0x80, 1]).unwrap();
        let top = Tlv::parse(&req).unwrap().expect(der::SEQUENCE).unwrap();
        let mut r = top.reader();
        assert_eq!(r.next_tag(der::INTEGER).unwrap().content, [1]);
        let mi = r.next_tag(der::SEQUENCE).unwrap();
        let mut m = mi.reader();
        assert_eq!(der::algorithm_oid(&m.next().unwrap()).unwrap(), oid::SHA512);
        assert_eq!(m.next_tag(der::OCTET_STRING).unwrap().content, imprint);
        assert_eq!(r.next_tag(der::INTEGER).unwrap().content, [0, 0x80, 1]);
        assert_eq!(r.next_tag(der::BOOLEAN).unwrap().content, [0xff]);
        assert!(r.is_empty());
        assert_eq!(
            timestamp_request(&[1u8; 20], &[1]).unwrap_err().code,
            "timestamp_imprint_invalid"
        );
    }

    #[test]
    fn a_refusal_and_garbage_are_told_apart() {
        let refused = der::encode(
            der::SEQUENCE,
            &der::encode(
                der::SEQUENCE,
                &[
                    der::encode(der::INTEGER, &[2]),
                    der::encode(der::SEQUENCE, &der::encode(0x0c, b"bad alg")),
                ]
                .concat(),
            ),
        );
        let e = check_reply(&refused, &[0u8; 64], &[1], &[]).unwrap_err();
        assert_eq!(e.code, "timestamp_refused");
        assert!(e.message.contains("bad alg"), "{e}");
        assert_eq!(
            check_reply(b"<html>", &[0u8; 64], &[1], &[])
                .unwrap_err()
                .code,
            "timestamp_malformed"
        );
        let granted_empty = der::encode(
            der::SEQUENCE,
            &der::encode(der::SEQUENCE, &der::encode(der::INTEGER, &[0])),
        );
        assert_eq!(
            check_reply(&granted_empty, &[0u8; 64], &[1], &[])
                .unwrap_err()
                .code,
            "timestamp_missing"
        );
    }
}
