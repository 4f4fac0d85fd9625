//! The ASiC-E container verifier: given a logged X-Road message exported as `.asice` and a
//! verification configuration, check the container's structure, the signed references, the
//! hash chain, the XAdES signature and its signing certificate, the certificate's chain to an
//! approved CA, the embedded OCSP response, and the RFC 3161 time-stamp (embedded or batch with
//! its time-stamp hash chain). Research notes §3.3–3.4 describe the formats.
//!
//! Every check is reported; a failure carries a stable code of its own, so each broken container
//! is rejected for its own reason. Checks run in a fixed order and the verdict is the first
//! failure. The dependencies are `zip`, `quick-xml` and `ring` (all already in the lock); DER
//! and Canonical XML are small modules here, tested against X-Road's vectors.

pub mod build;
pub mod conf;
pub mod der;
pub mod hashchain;
pub mod ocsp;
pub mod sigchain;
pub mod sign;
pub mod tschain;
pub mod tsp;
pub mod x509;
pub mod xml;

mod verify;

pub use conf::VerificationConf;
pub use verify::verify_container;

use serde::Serialize;
use time::OffsetDateTime;

use crate::text::Text;

/// The ASiC-E MIME type that the `mimetype` entry must hold.
pub const ASIC_E_MIME_TYPE: &str = "application/vnd.etsi.asic-e+zip";

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed {
        code: &'static str,
        detail: String,
    },
    /// Not run: it does not apply, or what it needs failed earlier.
    Skipped {
        reason: Text,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable key: `container`, `hash_chain`, `references`, `signed_properties`,
    /// `signature_value`, `signing_certificate`, `certificate_chain`, `signer_member`, `ocsp`,
    /// `timestamp`.
    pub key: &'static str,
    pub label: Text,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of verifying one container.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    pub warnings: Vec<Text>,
    /// The signing certificate's subject, when it could be read.
    pub signer: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub signing_time: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub timestamp_time: Option<OffsetDateTime>,
}

impl Report {
    /// The first failed check, which decides the verdict.
    pub fn failure(&self) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| matches!(c.outcome, Outcome::Failed { .. }))
    }

    pub fn failure_code(&self) -> Option<&'static str> {
        self.failure().and_then(|c| match c.outcome {
            Outcome::Failed { code, .. } => Some(code),
            _ => None,
        })
    }

    pub fn is_valid(&self) -> bool {
        self.failure().is_none()
    }
}

/// The input cannot be checked at all (not a ZIP file, or too large to open safely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unusable {}

/// The label of each check, in Chinese and English.
pub fn check_label(key: &str) -> Text {
    let (zh, en) = match key {
        "container" => ("容器結構", "container structure"),
        "references" => ("簽章參照的內容", "signed references"),
        "signed_properties" => ("簽章屬性", "signed properties"),
        "hash_chain" => ("雜湊鏈", "hash chain"),
        "signature_value" => ("簽章值", "signature value"),
        "signing_certificate" => ("簽章憑證", "signing certificate"),
        "certificate_chain" => ("憑證信任鏈", "certificate chain"),
        "signer_member" => (
            "簽章者是訊息所載的成員",
            "the signer is the member the message names",
        ),
        "ocsp" => ("OCSP 憑證狀態", "OCSP certificate status"),
        "timestamp" => ("時戳", "time-stamp"),
        other => (other, other),
    };
    Text::new(zh, en)
}

/// What a failure code means, for people.
pub fn failure_text(code: &str) -> Text {
    let (zh, en) = match code {
        "asic_mimetype_missing" => (
            "容器缺少 mimetype 項目",
            "the container has no mimetype entry",
        ),
        "asic_mimetype_wrong" => ("mimetype 不是 ASiC-E", "the mimetype is not ASiC-E"),
        "asic_signature_missing" => (
            "容器缺少 META-INF/signatures.xml",
            "the container has no META-INF/signatures.xml",
        ),
        "asic_message_missing" => (
            "容器缺少訊息 message.xml",
            "the container has no message.xml",
        ),
        "signature_malformed" => ("簽章 XML 格式錯誤", "the signature XML is malformed"),
        "hash_chain_malformed" => ("雜湊鏈格式錯誤", "the hash chain is malformed"),
        "timestamp_hash_chain_malformed" => (
            "時戳雜湊鏈格式錯誤",
            "the time-stamp hash chain is malformed",
        ),
        "reference_missing" => (
            "簽章參照的項目不在容器中",
            "a signed reference points to an entry that is not in the container",
        ),
        "reference_unsupported" => (
            "簽章參照的形式不受支援",
            "a signed reference has an unsupported form",
        ),
        "reference_digest_mismatch" => (
            "訊息內容與簽章不符（摘要不同）",
            "the message does not match the signature (digest differs)",
        ),
        "message_not_signed" => (
            "簽章沒有涵蓋訊息",
            "the signature does not cover the message",
        ),
        "signed_properties_digest_mismatch" => (
            "簽章屬性遭到變更（摘要不同）",
            "the signed properties were changed (digest differs)",
        ),
        "hash_chain_ref_mismatch" => (
            "雜湊鏈記載的摘要與訊息不符",
            "the hash chain states another digest for the message",
        ),
        "hash_chain_unused_inputs" => (
            "雜湊鏈沒有涵蓋訊息",
            "the hash chain does not cover the message",
        ),
        "hash_chain_result_mismatch" => (
            "雜湊鏈計算結果與記載不符",
            "the hash chain does not compute to its result",
        ),
        "signature_algorithm_unsupported" => (
            "不支援的簽章或正規化演算法",
            "unsupported signature or canonicalisation algorithm",
        ),
        "signature_value_invalid" => ("簽章值驗證失敗", "the signature value does not verify"),
        "signing_certificate_mismatch" => (
            "簽章屬性所指的憑證與簽章憑證不符",
            "the signed properties name another certificate",
        ),
        "certificate_untrusted" => (
            "簽章憑證不是由核可的憑證機構簽發",
            "the signing certificate is not issued by an approved CA",
        ),
        "certificate_expired" => (
            "簽章時憑證不在有效期間內",
            "the certificate was not valid at signing time",
        ),
        "message_malformed" => (
            "訊息無法解讀，無法判斷應由誰簽章",
            "the message cannot be read to tell who must sign it",
        ),
        "signer_not_member" => (
            "簽章者不是訊息所載應簽章的成員",
            "the signer is not the member the message names",
        ),
        "ocsp_missing" => (
            "簽章未附 OCSP 回應",
            "the signature carries no OCSP response",
        ),
        "ocsp_malformed" => ("OCSP 回應格式錯誤", "the OCSP response is malformed"),
        "ocsp_signature_invalid" => (
            "OCSP 回應不是由核可的回應者簽署",
            "the OCSP response is not signed by an approved responder",
        ),
        "ocsp_wrong_certificate" => (
            "OCSP 回應不是針對簽章憑證",
            "the OCSP response is about another certificate",
        ),
        "ocsp_revoked" => ("簽章憑證已被撤銷", "the signing certificate is revoked"),
        "ocsp_unknown" => (
            "OCSP 回應者不認得簽章憑證",
            "the OCSP responder does not know the certificate",
        ),
        "ocsp_stale" => ("OCSP 回應不夠新", "the OCSP response is not fresh enough"),
        "timestamp_missing" => ("沒有時戳", "there is no time-stamp"),
        "timestamp_malformed" => ("時戳格式錯誤", "the time-stamp is malformed"),
        "timestamp_imprint_mismatch" => (
            "時戳蓋的不是這份簽章",
            "the time-stamp covers something else",
        ),
        "timestamp_manifest_mismatch" => (
            "ASiC 清單與時戳雜湊鏈結果不符",
            "the ASiC manifest does not match the time-stamp hash chain result",
        ),
        "timestamp_hash_chain_ref_mismatch" => (
            "時戳雜湊鏈記載的簽章摘要不符",
            "the time-stamp hash chain states another digest for the signature",
        ),
        "timestamp_hash_chain_unused_inputs" => (
            "時戳雜湊鏈沒有涵蓋簽章",
            "the time-stamp hash chain does not cover the signature",
        ),
        "timestamp_hash_chain_result_mismatch" => (
            "時戳雜湊鏈計算結果與記載不符",
            "the time-stamp hash chain does not compute to its result",
        ),
        "timestamp_signature_invalid" => (
            "時戳簽章驗證失敗",
            "the time-stamp signature does not verify",
        ),
        "timestamp_untrusted" => (
            "時戳不是由核可的時戳機構簽署",
            "the time-stamp is not signed by an approved TSA",
        ),
        other => (other, other),
    };
    Text::new(zh, en)
}

/// Check a signed message received from another node before it is logged as evidence: the
/// signature `signatures.xml` must cover `message` (the header part) and `body`, be valid, by a
/// certificate chaining to an approved CA, of the member the message names, with a good and
/// fresh embedded OCSP response. Every check of [`verify_container`] but the time-stamp
/// (which the receiving node's own batch adds) must pass; the error names the first that did
/// not.
///
/// Every message of a batch carries the same batch signature: once it passed here, the next
/// messages under it check only their own hash chain and signer ([`conf::BatchVerdicts`]).
pub fn check_signed_message(
    message: &[u8],
    body: Option<&[u8]>,
    signature: &[u8],
    sig_hash_chain: Option<&(Vec<u8>, Vec<u8>)>,
    conf: &VerificationConf,
) -> Result<(), String> {
    let batch = sig_hash_chain.map(|(chain, result)| {
        (
            conf::BatchVerdicts::key(signature, result),
            (chain.as_slice(), result.as_slice()),
        )
    });
    if let Some((key, chain)) = &batch
        && let Some(signer) = conf.batch_verdicts.get(key)
    {
        return verify::check_batch_member(message, body, *chain, signer.as_ref())
            .map_err(|(code, detail)| format!("hash_chain: {code}: {detail}"));
    }
    let parts = build::AsicParts {
        message: message.to_vec(),
        attachment: body.map(<[u8]>::to_vec),
        signatures: signature.to_vec(),
        sig_hash_chain: sig_hash_chain.cloned(),
        timestamp: None,
    };
    // The entries as the container would hold them, without zipping and reading them back.
    let mut entries: std::collections::BTreeMap<String, Vec<u8>> = parts
        .entries()
        .into_iter()
        .map(|(name, data)| (name.to_string(), data.to_vec()))
        .collect();
    entries.insert("mimetype".into(), ASIC_E_MIME_TYPE.as_bytes().to_vec());
    let report = verify::verify_entries(&entries, conf);
    let (mut signer_checked, mut chain_checked) = (false, false);
    for check in &report.checks {
        match (&check.outcome, check.key) {
            (Outcome::Passed, "signer_member") => signer_checked = true,
            (Outcome::Passed, "hash_chain") => chain_checked = true,
            (Outcome::Passed, _) | (Outcome::Skipped { .. }, "hash_chain" | "signer_member") => {}
            (Outcome::Failed { code, .. }, "timestamp") if *code == "timestamp_missing" => {}
            (Outcome::Failed { code, detail }, key) => {
                return Err(format!("{key}: {code}: {detail}"));
            }
            (Outcome::Skipped { reason }, key) => {
                return Err(format!("{key}: not checked: {}", reason.en));
            }
        }
    }
    // Only a signature over the hash-chain result covers the batch's other messages.
    if let Some((key, _)) = batch.filter(|_| chain_checked) {
        let signer = if signer_checked {
            Some(
                verify::message_signer(message)
                    .map_err(|(code, detail)| format!("signer_member: {code}: {detail}"))?,
            )
        } else {
            None
        };
        conf.batch_verdicts.insert(key, signer);
    }
    Ok(())
}
