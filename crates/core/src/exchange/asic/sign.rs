//! The signing side of the message log: a REST message (`message.xml`, the header part, and
//! `attachment1`, the body) signed with a member's signing key in X-Road 7's XAdES profile,
//! as the X-Road vector `valid-non-batch-rest.asice` shows it (research notes §3.3):
//! exclusive Canonical XML, RSA-SHA512, one reference per part by its container path
//! (`/message.xml`, `/attachment1`), `SignedProperties` with `SigningTime`,
//! `SigningCertificateV2` (SHA-512 `CertDigest` and `IssuerSerialV2`) and a `DataObjectFormat`
//! per part, and the signing certificate's OCSP response in `UnsignedProperties`.
//!
//! The canonical forms are made by the same Canonical XML code that checks X-Road's own
//! containers; `xmlsec1` checks ours independently (the web crate's exchange signing test).

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA512, RsaKeyPair};
use sha2::{Digest, Sha512};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::der;
use super::hashchain::encode_b64;
use super::x509::Certificate;
use super::xml::{self, C14nMode};
use crate::exchange::id::ClientId;

const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";

/// A member's signing key and certificate (X-Road: the member's sign key on its security
/// server). The key never leaves this value and is never printed.
pub struct SigningKey {
    member: ClientId,
    key: RsaKeyPair,
    cert: Certificate,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("member", &self.member.to_string())
            .field("certificate", &self.cert.subject_text())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key from PEM (`PRIVATE KEY`, PKCS #8, or `RSA PRIVATE KEY`, PKCS #1) and the first
    /// certificate of `cert_pem`, which must hold the key's public half.
    pub fn from_pem(member: ClientId, key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, String> {
        let cert = crate::exchange::trust::material::certs_from_pem(cert_pem)?
            .into_iter()
            .next()
            .ok_or("no certificate")?;
        let key = rsa_key_from_pem(key_pem)?;
        if key.public().as_ref() != cert.public_key() {
            return Err("the key is not the certificate's: their public keys differ".into());
        }
        Ok(SigningKey {
            member,
            key,
            cert,
            rng: SystemRandom::new(),
        })
    }

    pub fn member(&self) -> &ClientId {
        &self.member
    }

    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn sign_bytes(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA512, &self.rng, data, &mut out)
            .map_err(|_| "RSA signing failed".to_string())?;
        Ok(out)
    }
}

fn rsa_key_from_pem(pem: &[u8]) -> Result<RsaKeyPair, String> {
    use base64::Engine as _;
    let text = std::str::from_utf8(pem).map_err(|_| "the key file is not PEM text")?;
    for (label, pkcs8) in [("PRIVATE KEY", true), ("RSA PRIVATE KEY", false)] {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(start) = text.find(&begin) else {
            continue;
        };
        let rest = &text[start + begin.len()..];
        let stop = rest.find(&end).ok_or("the key has no END line")?;
        let b64: String = rest[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "the key is not base64")?;
        let key = if pkcs8 {
            RsaKeyPair::from_pkcs8(&der)
        } else {
            RsaKeyPair::from_der(&der)
        };
        // ring's reason names no key material.
        return key.map_err(|e| format!("not a usable RSA key (2048–8192 bits): {e}"));
    }
    Err("no PRIVATE KEY or RSA PRIVATE KEY block (an RSA key is needed: X-Road signs with RSA-SHA512)".into())
}

/// One signed part: its container path (`/message.xml`, `/attachment1`) and bytes.
pub struct Part<'a> {
    pub uri: &'a str,
    pub data: &'a [u8],
}

/// `META-INF/signatures.xml` for a REST message: `message.xml` and, when there is a body,
/// `attachment1`. `ocsp` is the signing certificate's DER OCSP response, embedded when given.
pub fn sign_rest(
    key: &SigningKey,
    message: &[u8],
    body: Option<&[u8]>,
    signing_time: OffsetDateTime,
    ocsp: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let mut parts = vec![Part {
        uri: "/message.xml",
        data: message,
    }];
    if let Some(body) = body {
        parts.push(Part {
            uri: "/attachment1",
            data: body,
        });
    }
    sign_parts(key, &parts, signing_time, ocsp)
}

/// One message's signature: the signature document and, when it was signed in a batch, its
/// `sig-hashchain.xml` and the batch's `sig-hashchainresult.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub signature: Vec<u8>,
    pub sig_hash_chain: Option<(Vec<u8>, Vec<u8>)>,
}

/// Sign several REST messages (header part and body) with one signature, as X-Road does when
/// messages wait for the same key: one message is signed directly ([`sign_rest`]); several get
/// a hash chain each (`sigchain.rs`) and share one signature over the chain's result.
pub fn sign_batch(
    key: &SigningKey,
    messages: &[(&[u8], Option<&[u8]>)],
    signing_time: OffsetDateTime,
    ocsp: Option<&[u8]>,
) -> Result<Vec<Signed>, String> {
    if let [(message, body)] = messages {
        return Ok(vec![Signed {
            signature: sign_rest(key, message, *body, signing_time, ocsp)?,
            sig_hash_chain: None,
        }]);
    }
    let leaves: Vec<Vec<(&str, &[u8])>> = messages
        .iter()
        .map(|(m, b)| {
            let mut parts = vec![("/message.xml", *m)];
            if let Some(b) = b {
                parts.push(("/attachment1", *b));
            }
            parts
        })
        .collect();
    let Some(batch) = super::sigchain::batch_signature_chain(&leaves) else {
        return Ok(Vec::new());
    };
    let signature = sign_parts(
        key,
        &[Part {
            uri: super::sigchain::RESULT_DOC,
            data: &batch.result_xml,
        }],
        signing_time,
        ocsp,
    )?;
    Ok(batch
        .chains
        .into_iter()
        .map(|chain| Signed {
            signature: signature.clone(),
            sig_hash_chain: Some((chain, batch.result_xml.clone())),
        })
        .collect())
}

/// The signature document over `parts` (see the module notes).
pub fn sign_parts(
    key: &SigningKey,
    parts: &[Part<'_>],
    signing_time: OffsetDateTime,
    ocsp: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random).map_err(|e| format!("no randomness: {e}"))?;
    let id = format!("id-{}", hex::encode(random));
    let time = signing_time
        .replace_nanosecond(0)
        .unwrap_or(signing_time)
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| e.to_string())?;
    let cert = key.certificate();

    // SignedProperties, then its canonical digest (inside the document, for its namespaces).
    let mut formats = String::new();
    for i in 1..=parts.len() {
        formats.push_str(&format!(
            "<xades:DataObjectFormat ObjectReference=\"#r-{id}-{i}\"><xades:MimeType>application/octet-stream</xades:MimeType></xades:DataObjectFormat>"
        ));
    }
    let signed_properties = format!(
        "<xades:SignedProperties Id=\"xades-{id}\"><xades:SignedSignatureProperties><xades:SigningTime>{time}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm=\"{SHA512}\"/><ds:DigestValue>{}</ds:DigestValue></xades:CertDigest><xades:IssuerSerialV2>{}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties><xades:SignedDataObjectProperties>{formats}</xades:SignedDataObjectProperties></xades:SignedProperties>",
        encode_b64(&Sha512::digest(&cert.der)),
        encode_b64(&issuer_serial_v2(cert)),
    );
    let unsigned = match ocsp {
        Some(der) => format!(
            "<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:RevocationValues><xades:OCSPValues><xades:EncapsulatedOCSPValue>{}</xades:EncapsulatedOCSPValue></xades:OCSPValues></xades:RevocationValues></xades:UnsignedSignatureProperties></xades:UnsignedProperties>",
            encode_b64(der)
        ),
        None => String::new(),
    };
    let key_info = format!(
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo><ds:Object><xades:QualifyingProperties xmlns:xades=\"{XADES}\" Target=\"#{id}\">{signed_properties}{unsigned}</xades:QualifyingProperties></ds:Object>",
        encode_b64(&cert.der)
    );
    let document = |signed_info: &str, value: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><ds:Signature xmlns:ds=\"{DS}\" Id=\"{id}\">{signed_info}<ds:SignatureValue Id=\"value-{id}\">{value}</ds:SignatureValue>{key_info}</ds:Signature>"
        )
    };
    let draft = document("", "");
    let props_digest = canonical_digest(&draft, &format!("xades-{id}"))?;

    let mut references = String::new();
    for (i, part) in parts.iter().enumerate() {
        references.push_str(&format!(
            "<ds:Reference Id=\"r-{id}-{}\" URI=\"{}\"><ds:DigestMethod Algorithm=\"{SHA512}\"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
            i + 1,
            xml_attr(part.uri),
            encode_b64(&Sha512::digest(part.data)),
        ));
    }
    let signed_info = format!(
        "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/><ds:SignatureMethod Algorithm=\"{RSA_SHA512}\"/>{references}<ds:Reference Type=\"{SIGNED_PROPERTIES_TYPE}\" URI=\"#xades-{id}\"><ds:Transforms><ds:Transform Algorithm=\"{EXC_C14N}\"/></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA512}\"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        encode_b64(&props_digest)
    );
    let with_info = document(&signed_info, "");
    let root = xml::parse(with_info.as_bytes())?;
    let info = root
        .child("SignedInfo")
        .ok_or("SignedInfo is missing from the draft")?;
    let canonical = xml::canonicalize(info, &[&root], C14nMode::Exclusive);
    let value = key.sign_bytes(canonical.as_bytes())?;
    Ok(document(&signed_info, &encode_b64(&value)).into_bytes())
}

/// SHA-512 of the exclusive canonical form of the element with this `Id`.
fn canonical_digest(document: &str, id: &str) -> Result<Vec<u8>, String> {
    let root = xml::parse(document.as_bytes())?;
    let (ancestors, el) = root
        .find_by_id(id)
        .ok_or_else(|| format!("{id} is missing from the draft"))?;
    let canonical = xml::canonicalize(el, &ancestors, C14nMode::Exclusive);
    Ok(Sha512::digest(canonical.as_bytes()).to_vec())
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames ([4] directoryName), serialNumber }`, DER
/// (RFC 5035), as `IssuerSerialV2` carries it.
fn issuer_serial_v2(cert: &Certificate) -> Vec<u8> {
    let general_name = der::encode(der::ctx(4), cert.issuer_der());
    let general_names = der::encode(der::SEQUENCE, &general_name);
    let serial = der::encode(der::INTEGER, cert.serial());
    der::encode(der::SEQUENCE, &[general_names, serial].concat())
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
