//! `civitas-bench gateway`: what the exchange gateway adds to a call (issue 6).
//! In one process: a provider system (axum on loopback answering `POST /api/echo` with the
//! body it got); node B, civitas in front of it with a registered service and an access grant
//! that answers an approved sharing request; node A, the consumer's civitas, which relays to B
//! over mutual TLS (node certificates from a loopback node CA, pinned). The same 1 KB calls go
//! (1) to the provider directly, (2) through B's `/r1` (access check, header rules, request
//! hash, forwarding, one message-log row), (3) through A and B (both log; A checks the request
//! hash on the answer), and (4) with `--nginx PATH`, through two nginx reverse proxies with
//! mutual TLS between them (the same shape as (3) without any exchange logic), each with 1 and
//! C concurrent callers over keep-alive connections. Prints a Markdown table. No signing or
//! time-stamping of messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_core::agencies::{AgencyCode, AgencyImportFormat};
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::catalog::{AccessLevel, CatalogFormat};
use civitas_core::clock::ManualClock;
use civitas_core::exchange::{GrantInput, ServiceInput};
use civitas_core::sharing::{Decision, NewAccessRequest};
use civitas_core::{Caller, Platform, SecurityPolicy};
use civitas_store_sqlite::{OpenOptions, SqliteStore};

use crate::stats::{Latencies, ms};

const USAGE: &str = "civitas-bench gateway [--requests N] [--concurrency C] [--body BYTES] [--nginx PATH] [--signed-only]";

const AGENCIES: &str = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
    380000000A,桃園市政府,Taoyuan City Government,市政府,,city_government\n\
    380130000C,桃園市政府警察局,Police Department,警察局,380000000A,bureau\n\
    380290000H,桃園市政府交通局,Department of Transportation,交通局,380000000A,bureau\n";
const DATASETS: &str = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n\
    桃園市公車路線,380290000H 【交通局】,不定期,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000002,2023-06-01 09:00:00,JSON,市區公車路線與站牌,route(路線),交通及通訊 (117)\n";
const SERVICE: &str = "TW/GOV/380290000H/TRANSPORT-API/bus";
const CLIENT: &str = "TW/GOV/380130000C/POLICE-SYS";

struct Args {
    requests: usize,
    concurrency: usize,
    body: usize,
    nginx: Option<String>,
    /// Measure only the signed paths (for profiling them).
    signed_only: bool,
}

fn args(rest: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        requests: 20_000,
        concurrency: 16,
        body: 1024,
        nginx: None,
        signed_only: false,
    };
    let mut it = rest;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--requests" => a.requests = value()?.parse()?,
            "--concurrency" => a.concurrency = value()?.parse::<usize>()?.max(1),
            "--body" => a.body = value()?.parse()?,
            "--nginx" => a.nginx = Some(value()?),
            "--signed-only" => a.signed_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(a)
}

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn steward(name: &str, agency: &str) -> anyhow::Result<Caller> {
    Ok(Caller::new(
        Principal {
            user_id: Some(1),
            user_name: name.into(),
            home_agency: Some(AgencyCode::parse(agency).map_err(|_| anyhow::anyhow!("agency"))?),
            grants: vec![Grant {
                role: Role::DataSteward,
                scope: Scope::Agency(
                    AgencyCode::parse(agency).map_err(|_| anyhow::anyhow!("agency"))?,
                ),
            }],
            token_id: None,
        },
        None,
    ))
}

/// The provider system: echoes the body.
async fn provider() -> anyhow::Result<String> {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/api/echo",
        post(|body: axum::body::Bytes| async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/api"))
}

/// A fresh platform with the agencies.
async fn platform(dir: &std::path::Path) -> anyhow::Result<Platform> {
    let store = SqliteStore::open_in(dir, OpenOptions::default()).map_err(err)?;
    let clock = Arc::new(ManualClock::new(crate::now()));
    let p = Platform::new(store.stores(), clock, SecurityPolicy::default());
    let op = Caller::new(Principal::operator("bench"), None);
    p.agencies()
        .import(
            &op,
            AGENCIES.as_bytes(),
            AgencyImportFormat::CivitasCsv,
            "bench",
        )
        .await
        .map_err(err)?;
    Ok(p)
}

/// Serve civitas' main router on loopback; returns its base URL.
async fn serve_main(state: &civitas_web::AppState) -> anyhow::Result<String> {
    let (router, _) = civitas_web::app(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(civitas_web::serve(listener, router, std::future::pending()));
    Ok(format!("http://{addr}"))
}

/// A node's settings: its peers, and the verification configuration it checks the other
/// node's signatures against (one directory beside the nodes' data directories).
fn web_settings(
    dir: &std::path::Path,
    peers: Option<Arc<civitas_web::exchange::peers::PeerTable>>,
) -> civitas_web::WebSettings {
    civitas_web::WebSettings {
        exchange_peers: peers,
        exchange_globalconf_dir: dir.parent().unwrap_or(dir).join("globalconf"),
        ..civitas_web::WebSettings::default()
    }
}

/// Node B: civitas with the bus service registered and granted to 警察局's subsystem.
async fn gateway(
    dir: &std::path::Path,
    provider_base: &str,
    peers: Arc<civitas_web::exchange::peers::PeerTable>,
) -> anyhow::Result<(String, Platform, String, civitas_web::AppState)> {
    let p = platform(dir).await?;
    let op = Caller::new(Principal::operator("bench"), None);
    p.catalog()
        .import(
            &op,
            DATASETS.as_bytes(),
            CatalogFormat::TaoyuanSupplyList,
            "bench",
        )
        .await
        .map_err(err)?;
    let d = p.catalog().get(&op, 1).await.map_err(err)?;
    let mut record = d.record.clone();
    record.access_level = AccessLevel::Restricted;
    p.catalog().update(&op, d.id, record).await.map_err(err)?;
    let transport = steward("lin.transport", "380290000H")?;
    let police = steward("chang.police", "380130000C")?;
    p.exchange()
        .register_service(
            &transport,
            ServiceInput {
                service_id: SERVICE.into(),
                agency: AgencyCode::parse("380290000H").map_err(|_| anyhow::anyhow!("agency"))?,
                title: "公車路線".into(),
                subsystem_name: None,
                base_url: provider_base.into(),
                dataset_id: Some(d.id),
                timeout_ms: Some(5000),
                tls_verify: None,
                openapi: None,
            },
        )
        .await
        .map_err(err)?;
    let req = p
        .sharing()
        .request(
            &police,
            NewAccessRequest {
                dataset_id: d.id,
                requesting_agency: AgencyCode::parse("380130000C")
                    .map_err(|_| anyhow::anyhow!("agency"))?,
                purpose: "交通事故分析".into(),
                legal_basis: None,
                fields: vec![],
                period_from: None,
                period_to: None,
                days: 90,
            },
        )
        .await
        .map_err(err)?;
    p.sharing()
        .decide(&transport, req.id, Decision::Approve { days: None })
        .await
        .map_err(err)?;
    p.exchange()
        .create_grant(
            &transport,
            GrantInput {
                service_id: SERVICE.into(),
                endpoint: None,
                subject: CLIENT.into(),
                subject_name: None,
                request_id: req.id,
                valid_until: None,
            },
        )
        .await
        .map_err(err)?;
    // The calling system authenticates with a token (the main listener's credential).
    let token = p
        .exchange()
        .issue_token(
            &police,
            &civitas_core::exchange::CredentialInput {
                client: CLIENT.into(),
                agency: None,
                subsystem_name: None,
                label: "bench".into(),
            },
        )
        .await
        .map_err(err)?
        .token;
    let state = civitas_web::AppState::new(p.clone(), web_settings(dir, Some(peers)));
    let url = serve_main(&state).await?;
    Ok((url, p, token, state))
}

/// Node A: 警察局's civitas, where its system holds a token; B serves 交通局.
async fn node_a(
    dir: &std::path::Path,
    peers: Arc<civitas_web::exchange::peers::PeerTable>,
) -> anyhow::Result<(String, Platform, String, civitas_web::AppState)> {
    let p = platform(dir).await?;
    let police = steward("chang.police", "380130000C")?;
    let token = p
        .exchange()
        .issue_token(
            &police,
            &civitas_core::exchange::CredentialInput {
                client: CLIENT.into(),
                agency: Some(
                    AgencyCode::parse("380130000C").map_err(|_| anyhow::anyhow!("agency"))?,
                ),
                subsystem_name: None,
                label: "bench".into(),
            },
        )
        .await
        .map_err(err)?
        .token;
    let state = civitas_web::AppState::new(p.clone(), web_settings(dir, Some(peers)));
    Ok((serve_main(&state).await?, p, token, state))
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The signing PKI, made with the `openssl` CLI (ring signs RSA but cannot make RSA keys): a
/// member CA, RSA 2048 signing certificates in X-Road's FiVRK form, an OCSP responder
/// (`openssl ocsp -port`) answering from the CA's index, and the shared parameters the nodes
/// check each other's signatures against.
struct SigningPki {
    dir: std::path::PathBuf,
    ocsp_url: String,
    responder: std::process::Child,
}

impl SigningPki {
    fn new(dir: &std::path::Path, members: &[&str]) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("ext.cnf"),
            "[req]\ndistinguished_name=dn\n[dn]\n[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n[sign]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,nonRepudiation\n",
        )?;
        openssl(
            dir,
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
                "/CN=bench member CA",
                "-days",
                "2",
                "-config",
                "ext.cnf",
                "-extensions",
                "ca",
            ],
        )?;
        let mut index = String::new();
        for (i, member) in members.iter().enumerate() {
            let code = member.rsplit('/').next().unwrap_or(member);
            let serial = format!("{:X}", 0x1000 + i);
            openssl(
                dir,
                &[
                    "req",
                    "-new",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    &format!("{code}.key"),
                    "-out",
                    &format!("{code}.csr"),
                    "-subj",
                    &format!("/CN={code}/serialNumber=TW\\/SS1\\/GOV"),
                    "-config",
                    "ext.cnf",
                ],
            )?;
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{code}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    &format!("0x{serial}"),
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    "sign",
                    "-out",
                    &format!("{code}.pem"),
                ],
            )?;
            index.push_str(&format!(
                "V\t491231235959Z\t\t{serial}\tunknown\t/CN={code}\n"
            ));
        }
        std::fs::write(dir.join("index.txt"), index)?;
        let port = free_port()?;
        let responder = std::process::Command::new("openssl")
            .current_dir(dir)
            .args([
                "ocsp",
                "-index",
                "index.txt",
                "-CA",
                "ca.pem",
                "-rsigner",
                "ca.pem",
            ])
            .args(["-rkey", "ca.key", "-ndays", "1", "-port", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        Ok(SigningPki {
            dir: dir.to_path_buf(),
            ocsp_url: format!("http://127.0.0.1:{port}/"),
            responder,
        })
    }

    fn key(
        &self,
        member: &str,
    ) -> anyhow::Result<Arc<civitas_core::exchange::asic::sign::SigningKey>> {
        use civitas_core::exchange::id::{CharRule, ClientId};
        let code = member.rsplit('/').next().unwrap_or(member);
        let id = ClientId::parse_path(member, CharRule::Strict)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .id;
        Ok(Arc::new(
            civitas_core::exchange::asic::sign::SigningKey::from_pem(
                id,
                &std::fs::read(self.dir.join(format!("{code}.key")))?,
                &std::fs::read(self.dir.join(format!("{code}.pem")))?,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        ))
    }

    /// `<globalconf>/TW/shared-params.xml`: the member CA (FiVRK profile, the CA its own OCSP
    /// signer).
    fn write_globalconf(&self, globalconf: &std::path::Path) -> anyhow::Result<()> {
        let ca = civitas_core::exchange::trust::material::load_cert(&self.dir.join("ca.pem"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let b64 = civitas_core::exchange::asic::hashchain::encode_b64(&ca.der);
        std::fs::create_dir_all(globalconf.join("TW"))?;
        std::fs::write(
            globalconf.join("TW").join("shared-params.xml"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ns3:conf xmlns:ns3=\"http://x-road.eu/xsd/xroad.xsd\"><instanceIdentifier>TW</instanceIdentifier><approvedCA><name>bench</name><topCA><cert>{b64}</cert><ocsp><url>{}</url><cert>{b64}</cert></ocsp></topCA><certificateProfileInfo>ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider</certificateProfileInfo></approvedCA></ns3:conf>",
                self.ocsp_url
            ),
        )?;
        Ok(())
    }

    /// A trust monitor signing with these keys, their OCSP status fetched now. No TSA is called
    /// during the run: records are batch-stamped once a minute (10,000 to a token), so a stamp
    /// costs nothing per call.
    async fn monitor(
        &self,
        keys: Vec<Arc<civitas_core::exchange::asic::sign::SigningKey>>,
    ) -> anyhow::Result<Arc<civitas_core::exchange::trust::TrustMonitor>> {
        use civitas_core::exchange::trust::{OcspConfig, TrustConfig, TrustMonitor};
        let load = |name: &str| {
            civitas_core::exchange::trust::material::load_cert(&self.dir.join(name))
                .map_err(|e| anyhow::anyhow!("{e}"))
        };
        let issuer = load("ca.pem")?;
        let cert = keys
            .first()
            .map(|k| k.certificate().clone())
            .ok_or_else(|| anyhow::anyhow!("no key"))?;
        let transport = civitas_delivery::TrustHttp::new(Duration::from_secs(5))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let n = keys.len();
        let monitor = Arc::new(TrustMonitor::new(
            TrustConfig {
                tsa_urls: Vec::new(),
                tsa_certs: Vec::new(),
                timestamp_interval_secs: 60,
                acceptable_timestamp_failure_secs: 14_400,
                ocsp: Some(OcspConfig {
                    url: self.ocsp_url.clone(),
                    cert,
                    issuer,
                    responders: Vec::new(),
                    freshness_secs: 3600,
                    interval_secs: 1200,
                }),
                signers: keys,
            },
            Arc::new(transport),
            Arc::new(civitas_core::clock::SystemClock),
        ));
        // The responder needs a moment to listen.
        for _ in 0..50 {
            if monitor.refresh_signer_ocsp().await == n {
                return Ok(monitor);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the OCSP responder did not answer good for every signing key")
    }
}

impl Drop for SigningPki {
    fn drop(&mut self) {
        let _ = self.responder.kill();
        let _ = self.responder.wait();
    }
}

/// The loopback PKI, written to `dir`: a node CA and one node certificate (server and client
/// purpose, 127.0.0.1 and localhost) for A and for B.
struct Pki {
    ca: std::path::PathBuf,
    a: (std::path::PathBuf, std::path::PathBuf),
    b: (std::path::PathBuf, std::path::PathBuf),
}

fn pki(dir: &std::path::Path) -> anyhow::Result<Pki> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "bench node CA");
    ca.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca.self_signed(&ca_key)?.pem();
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let write = |name: &str, text: &str| -> anyhow::Result<std::path::PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        Ok(p)
    };
    let node = |name: &str| -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
        let key = rcgen::KeyPair::generate()?;
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("bench node {name}"));
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &issuer)?;
        Ok((
            write(&format!("{name}.pem"), &cert.pem())?,
            write(&format!("{name}.key"), &key.serialize_pem())?,
        ))
    };
    Ok(Pki {
        ca: write("ca.pem", &ca_pem)?,
        a: node("a")?,
        b: node("b")?,
    })
}

fn identity(
    pki: &Pki,
    me: &(std::path::PathBuf, std::path::PathBuf),
) -> anyhow::Result<civitas_web::exchange::peers::NodeIdentity> {
    Ok(civitas_web::exchange::peers::NodeIdentity {
        cert_pem: std::fs::read(&me.0)?,
        key_pem: std::fs::read(&me.1)?,
        ca_pem: std::fs::read(&pki.ca)?,
    })
}

fn peer_spec(
    name: &str,
    addr: std::net::SocketAddr,
    member: &str,
    cert: &std::path::Path,
) -> anyhow::Result<civitas_web::exchange::peers::PeerSpec> {
    Ok(civitas_web::exchange::peers::PeerSpec {
        name: name.into(),
        url: format!("https://{addr}"),
        members: vec![member.into()],
        fingerprint: String::new(),
        certificate_pem: Some(std::fs::read(cert)?),
        timeout: Duration::from_secs(10),
    })
}

/// A free loopback port (bound and released).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// nginx in the shape of two nodes: a plain listener proxying over mutual TLS (A's node
/// certificate, B's verified against the CA) to a TLS listener that requires a client
/// certificate of the CA and proxies to the provider; keep-alive on both upstreams.
fn start_nginx(
    nginx: &str,
    dir: &std::path::Path,
    pki: &Pki,
    provider: &str,
) -> anyhow::Result<(std::process::Child, String)> {
    let (front, back) = (free_port()?, free_port()?);
    let provider = provider
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .to_string();
    let d = dir.display();
    let p = |x: &std::path::Path| x.display().to_string();
    let conf = format!(
        "worker_processes 2;\nerror_log {d}/nginx-error.log warn;\npid {d}/nginx.pid;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           upstream node_b {{ server 127.0.0.1:{back}; keepalive 64; }}\n\
           upstream provider {{ server {provider}; keepalive 64; }}\n\
           server {{ listen 127.0.0.1:{front};\n\
             location / {{ proxy_pass https://node_b; proxy_http_version 1.1; proxy_set_header Connection \"\";\n\
               proxy_ssl_certificate {a_cert}; proxy_ssl_certificate_key {a_key};\n\
               proxy_ssl_trusted_certificate {ca}; proxy_ssl_verify on; proxy_ssl_name localhost;\n\
               proxy_ssl_session_reuse on; }} }}\n\
           server {{ listen 127.0.0.1:{back} ssl;\n\
             ssl_certificate {b_cert}; ssl_certificate_key {b_key};\n\
             ssl_client_certificate {ca}; ssl_verify_client on;\n\
             location / {{ proxy_pass http://provider; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n\
         }}\n",
        a_cert = p(&pki.a.0),
        a_key = p(&pki.a.1),
        b_cert = p(&pki.b.0),
        b_key = p(&pki.b.1),
        ca = p(&pki.ca),
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, conf)?;
    let child = std::process::Command::new(nginx)
        .arg("-c")
        .arg(&file)
        .arg("-p")
        .arg(dir)
        .args(["-g", "daemon off;"])
        .spawn()?;
    Ok((child, format!("http://127.0.0.1:{front}/api/echo")))
}

/// N calls from C concurrent callers; returns (elapsed, latencies).
async fn run(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &[u8],
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<(Duration, Latencies, Option<Duration>)> {
    let started = Instant::now();
    let cpu_before = crate::stats::cpu_time();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let n = requests / concurrency + usize::from(worker < requests % concurrency);
        let client = client.clone();
        let url = url.to_string();
        let body = body.to_vec();
        let token = token.map(str::to_string);
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::default();
            for _ in 0..n {
                let t = Instant::now();
                let mut rq = client.post(&url).body(body.clone());
                if let Some(token) = &token {
                    rq = rq
                        .header("x-road-client", CLIENT)
                        .header(civitas_core::exchange::TOKEN_HEADER, token);
                }
                let r = rq.send().await?;
                anyhow::ensure!(r.status() == 200, "status {}", r.status());
                let got = r.bytes().await?;
                anyhow::ensure!(got.len() == body.len(), "echo of {} bytes", got.len());
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Latencies::default();
    for t in tasks {
        for d in t.await??.samples() {
            all.push(*d);
        }
    }
    let cpu = crate::stats::cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok((started.elapsed(), all, cpu))
}

/// One measured path.
struct Row {
    name: &'static str,
    callers: usize,
    elapsed: Duration,
    lat: Latencies,
    /// CPU time this process (client, provider and both nodes; not nginx) used meanwhile.
    cpu: Option<Duration>,
}

pub async fn main(rest: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let a = args(rest)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir()?;
    let (dir_a, dir_b, dir_pki) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("pki"),
    );
    for d in [&dir_a, &dir_b, &dir_pki] {
        std::fs::create_dir_all(d)?;
    }
    let pki = pki(&dir_pki)?;
    let base = provider().await?;

    // Node B's exchange TLS listener (node certificate; clients of the node CA), and the pins.
    let tls_b = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr_b = tls_b.local_addr()?;
    let addr_a = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let table = |me: &(std::path::PathBuf, std::path::PathBuf), peer| {
        civitas_web::exchange::peers::PeerTable::new(&identity(&pki, me)?, &[peer], None)
            .map(Arc::new)
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let table_b = table(
        &pki.b,
        peer_spec("node-a", addr_a, "TW/GOV/380130000C", &pki.a.0)?,
    )?;
    let table_a = table(
        &pki.a,
        peer_spec("node-b", addr_b, "TW/GOV/380290000H", &pki.b.0)?,
    )?;
    let (civitas_b, p_b, token_b, state_b) = gateway(&dir_b, &base, table_b).await?;
    let signing_b = state_b.clone();
    let config = civitas_web::exchange::tls::server_config_with_node_ca(
        &pki.b.0,
        &pki.b.1,
        &pki.ca,
        Some(&pki.ca),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cancel = tokio_util::sync::CancellationToken::new();
    tokio::spawn(civitas_web::exchange::tls::serve(
        tls_b,
        config,
        civitas_web::exchange_app(state_b),
        cancel.clone(),
    ));
    let (civitas_a, p_a, token_a, state_a) = node_a(&dir_a, table_a).await?;
    let nginx = match &a.nginx {
        Some(path) => Some(start_nginx(path, dir.path(), &pki, &base)?),
        None => None,
    };
    // nginx needs a moment to bind.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A path that never answers fails the run instead of hanging it.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency * 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let body = vec![b'x'; a.body];
    let direct = format!("{base}/echo");
    let one = format!("{civitas_b}/r1/{SERVICE}/echo");
    let two = format!("{civitas_a}/r1/{SERVICE}/echo");
    let (one_signed, two_signed) = (
        (one.clone(), token_b.clone()),
        (two.clone(), token_a.clone()),
    );
    let mut paths: Vec<(&'static str, String, Option<String>)> = vec![
        ("provider called directly", direct, None),
        (
            "one node (B's `/r1`: check, forward, log)",
            one,
            Some(token_b),
        ),
        (
            "two nodes (A → mutual TLS → B, both log)",
            two,
            Some(token_a),
        ),
    ];
    if let Some((_, url)) = &nginx {
        paths.push((
            "nginx → mutual TLS → nginx (plain reverse proxies)",
            url.clone(),
            None,
        ));
    }
    let mut rows = Vec::new();
    if a.signed_only {
        // The direct call stays: the added latency is measured against it.
        paths.truncate(1);
    }
    for callers in [1, a.concurrency] {
        let requests = if callers == 1 {
            (a.requests / 5).max(200)
        } else {
            a.requests
        };
        for (name, url, token) in &paths {
            let token = token.as_deref();
            // Warm up (connections, caches), then measure.
            run(&client, url, token, &body, 300, callers).await?;
            let (elapsed, lat, cpu) = run(&client, url, token, &body, requests, callers).await?;
            rows.push(Row {
                name,
                callers,
                elapsed,
                lat,
                cpu,
            });
        }
    }
    // The same two paths with signing and evidence logging on: A signs the request with
    // 警察局's key, B signs the response with 交通局's (and, called directly, the request too).
    let signing = SigningPki::new(
        &dir_pki.join("signing"),
        &["TW/GOV/380130000C", "TW/GOV/380290000H"],
    )?;
    signing.write_globalconf(&dir.path().join("globalconf"))?;
    let police = signing.key("TW/GOV/380130000C")?;
    let transport = signing.key("TW/GOV/380290000H")?;
    state_a.set_trust(signing.monitor(vec![police.clone()]).await?);
    signing_b.set_trust(signing.monitor(vec![police, transport]).await?);
    let signed: Vec<(&'static str, &String, Option<&str>)> = vec![
        (
            "one node, signed (B signs request and response, logs both)",
            &one_signed.0,
            Some(one_signed.1.as_str()),
        ),
        (
            "two nodes, signed (A signs the request, B the response; both log)",
            &two_signed.0,
            Some(two_signed.1.as_str()),
        ),
    ];
    for callers in [1, a.concurrency] {
        let requests = if callers == 1 {
            (a.requests / 5).max(200)
        } else {
            a.requests
        };
        for (name, url, token) in &signed {
            run(&client, url, *token, &body, 300, callers).await?;
            let (elapsed, lat, cpu) = run(&client, url, *token, &body, requests, callers).await?;
            rows.push(Row {
                name,
                callers,
                elapsed,
                lat,
                cpu,
            });
        }
    }
    let evidence = |p: &Platform| {
        let p = p.clone();
        async move {
            p.stores
                .exchange
                .pending_timestamps(usize::MAX >> 1)
                .await
                .map(|v| v.len())
                .map_err(err)
        }
    };
    let (signed_a, signed_b) = (evidence(&p_a).await?, evidence(&p_b).await?);
    cancel.cancel();
    if let Some((mut child, _)) = nginx {
        // SIGTERM: the nginx master stops its workers (SIGKILL would leave them running).
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
    let logged = |p: Platform| async move {
        p.stores
            .exchange
            .messages(
                &civitas_core::exchange::MessageFilter::default(),
                civitas_core::page::PageRequest::new(Some(1), Some(1)),
            )
            .await
            .map(|m| m.total)
            .map_err(err)
    };
    let (logged_a, logged_b) = (logged(p_a).await?, logged(p_b).await?);
    println!(
        "\n### Exchange gateway ({} bytes a call, loopback; {} requests with {} callers, {} with 1)\n",
        a.body,
        a.requests,
        a.concurrency,
        (a.requests / 5).max(200)
    );
    println!(
        "| path | callers | requests/s | p50 | p95 | p99 | p50 added | cores busy (this process) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let direct = rows
            .iter()
            .find(|d| d.callers == r.callers)
            .map(|d| d.lat.median())
            .unwrap_or_default();
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            r.name,
            r.callers,
            r.lat.len() as f64 / r.elapsed.as_secs_f64(),
            ms(r.lat.median()),
            ms(r.lat.percentile(95.0)),
            ms(r.lat.percentile(99.0)),
            ms(r.lat.median().saturating_sub(direct)),
            r.cpu.map_or_else(
                || "—".to_string(),
                |c| format!("{:.2}", c.as_secs_f64() / r.elapsed.as_secs_f64())
            )
        );
    }
    println!(
        "\nMessage-log rows written (warm-up included): node A {logged_a}, node B {logged_b}; signed records waiting for their batch time-stamp: node A {signed_a}, node B {signed_b}."
    );
    Ok(())
}
