//! X-Road's own containers, verified against X-Road's own global configuration
//! (fixtures/xroad, MIT): every valid one passes, every broken one fails for its own reason.

use super::super::{Outcome, VerificationConf, verify_container};

macro_rules! fixture {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/xroad/",
            $path
        ))
    };
}

fn conf() -> VerificationConf {
    let mut conf = VerificationConf::default();
    conf.add_shared_params(fixture!("globalconf_good2_v3/DEV/shared-params.xml"))
        .unwrap();
    conf
}

#[test]
fn the_global_configuration_gives_one_ca_its_ocsp_responder_and_one_tsa() {
    let conf = conf();
    assert_eq!(conf.instances, vec!["DEV".to_string()]);
    assert_eq!(conf.cas.len(), 1);
    assert_eq!(conf.cas[0].top.subject_text(), "O=Test, CN=Test CA");
    assert_eq!(conf.cas[0].ocsp_certs.len(), 1);
    assert_eq!(conf.tsas.len(), 1);
    assert_eq!(conf.tsas[0].cert.subject_text(), "O=Test, CN=Test TSA");
    assert_eq!(conf.ocsp_freshness(), 3600);
    let mut bad = VerificationConf::default();
    assert!(bad.add_shared_params(b"<other/>").is_err());
}

fn outcome(bytes: &[u8]) -> (Option<&'static str>, usize) {
    let report = verify_container(bytes, &conf()).unwrap();
    (report.failure_code(), report.warnings.len())
}

#[test]
fn the_five_valid_x_road_containers_verify() {
    for (name, bytes) in [
        (
            "valid-signed-message",
            &fixture!("asic/valid-signed-message.asice")[..],
        ),
        (
            "valid-signed-hashchain",
            &fixture!("asic/valid-signed-hashchain.asice")[..],
        ),
        ("valid-batch-ts", &fixture!("asic/valid-batch-ts.asice")[..]),
        (
            "valid-non-batch-rest",
            &fixture!("asic/valid-non-batch-rest.asice")[..],
        ),
        (
            "valid-non-batch-soap-attachments",
            &fixture!("asic/valid-non-batch-soap-attachments.asice")[..],
        ),
    ] {
        let report = verify_container(bytes, &conf()).unwrap();
        assert!(report.is_valid(), "{name}: {:#?}", report.checks);
        assert!(report.warnings.is_empty(), "{name}: {:?}", report.warnings);
        assert!(report.timestamp_time.is_some(), "{name}");
        // Every check ran or was skipped only because it does not apply.
        for c in &report.checks {
            match &c.outcome {
                Outcome::Passed => {}
                Outcome::Skipped { .. } => assert_eq!(c.key, "hash_chain", "{name}"),
                Outcome::Failed { .. } => unreachable!(),
            }
        }
    }
}

#[test]
fn each_broken_container_fails_for_its_own_reason() {
    let cases: [(&str, &[u8], &str); 7] = [
        (
            "wrong-message",
            fixture!("asic/wrong-message.asice"),
            "reference_digest_mismatch",
        ),
        (
            "invalid-digest",
            fixture!("asic/invalid-digest.asice"),
            "signed_properties_digest_mismatch",
        ),
        (
            "invalid-signed-hashchain",
            fixture!("asic/invalid-signed-hashchain.asice"),
            "hash_chain_ref_mismatch",
        ),
        (
            "invalid-hashchain-modified-message",
            fixture!("asic/invalid-hashchain-modified-message.asice"),
            "hash_chain_unused_inputs",
        ),
        (
            "invalid-incorrect-references",
            fixture!("asic/invalid-incorrect-references.asice"),
            "reference_missing",
        ),
        (
            "invalid-ts-hashchainresult",
            fixture!("asic/invalid-ts-hashchainresult.asice"),
            "timestamp_hash_chain_malformed",
        ),
        (
            "attachments",
            fixture!("asic/attachments.asice"),
            "certificate_untrusted",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, bytes, code) in cases {
        assert_eq!(outcome(bytes).0, Some(code), "{name}");
        seen.insert(code);
    }
    assert_eq!(seen.len(), 7, "each container has a reason of its own");
}

#[test]
fn unsigned_hash_chain_files_are_accepted_as_x_road_does_but_warned_about() {
    let (code, warnings) = outcome(fixture!("asic/invalid-not-signed-hashchain.asice"));
    assert_eq!(code, None);
    assert_eq!(warnings, 1);
}

#[test]
fn a_container_checked_against_an_empty_configuration_is_untrusted() {
    let report = verify_container(
        fixture!("asic/valid-signed-message.asice"),
        &VerificationConf::default(),
    )
    .unwrap();
    assert_eq!(report.failure_code(), Some("certificate_untrusted"));
    let ts = report.checks.iter().find(|c| c.key == "timestamp").unwrap();
    assert!(matches!(
        ts.outcome,
        Outcome::Failed {
            code: "timestamp_untrusted",
            ..
        }
    ));
}

#[test]
fn bytes_that_are_not_a_zip_are_unusable_and_a_zip_without_asic_parts_is_invalid() {
    assert!(verify_container(b"not a zip at all", &conf()).is_err());
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("mimetype", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, b"application/zip").unwrap();
        w.finish().unwrap();
    }
    let report = verify_container(buf.get_ref(), &conf()).unwrap();
    assert_eq!(report.failure_code(), Some("asic_mimetype_wrong"));
}

/// The container with one entry changed by `edit`.
fn rewritten(bytes: &[u8], name: &str, edit: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            if f.is_dir() {
                continue;
            }
            let entry = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if entry == name {
                edit(&mut data);
            }
            w.start_file(entry, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

#[test]
fn changing_a_byte_of_the_rest_body_or_the_signature_value_is_caught() {
    let rest = fixture!("asic/valid-non-batch-rest.asice");
    // The re-packed but unchanged container still verifies.
    assert_eq!(outcome(&rewritten(rest, "attachment1", |_| {})).0, None);
    let body = rewritten(rest, "attachment1", |d| d[0] ^= 1);
    assert_eq!(outcome(&body).0, Some("reference_digest_mismatch"));
    let sig = rewritten(rest, "META-INF/signatures.xml", |d| {
        let s = String::from_utf8(d.clone()).unwrap();
        let at = s.find("<ds:SignatureValue").unwrap();
        let value = at + s[at..].find('>').unwrap() + 1;
        // Swap two base64 characters of the signature value.
        d.swap(value, value + 1);
    });
    assert_eq!(outcome(&sig).0, Some("signature_value_invalid"));
}

#[test]
fn an_ocsp_response_older_than_the_configured_freshness_is_stale() {
    // The SOAP container's OCSP response was taken 16 minutes before it was signed.
    let bytes = fixture!("asic/valid-non-batch-soap-attachments.asice");
    let mut strict = conf();
    strict.ocsp_freshness_seconds = Some(600);
    let report = verify_container(bytes, &strict).unwrap();
    assert_eq!(report.failure_code(), Some("ocsp_stale"));
    strict.ocsp_freshness_seconds = Some(1200);
    assert!(verify_container(bytes, &strict).unwrap().is_valid());
}

/// Replace the base64 content of the first `<tag …>…</tag>` in signatures.xml after `edit`
/// changed its decoded bytes.
fn edit_base64_element(xml: &mut Vec<u8>, tag: &str, edit: impl Fn(&mut Vec<u8>)) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let s = String::from_utf8(xml.clone()).unwrap();
    let open = s.find(&format!("<{tag}")).unwrap();
    let start = open + s[open..].find('>').unwrap() + 1;
    let end = start + s[start..].find('<').unwrap();
    let clean: String = s[start..end]
        .replace("&#13;", "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut bytes = b64.decode(clean).unwrap();
    edit(&mut bytes);
    *xml = format!("{}{}{}", &s[..start], b64.encode(bytes), &s[end..]).into_bytes();
}

/// Change the last digit of the first occurrence of `time` (a DER time's digits).
fn bump_time(bytes: &mut [u8], time: &[u8]) {
    let at = bytes.windows(time.len()).position(|w| w == time).unwrap();
    bytes[at + time.len() - 2] ^= 0x01;
}

#[test]
fn an_ocsp_response_changed_after_signing_no_longer_verifies() {
    // The OCSP response is an unsigned property: the signature still verifies, the OCSP
    // responder's signature does not.
    let bytes = rewritten(
        fixture!("asic/valid-signed-message.asice"),
        "META-INF/signatures.xml",
        |xml| {
            edit_base64_element(xml, "xades:EncapsulatedOCSPValue", |der| {
                bump_time(der, b"20241205131326Z")
            })
        },
    );
    let report = verify_container(&bytes, &conf()).unwrap();
    assert_eq!(report.failure_code(), Some("ocsp_signature_invalid"));
    assert_eq!(
        report
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
            .count(),
        1,
        "{:#?}",
        report.checks
    );
}

#[test]
fn a_time_stamp_whose_time_was_changed_no_longer_verifies() {
    // The embedded time-stamp's TSTInfo says 13:16:35; make it 13:16:34.
    let bytes = rewritten(
        fixture!("asic/valid-signed-message.asice"),
        "META-INF/signatures.xml",
        |xml| {
            edit_base64_element(xml, "xades:EncapsulatedTimeStamp", |der| {
                bump_time(der, b"20241205131635Z")
            })
        },
    );
    let report = verify_container(&bytes, &conf()).unwrap();
    assert_eq!(report.failure_code(), Some("timestamp_signature_invalid"));
    // A batch time-stamp over another hash chain result is caught by its imprint.
    let batch = rewritten(
        fixture!("asic/valid-batch-ts.asice"),
        "ts-hashchainresult.xml",
        |x| x.extend_from_slice(b"\n"),
    );
    let report = verify_container(&batch, &conf()).unwrap();
    assert_eq!(report.failure_code(), Some("timestamp_imprint_mismatch"));
}

#[test]
fn the_signer_must_be_the_client_of_a_request_or_the_provider_of_a_response() {
    use super::message_signer;
    let rest_response = b"200\r\nOK\r\nx-road-client:DEV/COM/4422/TestClient\r\nx-road-service:DEV/COM/1234/TestService/mock1\r\n";
    assert_eq!(
        message_signer(rest_response).unwrap().to_path(),
        "DEV/COM/1234"
    );
    let rest_request =
        b"GET\r\n/r1/DEV/COM/1234/TestService/mock1\r\nx-road-client:DEV/COM/4422/TestClient\r\n";
    assert_eq!(
        message_signer(rest_request).unwrap().to_path(),
        "DEV/COM/4422"
    );
    let no_client = b"GET\r\n/r1/DEV/COM/1234/TestService/mock1\r\nAccept:*/*\r\n";
    assert_eq!(
        message_signer(no_client).unwrap_err().0,
        "message_malformed"
    );
    let soap = |body: &str| {
        format!(
            r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><e:Header><x:client id:objectType="MEMBER"><id:xRoadInstance>TW</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>A1</id:memberCode></x:client><x:service id:objectType="SERVICE"><id:xRoadInstance>TW</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>B2</id:memberCode><id:subsystemCode>s</id:subsystemCode><id:serviceCode>get</id:serviceCode></x:service></e:Header><e:Body>{body}</e:Body></e:Envelope>"#
        )
    };
    assert_eq!(
        message_signer(soap("<p:get xmlns:p=\"urn:p\"/>").as_bytes())
            .unwrap()
            .to_path(),
        "TW/GOV/A1"
    );
    assert_eq!(
        message_signer(soap("<p:getResponse xmlns:p=\"urn:p\"/>").as_bytes())
            .unwrap()
            .to_path(),
        "TW/GOV/B2"
    );
}

#[test]
fn a_ca_whose_certificate_profile_we_cannot_read_skips_the_signer_check() {
    let mut other = conf();
    other.cas[0].certificate_profile = Some("tw.gov.gca.SomeProfile".into());
    let report = verify_container(fixture!("asic/valid-batch-ts.asice"), &other).unwrap();
    assert!(report.is_valid());
    let c = report
        .checks
        .iter()
        .find(|c| c.key == "signer_member")
        .unwrap();
    assert!(matches!(c.outcome, Outcome::Skipped { .. }));
    let c = verify_container(fixture!("asic/valid-batch-ts.asice"), &conf()).unwrap();
    let c = c.checks.iter().find(|c| c.key == "signer_member").unwrap();
    assert_eq!(c.outcome, Outcome::Passed);
}
