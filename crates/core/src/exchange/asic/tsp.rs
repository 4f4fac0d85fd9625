//! RFC 3161 time-stamp tokens: a CMS SignedData wrapping a TSTInfo. We read the message
//! imprint and the time, and check the TSA's signature over the signed attributes, whose
//! message-digest attribute must equal the digest of the TSTInfo.

use time::OffsetDateTime;

use super::der::{self, DerError, DerResult, Tlv, oid};
use super::x509::{self, Certificate};

#[derive(Debug, Clone)]
pub struct TimeStampToken {
    pub imprint_alg: Vec<u8>,
    pub imprint: Vec<u8>,
    pub gen_time: OffsetDateTime,
    /// The nonce of the request, when it had one (INTEGER content bytes).
    pub nonce: Option<Vec<u8>>,
    tst_info: Vec<u8>,
    digest_alg: Vec<u8>,
    /// The signed attributes re-tagged as a SET, which is what the signature covers.
    signed_attrs: Vec<u8>,
    message_digest: Vec<u8>,
    sig_alg: Vec<u8>,
    signature: Vec<u8>,
    sid_issuer: Option<Vec<u8>>,
    sid_serial: Option<Vec<u8>>,
    pub certs: Vec<Certificate>,
}

impl TimeStampToken {
    pub fn from_der(bytes: &[u8]) -> DerResult<Self> {
        let ci = Tlv::parse(bytes)?.expect(der::SEQUENCE)?;
        let mut r = ci.reader();
        if r.next_tag(der::OID)?.content != oid::SIGNED_DATA {
            return Err(DerError("not a CMS SignedData".into()));
        }
        let sd = r.next_tag(der::ctx(0))?.reader().next_tag(der::SEQUENCE)?;
        let mut s = sd.reader();
        s.next_tag(der::INTEGER)?;
        s.next_tag(der::SET)?;
        let encap = s.next_tag(der::SEQUENCE)?;
        let mut e = encap.reader();
        if e.next_tag(der::OID)?.content != oid::TST_INFO {
            return Err(DerError("the signed content is not a TSTInfo".into()));
        }
        let tst_info = e
            .next_tag(der::ctx(0))?
            .reader()
            .next_tag(der::OCTET_STRING)?
            .content
            .to_vec();
        let mut certs = Vec::new();
        if let Some(c) = s.optional(der::ctx(0))? {
            let mut l = c.reader();
            while !l.is_empty() {
                let cert = l.next()?;
                if cert.tag == der::SEQUENCE {
                    certs.push(Certificate::from_der(cert.raw)?);
                }
            }
        }
        s.optional(der::ctx(1))?;
        let signers = s.next_tag(der::SET)?;
        let si = signers.reader().next_tag(der::SEQUENCE)?;
        let mut si = si.reader();
        si.next_tag(der::INTEGER)?;
        let sid = si.next()?;
        let (sid_issuer, sid_serial) = if sid.tag == der::SEQUENCE {
            let mut i = sid.reader();
            let issuer = i.next_tag(der::SEQUENCE)?.raw.to_vec();
            let serial = i.next_tag(der::INTEGER)?.content.to_vec();
            (Some(issuer), Some(serial))
        } else {
            (None, None)
        };
        let digest_alg = der::algorithm_oid(&si.next()?)?.to_vec();
        let attrs = si
            .optional(der::ctx(0))?
            .ok_or(DerError("the time-stamp has no signed attributes".into()))?;
        let mut signed_attrs = attrs.raw.to_vec();
        if let Some(first) = signed_attrs.first_mut() {
            *first = der::SET;
        }
        let mut message_digest = Vec::new();
        let mut a = attrs.reader();
        while !a.is_empty() {
            let attr = a.next_tag(der::SEQUENCE)?;
            let mut at = attr.reader();
            let id = at.next_tag(der::OID)?.content;
            if id == oid::MESSAGE_DIGEST {
                let values = at.next_tag(der::SET)?;
                message_digest = values
                    .reader()
                    .next_tag(der::OCTET_STRING)?
                    .content
                    .to_vec();
            }
        }
        let sig_alg = der::algorithm_oid(&si.next()?)?.to_vec();
        let signature = si.next_tag(der::OCTET_STRING)?.content.to_vec();

        let info = Tlv::parse(&tst_info)?.expect(der::SEQUENCE)?;
        let mut t = info.reader();
        t.next_tag(der::INTEGER)?;
        t.next_tag(der::OID)?;
        let mi = t.next_tag(der::SEQUENCE)?;
        let mut m = mi.reader();
        let imprint_alg = der::algorithm_oid(&m.next()?)?.to_vec();
        let imprint = m.next_tag(der::OCTET_STRING)?.content.to_vec();
        t.next_tag(der::INTEGER)?;
        let gen_time = t.next_tag(der::GENERALIZED_TIME)?.time()?;
        t.optional(der::SEQUENCE)?; // accuracy
        t.optional(der::BOOLEAN)?; // ordering
        let nonce = t.optional(der::INTEGER)?.map(|n| n.content.to_vec());
        Ok(TimeStampToken {
            imprint_alg,
            imprint,
            gen_time,
            nonce,
            tst_info,
            digest_alg,
            signed_attrs,
            message_digest,
            sig_alg,
            signature,
            sid_issuer,
            sid_serial,
            certs,
        })
    }

    /// Whether the token's imprint is the digest of `data`.
    pub fn imprint_matches(&self, data: &[u8]) -> bool {
        x509::digest_by_oid(&self.imprint_alg, data).as_deref() == Some(self.imprint.as_slice())
    }

    /// Whether `tsa` names the signer (issuer and serial), when the token says which.
    pub fn names_signer(&self, tsa: &Certificate) -> bool {
        match (&self.sid_issuer, &self.sid_serial) {
            (Some(issuer), Some(serial)) => {
                issuer.as_slice() == tsa.issuer_der() && serial.as_slice() == tsa.serial()
            }
            _ => true,
        }
    }

    /// Check the CMS signature with `tsa`'s key: the message-digest attribute must be the digest
    /// of the TSTInfo, and the signature must cover the signed attributes.
    pub fn signed_by(&self, tsa: &Certificate) -> Result<(), DerError> {
        let digest = x509::digest_by_oid(&self.digest_alg, &self.tst_info)
            .ok_or(DerError("unsupported digest algorithm".into()))?;
        if digest != self.message_digest {
            return Err(DerError(
                "the message-digest attribute does not match the TSTInfo".into(),
            ));
        }
        let alg = if self.sig_alg == oid::RSA_ENCRYPTION {
            x509::rsa_with(&self.digest_alg)
                .ok_or(DerError("unsupported digest algorithm".into()))?
        } else {
            self.sig_alg.as_slice()
        };
        x509::verify_signature(alg, tsa.public_key(), &self.signed_attrs, &self.signature)
    }
}
