//! The exchange gateway's trust services on loopback: a test PKI made with the `openssl` CLI
//! at test time (a CA, a TSA, a rogue TSA, the gateway's certificate and a revoked one), an
//! RFC 3161 TSA and an OCSP responder served by this test (axum answering with
//! `openssl ts -reply` and `openssl ocsp`), and the real HTTP transport of the delivery crate.
//! Proves: good tokens are accepted and foreign, forged or replayed ones refused; OCSP says
//! good, revoked, and goes stale; with the TSA down, `/r1` keeps working until the acceptable
//! failure period passes, then refuses with X-Road's time-stamping error, and recovers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use civitas_core::clock::{Clock, ManualClock, SystemClock};
use civitas_core::exchange::asic::tsp::TimeStampToken;
use civitas_core::exchange::trust::material::{load_cert, load_certs};
use civitas_core::exchange::trust::{OcspConfig, OcspStatus, TrustConfig, TrustMonitor};
use serde_json::Value;
use tempfile::TempDir;

use crate::exchange::{CLIENT, grant_client, r1, world, xroad_error};
use crate::harness::client;

const EXT: &str = "[req]\ndistinguished_name=dn\n[dn]\n\
[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
[tsa]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=critical,timeStamping\n\
[leaf]\nbasicConstraints=CA:FALSE\n\
[sign]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation\n";

pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl CLI");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `<name>.key` and `<name>.pem`: a new RSA key and its certificate from the test CA.
fn issue(d: &Path, name: &str, subject: &str, serial: &str, ext: &str) {
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    openssl(
        d,
        &[
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-subj", subject,
            "-out", &csr, "-config", "ext.cnf",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            serial,
            "-days",
            "365",
            "-extfile",
            "ext.cnf",
            "-extensions",
            ext,
            "-out",
            &pem,
        ],
    );
}

/// The test PKI, made fresh for each test.
pub(crate) struct Pki {
    dir: TempDir,
}

impl Pki {
    pub(crate) fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ext.cnf"), EXT).unwrap();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=Test CA",
                "-days",
                "3650",
                "-config",
                "ext.cnf",
                "-extensions",
                "ca",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "rogue.key",
                "-out",
                "rogue.pem",
                "-subj",
                "/CN=Rogue TSA",
                "-days",
                "365",
                "-config",
                "ext.cnf",
                "-extensions",
                "tsa",
            ],
        );
        for (name, cn, serial, ext) in [
            ("tsa", "/CN=Test TSA", "0x2001", "tsa"),
            ("gw", "/CN=Gateway", "0x1001", "leaf"),
            ("rev", "/CN=Revoked", "0x1002", "leaf"),
        ] {
            issue(d, name, cn, serial, ext);
        }
        std::fs::write(d.join("tsaserial"), "01\n").unwrap();
        std::fs::write(
            d.join("ts.cnf"),
            format!(
                "[tsa]\ndefault_tsa=t\n[t]\nserial={}\ncrypto_device=builtin\nsigner_digest=sha256\n\
                 default_policy=1.2.3.4.1\ndigests=sha256,sha384,sha512\naccuracy=secs:1\n\
                 ordering=no\ntsa_name=no\ness_cert_id_chain=no\ness_cert_id_alg=sha256\n",
                d.join("tsaserial").display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("index.txt"),
            "V\t491231235959Z\t\t1001\tunknown\t/CN=Gateway\n\
             R\t491231235959Z\t240101000000Z\t1002\tunknown\t/CN=Revoked\n",
        )
        .unwrap();
        Pki { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A member signing certificate as X-Road's FiVRK profile has it (CN = member code,
    /// serialNumber = INSTANCE/SERVER/CLASS), issued by the CA and good in the OCSP index.
    pub(crate) fn signing_cert(&self, name: &str, code: &str, class: &str, serial: &str) {
        let d = self.dir.path();
        let subject = format!("/C=TW/O=Taoyuan/CN={code}/serialNumber=TW\\/SS1\\/{class}");
        issue(d, name, &subject, serial, "sign");
        let hex = serial.trim_start_matches("0x").to_uppercase();
        let mut index = std::fs::read_to_string(d.join("index.txt")).unwrap();
        index.push_str(&format!("V\t491231235959Z\t\t{hex}\tunknown\t/CN={code}\n"));
        std::fs::write(d.join("index.txt"), index).unwrap();
    }

    /// Mark a certificate revoked in the OCSP index.
    pub(crate) fn revoke(&self, serial: &str) {
        let d = self.dir.path();
        let hex = serial.trim_start_matches("0x").to_uppercase();
        let index = std::fs::read_to_string(d.join("index.txt"))
            .unwrap()
            .replace(
                &format!("V\t491231235959Z\t\t{hex}\t"),
                &format!("R\t491231235959Z\t240101000000Z\t{hex}\t"),
            );
        std::fs::write(d.join("index.txt"), index).unwrap();
    }
}

const GOOD: u8 = 0;
const DOWN: u8 = 1;
const OTHER_IMPRINT: u8 = 2;
const ROGUE: u8 = 3;
const REPLAY: u8 = 4;
/// A good reply with the last byte of the signature flipped.
const CORRUPT: u8 = 5;
/// A web page where the TSA should be (a wrong address behind a proxy).
const HTML: u8 = 6;

#[derive(Clone)]
struct Authority {
    dir: PathBuf,
    mode: Arc<AtomicU8>,
    n: Arc<AtomicUsize>,
    last: Arc<Mutex<Option<Vec<u8>>>>,
}

fn der_answer(content_type: &'static str, body: Vec<u8>) -> Response {
    ([("content-type", content_type)], body).into_response()
}

/// An RFC 3161 TSA: `openssl ts -reply` with the test TSA's key, or misbehaving as told.
async fn tsa_handler(State(a): State<Authority>, query: Bytes) -> Response {
    let mode = a.mode.load(Ordering::SeqCst);
    if mode == DOWN {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    if mode == HTML {
        return ([("content-type", "text/html")], "<html>sign in</html>").into_response();
    }
    if mode == REPLAY {
        let last = a.last.lock().unwrap().clone().unwrap();
        return der_answer("application/timestamp-reply", last);
    }
    let n = a.n.fetch_add(1, Ordering::SeqCst);
    let dir = a.dir.clone();
    let reply = tokio::task::spawn_blocking(move || {
        let q = format!("q{n}.tsq");
        let r = format!("r{n}.tsr");
        if mode == OTHER_IMPRINT {
            std::fs::write(dir.join(format!("d{n}")), b"someone else's data").unwrap();
            openssl(
                &dir,
                &[
                    "ts",
                    "-query",
                    "-data",
                    &format!("d{n}"),
                    "-sha512",
                    "-cert",
                    "-out",
                    &q,
                ],
            );
        } else {
            std::fs::write(dir.join(&q), &query).unwrap();
        }
        let signer = if mode == ROGUE { "rogue" } else { "tsa" };
        openssl(
            &dir,
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-queryfile",
                &q,
                "-signer",
                &format!("{signer}.pem"),
                "-inkey",
                &format!("{signer}.key"),
                "-out",
                &r,
            ],
        );
        std::fs::read(dir.join(&r)).unwrap()
    })
    .await
    .unwrap();
    let mut reply = reply;
    if mode == CORRUPT {
        // The SignerInfo's signature is the reply's last element (no unsigned attributes).
        *reply.last_mut().unwrap() ^= 0x01;
    }
    *a.last.lock().unwrap() = Some(reply.clone());
    der_answer("application/timestamp-reply", reply)
}

/// An OCSP responder signing with the CA's key from `index.txt` (or, in `ROGUE` mode, with a
/// key the CA never delegated to).
async fn ocsp_handler(State(a): State<Authority>, request: Bytes) -> Response {
    let signer = if a.mode.load(Ordering::SeqCst) == ROGUE {
        "rogue"
    } else {
        "ca"
    };
    let n = a.n.fetch_add(1, Ordering::SeqCst);
    let dir = a.dir.clone();
    let response = tokio::task::spawn_blocking(move || {
        let q = format!("o{n}.req");
        let r = format!("o{n}.resp");
        std::fs::write(dir.join(&q), &request).unwrap();
        openssl(
            &dir,
            &[
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "ca.pem",
                "-rsigner",
                &format!("{signer}.pem"),
                "-rkey",
                &format!("{signer}.key"),
                "-reqin",
                &q,
                "-respout",
                &r,
                "-ndays",
                "1",
            ],
        );
        std::fs::read(dir.join(&r)).unwrap()
    })
    .await
    .unwrap();
    der_answer("application/ocsp-response", response)
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/")
}

/// Start a TSA (or OCSP responder) on port 0; returns its URL and its mode switch.
pub(crate) async fn authority(pki: &Pki, ocsp: bool) -> (String, Arc<AtomicU8>) {
    let a = Authority {
        dir: pki.dir.path().to_path_buf(),
        mode: Arc::new(AtomicU8::new(GOOD)),
        n: Arc::new(AtomicUsize::new(0)),
        last: Arc::new(Mutex::new(None)),
    };
    let mode = a.mode.clone();
    let router = if ocsp {
        Router::new().route("/", post(ocsp_handler))
    } else {
        Router::new().route("/", post(tsa_handler))
    };
    (serve(router.with_state(a)).await, mode)
}

/// An address where nothing listens.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/")
}

fn monitor(
    pki: &Pki,
    tsa_urls: Vec<String>,
    ocsp: Option<(String, &str)>,
    clock: Arc<dyn Clock>,
    acceptable_secs: i64,
) -> Arc<TrustMonitor> {
    let transport = civitas_delivery::TrustHttp::new(Duration::from_secs(5)).unwrap();
    Arc::new(TrustMonitor::new(
        TrustConfig {
            tsa_urls,
            tsa_certs: load_certs(&pki.path("tsa.pem")).unwrap(),
            timestamp_interval_secs: 60,
            acceptable_timestamp_failure_secs: acceptable_secs,
            ocsp: ocsp.map(|(url, cert)| OcspConfig {
                url,
                cert: load_cert(&pki.path(cert)).unwrap(),
                issuer: load_cert(&pki.path("ca.pem")).unwrap(),
                responders: Vec::new(),
                freshness_secs: 3600,
                interval_secs: 1200,
            }),
            signers: Vec::new(),
        },
        Arc::new(transport),
        clock,
    ))
}

fn imprint(text: &str) -> Vec<u8> {
    use civitas_core::exchange::asic::{der::oid, x509};
    x509::digest_by_oid(oid::SHA512, text.as_bytes()).unwrap()
}

#[tokio::test]
async fn a_good_token_is_accepted_and_tokens_for_another_imprint_signer_or_request_are_refused() {
    let pki = Pki::new();
    let (url, mode) = authority(&pki, false).await;
    let down = closed_port().await;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    // The first TSA does not answer: the second one is tried.
    let m = monitor(&pki, vec![down.clone(), url.clone()], None, clock, 600);

    let batch = imprint("ts-hashchainresult of batch 1");
    let token = m.timestamp(&batch).await.unwrap();
    assert!(token.signer.contains("Test TSA"), "{}", token.signer);
    let parsed = TimeStampToken::from_der(&token.token_der).unwrap();
    assert_eq!(parsed.imprint, batch);
    assert_eq!(
        civitas_core::time::Timestamp::from_offset(parsed.gen_time),
        token.gen_time
    );
    let h = m.health();
    assert!(!h.tsas[0].ok() && h.tsas[0].error.is_some(), "{h:?}");
    assert!(h.tsas[1].ok(), "{h:?}");
    assert!(h.timestamp_failing_since.is_none() && !h.refusing);

    let refused = |e: civitas_core::exchange::trust::TsaError, code: &str| {
        assert_eq!(e.code, "timestamp_failed");
        assert!(e.message.contains(code), "{code}: {}", e.message);
    };
    mode.store(OTHER_IMPRINT, Ordering::SeqCst);
    refused(
        m.timestamp(&batch).await.unwrap_err(),
        "timestamp_imprint_mismatch",
    );
    mode.store(ROGUE, Ordering::SeqCst);
    refused(
        m.timestamp(&batch).await.unwrap_err(),
        "timestamp_signature_invalid",
    );
    mode.store(CORRUPT, Ordering::SeqCst);
    refused(
        m.timestamp(&batch).await.unwrap_err(),
        "timestamp_signature_invalid",
    );
    mode.store(HTML, Ordering::SeqCst);
    refused(
        m.timestamp(&batch).await.unwrap_err(),
        "not application/timestamp-reply",
    );
    assert!(m.health().timestamp_failing_since.is_some());
    // A genuine token, replayed for a new request of the same imprint: the nonce gives it away.
    mode.store(GOOD, Ordering::SeqCst);
    m.timestamp(&batch).await.unwrap();
    assert!(
        m.health().timestamp_failing_since.is_none(),
        "a success clears the failure"
    );
    mode.store(REPLAY, Ordering::SeqCst);
    refused(
        m.timestamp(&batch).await.unwrap_err(),
        "timestamp_nonce_mismatch",
    );
}

#[tokio::test]
async fn ocsp_reports_good_and_revoked_and_an_old_answer_is_stale() {
    let pki = Pki::new();
    let (tsa, _) = authority(&pki, false).await;
    let (ocsp, ocsp_mode) = authority(&pki, true).await;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));

    let m = monitor(
        &pki,
        vec![tsa.clone()],
        Some((ocsp.clone(), "gw.pem")),
        clock.clone(),
        600,
    );
    let answer = m.refresh_ocsp().await.unwrap();
    assert_eq!(answer.status, OcspStatus::Good);
    assert!(answer.responder.contains("Test CA"));
    let h = m.health().ocsp.unwrap();
    assert!(h.ok() && !h.stale, "{h:?}");
    assert_eq!(h.status, Some(OcspStatus::Good));

    // Older than the freshness (3600 s; the responder's thisUpdate may be up to a few seconds
    // after our clock's start): stale, and a new answer, made more than an hour ago by our
    // clock's reckoning, is refused as stale too.
    clock.advance(time::Duration::seconds(3700));
    let h = m.health().ocsp.unwrap();
    assert!(h.stale && !h.ok(), "{h:?}");
    let e = m.refresh_ocsp().await.unwrap_err();
    assert_eq!(e.code, "ocsp_stale", "{e}");
    assert!(m.health().ocsp.unwrap().service.error.is_some());

    let revoked = monitor(
        &pki,
        vec![tsa],
        Some((ocsp, "rev.pem")),
        Arc::new(ManualClock::new(SystemClock.now())),
        600,
    );
    let answer = revoked.refresh_ocsp().await.unwrap();
    assert_eq!(answer.status, OcspStatus::Revoked);
    let h = revoked.health().ocsp.unwrap();
    assert_eq!(h.status, Some(OcspStatus::Revoked));
    assert!(!h.ok() && !h.stale);

    // A response signed by someone the CA never made a responder is refused.
    ocsp_mode.store(ROGUE, Ordering::SeqCst);
    let e = revoked.refresh_ocsp().await.unwrap_err();
    assert_eq!(e.code, "ocsp_signature_invalid", "{e}");
    assert!(revoked.health().ocsp.unwrap().service.error.is_some());
}

#[tokio::test]
async fn with_the_tsa_down_calls_flow_until_the_acceptable_period_then_r1_refuses_and_recovers() {
    let w = world().await;
    grant_client(&w).await;
    let pki = Pki::new();
    let (url, mode) = authority(&pki, false).await;
    let m = monitor(&pki, vec![url], None, w.app.clock.clone(), 600);
    w.app.state.set_trust(m.clone());
    let call = || async {
        w.caller
            .get(r1(&w, "/cases/7"))
            .header("x-road-client", CLIENT)
            .send()
            .await
            .unwrap()
    };
    m.timestamp(&m.probe_imprint()).await.unwrap();
    assert_eq!(call().await.status(), 200);

    mode.store(DOWN, Ordering::SeqCst);
    let failed_at = w.app.clock.now();
    assert!(m.timestamp(&m.probe_imprint()).await.is_err());
    assert_eq!(call().await.status(), 200, "within the acceptable period");
    w.app.clock.advance(time::Duration::seconds(300));
    assert!(m.timestamp(&m.probe_imprint()).await.is_err());
    w.app.clock.advance(time::Duration::seconds(300));
    assert_eq!(call().await.status(), 200, "exactly the period: still on");
    w.app.clock.advance(time::Duration::seconds(1));
    let before = w.calls.load(Ordering::SeqCst);
    let refused = call().await;
    assert_eq!(
        xroad_error(refused, 500).await,
        "Server.ServerProxy.LoggingFailed.TimestamperFailed"
    );
    assert_eq!(w.calls.load(Ordering::SeqCst), before, "nothing forwarded");

    // The health route and page say so.
    let h: Value = client()
        .get(w.app.url("/api/v1/exchange/health"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["configured"], true);
    assert_eq!(h["refusing"], true, "{h}");
    assert_eq!(h["timestamp_failing_since"], failed_at.to_rfc3339());
    assert_eq!(h["tsas"][0]["ok"], false);
    assert!(
        h["tsas"][0]["error"].as_str().unwrap().contains("503"),
        "{h}"
    );
    assert_eq!(h["acceptable_timestamp_failure_secs"], 600);
    let (browser, _) = w.app.browser("admin").await;
    let page = browser
        .get(w.app.url("/exchange/readiness"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("時戳與憑證狀態"), "{page}");
    assert!(page.contains("閘道目前拒絕所有新的交換呼叫"), "{page}");
    assert!(page.contains("異常") && page.contains("503"), "{page}");
    assert!(page.contains("民國"), "ROC dates: {page}");

    // A successful stamp ends the refusal.
    mode.store(GOOD, Ordering::SeqCst);
    m.timestamp(&m.probe_imprint()).await.unwrap();
    assert_eq!(call().await.status(), 200);
    let h: Value = client()
        .get(w.app.url("/api/v1/exchange/health"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["refusing"], false);
    assert_eq!(h["tsas"][0]["ok"], true);
    assert!(h["timestamp_failing_since"].is_null());
}

#[tokio::test]
async fn the_health_route_says_when_trust_services_are_not_configured() {
    let app = crate::harness::TestApp::spawn().await;
    let token = app.token("admin").await;
    let h: Value = client()
        .get(app.url("/api/v1/exchange/health"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["configured"], false);
    assert_eq!(h["refusing"], false);
}

/// Batch time-stamping of the message log: two signed calls (four records) get one token over
/// one hash chain; each record's chain leads from its own `signatures.xml` to the stamped
/// result; a second round finds nothing waiting; with the TSA down the records wait.
#[tokio::test]
async fn the_message_logs_signed_records_are_stamped_in_one_batch_and_wait_when_the_tsa_is_down() {
    use std::collections::BTreeMap;

    use civitas_core::exchange::asic::hashchain::{HashChainResult, verify};
    use civitas_core::exchange::{MessageEvidence, MessageRecord, MessageSide};

    let pki = Pki::new();
    let (url, mode) = authority(&pki, false).await;
    let app = crate::harness::TestApp::spawn().await;
    let p = app.platform();
    let m = monitor(&pki, vec![url.clone()], None, p.clock.clone(), 600);
    let op = crate::harness::operator();
    let call = |n: u32| MessageRecord {
        id: 0,
        xroad_id: format!("TW-batch-{n}"),
        request_id: format!("req-{n}"),
        client: Some(CLIENT.into()),
        service: None,
        agency: None,
        endpoint: None,
        method: "GET".into(),
        path: format!("/cases/{n}"),
        status: 200,
        request_hash: None,
        response_hash: None,
        started_at: p.now(),
        finished_at: p.now(),
        duration_us: 1200,
        error_type: None,
        evidence: Vec::new(),
    };
    let evidence = |n: u32, side: MessageSide| MessageEvidence {
        side,
        message: format!("GET /cases/{n} {side:?}").into_bytes(),
        body: None,
        body_omitted: false,
        signature: format!("<ds:Signature>{n} {side:?}</ds:Signature>").into_bytes(),
        sig_hash_chain: None,
    };
    let mut ids = Vec::new();
    for n in 0..2 {
        let id = p
            .exchange()
            .log_signed(
                &call(n),
                &[
                    evidence(n, MessageSide::Request),
                    evidence(n, MessageSide::Response),
                ],
            )
            .await
            .unwrap();
        ids.push(id);
    }

    assert_eq!(p.exchange().stamp_pending(&m, 10_000).await.unwrap(), 4);
    assert_eq!(
        p.exchange().stamp_pending(&m, 10_000).await.unwrap(),
        0,
        "nothing waits"
    );
    let mut batches = std::collections::BTreeSet::new();
    for id in &ids {
        let (_, records) = p.exchange().message_evidence(&op, *id).await.unwrap();
        assert_eq!(records.len(), 2);
        for r in records {
            let ts = r.timestamp.expect("stamped");
            batches.insert(ts.batch_id);
            assert_eq!(ts.tsa_url, url);
            // The token stamps the SHA-512 of the result document...
            let token = TimeStampToken::from_der(&ts.token).unwrap();
            assert_eq!(token.imprint, {
                use civitas_core::exchange::asic::{der::oid, x509};
                x509::digest_by_oid(oid::SHA512, &ts.hash_chain_result).unwrap()
            });
            // ...and this record's chain leads from its signature to that result.
            let result = HashChainResult::parse(&ts.hash_chain_result).unwrap();
            let chain = ts.hash_chain.clone();
            let resolve = move |n: &str| (n == "/ts-hashchain.xml").then(|| chain.clone());
            let inputs = BTreeMap::from([(
                "/META-INF/signatures.xml".to_string(),
                r.evidence.signature.clone(),
            )]);
            verify(&result, &resolve, &inputs).unwrap();
            let forged = BTreeMap::from([(
                "/META-INF/signatures.xml".to_string(),
                b"<ds:Signature>forged</ds:Signature>".to_vec(),
            )]);
            let chain = ts.hash_chain.clone();
            let resolve = move |n: &str| (n == "/ts-hashchain.xml").then(|| chain.clone());
            assert!(verify(&result, &resolve, &forged).is_err());
        }
    }
    assert_eq!(batches.len(), 1, "one token for the whole batch");

    // The TSA fails: the new records keep waiting, and the failure is counted.
    p.exchange()
        .log_signed(&call(9), &[evidence(9, MessageSide::Request)])
        .await
        .unwrap();
    mode.store(ROGUE, Ordering::SeqCst);
    let e = p.exchange().stamp_pending(&m, 10_000).await.unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(m.health().timestamp_failing_since.is_some());
    mode.store(GOOD, Ordering::SeqCst);
    assert_eq!(p.exchange().stamp_pending(&m, 10_000).await.unwrap(), 1);
}
