//! The checks of [`verify_container`], in order. Each stage either passes, fails with its own
//! code, or is skipped because it does not apply or what it needs failed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::der::{self, Tlv, oid};
use super::hashchain::{self, HashChainError, HashChainResult, decode_b64};
use super::ocsp::{CertStatus, OcspResponse};
use super::tsp::TimeStampToken;
use super::x509::{self, Certificate};
use super::xml::{self, C14nMode, Element};
use super::{ASIC_E_MIME_TYPE, Check, Outcome, Report, Unusable, VerificationConf, check_label};
use crate::exchange::id::{CharRule, ClientId, ServiceId};
use crate::text::Text;

const SIGNATURES: &str = "META-INF/signatures.xml";
const MESSAGE: &str = "message.xml";
const SIG_HASH_CHAIN_RESULT: &str = "sig-hashchainresult.xml";
const TS_HASH_CHAIN_RESULT: &str = "ts-hashchainresult.xml";
const TIMESTAMP: &str = "META-INF/timestamp.tst";
const ASIC_MANIFEST: &str = "META-INF/ASiCManifest.xml";
const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";
const MANIFEST_TYPE: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// Largest container we open, and largest total of its entries once inflated (a zip bomb stops
/// here): X-Road's maximum loggable body is 10 MiB, so this is ample.
const MAX_CONTAINER_BYTES: u64 = 64 * 1024 * 1024;
const MAX_ENTRIES: usize = 10_000;

/// Allowed clock difference between the claimed signing time and the time-stamp.
const CLOCK_SKEW_SECONDS: i64 = 300;

type Failure = (&'static str, String);

fn fail<T>(code: &'static str, detail: impl Into<String>) -> Result<T, Failure> {
    Err((code, detail.into()))
}

fn read_zip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Unusable> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Unusable(format!("not a ZIP (ASiC-E) file: {e}")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(Unusable(format!("more than {MAX_ENTRIES} entries")));
    }
    let mut entries = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| Unusable(format!("unreadable ZIP entry: {e}")))?;
        if file.is_dir() {
            continue;
        }
        let name = file
            .name()
            .map_err(|e| Unusable(format!("unreadable ZIP entry name: {e}")))?
            .into_owned();
        let mut data = Vec::new();
        (&mut file)
            .take(MAX_CONTAINER_BYTES - total + 1)
            .read_to_end(&mut data)
            .map_err(|e| Unusable(format!("unreadable ZIP entry {name}: {e}")))?;
        total += data.len() as u64;
        if total > MAX_CONTAINER_BYTES {
            return Err(Unusable(format!(
                "the entries inflate to more than {MAX_CONTAINER_BYTES} bytes"
            )));
        }
        entries.insert(name, data);
    }
    Ok(entries)
}

/// One `ds:Reference` of SignedInfo.
struct Reference<'a> {
    el: &'a Element,
    uri: String,
    kind: Option<String>,
}

/// What the container stage reads, for the later stages.
struct Parsed<'a> {
    sig_root: &'a Element,
    signed_info: &'a Element,
    signature_value: Vec<u8>,
    cert: Certificate,
    signed_properties: &'a Element,
    qualifying: &'a Element,
    signing_time: OffsetDateTime,
    message_name: String,
    sig_hash_chain: Option<HashChainResult>,
    ts_hash_chain: Option<HashChainResult>,
}

struct Run {
    checks: Vec<Check>,
}

impl Run {
    fn record(&mut self, key: &'static str, result: &Result<(), Failure>) {
        let outcome = match result {
            Ok(()) => Outcome::Passed,
            Err((code, detail)) => Outcome::Failed {
                code,
                detail: detail.clone(),
            },
        };
        self.checks.push(Check {
            key,
            label: check_label(key),
            outcome,
        });
    }

    fn skip(&mut self, key: &'static str, reason: Text) {
        self.checks.push(Check {
            key,
            label: check_label(key),
            outcome: Outcome::Skipped { reason },
        });
    }
}

fn earlier_failed() -> Text {
    Text::new(
        "前面的檢查未通過，無法進行",
        "not run: an earlier check it needs failed",
    )
}

/// Verify an ASiC-E container against `conf`. `Err` only when the bytes are not a usable ZIP;
/// every other problem is a failed check in the report.
pub fn verify_container(bytes: &[u8], conf: &VerificationConf) -> Result<Report, Unusable> {
    Ok(verify_entries(&read_zip(bytes)?, conf))
}

/// The checks of [`verify_container`] over a container's entries (name → bytes), without the
/// ZIP: for evidence this node assembles itself.
pub fn verify_entries(entries: &BTreeMap<String, Vec<u8>>, conf: &VerificationConf) -> Report {
    let mut run = Run { checks: Vec::new() };
    let mut report = Report {
        checks: Vec::new(),
        warnings: Vec::new(),
        signer: None,
        signing_time: None,
        timestamp_time: None,
    };
    let sig_root = entries.get(SIGNATURES).map(|b| xml::parse(b)).transpose();
    let parsed = match &sig_root {
        Ok(root) => container_stage(entries, root.as_ref()),
        Err(e) => fail("signature_malformed", e.clone()),
    };
    let parsed = match parsed {
        Ok(p) => {
            run.record("container", &Ok(()));
            p
        }
        Err(f) => {
            run.record("container", &Err(f));
            for key in [
                "hash_chain",
                "references",
                "signed_properties",
                "signature_value",
                "signing_certificate",
                "certificate_chain",
                "signer_member",
                "ocsp",
                "timestamp",
            ] {
                run.skip(key, earlier_failed());
            }
            report.checks = run.checks;
            return report;
        }
    };
    report.signer = Some(parsed.cert.subject_text());
    report.signing_time = Some(parsed.signing_time);

    let mut covered: BTreeSet<String> = BTreeSet::new();
    let refs = references(parsed.signed_info);

    // Like X-Road's SignatureVerifier, the hash chain is checked before the references.
    if refs
        .iter()
        .any(|r| r.uri == format!("/{SIG_HASH_CHAIN_RESULT}"))
    {
        let hc = check_sig_hash_chain(entries, &parsed, &mut covered);
        run.record("hash_chain", &hc);
    } else {
        run.skip(
            "hash_chain",
            Text::new(
                "簽章直接涵蓋訊息，沒有雜湊鏈",
                "no hash chain: the signature covers the message directly",
            ),
        );
    }

    let refs_result = check_references(entries, &parsed, &refs, &mut covered);
    run.record("references", &refs_result);

    let sp_result = check_signed_properties(&parsed, &refs);
    run.record("signed_properties", &sp_result);

    let sv = check_signature_value(&parsed);
    run.record("signature_value", &sv);

    let sc = check_signing_certificate(&parsed);
    run.record("signing_certificate", &sc);

    // The time-stamp decides the time at which certificates are judged, so it is evaluated
    // first and reported last.
    let ts = check_timestamp(entries, &parsed, conf, &mut covered);
    let verification_time = match &ts {
        Ok(t) => {
            report.timestamp_time = Some(*t);
            if parsed.signing_time - *t > time::Duration::seconds(CLOCK_SKEW_SECONDS) {
                report.warnings.push(Text::new(
                    "簽章時間晚於時戳時間",
                    "the claimed signing time is later than the time-stamp",
                ));
            }
            *t
        }
        Err(_) => parsed.signing_time,
    };

    let chain = check_chain(&parsed.cert, conf, verification_time);
    match &chain {
        Ok(_) => run.record("certificate_chain", &Ok(())),
        Err(f) => run.record("certificate_chain", &Err(f.clone())),
    }
    match &chain {
        Ok((_, _, profile)) => match check_signer_member(entries, &parsed, profile.as_deref()) {
            Ok(true) => run.record("signer_member", &Ok(())),
            Ok(false) => run.skip(
                "signer_member",
                Text::new(
                    format!(
                        "不認得此憑證機構的憑證格式（{}），無法比對簽章者身分",
                        profile.as_deref().unwrap_or("-")
                    ),
                    format!(
                        "the CA's certificate profile ({}) is not one we can read member ids from",
                        profile.as_deref().unwrap_or("-")
                    ),
                ),
            ),
            Err(f) => run.record("signer_member", &Err(f)),
        },
        Err(_) => run.skip("signer_member", earlier_failed()),
    }
    match &chain {
        Ok((issuer, ocsp_certs, _)) => {
            let o = check_ocsp(&parsed, issuer, ocsp_certs, conf);
            run.record("ocsp", &o);
        }
        Err(_) => run.skip("ocsp", earlier_failed()),
    }
    run.record("timestamp", &ts.map(|_| ()));

    let unsigned: Vec<&String> = entries
        .keys()
        .filter(|k| {
            k.as_str() != "mimetype" && !k.starts_with("META-INF/") && !covered.contains(*k)
        })
        .collect();
    if !unsigned.is_empty() {
        let list = unsigned
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        report.warnings.push(Text::new(
            format!("容器中有未經簽章或時戳涵蓋的項目，不具證據力：{list}"),
            format!("entries covered by no signature or time-stamp, so not evidence: {list}"),
        ));
    }
    report.checks = run.checks;
    report
}

fn container_stage<'a>(
    entries: &BTreeMap<String, Vec<u8>>,
    sig_root: Option<&'a Element>,
) -> Result<Parsed<'a>, Failure> {
    let mimetype = entries
        .get("mimetype")
        .ok_or(("asic_mimetype_missing", "no 'mimetype' entry".to_string()))?;
    let mimetype = String::from_utf8_lossy(mimetype);
    if mimetype.trim() != ASIC_E_MIME_TYPE {
        return fail(
            "asic_mimetype_wrong",
            format!("mimetype is '{}'", mimetype.trim()),
        );
    }
    let sig_root =
        sig_root.ok_or(("asic_signature_missing", format!("no '{SIGNATURES}' entry")))?;
    let signature = sig_root
        .find("Signature")
        .ok_or(("signature_malformed", "no ds:Signature".to_string()))?;
    let need = |parent: &'a Element, local: &str| {
        parent.child(local).ok_or((
            "signature_malformed",
            format!("no {local} in {}", parent.local),
        ))
    };
    let signed_info = need(signature, "SignedInfo")?;
    let signature_value = decode_b64(&need(signature, "SignatureValue")?.text()).ok_or((
        "signature_malformed",
        "SignatureValue is not base64".to_string(),
    ))?;
    let cert_el = need(signature, "KeyInfo")?.find("X509Certificate").ok_or((
        "signature_malformed",
        "no X509Certificate in KeyInfo".to_string(),
    ))?;
    let cert_der = decode_b64(&cert_el.text()).ok_or((
        "signature_malformed",
        "X509Certificate is not base64".to_string(),
    ))?;
    let cert = Certificate::from_der(&cert_der)
        .map_err(|e| ("signature_malformed", format!("signing certificate: {e}")))?;
    let qualifying = signature.find("QualifyingProperties").ok_or((
        "signature_malformed",
        "no XAdES QualifyingProperties".to_string(),
    ))?;
    let signed_properties = need(qualifying, "SignedProperties")?;
    let signing_time_text = signed_properties
        .find("SigningTime")
        .ok_or(("signature_malformed", "no XAdES SigningTime".to_string()))?
        .text();
    let signing_time = OffsetDateTime::parse(signing_time_text.trim(), &Rfc3339)
        .map_err(|e| ("signature_malformed", format!("SigningTime: {e}")))?;

    // The message: message.xml, or in the older Manifest layout `<hash>-message.xml`.
    let message_name = if entries.contains_key(MESSAGE) {
        MESSAGE.to_string()
    } else {
        entries
            .keys()
            .find(|k| k.ends_with("-message.xml") && !k.contains('/'))
            .cloned()
            .ok_or(("asic_message_missing", format!("no '{MESSAGE}' entry")))?
    };

    let signs_hash_chain = references(signed_info)
        .iter()
        .any(|r| r.uri == format!("/{SIG_HASH_CHAIN_RESULT}"));
    let sig_hash_chain = if signs_hash_chain {
        let bytes = entries.get(SIG_HASH_CHAIN_RESULT).ok_or((
            "reference_missing",
            format!(
                "the signature covers '{SIG_HASH_CHAIN_RESULT}', which is not in the container"
            ),
        ))?;
        Some(HashChainResult::parse(bytes).map_err(|e| {
            (
                "hash_chain_malformed",
                format!("{SIG_HASH_CHAIN_RESULT}: {e}"),
            )
        })?)
    } else {
        None
    };
    let ts_hash_chain = match (
        entries.contains_key(TIMESTAMP),
        entries.get(TS_HASH_CHAIN_RESULT),
    ) {
        (true, Some(bytes)) => Some(HashChainResult::parse(bytes).map_err(|e| {
            (
                "timestamp_hash_chain_malformed",
                format!("{TS_HASH_CHAIN_RESULT}: {e}"),
            )
        })?),
        _ => None,
    };
    Ok(Parsed {
        sig_root,
        signed_info,
        signature_value,
        cert,
        signed_properties,
        qualifying,
        signing_time,
        message_name,
        sig_hash_chain,
        ts_hash_chain,
    })
}

fn references(signed_info: &Element) -> Vec<Reference<'_>> {
    signed_info
        .children_named("Reference")
        .map(|el| Reference {
            el,
            uri: el.attr("URI").unwrap_or_default().to_string(),
            kind: el.attr("Type").map(str::to_string),
        })
        .collect()
}

/// The digest a reference states, and the one its target has.
fn reference_digests(el: &Element, data: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    let method = el
        .child("DigestMethod")
        .and_then(|m| m.attr("Algorithm"))
        .ok_or((
            "signature_malformed",
            "a Reference has no DigestMethod".to_string(),
        ))?;
    let stated = el
        .child("DigestValue")
        .and_then(|v| decode_b64(&v.text()))
        .ok_or((
            "signature_malformed",
            "a Reference has no DigestValue".to_string(),
        ))?;
    let actual = hashchain::digest(method, data).ok_or((
        "signature_algorithm_unsupported",
        format!("digest method {method}"),
    ))?;
    Ok((stated, actual))
}

/// The bytes a same-document reference (`#id`) covers: the element, canonicalised by the
/// reference's transform (inclusive C14N when it names none).
fn same_document_bytes(parsed: &Parsed<'_>, el: &Element, id: &str) -> Result<Vec<u8>, Failure> {
    let (ancestors, target) = parsed
        .sig_root
        .find_by_id(id)
        .ok_or(("reference_missing", format!("no element with Id '{id}'")))?;
    let mut mode = C14nMode::Inclusive;
    if let Some(transforms) = el.child("Transforms") {
        for t in transforms.children_named("Transform") {
            let alg = t.attr("Algorithm").unwrap_or_default();
            mode = C14nMode::from_uri(alg).ok_or((
                "signature_algorithm_unsupported",
                format!("transform {alg}"),
            ))?;
        }
    }
    Ok(xml::canonicalize(target, &ancestors, mode).into_bytes())
}

fn check_references(
    entries: &BTreeMap<String, Vec<u8>>,
    parsed: &Parsed<'_>,
    refs: &[Reference<'_>],
    covered: &mut BTreeSet<String>,
) -> Result<(), Failure> {
    let mut message_signed = false;
    for r in refs {
        if r.kind.as_deref() == Some(SIGNED_PROPERTIES_TYPE) {
            continue;
        }
        if let Some(id) = r.uri.strip_prefix('#') {
            let data = same_document_bytes(parsed, r.el, id)?;
            let (stated, actual) = reference_digests(r.el, &data)?;
            if stated != actual {
                return fail("reference_digest_mismatch", format!("#{id}"));
            }
            if r.kind.as_deref() == Some(MANIFEST_TYPE) {
                let (_, manifest) = parsed
                    .sig_root
                    .find_by_id(id)
                    .ok_or(("reference_missing", format!("no element with Id '{id}'")))?;
                for m in manifest.children_named("Reference") {
                    let name = m.attr("URI").unwrap_or_default().trim_start_matches('/');
                    let is_message = name == parsed.message_name;
                    match entries.get(name) {
                        Some(data) => {
                            let (stated, actual) = reference_digests(m, data)?;
                            if stated != actual {
                                return fail("reference_digest_mismatch", name.to_string());
                            }
                            covered.insert(name.to_string());
                            message_signed |= is_message;
                        }
                        // Attachments of a SOAP message are signed but not logged.
                        None if !is_message => {}
                        None => return fail("reference_missing", name.to_string()),
                    }
                }
            }
            continue;
        }
        let Some(name) = r.uri.strip_prefix('/') else {
            return fail(
                "reference_unsupported",
                format!("reference URI '{}'", r.uri),
            );
        };
        let data = entries.get(name).ok_or((
            "reference_missing",
            format!("'{name}' is not in the container"),
        ))?;
        if r.el.child("Transforms").is_some() {
            return fail("reference_unsupported", format!("transforms on '{name}'"));
        }
        let (stated, actual) = reference_digests(r.el, data)?;
        if stated != actual {
            return fail("reference_digest_mismatch", name.to_string());
        }
        covered.insert(name.to_string());
        message_signed |= name == parsed.message_name || name == SIG_HASH_CHAIN_RESULT;
    }
    if !message_signed {
        return fail(
            "message_not_signed",
            format!("no reference covers '{}'", parsed.message_name),
        );
    }
    Ok(())
}

fn check_signed_properties(parsed: &Parsed<'_>, refs: &[Reference<'_>]) -> Result<(), Failure> {
    let r = refs
        .iter()
        .find(|r| r.kind.as_deref() == Some(SIGNED_PROPERTIES_TYPE))
        .ok_or((
            "signature_malformed",
            "no reference to the XAdES signed properties".to_string(),
        ))?;
    let id = r.uri.strip_prefix('#').ok_or((
        "signature_malformed",
        "the signed-properties reference is not '#id'".to_string(),
    ))?;
    if parsed.signed_properties.attr("Id") != Some(id) {
        return fail(
            "signature_malformed",
            format!("the signed-properties reference '#{id}' names another element"),
        );
    }
    let data = same_document_bytes(parsed, r.el, id)?;
    let (stated, actual) = reference_digests(r.el, &data)?;
    if stated != actual {
        return fail("signed_properties_digest_mismatch", format!("#{id}"));
    }
    Ok(())
}

fn hash_chain_failure(prefix: &str, e: HashChainError) -> Failure {
    let code = match (prefix, &e) {
        ("", e) => e.code(),
        (_, HashChainError::Malformed(_)) => "timestamp_hash_chain_malformed",
        (_, HashChainError::RefMismatch(_)) => "timestamp_hash_chain_ref_mismatch",
        (_, HashChainError::UnusedInputs(_)) => "timestamp_hash_chain_unused_inputs",
        (_, HashChainError::ResultMismatch) => "timestamp_hash_chain_result_mismatch",
    };
    (code, e.to_string())
}

fn check_sig_hash_chain(
    entries: &BTreeMap<String, Vec<u8>>,
    parsed: &Parsed<'_>,
    covered: &mut BTreeSet<String>,
) -> Result<(), Failure> {
    let result = parsed.sig_hash_chain.as_ref().ok_or((
        "hash_chain_malformed",
        format!("no {SIG_HASH_CHAIN_RESULT}"),
    ))?;
    let mut inputs = BTreeMap::new();
    for (name, data) in entries {
        if name == &parsed.message_name || (name.starts_with("attachment") && !name.contains('/')) {
            inputs.insert(format!("/{name}"), data.clone());
        }
    }
    let resolve = |name: &str| entries.get(name.trim_start_matches('/')).cloned();
    hashchain::verify(result, &resolve, &inputs).map_err(|e| hash_chain_failure("", e))?;
    covered.insert(SIG_HASH_CHAIN_RESULT.to_string());
    if let Some((doc, _)) = result.uri.split_once('#') {
        covered.insert(doc.trim_start_matches('/').to_string());
    }
    covered.extend(inputs.keys().map(|k| k.trim_start_matches('/').to_string()));
    Ok(())
}

/// One message of a batch whose signature already passed every signature-level check
/// ([`super::conf::BatchVerdicts`]): its own hash chain must lead from its parts (the header part
/// and, when there is one, the body) to the signed result, and the message must name the member
/// whose key signed the batch (`signer`; `None` when the certificate profile names no member).
pub(super) fn check_batch_member(
    message: &[u8],
    body: Option<&[u8]>,
    (chain, result): (&[u8], &[u8]),
    signer: Option<&ClientId>,
) -> Result<(), Failure> {
    let result = HashChainResult::parse(result).map_err(|e| hash_chain_failure("", e))?;
    let mut inputs = BTreeMap::new();
    inputs.insert(format!("/{MESSAGE}"), message.to_vec());
    if let Some(body) = body {
        inputs.insert("/attachment1".to_string(), body.to_vec());
    }
    // The only document the chain may name: where the full check finds it in a container.
    let resolve = |name: &str| (name == super::sigchain::CHAIN_DOC).then(|| chain.to_vec());
    hashchain::verify(&result, &resolve, &inputs).map_err(|e| hash_chain_failure("", e))?;
    if let Some(signer) = signer {
        let expected = message_signer(message)?;
        if *signer != expected {
            return fail(
                "signer_not_member",
                format!("signed by {signer}, but the message's signer must be {expected}"),
            );
        }
    }
    Ok(())
}

fn check_signature_value(parsed: &Parsed<'_>) -> Result<(), Failure> {
    let c14n = parsed
        .signed_info
        .child("CanonicalizationMethod")
        .and_then(|m| m.attr("Algorithm"))
        .unwrap_or_default();
    let mode = C14nMode::from_uri(c14n).ok_or((
        "signature_algorithm_unsupported",
        format!("canonicalisation {c14n}"),
    ))?;
    let method = parsed
        .signed_info
        .child("SignatureMethod")
        .and_then(|m| m.attr("Algorithm"))
        .unwrap_or_default();
    let alg = match method {
        RSA_SHA512 => oid::SHA512_WITH_RSA,
        RSA_SHA256 => oid::SHA256_WITH_RSA,
        other => {
            return fail(
                "signature_algorithm_unsupported",
                format!("signature method {other}"),
            );
        }
    };
    let ancestors = parsed
        .sig_root
        .ancestors_of(parsed.signed_info)
        .unwrap_or_default();
    let signed = xml::canonicalize(parsed.signed_info, &ancestors, mode);
    x509::verify_signature(
        alg,
        parsed.cert.public_key(),
        signed.as_bytes(),
        &parsed.signature_value,
    )
    .map_err(|e| ("signature_value_invalid", e.to_string()))
}

fn check_signing_certificate(parsed: &Parsed<'_>) -> Result<(), Failure> {
    let sc = parsed
        .signed_properties
        .find("SigningCertificate")
        .or_else(|| parsed.signed_properties.find("SigningCertificateV2"))
        .ok_or((
            "signing_certificate_mismatch",
            "the signed properties name no signing certificate".to_string(),
        ))?;
    let cert_el = sc.child("Cert").ok_or((
        "signing_certificate_mismatch",
        "SigningCertificate has no Cert".to_string(),
    ))?;
    let digest_el = cert_el.child("CertDigest").ok_or((
        "signing_certificate_mismatch",
        "Cert has no CertDigest".to_string(),
    ))?;
    let (stated, actual) = reference_digests(digest_el, &parsed.cert.der)?;
    if stated != actual {
        return fail(
            "signing_certificate_mismatch",
            "CertDigest is not the digest of the signing certificate",
        );
    }
    if let Some(serial) = cert_el.find("X509SerialNumber") {
        if serial.text().trim() != parsed.cert.serial_decimal() {
            return fail(
                "signing_certificate_mismatch",
                "X509SerialNumber is not the signing certificate's serial",
            );
        }
    } else if let Some(v2) = cert_el.child("IssuerSerialV2") {
        let bytes = decode_b64(&v2.text()).unwrap_or_default();
        let serial = Tlv::parse(&bytes)
            .and_then(|t| t.expect(der::SEQUENCE))
            .and_then(|t| {
                let mut r = t.reader();
                r.next_tag(der::SEQUENCE)?;
                Ok(r.next_tag(der::INTEGER)?.content.to_vec())
            })
            .map_err(|e| {
                (
                    "signing_certificate_mismatch",
                    format!("IssuerSerialV2: {e}"),
                )
            })?;
        if serial != parsed.cert.serial() {
            return fail(
                "signing_certificate_mismatch",
                "IssuerSerialV2 is not the signing certificate's serial",
            );
        }
    }
    Ok(())
}

/// Find the approved CA (directly, or through one of its intermediates) that issued `cert`.
/// Returns the issuing certificate and the OCSP responder certificates for it.
fn check_chain(
    cert: &Certificate,
    conf: &VerificationConf,
    at: OffsetDateTime,
) -> Result<(Certificate, Vec<Certificate>, Option<String>), Failure> {
    for ca in &conf.cas {
        let issuer = if cert.is_issued_by(&ca.top) {
            Some((ca.top.clone(), vec![ca.top.clone()]))
        } else {
            ca.intermediates
                .iter()
                .find(|i| cert.is_issued_by(i) && i.is_issued_by(&ca.top))
                .map(|i| (i.clone(), vec![i.clone(), ca.top.clone()]))
        };
        if let Some((issuer, path)) = issuer {
            for c in std::iter::once(cert).chain(path.iter()) {
                if !c.valid_at(at) {
                    return fail(
                        "certificate_expired",
                        format!("'{}' is not valid at {at}", c.subject_text()),
                    );
                }
            }
            return Ok((
                issuer,
                ca.ocsp_certs.clone(),
                ca.certificate_profile.clone(),
            ));
        }
    }
    fail(
        "certificate_untrusted",
        format!(
            "'{}' issued by '{}' chains to no approved CA",
            cert.subject_text(),
            x509::name_text(cert.issuer_der())
        ),
    )
}

/// The member whose key must have signed the message: for a request the client, for a
/// response the service provider (as X-Road's `AsicContainerVerifier.getSigner`).
pub(super) fn message_signer(message: &[u8]) -> Result<ClientId, Failure> {
    let bad = |why: &str| ("message_malformed", why.to_string());
    let trimmed = message.trim_ascii_start();
    if trimmed.starts_with(b"<") {
        let root = xml::parse(message).map_err(|e| bad(&e))?;
        let header = root.find("Header").ok_or_else(|| bad("no SOAP Header"))?;
        let body = root.find("Body").ok_or_else(|| bad("no SOAP Body"))?;
        let is_response = body
            .elements()
            .next()
            .is_some_and(|e| e.local.ends_with("Response"));
        let id = header
            .child(if is_response { "service" } else { "client" })
            .ok_or_else(|| bad("no client or service in the SOAP header"))?;
        let field = |name: &str| id.child(name).map(|e| e.text().trim().to_string());
        let (Some(instance), Some(class), Some(code)) = (
            field("xRoadInstance"),
            field("memberClass"),
            field("memberCode"),
        ) else {
            return Err(bad("an identifier in the SOAP header is incomplete"));
        };
        return ClientId::new(&instance, &class, &code, None, CharRule::Lenient)
            .map(|c| c.id)
            .map_err(|e| bad(&e.to_string()));
    }
    // REST header part: `VERB` or `STATUS` line, then (for a response) the reason, then headers.
    let text = String::from_utf8_lossy(message);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default();
    let is_response = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
    let wanted = if is_response {
        "x-road-service"
    } else {
        "x-road-client"
    };
    let value = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
        .map(|(_, v)| v.trim().to_string())
        .ok_or_else(|| bad(&format!("no {wanted} header in the REST message")))?;
    if is_response {
        ServiceId::parse_path(&value, CharRule::Lenient)
            .map(|s| s.id.owner.member())
            .map_err(|e| bad(&e.to_string()))
    } else {
        ClientId::parse_path(&value, CharRule::Lenient)
            .map(|c| c.id.member())
            .map_err(|e| bad(&e.to_string()))
    }
}

/// Whether the signing certificate belongs to the member the message names. `Ok(false)` when
/// the CA's certificate profile is one we cannot read member ids from (the check is skipped).
/// Only X-Road's FiVRK profile is read: CN = member code, serialNumber = INSTANCE/SERVER/CLASS.
fn check_signer_member(
    entries: &BTreeMap<String, Vec<u8>>,
    parsed: &Parsed<'_>,
    profile: Option<&str>,
) -> Result<bool, Failure> {
    if !profile.is_some_and(|p| p.contains("FiVRKCertificateProfileInfoProvider")) {
        return Ok(false);
    }
    let message = entries
        .get(&parsed.message_name)
        .cloned()
        .unwrap_or_default();
    let expected = message_signer(&message)?;
    let subject = parsed.cert.subject_der();
    let code = x509::name_attr(subject, &[0x55, 0x04, 0x03]);
    let serial = x509::name_attr(subject, &[0x55, 0x04, 0x05]);
    let actual = match (
        code,
        serial.as_deref().map(|s| s.split('/').collect::<Vec<_>>()),
    ) {
        (Some(code), Some(parts)) => match parts.as_slice() {
            [instance, _server, class] => ClientId {
                instance: instance.to_string(),
                member_class: class.to_string(),
                member_code: code,
                subsystem: None,
            },
            _ => {
                return fail(
                    "signer_not_member",
                    "the certificate's serialNumber is not INSTANCE/SERVER/CLASS",
                );
            }
        },
        _ => {
            return fail(
                "signer_not_member",
                "the certificate names no member (CN and serialNumber)",
            );
        }
    };
    if actual != expected {
        return fail(
            "signer_not_member",
            format!("signed by {actual}, but the message's signer must be {expected}"),
        );
    }
    Ok(true)
}

fn check_ocsp(
    parsed: &Parsed<'_>,
    issuer: &Certificate,
    responders: &[Certificate],
    conf: &VerificationConf,
) -> Result<(), Failure> {
    let values: Vec<&Element> = match parsed.qualifying.find("OCSPValues") {
        Some(v) => v.children_named("EncapsulatedOCSPValue").collect(),
        None => Vec::new(),
    };
    if values.is_empty() {
        return fail("ocsp_missing", "no EncapsulatedOCSPValue");
    }
    let mut last: Failure = (
        "ocsp_wrong_certificate",
        "no OCSP response is about the signing certificate".into(),
    );
    for v in values {
        let bytes = decode_b64(&v.text()).ok_or(("ocsp_malformed", "not base64".to_string()))?;
        let resp = OcspResponse::from_der(&bytes).map_err(|e| ("ocsp_malformed", e.to_string()))?;
        let Some(single) = resp.response_for(&parsed.cert, issuer) else {
            continue;
        };
        // Approved responders: those the configuration names, the CA itself, or a certificate
        // the CA issued for OCSP signing that came with the response.
        let delegated = resp
            .certs
            .iter()
            .filter(|c| c.has_eku(oid::EKU_OCSP_SIGNING) && c.is_issued_by(issuer));
        let trusted = responders
            .iter()
            .chain(std::iter::once(issuer))
            .chain(delegated)
            .any(|r| resp.signed_by(r));
        if !trusted {
            last = (
                "ocsp_signature_invalid",
                "no approved responder signed the response".into(),
            );
            continue;
        }
        match single.status {
            CertStatus::Good => {}
            CertStatus::Revoked => return fail("ocsp_revoked", parsed.cert.subject_text()),
            CertStatus::Unknown => return fail("ocsp_unknown", parsed.cert.subject_text()),
        }
        // Fresh at signing: taken no longer than ocspFreshnessSeconds before the signature
        // (and not after it, beyond clock skew).
        let age = parsed.signing_time - single.this_update;
        if age > time::Duration::seconds(conf.ocsp_freshness())
            || age < time::Duration::seconds(-CLOCK_SKEW_SECONDS)
        {
            return fail(
                "ocsp_stale",
                format!(
                    "thisUpdate {} is {} s from the signing time; at most {} s allowed",
                    single.this_update,
                    age.whole_seconds(),
                    conf.ocsp_freshness()
                ),
            );
        }
        return Ok(());
    }
    Err(last)
}

/// Check the time-stamp and return its time.
fn check_timestamp(
    entries: &BTreeMap<String, Vec<u8>>,
    parsed: &Parsed<'_>,
    conf: &VerificationConf,
    covered: &mut BTreeSet<String>,
) -> Result<OffsetDateTime, Failure> {
    let embedded = parsed
        .qualifying
        .find("EncapsulatedTimeStamp")
        .map(|e| e.text());
    let token = if let Some(text) = embedded {
        // XAdES SignatureTimeStamp: X-Road stamps the signature value itself.
        let bytes = decode_b64(&text).ok_or(("timestamp_malformed", "not base64".to_string()))?;
        let token =
            TimeStampToken::from_der(&bytes).map_err(|e| ("timestamp_malformed", e.to_string()))?;
        if !token.imprint_matches(&parsed.signature_value) {
            return fail(
                "timestamp_imprint_mismatch",
                "the embedded time-stamp does not cover the signature value",
            );
        }
        token
    } else if let Some(bytes) = entries.get(TIMESTAMP) {
        let token =
            TimeStampToken::from_der(bytes).map_err(|e| ("timestamp_malformed", e.to_string()))?;
        let signatures = entries.get(SIGNATURES).cloned().unwrap_or_default();
        match (&parsed.ts_hash_chain, entries.get(TS_HASH_CHAIN_RESULT)) {
            (Some(result), Some(result_bytes)) => {
                // Batch: the token stamps the result of a hash chain over many signatures.
                if !token.imprint_matches(result_bytes) {
                    return fail(
                        "timestamp_imprint_mismatch",
                        format!("the time-stamp does not cover {TS_HASH_CHAIN_RESULT}"),
                    );
                }
                if let Some(manifest) = entries.get(ASIC_MANIFEST) {
                    check_asic_manifest(manifest, result_bytes)?;
                }
                let inputs = BTreeMap::from([(format!("/{SIGNATURES}"), signatures)]);
                let resolve = |name: &str| entries.get(name.trim_start_matches('/')).cloned();
                hashchain::verify(result, &resolve, &inputs)
                    .map_err(|e| hash_chain_failure("timestamp", e))?;
                covered.insert(TS_HASH_CHAIN_RESULT.to_string());
                if let Some((doc, _)) = result.uri.split_once('#') {
                    covered.insert(doc.trim_start_matches('/').to_string());
                }
            }
            _ => {
                if !token.imprint_matches(&signatures) {
                    return fail(
                        "timestamp_imprint_mismatch",
                        format!("the time-stamp does not cover {SIGNATURES}"),
                    );
                }
            }
        }
        token
    } else {
        return fail(
            "timestamp_missing",
            "neither an embedded nor a batch time-stamp",
        );
    };
    let named: Vec<_> = conf
        .tsas
        .iter()
        .filter(|t| token.names_signer(&t.cert))
        .collect();
    if named.is_empty() {
        return fail(
            "timestamp_untrusted",
            "no approved TSA is the token's signer",
        );
    }
    let mut last = String::new();
    for tsa in named {
        match token.signed_by(&tsa.cert) {
            Ok(()) if tsa.cert.valid_at(token.gen_time) => return Ok(token.gen_time),
            Ok(()) => last = format!("the TSA certificate of '{}' was not valid then", tsa.name),
            Err(e) => last = e.to_string(),
        }
    }
    fail("timestamp_signature_invalid", last)
}

fn check_asic_manifest(manifest: &[u8], result_bytes: &[u8]) -> Result<(), Failure> {
    let root = xml::parse(manifest).map_err(|e| ("timestamp_manifest_mismatch", e))?;
    let reference = root
        .children_named("DataObjectReference")
        .find(|r| r.attr("URI").map(|u| u.trim_start_matches('/')) == Some(TS_HASH_CHAIN_RESULT))
        .ok_or((
            "timestamp_manifest_mismatch",
            format!("the ASiC manifest does not name {TS_HASH_CHAIN_RESULT}"),
        ))?;
    let (stated, actual) = reference_digests(reference, result_bytes)?;
    if stated != actual {
        return fail(
            "timestamp_manifest_mismatch",
            format!("the ASiC manifest states another digest for {TS_HASH_CHAIN_RESULT}"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
