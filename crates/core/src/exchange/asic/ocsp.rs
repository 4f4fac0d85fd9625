//! OCSP responses (RFC 6960) embedded in X-Road signatures: read the basic response, check the
//! responder's signature, and find the status of one certificate.

use time::OffsetDateTime;

use super::der::{self, DerError, DerResult, Tlv, oid};
use super::x509::{self, Certificate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked,
    Unknown,
}

#[derive(Debug, Clone)]
pub struct SingleResponse {
    pub hash_alg: Vec<u8>,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    pub serial: Vec<u8>,
    pub status: CertStatus,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct OcspResponse {
    tbs: Vec<u8>,
    sig_alg: Vec<u8>,
    signature: Vec<u8>,
    pub produced_at: OffsetDateTime,
    pub responses: Vec<SingleResponse>,
    /// Certificates the responder sent along (usually its own).
    pub certs: Vec<Certificate>,
}

impl OcspResponse {
    pub fn from_der(bytes: &[u8]) -> DerResult<Self> {
        let top = Tlv::parse(bytes)?.expect(der::SEQUENCE)?;
        let mut r = top.reader();
        let status = r.next_tag(der::ENUMERATED)?;
        if status.content != [0] {
            return Err(DerError("OCSP response status is not 'successful'".into()));
        }
        let rb = r.next_tag(der::ctx(0))?.reader().next_tag(der::SEQUENCE)?;
        let mut rb = rb.reader();
        if rb.next_tag(der::OID)?.content != oid::OCSP_BASIC {
            return Err(DerError("not a basic OCSP response".into()));
        }
        let basic = Tlv::parse(rb.next_tag(der::OCTET_STRING)?.content)?.expect(der::SEQUENCE)?;
        let mut b = basic.reader();
        let tbs = b.next_tag(der::SEQUENCE)?;
        let sig_alg = der::algorithm_oid(&b.next()?)?.to_vec();
        let signature = b.next()?.bit_string()?.to_vec();
        let mut certs = Vec::new();
        if let Some(c) = b.optional(der::ctx(0))? {
            let seq = c.reader().next_tag(der::SEQUENCE)?;
            let mut l = seq.reader();
            while !l.is_empty() {
                certs.push(Certificate::from_der(l.next()?.raw)?);
            }
        }
        let mut t = tbs.reader();
        t.optional(der::ctx(0))?;
        t.next()?; // responderID: by name [1] or by key hash [2]
        let produced_at = t.next_tag(der::GENERALIZED_TIME)?.time()?;
        let list = t.next_tag(der::SEQUENCE)?;
        let mut l = list.reader();
        let mut responses = Vec::new();
        while !l.is_empty() {
            let single = l.next_tag(der::SEQUENCE)?;
            let mut s = single.reader();
            let cert_id = s.next_tag(der::SEQUENCE)?;
            let mut c = cert_id.reader();
            let hash_alg = der::algorithm_oid(&c.next()?)?.to_vec();
            let issuer_name_hash = c.next_tag(der::OCTET_STRING)?.content.to_vec();
            let issuer_key_hash = c.next_tag(der::OCTET_STRING)?.content.to_vec();
            let serial = c.next_tag(der::INTEGER)?.content.to_vec();
            let status = match s.next()?.tag {
                0x80 => CertStatus::Good,
                0xa1 => CertStatus::Revoked,
                _ => CertStatus::Unknown,
            };
            let this_update = s.next_tag(der::GENERALIZED_TIME)?.time()?;
            let next_update = match s.optional(der::ctx(0))? {
                Some(n) => Some(n.reader().next_tag(der::GENERALIZED_TIME)?.time()?),
                None => None,
            };
            responses.push(SingleResponse {
                hash_alg,
                issuer_name_hash,
                issuer_key_hash,
                serial,
                status,
                this_update,
                next_update,
            });
        }
        Ok(OcspResponse {
            tbs: tbs.raw.to_vec(),
            sig_alg,
            signature,
            produced_at,
            responses,
            certs,
        })
    }

    /// Whether `responder` signed this response.
    pub fn signed_by(&self, responder: &Certificate) -> bool {
        x509::verify_signature(
            &self.sig_alg,
            responder.public_key(),
            &self.tbs,
            &self.signature,
        )
        .is_ok()
    }

    /// The response about `cert`, issued by `issuer` (CertID: hashes of the issuer's name and
    /// key, and the serial number).
    pub fn response_for(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Option<&SingleResponse> {
        self.responses.iter().find(|r| {
            r.serial == cert.serial()
                && x509::digest_by_oid(&r.hash_alg, issuer.subject_der()).as_deref()
                    == Some(r.issuer_name_hash.as_slice())
                && x509::digest_by_oid(&r.hash_alg, issuer.public_key()).as_deref()
                    == Some(r.issuer_key_hash.as_slice())
        })
    }
}
