//! Signed evidence in the live path, checked independently: members' signing keys from the
//! loopback test PKI (CN = member code, serialNumber = INSTANCE/SERVER/CLASS, as X-Road's FiVRK
//! profile), their OCSP status from the loopback responder, a real call through `/r1`, the
//! batch time-stamp from the loopback TSA, and the ASiC-E containers downloaded from the message
//! log. Each container passes civitas' own verifier against a shared-parameters file made from
//! the test PKI, `xmlsec1` (the XAdES signature and its references, the certificate chained to
//! the test CA) and `openssl ts -verify` (the time-stamp token over the batch hash chain), and
//! fails them when tampered. A revoked signing certificate stops its member's calls before
//! anything is forwarded; body logging off keeps the signature but not the body.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use civitas_core::clock::{Clock, SystemClock};
use civitas_core::exchange::asic::VerificationConf;
use civitas_core::exchange::asic::der::oid;
use civitas_core::exchange::asic::hashchain::encode_b64;
use civitas_core::exchange::asic::sign::SigningKey;
use civitas_core::exchange::asic::x509::digest_by_oid;
use civitas_core::exchange::id::{CharRule, ClientId};
use civitas_core::exchange::trust::material::{load_cert, load_certs};
use civitas_core::exchange::trust::{OcspConfig, TrustConfig, TrustMonitor};
use civitas_web::WebSettings;
use serde_json::Value;

use crate::exchange::{CLIENT, grant_client, r1, world_with, xroad_error};
use crate::exchange_trust::{Pki, authority};
use crate::harness::client;

const POLICE_MEMBER: &str = "TW/GOV/380130000C";
const TRANSPORT_MEMBER: &str = "TW/GOV/380290000H";

fn member(path: &str) -> ClientId {
    ClientId::parse_path(path, CharRule::Strict).unwrap().id
}

fn signing_key(pki: &Pki, name: &str, path: &str) -> Arc<SigningKey> {
    let key = std::fs::read(pki.path(&format!("{name}.key"))).unwrap();
    let cert = std::fs::read(pki.path(&format!("{name}.pem"))).unwrap();
    Arc::new(SigningKey::from_pem(member(path), &key, &cert).unwrap())
}

/// A monitor with the TSA, the OCSP responder and these members' signing keys (`police`,
/// `transport`).
pub(crate) fn signing_monitor(
    pki: &Pki,
    tsa: String,
    ocsp: String,
    clock: Arc<dyn civitas_core::clock::Clock>,
    keys: &[&str],
) -> Arc<TrustMonitor> {
    let transport = civitas_delivery::TrustHttp::new(Duration::from_secs(5)).unwrap();
    Arc::new(TrustMonitor::new(
        TrustConfig {
            tsa_urls: vec![tsa],
            tsa_certs: load_certs(&pki.path("tsa.pem")).unwrap(),
            timestamp_interval_secs: 60,
            acceptable_timestamp_failure_secs: 600,
            ocsp: Some(OcspConfig {
                url: ocsp,
                cert: load_cert(&pki.path("gw.pem")).unwrap(),
                issuer: load_cert(&pki.path("ca.pem")).unwrap(),
                responders: Vec::new(),
                freshness_secs: 3600,
                interval_secs: 1200,
            }),
            signers: keys
                .iter()
                .map(|k| match *k {
                    "police" => signing_key(pki, "sign-police", POLICE_MEMBER),
                    _ => signing_key(pki, "sign-transport", TRANSPORT_MEMBER),
                })
                .collect(),
        },
        Arc::new(transport),
        clock,
    ))
}

/// The test PKI with both members' signing certificates, its TSA and OCSP responder, and a
/// monitor holding both keys (on the real clock: the responders answer in real time).
pub(crate) async fn signing_pki() -> (Pki, Arc<TrustMonitor>) {
    let pki = Pki::new();
    pki.signing_cert("sign-police", "380130000C", "GOV", "0x1003");
    pki.signing_cert("sign-transport", "380290000H", "GOV", "0x1004");
    let (tsa, _) = authority(&pki, false).await;
    let (ocsp, _) = authority(&pki, true).await;
    let m = signing_monitor(
        &pki,
        tsa,
        ocsp,
        Arc::new(SystemClock),
        &["police", "transport"],
    );
    (pki, m)
}

/// The verification configuration of the test instance, as X-Road's shared parameters.
pub(crate) fn shared_params(pki: &Pki) -> Vec<u8> {
    let b64 = |name: &str| encode_b64(&load_cert(&pki.path(name)).unwrap().der);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ns3:conf xmlns:ns3="http://x-road.eu/xsd/xroad.xsd">
  <instanceIdentifier>TW</instanceIdentifier>
  <approvedCA><name>Test CA</name><authenticationOnly>false</authenticationOnly>
    <topCA><cert>{ca}</cert><ocsp><url>http://ocsp.test</url><cert>{ca}</cert></ocsp></topCA>
    <certificateProfileInfo>ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider</certificateProfileInfo>
  </approvedCA>
  <approvedTSA><name>Test TSA</name><url>http://tsa.test</url><cert>{tsa}</cert></approvedTSA>
  <globalSettings><ocspFreshnessSeconds>3600</ocspFreshnessSeconds></globalSettings>
</ns3:conf>"#,
        ca = b64("ca.pem"),
        tsa = b64("tsa.pem"),
    )
    .into_bytes()
}

fn unzip(bytes: &[u8], dir: &Path) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let out = dir.join(entry.name().unwrap().to_string());
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let mut f = std::fs::File::create(out).unwrap();
        std::io::copy(&mut entry, &mut f).unwrap();
    }
}

/// `xmlsec1 --verify` of `META-INF/signatures.xml` with the container's parts mapped to their
/// reference URIs and the certificate chained to the test CA. Returns (passed, output).
fn xmlsec1(dir: &Path, ca: &Path) -> (bool, String) {
    let mut cmd = Command::new("xmlsec1");
    cmd.current_dir(dir).args([
        "--verify",
        "--trusted-pem",
        ca.to_str().unwrap(),
        "--id-attr:Id",
        "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        "--url-map:/message.xml",
        "message.xml",
    ]);
    if dir.join("attachment1").exists() {
        cmd.args(["--url-map:/attachment1", "attachment1"]);
    }
    let out = cmd
        .arg("META-INF/signatures.xml")
        .output()
        .expect("xmlsec1 (Debian package xmlsec1; scripts/test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `openssl ts -verify` of the container's token over what it stamps: the batch's
/// `ts-hashchainresult.xml`, or `signatures.xml` for a batch of one.
fn openssl_ts(dir: &Path, pki: &Pki) -> (bool, String) {
    let data = if dir.join("ts-hashchainresult.xml").exists() {
        "ts-hashchainresult.xml"
    } else {
        "META-INF/signatures.xml"
    };
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "ts",
            "-verify",
            "-data",
            data,
            "-in",
            "META-INF/timestamp.tst",
        ])
        .arg("-token_in")
        .arg("-CAfile")
        .arg(pki.path("ca.pem"))
        .arg("-untrusted")
        .arg(pki.path("tsa.pem"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("Verification: OK"),
        text,
    )
}

async fn log_of(w: &crate::exchange::World, admin: &str) -> Value {
    client()
        .get(w.app.url("/api/v1/exchange/log?per_page=10"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn done_when_a_container_exported_from_a_civitas_exchange_passes_independent_verification() {
    let w = world_with(WebSettings::default()).await;
    grant_client(&w).await;
    let (pki, m) = signing_pki().await;
    w.app.state.set_trust(m.clone());

    // Before any OCSP answer, nothing can be signed: refused, never forwarded.
    let before = w.calls.load(Ordering::SeqCst);
    let refused = w
        .caller
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        xroad_error(refused, 500).await,
        "Server.ServerProxy.CannotCreateSignature"
    );
    assert_eq!(w.calls.load(Ordering::SeqCst), before, "nothing forwarded");

    assert_eq!(m.refresh_signer_ocsp().await, 2, "both certificates good");
    let body = r#"{"case": 7, "note": "酒駕事故"}"#;
    let answer = w
        .caller
        .post(r1(&w, "/cases"))
        .header("x-road-client", CLIENT)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "the provider's own status passes");
    let answer_body = answer.bytes().await.unwrap();

    let admin = w.app.token("admin").await;
    let log = log_of(&w, &admin).await;
    let row = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == 201)
        .unwrap()
        .clone();
    assert_eq!(row["evidence"], serde_json::json!(["request", "response"]));
    let id = row["id"].as_i64().unwrap();
    let url = |side: &str| {
        w.app
            .url(&format!("/api/v1/exchange/messages/{id}/asice?side={side}"))
    };

    // Not stamped yet: a clear conflict, not a container that would fail verification.
    let early = client()
        .get(url("request"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409);
    let e: Value = early.json().await.unwrap();
    assert_eq!(e["code"], "conflict", "{e}");

    assert_eq!(
        w.app
            .platform()
            .exchange()
            .stamp_pending(&m, 10_000)
            .await
            .unwrap(),
        2
    );

    let mut conf = VerificationConf::default();
    conf.add_shared_params(&shared_params(&pki)).unwrap();
    for (side, signer, part_body) in [
        ("request", POLICE_MEMBER, body.as_bytes()),
        ("response", TRANSPORT_MEMBER, &answer_body[..]),
    ] {
        let r = client()
            .get(url(side))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{side}");
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.etsi.asic-e+zip"
        );
        let bytes = r.bytes().await.unwrap().to_vec();

        // civitas' verifier, every check.
        let report = civitas_core::exchange::asic::verify_container(&bytes, &conf).unwrap();
        assert!(report.is_valid(), "{side}: {report:?}");
        for key in ["signer_member", "ocsp", "timestamp", "certificate_chain"] {
            let check = report.checks.iter().find(|c| c.key == key).unwrap();
            assert_eq!(
                check.outcome,
                civitas_core::exchange::asic::Outcome::Passed,
                "{side} {key}"
            );
        }
        assert!(
            report
                .signer
                .as_deref()
                .unwrap_or_default()
                .contains(signer.rsplit('/').next().unwrap()),
            "{side}: {:?}",
            report.signer
        );

        // Independent tools.
        let dir = tempfile::tempdir().unwrap();
        unzip(&bytes, dir.path());
        assert_eq!(
            std::fs::read(dir.path().join("attachment1")).unwrap(),
            part_body
        );
        let message = std::fs::read_to_string(dir.path().join("message.xml")).unwrap();
        assert!(
            message
                .to_lowercase()
                .contains(&format!("x-road-client:{CLIENT}").to_lowercase()),
            "{message}"
        );
        let (ok, out) = xmlsec1(dir.path(), &pki.path("ca.pem"));
        assert!(ok && out.contains("OK"), "{side}: xmlsec1 says: {out}");
        let (ok, out) = openssl_ts(dir.path(), &pki);
        assert!(ok, "{side}: openssl ts says: {out}");

        // Tampered: the body changes, and both verifiers say no.
        std::fs::write(dir.path().join("attachment1"), b"{\"case\": 8}").unwrap();
        let (ok, out) = xmlsec1(dir.path(), &pki.path("ca.pem"));
        assert!(!ok, "{side}: a changed body must fail xmlsec1: {out}");
        let tampered = {
            let mut parts = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
            let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for i in 0..parts.len() {
                let mut e = parts.by_index(i).unwrap();
                let name = e.name().unwrap().to_string();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                if name == "attachment1" {
                    data = b"{\"case\": 8}".to_vec();
                }
                out.start_file(name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                std::io::Write::write_all(&mut out, &data).unwrap();
            }
            out.finish().unwrap().into_inner()
        };
        let report = civitas_core::exchange::asic::verify_container(&tampered, &conf).unwrap();
        assert!(!report.is_valid(), "{side}: a changed body must fail");
    }

    // The browser downloads the same container from the log page.
    let (browser, _) = w.app.browser("admin").await;
    let page = browser
        .get(w.app.url("/exchange/log"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/exchange/log/{id}/response.asice")),
        "{page}"
    );
    let file = browser
        .get(w.app.url(&format!("/exchange/log/{id}/response.asice")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    let report =
        civitas_core::exchange::asic::verify_container(&file.bytes().await.unwrap(), &conf)
            .unwrap();
    assert!(report.is_valid());

    // The stamped records go into a hash-linked archive, once; a later call goes into the
    // next archive, linked to the first; a changed container breaks the chain.
    use civitas_core::exchange::archive::verify_archive;
    let archives = tempfile::tempdir().unwrap();
    let x = w.app.platform().exchange();
    let (first, n) = x
        .archive_pending(archives.path(), 10_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 2);
    assert!(
        first.starts_with("mlog-") && first.ends_with(".zip"),
        "{first}"
    );
    assert!(
        x.archive_pending(archives.path(), 10_000)
            .await
            .unwrap()
            .is_none(),
        "nothing twice"
    );
    let again = w
        .caller
        .get(r1(&w, "/cases/9"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(
        x.archive_pending(archives.path(), 10_000)
            .await
            .unwrap()
            .is_none(),
        "not stamped yet"
    );
    assert_eq!(x.stamp_pending(&m, 10_000).await.unwrap(), 2);
    let (second, _) = x
        .archive_pending(archives.path(), 10_000)
        .await
        .unwrap()
        .unwrap();
    let first_bytes = std::fs::read(archives.path().join(&first)).unwrap();
    let one = verify_archive(&first_bytes, &first, None).unwrap();
    assert!(one.previous.is_start());
    assert_eq!(one.entries.len(), 2);
    // Each archived container still verifies on its own.
    for (_, container) in &one.entries {
        let report = civitas_core::exchange::asic::verify_container(container, &conf).unwrap();
        assert!(report.is_valid());
    }
    let second_bytes = std::fs::read(archives.path().join(&second)).unwrap();
    let two = verify_archive(&second_bytes, &second, Some(&one.link)).unwrap();
    assert_eq!(two.previous.file_name, first);
    // Replace the first archive with one whose first container changed: its linking info no
    // longer matches, and the second archive's link to it breaks.
    let forged = civitas_core::exchange::archive::write_archive(
        &Default::default(),
        &[
            (one.entries[0].0.clone(), b"forged".to_vec()),
            one.entries[1].clone(),
        ],
    )
    .unwrap();
    let forged_link = verify_archive(&forged.0, &first, None).unwrap().link;
    assert!(verify_archive(&second_bytes, &second, Some(&forged_link)).is_err());

    // The provider's certificate is revoked: its calls stop before anything is forwarded.
    pki.revoke("0x1004");
    assert_eq!(m.refresh_signer_ocsp().await, 1);
    let health: Value = client()
        .get(w.app.url("/api/v1/exchange/health"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let transport = health["signers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["member"] == TRANSPORT_MEMBER)
        .unwrap();
    assert_eq!(transport["status"], "revoked", "{health}");
    assert_eq!(transport["ok"], false);
    let before = w.calls.load(Ordering::SeqCst);
    let refused = w
        .caller
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        xroad_error(refused, 500).await,
        "Server.ServerProxy.CannotCreateSignature"
    );
    assert_eq!(w.calls.load(Ordering::SeqCst), before, "nothing forwarded");
    let page = browser
        .get(w.app.url("/exchange/readiness"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("機關簽章憑證") && page.contains("已撤銷"),
        "{page}"
    );
}

#[tokio::test]
async fn with_body_logging_off_for_a_subsystem_the_signature_stays_and_the_body_is_not_kept() {
    let w = world_with(WebSettings {
        exchange_body_logging_off: vec![CLIENT.to_string()],
        ..WebSettings::default()
    })
    .await;
    grant_client(&w).await;
    let (_pki, m) = signing_pki().await;
    w.app.state.set_trust(m.clone());
    assert_eq!(m.refresh_signer_ocsp().await, 2);
    let answer = w
        .caller
        .post(r1(&w, "/cases"))
        .header("x-road-client", CLIENT)
        .body("secret body")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let admin = w.app.token("admin").await;
    let log = log_of(&w, &admin).await;
    let id = log["items"][0]["id"].as_i64().unwrap();
    let (_, evidence) = w
        .app
        .platform()
        .exchange()
        .message_evidence(&crate::harness::operator(), id)
        .await
        .unwrap();
    assert_eq!(evidence.len(), 2);
    for e in &evidence {
        assert!(e.evidence.body.is_none(), "no body kept");
        assert!(e.evidence.body_omitted, "but its signature covers one");
        assert!(!e.evidence.signature.is_empty());
    }
    // The signature still names the body's digest: the request's own signed a SHA-512 of it.
    let request = evidence
        .iter()
        .find(|e| e.evidence.side == civitas_core::exchange::MessageSide::Request)
        .unwrap();
    let digest = encode_b64(&digest_by_oid(oid::SHA512, b"secret body").unwrap());
    let signature = String::from_utf8_lossy(&request.evidence.signature);
    assert!(signature.contains(&digest), "{signature}");
    assert!(!signature.contains("secret body"));
}

/// X-Road's batch signature: three messages waiting for one key get one signature over a hash
/// chain; each message's container (its own `sig-hashchain.xml`, the shared result) verifies
/// with civitas' verifier, its signature with `xmlsec1`; a message swapped between two chains
/// fails. Under concurrent calls through `/r1`, every logged container verifies, however the
/// signing thread batched them.
#[tokio::test]
async fn a_batch_signature_covers_each_message_through_its_own_hash_chain() {
    use civitas_core::exchange::asic::build::{AsicParts, write_asice};
    use civitas_core::exchange::asic::sign::sign_batch;

    let (pki, m) = signing_pki().await;
    assert_eq!(m.refresh_signer_ocsp().await, 2);
    let mut conf = VerificationConf::default();
    conf.add_shared_params(&shared_params(&pki)).unwrap();

    let key = signing_key(&pki, "sign-police", POLICE_MEMBER);
    let messages: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..3)
        .map(|i| {
            (
                format!(
                    "GET\r\n/r1/{}/cases/{i}\r\nx-road-client:{CLIENT}\r\n",
                    "TW/GOV/380290000H/TRANSPORT-API/bus"
                )
                .into_bytes(),
                (i != 1).then(|| format!("{{\"case\": {i}}}").into_bytes()),
            )
        })
        .collect();
    let refs: Vec<(&[u8], Option<&[u8]>)> = messages
        .iter()
        .map(|(m, b)| (m.as_slice(), b.as_deref()))
        .collect();
    // The OCSP response embedded, as the node would.
    let ocsp_der = {
        let ca = load_cert(&pki.path("ca.pem")).unwrap();
        let request =
            civitas_core::exchange::trust::ocsp_client::ocsp_request(key.certificate(), &ca);
        std::fs::write(pki.path("batch.req"), request).unwrap();
        crate::exchange_trust::openssl(
            pki.path("").as_path(),
            &[
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "ca.pem",
                "-rsigner",
                "ca.pem",
                "-rkey",
                "ca.key",
                "-reqin",
                "batch.req",
                "-respout",
                "batch.resp",
                "-ndays",
                "1",
            ],
        );
        std::fs::read(pki.path("batch.resp")).unwrap()
    };
    let signed = sign_batch(&key, &refs, SystemClock.now().inner(), Some(&ocsp_der)).unwrap();
    assert_eq!(signed.len(), 3);
    assert!(
        signed.iter().all(|s| s.signature == signed[0].signature),
        "one signature"
    );
    // A batch stamp over the three signatures (as the log's time-stamping does).
    let hashes: Vec<Vec<u8>> = signed
        .iter()
        .map(|s| digest_by_oid(oid::SHA512, &s.signature).unwrap())
        .collect();
    let batch = civitas_core::exchange::asic::tschain::batch_timestamp_chain(&hashes).unwrap();
    let token = m.timestamp(&batch.imprint).await.unwrap().token_der;
    let container = |i: usize, message: &[u8]| {
        write_asice(&AsicParts {
            message: message.to_vec(),
            attachment: messages[i].1.clone(),
            signatures: signed[i].signature.clone(),
            sig_hash_chain: signed[i].sig_hash_chain.clone(),
            timestamp: Some(civitas_core::exchange::asic::build::BatchStamp {
                token: token.clone(),
                chain_xml: batch.chains[i].clone(),
                result_xml: batch.result_xml.clone(),
            }),
        })
        .unwrap()
    };
    for (i, (message, _)) in messages.iter().enumerate() {
        let bytes = container(i, message);
        let report = civitas_core::exchange::asic::verify_container(&bytes, &conf).unwrap();
        assert!(report.is_valid(), "message {i}: {report:?}");
        let chain = report
            .checks
            .iter()
            .find(|c| c.key == "hash_chain")
            .unwrap();
        assert_eq!(chain.outcome, civitas_core::exchange::asic::Outcome::Passed);
        // xmlsec1 checks the signature over the shared result.
        let dir = tempfile::tempdir().unwrap();
        unzip(&bytes, dir.path());
        let out = Command::new("xmlsec1")
            .current_dir(dir.path())
            .args([
                "--verify",
                "--trusted-pem",
                pki.path("ca.pem").to_str().unwrap(),
                "--id-attr:Id",
                "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
                "--url-map:/sig-hashchainresult.xml",
                "sig-hashchainresult.xml",
                "META-INF/signatures.xml",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Message 0's parts on message 2's chain: the chain does not lead to the signed result.
    let swapped = container(2, &messages[0].0);
    let report = civitas_core::exchange::asic::verify_container(&swapped, &conf).unwrap();
    assert!(!report.is_valid());

    // A receiving node checks a batch signature in full once; the batch's other messages then
    // check only their own hash chain and signer. Neither shortcut lets through what the full
    // check refuses: a message on another's chain, or a message naming another member as its
    // client under the police's batch signature.
    use civitas_core::exchange::asic::check_signed_message;
    let other_member = format!(
        "GET\r\n/r1/TW/GOV/380290000H/TRANSPORT-API/bus/cases\r\nx-road-client:{TRANSPORT_MEMBER}/TRANSPORT-API\r\n"
    )
    .into_bytes();
    let with_other: Vec<(&[u8], Option<&[u8]>)> = vec![refs[0], (other_member.as_slice(), None)];
    let mixed = sign_batch(
        &key,
        &with_other,
        SystemClock.now().inner(),
        Some(&ocsp_der),
    )
    .unwrap();
    let check = |conf: &VerificationConf,
                 i: usize,
                 signed: &[civitas_core::exchange::asic::sign::Signed],
                 message: &[u8],
                 body: Option<&[u8]>| {
        check_signed_message(
            message,
            body,
            &signed[i].signature,
            signed[i].sig_hash_chain.as_ref(),
            conf,
        )
    };
    let fresh = || {
        let mut c = VerificationConf::default();
        c.add_shared_params(&shared_params(&pki)).unwrap();
        c
    };
    // Without a remembered verdict, the full check refuses the other member's message.
    let err = check(&fresh(), 1, &mixed, &other_member, None).unwrap_err();
    assert!(err.contains("signer_not_member"), "{err}");
    let receiving = fresh();
    check(
        &receiving,
        0,
        &mixed,
        &messages[0].0,
        messages[0].1.as_deref(),
    )
    .unwrap();
    let remembered = civitas_core::exchange::asic::conf::BatchVerdicts::key(
        &mixed[0].signature,
        &mixed[0].sig_hash_chain.as_ref().unwrap().1,
    );
    assert!(receiving.batch_verdicts.get(&remembered).is_some());
    let err = check(&receiving, 1, &mixed, &other_member, None).unwrap_err();
    assert!(err.contains("signer_not_member"), "{err}");
    // The first batch: each message passes on the remembered verdict; a swapped one does not.
    for (i, (message, body)) in messages.iter().enumerate() {
        check(&receiving, i, &signed, message, body.as_deref()).unwrap();
    }
    let err = check(
        &receiving,
        2,
        &signed,
        &messages[0].0,
        messages[2].1.as_deref(),
    )
    .unwrap_err();
    assert!(err.contains("hash_chain"), "{err}");
    let err = check(
        &receiving,
        2,
        &signed,
        &messages[2].0,
        Some(b"another body"),
    )
    .unwrap_err();
    assert!(err.contains("hash_chain"), "{err}");

    // Concurrent calls through the gateway: every container verifies.
    let w = world_with(WebSettings::default()).await;
    grant_client(&w).await;
    w.app.state.set_trust(m.clone());
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (caller, url) = (w.caller.clone(), r1(&w, "/cases"));
        calls.spawn(async move {
            caller
                .post(url)
                .header("x-road-client", CLIENT)
                .body(format!("{{\"case\": {i}}}"))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = calls.join_next().await {
        assert_eq!(status.unwrap(), 201);
    }
    let x = w.app.platform().exchange();
    assert_eq!(x.stamp_pending(&m, 10_000).await.unwrap(), 24);
    let admin = w.app.token("admin").await;
    let log: Value = client()
        .get(w.app.url("/api/v1/exchange/log?per_page=50"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut batched = 0;
    for row in log["items"].as_array().unwrap() {
        let id = row["id"].as_i64().unwrap();
        for side in [
            civitas_core::exchange::MessageSide::Request,
            civitas_core::exchange::MessageSide::Response,
        ] {
            let (_, bytes) = x
                .message_container(&crate::harness::operator(), id, side)
                .await
                .unwrap();
            let report = civitas_core::exchange::asic::verify_container(&bytes, &conf).unwrap();
            assert!(report.is_valid(), "{id} {side:?}: {report:?}");
            if report.checks.iter().any(|c| {
                c.key == "hash_chain" && c.outcome == civitas_core::exchange::asic::Outcome::Passed
            }) {
                batched += 1;
            }
        }
    }
    println!("{batched} of 24 messages were signed in batches");
}
