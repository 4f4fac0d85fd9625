//! The writing side of ASiC-E: an exported container (X-Road's layout) from a logged record's
//! evidence and its batch time-stamp. The batch hash chains are `tschain.rs`; the RFC 3161
//! request encoder is `trust::tsa_client::timestamp_request`.

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
    /// The container's entries after `mimetype`, in X-Road's order.
    pub fn entries(&self) -> Vec<(&'static str, &[u8])> {
        let mut entries: Vec<(&'static str, &[u8])> = vec![("message.xml", &self.message)];
        if let Some(body) = &self.attachment {
            entries.push(("attachment1", body));
        }
        entries.push(("META-INF/signatures.xml", &self.signatures));
        if let Some((chain, result)) = &self.sig_hash_chain {
            entries.push(("sig-hashchain.xml", chain));
            entries.push(("sig-hashchainresult.xml", result));
        }
        if let Some(ts) = &self.timestamp {
            entries.push(("META-INF/timestamp.tst", &ts.token));
            entries.push(("ts-hashchain.xml", &ts.chain_xml));
            entries.push(("ts-hashchainresult.xml", &ts.result_xml));
        }
        entries
    }

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
    for (name, data) in parts.entries() {
        zip.start_file(name, deflated)?;
        zip.write_all(data)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::super::der::{self, Tlv, oid};
    use super::super::hashchain;
    use super::super::tschain::BatchTimestamp;
    use super::*;
    use crate::exchange::trust::tsa_client;

    fn batch_timestamp_chain(hashes: &[Vec<u8>]) -> BatchTimestamp {
        super::super::tschain::batch_timestamp_chain(hashes).unwrap()
    }

    fn timestamp_request(imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
        tsa_client::timestamp_request(imprint, nonce).unwrap()
    }

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
    fn timestamp_request_parses_back() {
        let imprint = ring::digest::digest(&ring::digest::SHA512, b"batch")
            .as_ref()
            .to_vec();
        let req = timestamp_request(&imprint, &[0x9a, 1, 2, 3, 4, 5, 6, 7]);
        let top = Tlv::parse(&req).unwrap().expect(der::SEQUENCE).unwrap();
        let mut r = top.reader();
        assert_eq!(r.next_tag(der::INTEGER).unwrap().content, &[1]);
        let mi = r.next_tag(der::SEQUENCE).unwrap();
        let mut mr = mi.reader();
        let alg = mr.next_tag(der::SEQUENCE).unwrap();
        assert_eq!(der::algorithm_oid(&alg).unwrap(), oid::SHA512);
        assert_eq!(
            mr.next_tag(der::OCTET_STRING).unwrap().content,
            imprint.as_slice()
        );
        assert!(mr.is_empty());
        assert_eq!(
            r.next_tag(der::INTEGER).unwrap().content,
            &[0, 0x9a, 1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(r.next_tag(der::BOOLEAN).unwrap().content, &[0xff]);
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
