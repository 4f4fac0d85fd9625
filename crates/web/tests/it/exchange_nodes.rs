//! Two civitas nodes on loopback: 警察局's node A (its accident system calls there) and 交通局's
//! node B (its bus service lives behind it). A relays to B over mutual TLS with node
//! certificates from one node CA, each pinned by the other; B's grant alone decides.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::any;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::catalog::AccessLevel;
use civitas_core::exchange::{CredentialInput, GrantInput, MessageFilter, ServiceInput};
use civitas_core::page::PageRequest;
use civitas_core::sharing::{Decision, NewAccessRequest};
use civitas_core::{Caller, Platform};
use civitas_web::WebSettings;
use civitas_web::exchange::peers::{NodeIdentity, PeerSpec, PeerTable};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::harness::{TestApp, operator};

const BUS: i64 = 2;
const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";
const CULTURE: &str = "380330000E";
const SERVICE: &str = "TW/GOV/380290000H/TRANSPORT-API/bus";
const CLIENT: &str = "TW/GOV/380130000C/POLICE-SYS";
const CULTURE_CLIENT: &str = "TW/GOV/380330000E/MUSEUM-SYS";
const TOKEN: &str = "x-civitas-exchange-token";

fn steward(name: &str, agency: &str) -> Caller {
    let code = AgencyCode::parse(agency).unwrap();
    Caller::new(
        Principal {
            user_id: Some(1),
            user_name: name.into(),
            home_agency: Some(code.clone()),
            grants: vec![Grant {
                role: Role::DataSteward,
                scope: Scope::Agency(code),
            }],
            token_id: None,
        },
        None,
    )
}

/// A loopback PKI: a CA and the certificates it signs.
struct Ca {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let pem = params.self_signed(&key).unwrap().pem();
    Ca { params, key, pem }
}

/// A node certificate (server and client purpose, for 127.0.0.1): (certificate PEM, key PEM).
pub(crate) struct NodeCert {
    pub cert: String,
    pub key: String,
}

fn node_cert(ca: &Ca, cn: &str) -> NodeCert {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    NodeCert {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn pin(cert: &NodeCert) -> String {
    civitas_web::exchange::peers::fingerprint_of_pem(cert.cert.as_bytes()).unwrap()
}

fn identity(me: &NodeCert, ca: &Ca) -> NodeIdentity {
    NodeIdentity {
        cert_pem: me.cert.clone().into_bytes(),
        key_pem: me.key.clone().into_bytes(),
        ca_pem: ca.pem.clone().into_bytes(),
    }
}

fn peer(name: &str, addr: std::net::SocketAddr, member: &str, fingerprint: String) -> PeerSpec {
    PeerSpec {
        name: name.into(),
        url: format!("https://{addr}"),
        members: vec![member.into()],
        fingerprint,
        certificate_pem: None,
        timeout: std::time::Duration::from_secs(5),
    }
}

/// Serve a node's exchange TLS listener (its node certificate; clients of the node CA).
fn serve_tls(app: &TestApp, listener: TcpListener, me: &NodeCert, ca: &Ca, dir: &std::path::Path) {
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let config = civitas_web::exchange::tls::server_config_with_node_ca(
        &write("node.pem", &me.cert),
        &write("node.key", &me.key),
        &write("ca.pem", &ca.pem),
        Some(&write("node-ca.pem", &ca.pem)),
    )
    .unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    // The listener lives as long as the test's runtime.
    std::mem::forget(cancel.clone().drop_guard());
    tokio::spawn(civitas_web::exchange::tls::serve(
        listener,
        config,
        civitas_web::exchange_app(app.state.clone()),
        cancel,
    ));
}

/// 交通局's bus system: answers every call with what it received. Counts calls.
async fn provider(calls: Arc<AtomicUsize>) -> String {
    let app = Router::new().route(
        "/api/{*rest}",
        any(move |headers: HeaderMap, body: Bytes| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                axum::Json(json!({
                    "x-road-client": h("x-road-client"),
                    "x-road-id": h("x-road-id"),
                    "x-road-request-hash": h("x-road-request-hash"),
                    "token": h(TOKEN),
                    "body": String::from_utf8_lossy(&body),
                }))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/api")
}

pub(crate) struct Nodes {
    pub a: TestApp,
    pub b: TestApp,
    /// 警察局's accident system's token on node A, and 文化局's museum system's.
    pub token: String,
    pub museum_token: String,
    pub calls: Arc<AtomicUsize>,
    pub request_id: i64,
    pub b_tls: std::net::SocketAddr,
    node_ca: Ca,
    /// Node A's certificate, to call B as A would.
    cert_a: NodeCert,
    _dir: tempfile::TempDir,
}

async fn messages(p: &Platform) -> Vec<civitas_core::exchange::MessageRecord> {
    p.exchange()
        .messages(
            &operator(),
            MessageFilter::default(),
            PageRequest::new(Some(1), Some(100)),
        )
        .await
        .unwrap()
        .items
}

/// Two nodes, each pinning the other; B holds the bus service (no grant yet), A the calling
/// systems' tokens.
pub(crate) async fn two_nodes() -> Nodes {
    two_nodes_with(None).await
}

/// Two nodes whose verification configuration (for each other's signatures) is `globalconf`.
pub(crate) async fn two_nodes_with(globalconf: Option<std::path::PathBuf>) -> Nodes {
    let node_ca = ca("Taoyuan exchange node CA");
    let cert_a = node_cert(&node_ca, "civitas node A (police)");
    let cert_b = node_cert(&node_ca, "civitas node B (transport)");
    let tls_a = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls_b = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr_a, addr_b) = (tls_a.local_addr().unwrap(), tls_b.local_addr().unwrap());
    let table_a = PeerTable::new(
        &identity(&cert_a, &node_ca),
        &[peer("node-b", addr_b, "TW/GOV/380290000H", pin(&cert_b))],
        None,
    )
    .unwrap();
    let table_b = PeerTable::new(
        &identity(&cert_b, &node_ca),
        &[peer("node-a", addr_a, "TW/GOV/380130000C", pin(&cert_a))],
        None,
    )
    .unwrap();
    let settings = |table: PeerTable| WebSettings {
        exchange_peers: Some(Arc::new(table)),
        exchange_globalconf_dir: globalconf
            .clone()
            .unwrap_or_else(|| WebSettings::default().exchange_globalconf_dir),
        ..WebSettings::default()
    };
    let a = TestApp::spawn_with(settings(table_a)).await;
    let b = TestApp::spawn_with(settings(table_b)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    serve_tls(&a, tls_a, &cert_a, &node_ca, &dir.path().join("a"));
    serve_tls(&b, tls_b, &cert_b, &node_ca, &dir.path().join("b"));

    // On B: 交通局 offers the bus data as a service; 警察局 asks for it (not yet approved).
    let calls = Arc::new(AtomicUsize::new(0));
    let base = provider(calls.clone()).await;
    let pb = b.platform();
    let d = pb.catalog().get(&operator(), BUS).await.unwrap();
    let mut record = d.record.clone();
    record.access_level = AccessLevel::Restricted;
    pb.catalog().update(&operator(), BUS, record).await.unwrap();
    let transport = steward("lin.transport", TRANSPORT);
    pb.exchange()
        .register_service(
            &transport,
            ServiceInput {
                service_id: SERVICE.into(),
                agency: AgencyCode::parse(TRANSPORT).unwrap(),
                title: "公車路線".into(),
                subsystem_name: None,
                base_url: base,
                dataset_id: Some(BUS),
                timeout_ms: Some(5000),
                tls_verify: None,
                openapi: None,
            },
        )
        .await
        .unwrap();
    let request = pb
        .sharing()
        .request(
            &steward("chang.police", POLICE),
            NewAccessRequest {
                dataset_id: BUS,
                requesting_agency: AgencyCode::parse(POLICE).unwrap(),
                purpose: "公車站周邊交通事故分析".into(),
                legal_basis: None,
                fields: vec![],
                period_from: None,
                period_to: None,
                days: 60,
            },
        )
        .await
        .unwrap();

    // On A: the calling systems and their tokens.
    let issue = |who: Caller, client: &'static str, agency: &'static str| {
        let pa = a.platform().clone();
        async move {
            pa.exchange()
                .issue_token(
                    &who,
                    &CredentialInput {
                        client: client.into(),
                        agency: Some(AgencyCode::parse(agency).unwrap()),
                        subsystem_name: None,
                        label: "test system".into(),
                    },
                )
                .await
                .unwrap()
                .token
        }
    };
    let token = issue(steward("chang.police", POLICE), CLIENT, POLICE).await;
    let museum_token = issue(steward("wu.culture", CULTURE), CULTURE_CLIENT, CULTURE).await;
    Nodes {
        a,
        b,
        token,
        museum_token,
        calls,
        request_id: request.id,
        b_tls: addr_b,
        node_ca,
        cert_a,
        _dir: dir,
    }
}

fn http() -> reqwest::Client {
    crate::harness::client()
}

/// A call of a system on node A.
async fn call_a(n: &Nodes, token: &str, client: &str, path: &str) -> reqwest::Response {
    http()
        .get(n.a.url(&format!("/r1/{SERVICE}{path}")))
        .header("x-road-client", client)
        .header(TOKEN, token)
        .send()
        .await
        .unwrap()
}

async fn refused(r: reqwest::Response) -> String {
    assert_eq!(r.status(), 500);
    let header = r.headers()["x-road-error"].to_str().unwrap().to_string();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], header.as_str(), "{body}");
    header
}

async fn grant(n: &Nodes, valid_until: Option<civitas_core::time::Timestamp>) -> i64 {
    n.b.platform()
        .exchange()
        .create_grant(
            &steward("lin.transport", TRANSPORT),
            GrantInput {
                service_id: SERVICE.into(),
                endpoint: None,
                subject: CLIENT.into(),
                subject_name: None,
                request_id: n.request_id,
                valid_until,
            },
        )
        .await
        .unwrap()
        .id
}

/// An HTTPS client for B's listener presenting `cert`.
fn node_client(ca_pem: &str, cert: &NodeCert) -> reqwest::Client {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(
        vec![CertificateDer::from_pem_slice(cert.cert.as_bytes()).unwrap()],
        PrivateKeyDer::from_pem_slice(cert.key.as_bytes()).unwrap(),
    )
    .unwrap();
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .build()
        .unwrap()
}

#[tokio::test]
async fn done_when_two_nodes_exchange_over_mutual_tls_under_the_providers_grant_only() {
    let n = two_nodes().await;
    let transport = steward("lin.transport", TRANSPORT);

    // Before 交通局 approves (and so before any grant): B refuses, A relays the refusal as is.
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(refused(r).await, "Server.ServerProxy.AccessDenied");
    assert_eq!(n.calls.load(Ordering::SeqCst), 0);
    // Approved, but no grant on B yet: still refused.
    n.b.platform()
        .sharing()
        .decide(&transport, n.request_id, Decision::Approve { days: None })
        .await
        .unwrap();
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(refused(r).await, "Server.ServerProxy.AccessDenied");

    // With B's grant: through both nodes to the provider and back.
    let grant_id = grant(&n, None).await;
    let r = call_a(&n, &n.token, CLIENT, "/stops/12?day=1").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["x-road-client"], CLIENT);
    assert_eq!(h["x-road-service"], SERVICE);
    let xroad_id = h["x-road-id"].to_str().unwrap().to_string();
    assert!(xroad_id.starts_with("TW-"), "{xroad_id}");
    assert_eq!(h["x-road-request-hash"].to_str().unwrap().len(), 88);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["x-road-client"], CLIENT);
    assert_eq!(seen["x-road-id"], xroad_id.as_str());
    assert!(seen["token"].is_null(), "the token never leaves node A");
    assert!(
        seen["x-road-request-hash"].is_null(),
        "the node-only hash header does not reach the provider"
    );
    assert_eq!(n.calls.load(Ordering::SeqCst), 1);
    // A body, and the system's own X-Road-Id, travel too.
    let r = http()
        .post(n.a.url(&format!("/r1/{SERVICE}/reports")))
        .header("x-road-client", CLIENT)
        .header("x-road-id", "police-call-0001")
        .header(TOKEN, &n.token)
        .header("content-type", "application/json")
        .body(r#"{"stop": 12}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-road-id"], "police-call-0001");
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["body"], r#"{"stop": 12}"#);
    assert_eq!(n.calls.load(Ordering::SeqCst), 2);
    // The same X-Road-Id again is a replay: B refuses it and the provider never sees it.
    let r = http()
        .post(n.a.url(&format!("/r1/{SERVICE}/reports")))
        .header("x-road-client", CLIENT)
        .header("x-road-id", "police-call-0001")
        .header(TOKEN, &n.token)
        .header("content-type", "application/json")
        .body(r#"{"stop": 12}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a client error");
    assert_eq!(r.headers()["x-road-error"], "Client.InvalidRequest");
    assert_eq!(n.calls.load(Ordering::SeqCst), 2);

    // Both nodes logged the calls, with the same X-Road-Id and request hash.
    let on_a = messages(n.a.platform()).await;
    let on_b = messages(n.b.platform()).await;
    let find = |rows: &[civitas_core::exchange::MessageRecord]| {
        rows.iter()
            .find(|m| m.xroad_id == xroad_id)
            .cloned()
            .unwrap()
    };
    let (ma, mb) = (find(&on_a), find(&on_b));
    assert_eq!((ma.status, mb.status), (200, 200));
    assert_eq!(ma.request_hash, mb.request_hash);
    assert_eq!(ma.request_id, mb.request_id);
    assert_eq!(ma.endpoint.as_deref(), Some("→ node-b"));
    assert_eq!(ma.agency.as_ref().map(|a| a.as_str()), Some(POLICE));
    assert_eq!(mb.agency.as_ref().map(|a| a.as_str()), Some(TRANSPORT));
    let refused_on_a = on_a
        .iter()
        .filter(|m| m.error_type.as_deref() == Some("Server.ServerProxy.AccessDenied"))
        .count();
    assert_eq!(
        refused_on_a, 2,
        "relayed refusals are logged with their type"
    );

    // Revoked on B: refused again.
    n.b.platform()
        .exchange()
        .revoke_grant(&transport, grant_id)
        .await
        .unwrap();
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(refused(r).await, "Server.ServerProxy.AccessDenied");
    assert_eq!(n.calls.load(Ordering::SeqCst), 2);

    // A grant until tomorrow works today and not the day after (B's clock decides).
    let tomorrow = crate::harness::start_time().add(time::Duration::days(1));
    grant(&n, Some(tomorrow)).await;
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(r.status(), 200);
    n.b.clock.advance(time::Duration::days(2));
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(refused(r).await, "Server.ServerProxy.AccessDenied");
    assert_eq!(n.calls.load(Ordering::SeqCst), 3);

    // Node A serves 警察局 only: it cannot speak to B for 文化局's museum system, though A
    // authenticated that system.
    let r = call_a(&n, &n.museum_token, CULTURE_CLIENT, "/stops/12").await;
    assert_eq!(
        refused(r).await,
        "Server.ServerProxy.SslAuthenticationFailed"
    );
    // A system without its credential never leaves node A.
    let before = messages(n.b.platform()).await.len();
    let r = call_a(&n, "cvx_not-a-token", CLIENT, "/stops/12").await;
    assert_eq!(
        refused(r).await,
        "Server.ClientProxy.SslAuthenticationFailed"
    );
    assert_eq!(messages(n.b.platform()).await.len(), before);

    // A node with a certificate from another CA does not get past B's handshake.
    let stranger_ca = ca("Somebody else's CA");
    let stranger = node_cert(&stranger_ca, "civitas node A (police)");
    let b_url = format!("https://{}/r1/{SERVICE}/stops/12", n.b_tls);
    let r = node_client(&n.node_ca.pem, &stranger)
        .get(&b_url)
        .header("x-road-client", CLIENT)
        .send()
        .await;
    assert!(r.is_err(), "{r:?}");
    // A certificate from the node CA that B has not pinned is no node: as a system's it is
    // bound to nothing.
    let unpinned = node_cert(&n.node_ca, "civitas node C");
    let r = node_client(&n.node_ca.pem, &unpinned)
        .get(&b_url)
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused(r).await,
        "Server.ClientProxy.SslAuthenticationFailed"
    );
    assert_eq!(
        n.calls.load(Ordering::SeqCst),
        3,
        "nothing else reached the provider"
    );
}

#[tokio::test]
async fn a_peer_whose_certificate_is_not_the_pinned_one_is_never_sent_the_call() {
    let n = two_nodes().await;
    let transport = steward("lin.transport", TRANSPORT);
    n.b.platform()
        .sharing()
        .decide(&transport, n.request_id, Decision::Approve { days: None })
        .await
        .unwrap();
    grant(&n, None).await;
    // A node A' of the same CA that pins another certificate for B (e.g. B's old one).
    let cert = node_cert(&n.node_ca, "civitas node A' (police)");
    let old_b = node_cert(&n.node_ca, "civitas node B (transport), replaced");
    let table = PeerTable::new(
        &identity(&cert, &n.node_ca),
        &[peer("node-b", n.b_tls, "TW/GOV/380290000H", pin(&old_b))],
        None,
    )
    .unwrap();
    let a2 = TestApp::spawn_with(WebSettings {
        exchange_peers: Some(Arc::new(table)),
        ..WebSettings::default()
    })
    .await;
    let token = a2
        .platform()
        .exchange()
        .issue_token(
            &steward("chang.police", POLICE),
            &CredentialInput {
                client: CLIENT.into(),
                agency: Some(AgencyCode::parse(POLICE).unwrap()),
                subsystem_name: None,
                label: "test system".into(),
            },
        )
        .await
        .unwrap()
        .token;
    let r = http()
        .get(a2.url(&format!("/r1/{SERVICE}/stops/12")))
        .header("x-road-client", CLIENT)
        .header(TOKEN, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused(r).await, "Server.ClientProxy.NetworkError");
    assert_eq!(n.calls.load(Ordering::SeqCst), 0);
    // The same call through A, which pins B's real certificate, goes through.
    let r = call_a(&n, &n.token, CLIENT, "/stops/12").await;
    assert_eq!(r.status(), 200);
    assert_eq!(n.calls.load(Ordering::SeqCst), 1);
}

/// With signing on at both nodes, A signs the request with 警察局's key and sends the signature
/// along; B checks it, signs the answer with 交通局's key and sends that back; each node's log
/// holds both signed messages, and each container exported from either node verifies. An
/// unsigned or forged request from a node is refused before anything is forwarded.
#[tokio::test]
async fn with_signing_on_both_nodes_log_both_signed_messages_and_a_forged_signature_is_refused() {
    use crate::exchange_signing::{shared_params, signing_monitor};
    use crate::exchange_trust::{Pki, authority};
    use civitas_core::exchange::MessageSide;

    let pki = Pki::new();
    pki.signing_cert("sign-police", "380130000C", "GOV", "0x1003");
    pki.signing_cert("sign-transport", "380290000H", "GOV", "0x1004");
    let conf_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(conf_dir.path().join("TW")).unwrap();
    std::fs::write(
        conf_dir.path().join("TW").join("shared-params.xml"),
        shared_params(&pki),
    )
    .unwrap();
    let n = two_nodes_with(Some(conf_dir.path().to_path_buf())).await;
    let transport = steward("lin.transport", TRANSPORT);
    n.b.platform()
        .sharing()
        .decide(&transport, n.request_id, Decision::Approve { days: None })
        .await
        .unwrap();
    grant(&n, None).await;
    let (tsa, _) = authority(&pki, false).await;
    let (ocsp, _) = authority(&pki, true).await;
    let clock: Arc<dyn civitas_core::clock::Clock> = Arc::new(civitas_core::clock::SystemClock);
    let ma = signing_monitor(&pki, tsa.clone(), ocsp.clone(), clock.clone(), &["police"]);
    let mb = signing_monitor(&pki, tsa, ocsp, clock, &["transport"]);
    assert_eq!(ma.refresh_signer_ocsp().await, 1);
    assert_eq!(mb.refresh_signer_ocsp().await, 1);

    // Only B signs: A's unsigned relay is refused by B, and nothing reaches the bus system.
    n.b.state.set_trust(mb.clone());
    let before = n.calls.load(Ordering::SeqCst);
    let r = call_a(&n, &n.token, CLIENT, "/stops/7").await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers()["x-road-error"],
        "Server.ServerProxy.InvalidSignatureValue"
    );
    assert_eq!(n.calls.load(Ordering::SeqCst), before, "nothing forwarded");

    // Both sign: the call goes through, and both logs hold both signed messages.
    n.a.state.set_trust(ma.clone());
    let r = call_a(&n, &n.token, CLIENT, "/stops/7").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("x-civitas-signature").is_none(),
        "not for the system"
    );
    assert_eq!(n.calls.load(Ordering::SeqCst), before + 1);
    let mut conf = civitas_core::exchange::asic::VerificationConf::default();
    conf.add_shared_params(&shared_params(&pki)).unwrap();
    for (node, m) in [(&n.a, &ma), (&n.b, &mb)] {
        let p = node.platform();
        let last = messages(p)
            .await
            .into_iter()
            .find(|r| r.status == 200)
            .unwrap();
        assert_eq!(
            last.evidence,
            vec![MessageSide::Request, MessageSide::Response]
        );
        assert_eq!(p.exchange().stamp_pending(m, 10_000).await.unwrap(), 2);
        for side in [MessageSide::Request, MessageSide::Response] {
            let (_, bytes) = p
                .exchange()
                .message_container(&operator(), last.id, side)
                .await
                .unwrap();
            let report = civitas_core::exchange::asic::verify_container(&bytes, &conf).unwrap();
            assert!(report.is_valid(), "{side:?}: {report:?}");
        }
    }

    // A node that forges a signature (a valid one, over another request) is refused.
    let node_a_client = node_client(&n.node_ca.pem, &n.cert_a);
    let before = n.calls.load(Ordering::SeqCst);
    let (_, evidence) =
        n.a.platform()
            .exchange()
            .message_evidence(&operator(), messages(n.a.platform()).await[0].id)
            .await
            .unwrap();
    let old = civitas_core::exchange::asic::hashchain::encode_b64(&evidence[0].evidence.signature);
    let r = node_a_client
        .get(format!("https://{}/r1/{SERVICE}/stops/8", n.b_tls))
        .header("x-road-client", CLIENT)
        .header("x-road-id", "TW-forged-1")
        .header("x-civitas-signature", old)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers()["x-road-error"],
        "Server.ServerProxy.InvalidSignatureValue"
    );
    assert_eq!(n.calls.load(Ordering::SeqCst), before, "nothing forwarded");
}
