//! The parts of an X.509 certificate a container check needs, and RSA signature checks with
//! `ring`. Certificates are kept as their DER; nothing is re-encoded.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::der::{self, DerError, DerResult, Tlv, oid};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    tbs: (usize, usize),
    serial: (usize, usize),
    issuer: (usize, usize),
    subject: (usize, usize),
    spki_key: (usize, usize),
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    signature_alg: Vec<u8>,
    signature: (usize, usize),
    pub extended_key_usage: Vec<Vec<u8>>,
    pub is_ca: bool,
}

/// The offsets of `part` inside `whole` (both borrowed from the same buffer).
fn span(whole: &[u8], part: &[u8]) -> (usize, usize) {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    (start, start + part.len())
}

impl Certificate {
    pub fn from_der(der_bytes: &[u8]) -> DerResult<Self> {
        let cert = Tlv::parse(der_bytes)?.expect(der::SEQUENCE)?;
        let mut top = cert.reader();
        let tbs = top.next_tag(der::SEQUENCE)?;
        let sig_alg = der::algorithm_oid(&top.next()?)?.to_vec();
        let sig = top.next()?.bit_string()?;
        let mut r = tbs.reader();
        r.optional(der::ctx(0))?;
        let serial = r.next_tag(der::INTEGER)?;
        r.next_tag(der::SEQUENCE)?;
        let issuer = r.next_tag(der::SEQUENCE)?;
        let validity = r.next_tag(der::SEQUENCE)?;
        let mut v = validity.reader();
        let not_before = v.next()?.time()?;
        let not_after = v.next()?.time()?;
        let subject = r.next_tag(der::SEQUENCE)?;
        let spki = r.next_tag(der::SEQUENCE)?;
        let mut s = spki.reader();
        s.next_tag(der::SEQUENCE)?;
        let key = s.next()?.bit_string()?;
        r.optional(der::ctx_prim(1))?;
        r.optional(der::ctx_prim(2))?;
        let mut eku = Vec::new();
        let mut is_ca = false;
        if let Some(exts) = r.optional(der::ctx(3))? {
            let list = exts.reader().next_tag(der::SEQUENCE)?;
            let mut l = list.reader();
            while !l.is_empty() {
                let ext = l.next_tag(der::SEQUENCE)?;
                let mut e = ext.reader();
                let id = e.next_tag(der::OID)?.content;
                e.optional(der::BOOLEAN)?;
                let value = e.next_tag(der::OCTET_STRING)?.content;
                if id == oid::EXT_EXTENDED_KEY_USAGE {
                    let seq = Tlv::parse(value)?.expect(der::SEQUENCE)?;
                    let mut k = seq.reader();
                    while !k.is_empty() {
                        eku.push(k.next_tag(der::OID)?.content.to_vec());
                    }
                } else if id == oid::EXT_BASIC_CONSTRAINTS {
                    let seq = Tlv::parse(value)?.expect(der::SEQUENCE)?;
                    if let Some(b) = seq.reader().optional(der::BOOLEAN)? {
                        is_ca = b.content.first().is_some_and(|x| *x != 0);
                    }
                }
            }
        }
        Ok(Certificate {
            der: der_bytes.to_vec(),
            tbs: span(der_bytes, tbs.raw),
            serial: span(der_bytes, serial.content),
            issuer: span(der_bytes, issuer.raw),
            subject: span(der_bytes, subject.raw),
            spki_key: span(der_bytes, key),
            not_before,
            not_after,
            signature_alg: sig_alg,
            signature: span(der_bytes, sig),
            extended_key_usage: eku,
            is_ca,
        })
    }

    fn slice(&self, (a, b): (usize, usize)) -> &[u8] {
        self.der.get(a..b).unwrap_or_default()
    }

    /// The content bytes of the serial number INTEGER.
    pub fn serial(&self) -> &[u8] {
        self.slice(self.serial)
    }

    pub fn serial_decimal(&self) -> String {
        der::integer_to_decimal(self.serial())
    }

    /// The issuer Name, DER-encoded.
    pub fn issuer_der(&self) -> &[u8] {
        self.slice(self.issuer)
    }

    /// The subject Name, DER-encoded.
    pub fn subject_der(&self) -> &[u8] {
        self.slice(self.subject)
    }

    /// The subjectPublicKey bits: for RSA, the `RSAPublicKey` DER `ring` wants.
    pub fn public_key(&self) -> &[u8] {
        self.slice(self.spki_key)
    }

    pub fn valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    pub fn has_eku(&self, eku: &[u8]) -> bool {
        self.extended_key_usage.iter().any(|e| e == eku)
    }

    /// Whether `issuer` issued this certificate: names match and its key verifies the signature.
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        self.issuer_der() == issuer.subject_der()
            && verify_signature(
                &self.signature_alg,
                issuer.public_key(),
                self.slice(self.tbs),
                self.slice(self.signature),
            )
            .is_ok()
    }

    /// A readable subject (`CN=…, O=…`) for reports.
    pub fn subject_text(&self) -> String {
        name_text(self.subject_der())
    }
}

/// The first value of an attribute (by OID) in a DER Name, e.g. CN `2.5.4.3`.
pub fn name_attr(name: &[u8], attr_oid: &[u8]) -> Option<String> {
    let seq = Tlv::parse(name).ok()?;
    let mut rdns = seq.reader();
    while let Ok(rdn) = rdns.next() {
        let mut atvs = rdn.reader();
        while let Ok(atv) = atvs.next() {
            let mut a = atv.reader();
            if let (Ok(id), Ok(value)) = (a.next(), a.next())
                && id.content == attr_oid
            {
                return Some(String::from_utf8_lossy(value.content).into_owned());
            }
        }
    }
    None
}

/// A readable form of a DER Name: the printable attribute values we know, in order.
pub fn name_text(name: &[u8]) -> String {
    let mut parts = Vec::new();
    let Ok(seq) = Tlv::parse(name) else {
        return String::new();
    };
    let mut rdns = seq.reader();
    while let Ok(rdn) = rdns.next() {
        let mut atvs = rdn.reader();
        while let Ok(atv) = atvs.next() {
            let mut a = atv.reader();
            let (Ok(id), Ok(value)) = (a.next(), a.next()) else {
                continue;
            };
            let label = match id.content {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x55, 0x04, 0x05] => "serialNumber",
                _ => continue,
            };
            parts.push(format!(
                "{label}={}",
                String::from_utf8_lossy(value.content)
            ));
        }
    }
    parts.join(", ")
}

/// Check an RSA PKCS#1 v1.5 signature. `alg` is a signature algorithm OID
/// (sha*WithRSAEncryption). Keys of 1024 bits upward are accepted because older X-Road test
/// material uses them; production keys are 2048 bits or more (X-Road security architecture §16).
pub fn verify_signature(
    alg: &[u8],
    rsa_public_key: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), DerError> {
    // A signature that verified once verifies again: the gateway checks the same certificate
    // chain, OCSP response and batch signature for every message of a batch, and each is an
    // RSA operation. Only successes are remembered, under a SHA-256 of every input.
    static VERIFIED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
        std::sync::OnceLock::new();
    const REMEMBERED: usize = 4_096;
    let key: [u8; 32] = {
        let mut h = Sha256::new();
        for part in [alg, rsa_public_key, message, sig] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    };
    let verified = VERIFIED.get_or_init(Default::default);
    if verified.lock().is_ok_and(|set| set.contains(&key)) {
        return Ok(());
    }
    verify_uncached(alg, rsa_public_key, message, sig)?;
    if let Ok(mut set) = verified.lock() {
        if set.len() >= REMEMBERED {
            set.clear();
        }
        set.insert(key);
    }
    Ok(())
}

fn verify_uncached(
    alg: &[u8],
    rsa_public_key: &[u8],
    message: &[u8],
    sig: &[u8],
) -> Result<(), DerError> {
    let algorithm: &dyn VerificationAlgorithm = match alg {
        a if a == oid::SHA512_WITH_RSA => {
            &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        a if a == oid::SHA256_WITH_RSA => {
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        a if a == oid::SHA384_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA384,
        a if a == oid::SHA1_WITH_RSA => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        _ => return Err(DerError("unsupported signature algorithm".into())),
    };
    UnparsedPublicKey::new(algorithm, rsa_public_key)
        .verify(message, sig)
        .map_err(|_| DerError("signature does not verify".into()))
}

/// The sha*WithRSAEncryption OID for a digest OID (CMS signer infos name the two apart).
pub fn rsa_with(digest_oid: &[u8]) -> Option<&'static [u8]> {
    Some(match digest_oid {
        d if d == oid::SHA512 => oid::SHA512_WITH_RSA,
        d if d == oid::SHA384 => oid::SHA384_WITH_RSA,
        d if d == oid::SHA256 => oid::SHA256_WITH_RSA,
        d if d == oid::SHA1 => oid::SHA1_WITH_RSA,
        _ => return None,
    })
}

/// Digest `data` with the algorithm an OID names.
pub fn digest_by_oid(digest_oid: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use ring::digest;
    let alg = match digest_oid {
        d if d == oid::SHA512 => &digest::SHA512,
        d if d == oid::SHA384 => &digest::SHA384,
        d if d == oid::SHA256 => &digest::SHA256,
        d if d == oid::SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        _ => return None,
    };
    Some(digest::digest(alg, data).as_ref().to_vec())
}
