//! `civitas-bench gateway`: what the exchange gateway's provider face adds to a call (issue 6).
//! In one process: a provider system (axum on loopback answering `POST /api/echo` with the
//! body it got), and civitas in front of it with a registered service and an access grant that
//! answers an approved sharing request. The same 1 KB calls go to the provider directly and
//! through `/r1` (access check, header rules, request hash, forwarding, one message-log row per
//! call), from C concurrent callers over keep-alive connections. Prints a Markdown table.
//! No signing, time-stamping or second node: those are not built yet.

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

const USAGE: &str = "civitas-bench gateway [--requests N] [--concurrency C] [--body BYTES]";

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
}

fn args(rest: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        requests: 20_000,
        concurrency: 16,
        body: 1024,
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

/// civitas with the bus service registered and granted to 警察局's subsystem.
async fn gateway(
    dir: &std::path::Path,
    provider_base: &str,
) -> anyhow::Result<(String, Platform, String)> {
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
    let state = civitas_web::AppState::new(p.clone(), civitas_web::WebSettings::default());
    let (router, _) = civitas_web::app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(civitas_web::serve(listener, router, std::future::pending()));
    Ok((format!("http://{addr}"), p, token))
}

/// N calls from C concurrent callers; returns (elapsed, latencies).
async fn run(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &[u8],
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<(Duration, Latencies)> {
    let started = Instant::now();
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
    Ok((started.elapsed(), all))
}

pub async fn main(rest: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let a = args(rest)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir()?;
    let base = provider().await?;
    let (civitas, p, token) = gateway(dir.path(), &base).await?;
    let token = Some(token.as_str());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency * 2)
        .build()?;
    let body = vec![b'x'; a.body];
    let direct = format!("{base}/echo");
    let through = format!("{civitas}/r1/{SERVICE}/echo");
    // Warm up both paths (connections, caches).
    run(&client, &direct, None, &body, 500, a.concurrency).await?;
    run(&client, &through, token, &body, 500, a.concurrency).await?;
    let (d_time, d_lat) = run(&client, &direct, None, &body, a.requests, a.concurrency).await?;
    let (g_time, g_lat) = run(&client, &through, token, &body, a.requests, a.concurrency).await?;
    let rate = |n: usize, t: Duration| n as f64 / t.as_secs_f64();
    let logged = p
        .stores
        .exchange
        .messages(
            &civitas_core::exchange::MessageFilter::default(),
            civitas_core::page::PageRequest::new(Some(1), Some(1)),
        )
        .await
        .map_err(err)?
        .total;
    println!(
        "\n### Exchange gateway, provider face ({} requests of {} bytes, {} concurrent callers, loopback)\n",
        a.requests, a.body, a.concurrency
    );
    println!("| path | requests/s | p50 | p95 | p99 |");
    println!("|---|---:|---:|---:|---:|");
    for (name, t, l) in [
        ("provider called directly", d_time, &d_lat),
        (
            "through civitas `/r1` (check, forward, log)",
            g_time,
            &g_lat,
        ),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} | {} |",
            rate(l.len(), t),
            ms(l.median()),
            ms(l.percentile(95.0)),
            ms(l.percentile(99.0))
        );
    }
    println!(
        "\nAdded latency at p50: {}. Message-log rows written: {logged} (warm-up included).",
        ms(g_lat.median().saturating_sub(d_lat.median()))
    );
    Ok(())
}
