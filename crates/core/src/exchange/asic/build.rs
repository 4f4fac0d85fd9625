//! Writing side of the ASiC-E support: the DER encoder of an RFC 3161 `TimeStampReq` for the
//! batch time-stamp (SHA-512 imprint, `certReq` true, a caller-supplied nonce). The HTTP TSA
//! client is built elsewhere and reuses this encoder. Also the batch time-stamp hash chain
//! (`ts-hashchainresult.xml` and each record's `ts-hashchain.xml`). The container writer is not
//! and the ASiC-E container writer.

use super::der::{self, oid};
use super::hashchain::{self, SHA512_URI, encode_b64};

/// What goes into one exported container (X-Road's layout): `message.xml`, `attachment1` when
/// the body was logged, `META-INF/signatures.xml`, `sig-hashchain.xml` and
/// `sig-hashchainresult.xml` when the signature covers a hash chain, and
/// `META-INF/timestamp.tst` with `ts-hashchain.xml` and `ts-hashchainresult.xml` once the
/// record's batch is stamped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsicParts {
    pub message: Vec<u8>,
    pub attachment: Option<Vec<u8>>,
    pub signatures: Vec<u8>,
    pub sig_hash_chain: Option<(Vec<u8>, Vec<u8>)>,
    pub timestamp: Option<BatchStamp>,
}

/// A record's batch time-stamp: the token and its `ts-hashchain.xml` / `ts-hashchainresult.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStamp {
    pub token: Vec<u8>,
    pub chain_xml: Vec<u8>,
    pub result_xml: Vec<u8>,
}

impl AsicParts {
    /// The parts of a stored record (the body only when it was not omitted).
    pub fn from_evidence(stored: &crate::exchange::model::StoredEvidence) -> Self {
        let e = &stored.evidence;
        AsicParts {
            message: e.message.clone(),
            attachment: if e.body_omitted { None } else { e.body.clone() },
            signatures: e.signature.clone(),
            sig_hash_chain: e
                .sig_hash_chain
                .as_ref()
                .map(|(c, r)| (c.clone(), r.clone())),
            timestamp: stored.timestamp.as_ref().map(|t| BatchStamp {
                token: t.token.clone(),
                chain_xml: t.hash_chain.clone(),
                result_xml: t.hash_chain_result.clone(),
            }),
        }
    }
}

/// Write the ASiC-E container: `mimetype` first and stored uncompressed (ASiC §A.1, so the
/// type can be read at a fixed offset), the rest deflated.
pub fn write_asice(parts: &AsicParts) -> Result<Vec<u8>, zip::result::ZipError> {
    use std::io::Write;
    use zip::CompressionMethod;
    use zip::write::SimpleFileOptions;

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("mimetype", stored)?;
    zip.write_all(super::ASIC_E_MIME_TYPE.as_bytes())?;
    let mut entries: Vec<(&str, &[u8])> = vec![("message.xml", &parts.message)];
    if let Some(body) = &parts.attachment {
        entries.push(("attachment1", body));
    }
    entries.push(("META-INF/signatures.xml", &parts.signatures));
    if let Some((chain, result)) = &parts.sig_hash_chain {
        entries.push(("sig-hashchain.xml", chain));
        entries.push(("sig-hashchainresult.xml", result));
    }
    if let Some(ts) = &parts.timestamp {
        entries.push(("META-INF/timestamp.tst", &ts.token));
        entries.push(("ts-hashchain.xml", &ts.chain_xml));
        entries.push(("ts-hashchainresult.xml", &ts.result_xml));
    }
    for (name, data) in entries {
        zip.start_file(name, deflated)?;
        zip.write_all(data)?;
    }
    Ok(zip.finish()?.into_inner())
}

const HASH_CHAIN_NS: &str = "http://cyber.ee/hashchain";

/// A batch time-stamp's hash chain: `result_xml` is `ts-hashchainresult.xml` (its SHA-512 digest,
/// `imprint`, is what the TSA stamps and what `NewTimestampBatch.hash_chain_result` keeps);
/// `chains[i]` is record i's `ts-hashchain.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTimestamp {
    pub result_xml: Vec<u8>,
    pub chains: Vec<Vec<u8>>,
    pub imprint: Vec<u8>,
}

/// The batch hash chain over the SHA-512 digests of the records' `signatures.xml`.
///
/// Decision: the chain is one flat step, `STEP0`, listing every signature's digest in batch
/// order; in record i's `ts-hashchain.xml` entry i is a `DataRef` to `/META-INF/signatures.xml` and the
/// others are `HashValue`s, so every record's step computes to the same digest and all share
/// one `ts-hashchainresult.xml`. A batch of one still gets this one-step chain (X-Road's batch
/// form, not the embedded single time-stamp), so every stamped record is verified the same way.
/// A record's chain grows with the batch (one 64-byte digest per record); batches are bounded
/// by the queue's `pending_timestamps(limit)`.
pub fn batch_timestamp_chain(signature_hashes: &[Vec<u8>]) -> BatchTimestamp {
    let list: Vec<u8> = signature_hashes
        .iter()
        .flat_map(|h| hashchain::single_digest(h, SHA512_URI))
        .collect();
    let top = ring::digest::digest(&ring::digest::SHA512, &der::encode(TAG_SEQUENCE, &list));
    let result_xml = format!(
        "<HashChainResult xmlns=\"{HASH_CHAIN_NS}\" URI=\"/ts-hashchain.xml#STEP0\">\
         <DigestMethod xmlns=\"http://www.w3.org/2000/09/xmldsig#\" Algorithm=\"{SHA512_URI}\"/>\
         <DigestValue xmlns=\"http://www.w3.org/2000/09/xmldsig#\">{}</DigestValue>\
         </HashChainResult>",
        encode_b64(top.as_ref())
    )
    .into_bytes();
    let chains = (0..signature_hashes.len())
        .map(|own| {
            let items: String = signature_hashes
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let value = format!(
                        "<DigestValue xmlns=\"http://www.w3.org/2000/09/xmldsig#\">{}</DigestValue>",
                        encode_b64(h)
                    );
                    if i == own {
                        format!("<DataRef URI=\"/META-INF/signatures.xml\">{value}</DataRef>")
                    } else {
                        format!("<HashValue>{value}</HashValue>")
                    }
                })
                .collect();
            format!(
                "<HashChain xmlns=\"{HASH_CHAIN_NS}\">\
                 <DefaultDigestMethod xmlns=\"http://www.w3.org/2000/09/xmldsig#\" Algorithm=\"{SHA512_URI}\"/>\
                 <HashStep id=\"STEP0\">{items}</HashStep></HashChain>"
            )
            .into_bytes()
        })
        .collect();
    let imprint = ring::digest::digest(&ring::digest::SHA512, &result_xml)
        .as_ref()
        .to_vec();
    BatchTimestamp {
        result_xml,
        chains,
        imprint,
    }
}

const TAG_BOOLEAN: u8 = 0x01;
const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// The content octets of a non-negative DER INTEGER holding `value` (big-endian, unsigned):
/// leading zeros stripped, one zero byte kept in front when the top bit would read as a sign.
fn unsigned_integer_content(value: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
    match trimmed.first() {
        None => vec![0],
        Some(first) if first & 0x80 != 0 => {
            let mut out = Vec::with_capacity(trimmed.len() + 1);
            out.push(0);
            out.extend_from_slice(&trimmed);
            out
        }
        Some(_) => trimmed,
    }
}

/// The DER `TimeStampReq` (RFC 3161 §2.4.1) asking a TSA to stamp `imprint`, the SHA-512
/// digest of the batch's `ts-hashchainresult.xml`: version 1, SHA-512 with NULL parameters,
/// no policy, the `nonce` as a positive INTEGER, `certReq` TRUE (the token must carry the TSA
/// certificate so the verifier can check it), no extensions.
pub fn timestamp_request(imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut algorithm = der::encode(TAG_OID, oid::SHA512);
    algorithm.extend(der::encode(TAG_NULL, &[]));
    let mut message_imprint = der::encode(TAG_SEQUENCE, &algorithm);
    message_imprint.extend(der::encode(TAG_OCTET_STRING, imprint));

    let mut body = der::encode(TAG_INTEGER, &[1]);
    body.extend(der::encode(TAG_SEQUENCE, &message_imprint));
    body.extend(der::encode(TAG_INTEGER, &unsigned_integer_content(nonce)));
    body.extend(der::encode(TAG_BOOLEAN, &[0xff]));
    der::encode(TAG_SEQUENCE, &body)
}

#[cfg(test)]
mod tests {
    use super::super::der::Tlv;
    use super::*;

    fn verify_record(
        batch: &BatchTimestamp,
        i: usize,
        signature: &[u8],
    ) -> Result<(), hashchain::HashChainError> {
        let result = hashchain::HashChainResult::parse(&batch.result_xml)?;
        let chain = batch.chains[i].clone();
        let resolve = move |name: &str| (name == "/ts-hashchain.xml").then(|| chain.clone());
        let inputs = std::collections::BTreeMap::from([(
            "/META-INF/signatures.xml".to_string(),
            signature.to_vec(),
        )]);
        hashchain::verify(&result, &resolve, &inputs)
    }

    #[test]
    fn batch_chain_verifies_each_record_and_rejects_tampering() {
        let sigs: Vec<Vec<u8>> = (0..3)
            .map(|i| format!("<sig n=\"{i}\"/>").into_bytes())
            .collect();
        let hashes: Vec<Vec<u8>> = sigs
            .iter()
            .map(|s| {
                ring::digest::digest(&ring::digest::SHA512, s)
                    .as_ref()
                    .to_vec()
            })
            .collect();
        let batch = batch_timestamp_chain(&hashes);
        assert_eq!(batch.chains.len(), 3);
        assert_eq!(
            batch.imprint,
            ring::digest::digest(&ring::digest::SHA512, &batch.result_xml).as_ref()
        );
        for (i, sig) in sigs.iter().enumerate() {
            verify_record(&batch, i, sig).unwrap();
        }
        // Record 0's signature checked against record 1's chain: the DataRef digest differs.
        assert!(matches!(
            verify_record(&batch, 1, &sigs[0]),
            Err(hashchain::HashChainError::RefMismatch(_))
        ));
        // A different batch's result does not match this chain.
        let other = batch_timestamp_chain(&hashes[..2]);
        let mixed = BatchTimestamp {
            result_xml: other.result_xml,
            ..batch.clone()
        };
        assert!(matches!(
            verify_record(&mixed, 0, &sigs[0]),
            Err(hashchain::HashChainError::ResultMismatch)
        ));
        // A batch of one is a one-step chain that verifies too.
        let one = batch_timestamp_chain(&hashes[..1]);
        verify_record(&one, 0, &sigs[0]).unwrap();
    }

    /// X-Road's own batch of two (`valid-batch-ts.asice`) is a single flat step: the chain built
    /// here from the same two digests computes to X-Road's stated result, and record 0's chain
    /// verifies the real `signatures.xml` against X-Road's `ts-hashchainresult.xml`.
    #[test]
    fn batch_chain_matches_xroads_batch_of_two() {
        let bytes = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/asic/valid-batch-ts.asice"
        ));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let mut read = |name: &str| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
            out
        };
        let chain = String::from_utf8(read("ts-hashchain.xml")).unwrap();
        let real_result = read("ts-hashchainresult.xml");
        let signatures = read("META-INF/signatures.xml");
        let digests: Vec<Vec<u8>> = chain
            .split("<DigestValue>")
            .skip(1)
            .map(|p| hashchain::decode_b64(p.split('<').next().unwrap()).unwrap())
            .collect();
        assert_eq!(digests.len(), 2);
        let ours = batch_timestamp_chain(&digests);
        let real = hashchain::HashChainResult::parse(&real_result).unwrap();
        assert_eq!(
            hashchain::HashChainResult::parse(&ours.result_xml)
                .unwrap()
                .digest,
            real.digest
        );
        let mine = ours.clone();
        verify_record(
            &BatchTimestamp {
                result_xml: real_result,
                ..mine
            },
            0,
            &signatures,
        )
        .unwrap();
    }

    /// X-Road's batch-stamped container taken apart and written again by `write_asice` still
    /// passes every check of the verifier; `mimetype` comes first, stored.
    #[test]
    fn written_container_of_xroad_parts_verifies() {
        let bytes = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/asic/valid-batch-ts.asice"
        ));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let mut read = |name: &str| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
            out
        };
        let parts = AsicParts {
            message: read("message.xml"),
            attachment: None,
            signatures: read("META-INF/signatures.xml"),
            sig_hash_chain: None,
            timestamp: Some(BatchStamp {
                token: read("META-INF/timestamp.tst"),
                chain_xml: read("ts-hashchain.xml"),
                result_xml: read("ts-hashchainresult.xml"),
            }),
        };
        let written = write_asice(&parts).unwrap();
        assert_eq!(&written[30..38], b"mimetype");
        let mut back = zip::ZipArchive::new(std::io::Cursor::new(&written[..])).unwrap();
        let first = back.by_index(0).unwrap();
        assert_eq!(first.name().unwrap(), "mimetype");
        assert_eq!(first.compression(), zip::CompressionMethod::Stored);
        drop(first);
        let mut conf = super::super::VerificationConf::default();
        conf.add_shared_params(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/globalconf_good2_v3/DEV/shared-params.xml"
        )))
        .unwrap();
        let report = super::super::verify_container(&written, &conf).unwrap();
        assert!(report.is_valid(), "{:?}", report.failure());
        let skipped: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.outcome != super::super::Outcome::Passed)
            .map(|c| c.key)
            .collect();
        // This container's signature covers the message directly: only the signature hash
        // chain check does not apply.
        assert_eq!(skipped, vec!["hash_chain"]);
        assert!(report.timestamp_time.is_some());
        // The same parts with a changed message fail.
        let mut bad = parts.clone();
        bad.message.extend_from_slice(b" ");
        let report = super::super::verify_container(&write_asice(&bad).unwrap(), &conf).unwrap();
        assert!(!report.is_valid());
        let failed = report.failure_code().unwrap();
        assert!(
            failed.contains("digest") || failed.contains("reference"),
            "{failed}"
        );
    }

    /// X-Road's container whose signature covers a hash chain, re-written: the
    /// `sig-hashchain.xml` files land where the verifier (and X-Road) expect them.
    #[test]
    fn written_container_with_signature_hash_chain_verifies() {
        let bytes = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/asic/valid-signed-hashchain.asice"
        ));
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let mut read = |name: &str| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut out).unwrap();
            out
        };
        let parts = AsicParts {
            message: read("message.xml"),
            attachment: None,
            signatures: read("META-INF/signatures.xml"),
            sig_hash_chain: Some((read("sig-hashchain.xml"), read("sig-hashchainresult.xml"))),
            timestamp: None,
        };
        let mut conf = super::super::VerificationConf::default();
        conf.add_shared_params(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/globalconf_good2_v3/DEV/shared-params.xml"
        )))
        .unwrap();
        let report = super::super::verify_container(&write_asice(&parts).unwrap(), &conf).unwrap();
        assert!(report.is_valid(), "{:?}", report.failure());
        let hash_chain = report
            .checks
            .iter()
            .find(|c| c.key == "hash_chain")
            .unwrap();
        assert_eq!(hash_chain.outcome, super::super::Outcome::Passed);
        // Without its hash chain files the same signature cannot be verified.
        let bare = AsicParts {
            sig_hash_chain: None,
            ..parts
        };
        let report = super::super::verify_container(&write_asice(&bare).unwrap(), &conf).unwrap();
        assert!(!report.is_valid());
    }

    #[test]
    fn integer_content_is_minimal_and_positive() {
        assert_eq!(unsigned_integer_content(&[0, 0, 5]), vec![5]);
        assert_eq!(unsigned_integer_content(&[0x80, 1]), vec![0, 0x80, 1]);
        assert_eq!(unsigned_integer_content(&[0, 0]), vec![0]);
        assert_eq!(unsigned_integer_content(&[]), vec![0]);
    }

    #[test]
    fn timestamp_request_parses_back() {
        let imprint = ring::digest::digest(&ring::digest::SHA512, b"batch")
            .as_ref()
            .to_vec();
        let req = timestamp_request(&imprint, &[0x9a, 1, 2, 3, 4, 5, 6, 7]);
        let top = Tlv::parse(&req).unwrap().expect(TAG_SEQUENCE).unwrap();
        let mut r = top.reader();
        assert_eq!(r.next_tag(TAG_INTEGER).unwrap().content, &[1]);
        let mi = r.next_tag(TAG_SEQUENCE).unwrap();
        let mut mr = mi.reader();
        let alg = mr.next_tag(TAG_SEQUENCE).unwrap();
        assert_eq!(der::algorithm_oid(&alg).unwrap(), oid::SHA512);
        assert_eq!(
            mr.next_tag(TAG_OCTET_STRING).unwrap().content,
            imprint.as_slice()
        );
        assert!(mr.is_empty());
        assert_eq!(
            r.next_tag(TAG_INTEGER).unwrap().content,
            &[0, 0x9a, 1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(r.next_tag(TAG_BOOLEAN).unwrap().content, &[0xff]);
        assert!(r.is_empty());
    }

    /// The independent check: `openssl ts -query` reads the request and reports its fields.
    #[test]
    fn timestamp_request_is_read_by_openssl() {
        let dir = std::env::temp_dir().join(format!("civitas-tsq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("req.tsq");
        let imprint = ring::digest::digest(&ring::digest::SHA512, b"batch")
            .as_ref()
            .to_vec();
        std::fs::write(&path, timestamp_request(&imprint, &[0x12, 0x34])).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["ts", "-query", "-in"])
            .arg(&path)
            .arg("-text")
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("sha512"), "{text}");
        assert!(text.contains("0x1234"), "{text}");
        assert!(text.contains("Certificate required: yes"), "{text}");
    }
}
