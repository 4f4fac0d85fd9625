//! The exchange gateway's provider face end to end: a real provider system (axum on port 0)
//! behind civitas; 警察局's system calls 交通局's bus service through `/r1` only after 交通局
//! approved the sharing request and its steward granted the subsystem access; refused calls
//! get the X-Road error types of PR-REST; every call is in the message log.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::AccessLevel;
use civitas_web::WebSettings;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{TestApp, client, operator};

const BUS: i64 = 2;
const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";
pub(crate) const SERVICE: &str = "TW/GOV/380290000H/TRANSPORT-API/bus";
const OWNER: &str = "TW/GOV/380290000H/TRANSPORT-API";
pub(crate) const CLIENT: &str = "TW/GOV/380130000C/POLICE-SYS";
const LIMIT: usize = 64 * 1024;

fn steward(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse(agency).unwrap()),
    }]
}

/// 交通局's own system: echoes what it received, forges X-Road headers (which the gateway
/// must overwrite), answers slowly or with a redirect on request. Counts every call.
async fn provider(calls: Arc<AtomicUsize>) -> String {
    fn seen(headers: &HeaderMap) -> Value {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        json!({
            "x-road-client": h("x-road-client"),
            "x-road-id": h("x-road-id"),
            "x-road-request-id": h("x-road-request-id"),
            "x-road-request-hash": h("x-road-request-hash"),
            "authorization": h("authorization"),
            "accept": h("accept"),
            "x-custom": h("x-custom"),
            "connection": h("connection"),
            "x-civitas-exchange-token": h("x-civitas-exchange-token"),
        })
    }
    let c1 = calls.clone();
    let c2 = calls.clone();
    let c3 = calls.clone();
    let c4 = calls;
    let app = Router::new()
        .route(
            "/api/cases/{id}",
            get(
                move |Path(id): Path<String>, RawQuery(q): RawQuery, headers: HeaderMap| {
                    c1.fetch_add(1, Ordering::SeqCst);
                    async move {
                        (
                            [
                                ("x-road-id", "forged-by-provider"),
                                ("x-road-client", "forged/by/provider/x"),
                                ("x-road-error", "forged"),
                                ("x-provider", "kept"),
                            ],
                            axum::Json(json!({"id": id, "query": q, "seen": seen(&headers)})),
                        )
                    }
                },
            ),
        )
        .route(
            "/api/cases",
            post(move |body: Bytes| {
                c2.fetch_add(1, Ordering::SeqCst);
                async move { (StatusCode::CREATED, format!("{} bytes", body.len())) }
            }),
        )
        .route(
            "/api/slow",
            get(move || {
                c3.fetch_add(1, Ordering::SeqCst);
                async {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    "late"
                }
            }),
        )
        .route(
            "/api/moved",
            get(move || {
                c4.fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        StatusCode::FOUND,
                        [("location", "https://elsewhere.example/x")],
                        "",
                    )
                        .into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/api")
}

const OPENAPI: &str = r#"{"openapi": "3.1.0", "info": {"title": "公車", "version": "1"},
  "servers": [{"url": "http://10.30.0.7:8080/api"}],
  "paths": {"/cases/{id}": {"get": {}}, "/cases": {"post": {}}, "/slow": {"get": {}}, "/moved": {"get": {}}}}"#;

pub(crate) struct World {
    pub(crate) app: TestApp,
    /// Clients presenting the token of `CLIENT`, and of `OTHER`.
    pub(crate) caller: reqwest::Client,
    other: reqwest::Client,
    token: String,
    pub(crate) transport: String,
    pub(crate) police: String,
    pub(crate) calls: Arc<AtomicUsize>,
    pub(crate) request_id: i64,
    service_row: i64,
}

pub(crate) async fn world() -> World {
    world_with(WebSettings::default()).await
}

/// The world with these settings (the body limit and request timeout are the world's own).
pub(crate) async fn world_with(settings: WebSettings) -> World {
    let app = TestApp::spawn_with(WebSettings {
        exchange_max_body_bytes: LIMIT,
        request_timeout: std::time::Duration::from_secs(2),
        ..settings
    })
    .await;
    let p = app.platform();
    let d = p.catalog().get(&operator(), BUS).await.unwrap();
    let mut record = d.record.clone();
    record.access_level = AccessLevel::Restricted;
    p.catalog().update(&operator(), BUS, record).await.unwrap();
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let police = app.token("chang.police").await;
    let transport = app.token("lin.transport").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let base = provider(calls.clone()).await;
    let c = client();

    // 交通局 registers its service; 警察局 cannot register it for them.
    let body = json!({"service_id": SERVICE, "agency": TRANSPORT, "title": "公車路線",
        "subsystem_name": "交通局資料服務", "base_url": base, "timeout_ms": 500, "openapi": OPENAPI});
    let r = c
        .post(app.url("/api/v1/exchange/services"))
        .bearer_auth(&police)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(app.url("/api/v1/exchange/services"))
        .bearer_auth(&transport)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let svc: Value = r.json().await.unwrap();
    assert_eq!(svc["service_type"], "OPENAPI3");
    assert_eq!(
        svc["endpoints"],
        json!([{"method": "GET", "path": "/cases/*"}, {"method": "GET", "path": "/moved"},
               {"method": "GET", "path": "/slow"}, {"method": "POST", "path": "/cases"}])
    );

    // 警察局 asks for the bus data; 交通局 approves.
    let r = c
        .post(app.url("/api/v1/sharing/requests"))
        .bearer_auth(&police)
        .json(&json!({"dataset_id": BUS, "purpose": "公車站周邊交通事故分析", "days": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let request_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .post(app.url(&format!("/api/v1/sharing/requests/{request_id}/decision")))
        .bearer_auth(&transport)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // 警察局's steward registers its two systems and issues each a token.
    let token = issue_token(&app, &police, CLIENT, POLICE).await;
    let caller = token_client(&token);
    let other = token_client(&issue_token(&app, &police, OTHER, POLICE).await);
    World {
        service_row: svc["id"].as_i64().unwrap(),
        caller,
        other,
        token,
        app,
        transport,
        police,
        calls,
        request_id,
    }
}

const OTHER: &str = "TW/GOV/380130000C/OTHER";
pub(crate) const TOKEN_HEADER: &str = "x-civitas-exchange-token";

/// Issue a token for a subsystem (registering it for `agency` when new); returns the token.
pub(crate) async fn issue_token(
    app: &TestApp,
    bearer: &str,
    subsystem: &str,
    agency: &str,
) -> String {
    let r = client()
        .post(app.url("/api/v1/exchange/credentials"))
        .bearer_auth(bearer)
        .json(&json!({"client": subsystem, "agency": agency, "kind": "token", "label": "test system"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["credential"]["kind"], "token");
    assert_eq!(body["credential"]["client"], subsystem);
    body["token"].as_str().unwrap().to_string()
}

/// An HTTP client that presents `token` on every request.
pub(crate) fn token_client(token: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(TOKEN_HEADER, token.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

pub(crate) fn r1(w: &World, path: &str) -> String {
    w.app.url(&format!("/r1/{SERVICE}{path}"))
}

/// Assert an X-Road error answer and return its type.
pub(crate) async fn xroad_error(r: reqwest::Response, status: u16) -> String {
    assert_eq!(r.status(), status);
    let header = r
        .headers()
        .get("x-road-error")
        .expect("X-Road-Error")
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        r.headers()
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], header.as_str(), "{body}");
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert_eq!(body["detail"].as_str().unwrap().len(), 36, "a UUID: {body}");
    header
}

/// One raw HTTP/1.1 exchange (for targets an HTTP client would normalise away).
async fn raw(w: &World, request: &str) -> (u16, String) {
    let token = &w.token;
    let request = request.replacen("\r\n", &format!("\r\n{TOKEN_HEADER}: {token}\r\n"), 1);
    let addr = w.app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn an_approved_grant_lets_a_client_call_through_and_every_refusal_has_its_xroad_type() {
    let w = world().await;
    let c = w.caller.clone();
    let denied = "Server.ServerProxy.AccessDenied";

    // Deny by default: approved sharing, but no exchange grant yet.
    let r = c
        .get(r1(&w, "/cases/42"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, denied);
    assert_eq!(w.calls.load(Ordering::SeqCst), 0);

    // Only 交通局's steward grants, and only against the approved request.
    let grant = json!({"service_id": SERVICE, "subject": CLIENT, "subject_name": "警察局事故分析系統",
                       "request_id": w.request_id});
    let r = c
        .post(w.app.url("/api/v1/exchange/grants"))
        .bearer_auth(&w.police)
        .json(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(w.app.url("/api/v1/exchange/grants"))
        .bearer_auth(&w.transport)
        .json(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let g: Value = r.json().await.unwrap();
    assert_eq!(g["state"], "active");
    assert_eq!(g["requesting_agency"], POLICE);
    assert_eq!(g["purpose"], "公車站周邊交通事故分析");
    let grant_id = g["id"].as_i64().unwrap();

    // Through: the provider sees the protocol's headers and the caller's own; the answer
    // carries the gateway's identifiers, the provider's forged ones gone.
    let r = c
        .get(r1(&w, "/cases/42?from=2024-01-01&x=%E5%85%AC"))
        .header("x-road-client", CLIENT)
        .header("authorization", "Bearer provider-jwt")
        .header("x-road-request-hash", "forged")
        .header("x-custom", "kept")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let hv = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_string());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], "42");
    assert_eq!(
        body["query"], "from=2024-01-01&x=%E5%85%AC",
        "the query passes unmodified"
    );
    let seen = &body["seen"];
    assert_eq!(seen["x-road-client"], CLIENT);
    assert_eq!(seen["authorization"], "Bearer provider-jwt");
    assert_eq!(seen["x-custom"], "kept");
    assert_eq!(seen["accept"], "*/*", "Accept passes unmodified");
    assert!(
        seen["x-road-request-hash"].is_null(),
        "the request hash stays between nodes"
    );
    let xroad_id = seen["x-road-id"].as_str().unwrap().to_string();
    assert!(
        xroad_id.starts_with("TW-") && xroad_id.len() == 39,
        "{xroad_id}"
    );
    assert_eq!(hv("x-road-id").as_deref(), Some(xroad_id.as_str()));
    assert_eq!(hv("x-road-client").as_deref(), Some(CLIENT));
    assert_eq!(hv("x-road-service").as_deref(), Some(SERVICE));
    assert_eq!(
        hv("x-road-request-id"),
        seen["x-road-request-id"].as_str().map(str::to_string)
    );
    let hash = hv("x-road-request-hash").unwrap();
    assert_eq!(hash.len(), 88, "base64 of SHA-512: {hash}");
    assert_eq!(hv("x-provider").as_deref(), Some("kept"));
    assert!(
        hv("x-road-error").is_none(),
        "the provider cannot fake an X-Road error"
    );
    assert_eq!(h.get_all("x-road-id").iter().count(), 1);

    // A caller without Accept gets application/json asked for (PR-REST §4.3).
    let (status, text) = raw(
        &w,
        &format!("GET /r1/{SERVICE}/cases/5 HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("\"accept\":\"application/json\""), "{text}");

    // The consumer's own X-Road-Id is kept.
    let r = c
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", CLIENT)
        .header("x-road-id", "TW-my-own-id")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-road-id"], "TW-my-own-id");

    // Redirects are not followed: passed through as they came.
    let r = c
        .get(r1(&w, "/moved"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "https://elsewhere.example/x");

    // A body within the limit goes through; a larger one is refused unread.
    let r = c
        .post(r1(&w, "/cases"))
        .header("x-road-client", CLIENT)
        .body(vec![b'a'; LIMIT])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.text().await.unwrap(), format!("{LIMIT} bytes"));
    let before = w.calls.load(Ordering::SeqCst);
    let r = c
        .post(r1(&w, "/cases"))
        .header("x-road-client", CLIENT)
        .body(vec![b'a'; LIMIT + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.BadRequest");
    // Without a declared length (chunked), the limit holds as the body streams in.
    let (status, text) = raw(
        &w,
        &format!(
            "POST /r1/{SERVICE}/cases HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
            LIMIT + 10,
            "b".repeat(LIMIT + 10)
        ),
    )
    .await;
    assert_eq!(status, 400, "{}", text.lines().next().unwrap_or(""));
    assert!(
        text.to_ascii_lowercase()
            .contains("x-road-error: client.badrequest"),
        "{text}"
    );
    assert_eq!(
        w.calls.load(Ordering::SeqCst),
        before,
        "nothing oversized reached the provider"
    );

    // A slow client: the body announced never arrives; refused after the request timeout.
    let started = std::time::Instant::now();
    let (status, text) = raw(
        &w,
        &format!("POST /r1/{SERVICE}/cases HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b"),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("did not arrive within 2 s"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        w.calls.load(Ordering::SeqCst),
        before,
        "nothing half-sent reached the provider"
    );

    // The service's timeout: a slow provider is a ServiceFailed.
    let r = c
        .get(r1(&w, "/slow"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        xroad_error(r, 500).await,
        "Server.ServerProxy.ServiceFailed"
    );

    // Bad requests: no X-Road-Client, a CR LF smuggled in it, `..` above the service root.
    let r = c.get(r1(&w, "/cases/1")).send().await.unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.MissingHeader");
    let r = c
        .get(r1(&w, "/cases/1"))
        .header(
            "x-road-client",
            format!("{CLIENT}%0D%0AX-Road-Client:%20TW/GOV/1/ADMIN"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.InvalidClientIdentifier");
    let r = c
        .get(r1(&w, "/cases/..%2F..%2F..%2Fetc"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.InvalidRequest");
    let (status, text) = raw(
        &w,
        &format!("GET /r1/{SERVICE}/../../admin HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("Client.InvalidRequest"), "{text}");
    // A whole-service grant passes any method; the provider's own error comes back as it is,
    // without X-Road-Error (PR-REST §4.6, first category).
    let r = c
        .delete(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers().get("x-road-error").is_none());
    let r = c
        .get(w.app.url("/r1/TW/GOV/380290000H/TRANSPORT-API/nothing/x"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        xroad_error(r, 500).await,
        "Server.ServerProxy.UnknownService"
    );
    let r = c
        .get(w.app.url("/r1/TW/GOV/380290000H"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.BadRequest");
    // XML error bodies when the caller asks for XML.
    let r = c
        .get(w.app.url("/r1/TW/GOV/380290000H/TRANSPORT-API/nothing"))
        .header("x-road-client", CLIENT)
        .header("accept", "text/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("<error><type>Server.ServerProxy.UnknownService</type>"),
        "{xml}"
    );

    // Another subsystem, not granted.
    let r = w
        .other
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, denied);

    // Disabled: the notice reaches callers; enabled again, calls go through.
    let r = c
        .post(w.app.url(&format!(
            "/api/v1/exchange/services/{}/disable",
            w.service_row
        )))
        .bearer_auth(&w.transport)
        .json(&json!({"notice": "系統維護至 18:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers()["x-road-error"],
        "Server.ServerProxy.ServiceDisabled"
    );
    assert!(r.text().await.unwrap().contains("系統維護至 18:00"));
    let r = c
        .post(w.app.url(&format!(
            "/api/v1/exchange/services/{}/enable",
            w.service_row
        )))
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The message log holds every call, the refused ones with their type. It is the provider
    // agency's (and city-wide readers'): 警察局 does not read it.
    let log: Value = c
        .get(
            w.app
                .url(&format!("/api/v1/exchange/log?xroad_id={xroad_id}")),
        )
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["total"], 1, "{log}");
    let entry = &log["items"][0];
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["client"], CLIENT);
    assert_eq!(entry["service"], SERVICE);
    assert_eq!(entry["endpoint"], "GET /cases/*");
    assert_eq!(entry["request_hash"], hash.as_str());
    assert!(entry["error_type"].is_null());
    let errors: Value = c
        .get(
            w.app
                .url("/api/v1/exchange/log?errors_only=true&per_page=100"),
        )
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = errors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error_type"].as_str().unwrap())
        .collect();
    for t in [
        denied,
        "Server.ServerProxy.ServiceFailed",
        "Server.ServerProxy.ServiceDisabled",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let admin = w.app.token("admin").await;
    let all: Value = c
        .get(
            w.app
                .url("/api/v1/exchange/log?errors_only=true&per_page=100"),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all_types: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["error_type"].as_str().unwrap())
        .collect();
    for t in [
        "Client.MissingHeader",
        "Client.InvalidClientIdentifier",
        "Client.InvalidRequest",
        "Client.BadRequest",
        "Server.ServerProxy.UnknownService",
    ] {
        assert!(all_types.contains(&t), "{t} in {all_types:?}");
    }
    let police_log: Value = c
        .get(w.app.url("/api/v1/exchange/log"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        police_log["total"], 0,
        "the log is the provider agency's: {police_log}"
    );

    // Revoked: denied at once.
    let r = c
        .post(
            w.app
                .url(&format!("/api/v1/exchange/grants/{grant_id}/revoke")),
        )
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "revoked");
    let r = c
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, denied);

    let actions = w.app.actions().await;
    for a in [
        "exchange.service.register",
        "exchange.grant.create",
        "exchange.service.disable",
        "exchange.service.enable",
        "exchange.grant.revoke",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }
}

#[tokio::test]
async fn an_endpoint_grant_covers_its_endpoint_only_and_expires_with_its_time() {
    let w = world().await;
    let c = w.caller.clone();
    let r = c
        .post(w.app.url("/api/v1/exchange/grants"))
        .bearer_auth(&w.transport)
        .json(
            &json!({"service_id": SERVICE, "subject": CLIENT, "request_id": w.request_id,
                      "endpoint": {"method": "GET", "path": "/cases/*"},
                      "valid_until": "2024-03-08T09:00:00+08:00"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .get(r1(&w, "/cases/9"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(r1(&w, "/cases"))
        .header("x-road-client", CLIENT)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, "Server.ServerProxy.AccessDenied");
    let r = c
        .get(r1(&w, "/cases/9/more"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, "Server.ServerProxy.AccessDenied");

    // Metaservices, in the forms PR-MREST's examples and the reference implementation give.
    let list: Value = c
        .get(w.app.url(&format!("/r1/{OWNER}/listMethods")))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s = &list["service"][0];
    assert_eq!(list["service"].as_array().unwrap().len(), 1);
    assert_eq!(s["object_type"], "SERVICE");
    assert_eq!(s["xroad_instance"], "TW");
    assert_eq!(s["member_class"], "GOV");
    assert_eq!(s["member_code"], TRANSPORT);
    assert_eq!(s["subsystem_code"], "TRANSPORT-API");
    assert_eq!(s["service_code"], "bus");
    assert_eq!(s["service_type"], "OPENAPI");
    assert_eq!(s["endpoint_list"].as_array().unwrap().len(), 4);
    let allowed: Value = c
        .get(w.app.url(&format!("/r1/{OWNER}/allowedMethods")))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        allowed["service"][0]["endpoint_list"],
        json!([{"method": "GET", "path": "/cases/*"}])
    );
    let none: Value = w
        .other
        .get(w.app.url(&format!("/r1/{OWNER}/allowedMethods")))
        .header("x-road-client", OTHER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!({"service": []}));
    let doc: Value = c
        .get(
            w.app
                .url(&format!("/r1/{OWNER}/getOpenAPI?serviceCode=bus")),
        )
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["servers"][0]["url"], "/api",
        "the provider's address is not given away"
    );
    assert_eq!(doc["openapi"], "3.1.0");
    let r = c
        .get(w.app.url(&format!("/r1/{OWNER}/getOpenAPI")))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 400).await, "Client.BadRequest");
    let xml = c.get(w.app.url("/listClients")).send().await.unwrap();
    assert!(
        xml.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let xml = xml.text().await.unwrap();
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<xrd:clientList xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\""),
        "{xml}"
    );
    assert!(
        xml.contains("<xrd:member><xrd:id id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>TW</id:xRoadInstance><id:memberClass>GOV</id:memberClass><id:memberCode>380130000C</id:memberCode><id:subsystemCode>POLICE-SYS</id:subsystemCode></xrd:id><xrd:name>桃園市政府警察局</xrd:name>"),
        "{xml}"
    );
    let members: Value = c
        .get(w.app.url("/listClients?xRoadInstance=TW"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = members["member"].as_array().unwrap();
    // 交通局's API, 警察局's system and its OTHER system (registered with its token).
    assert_eq!(m.len(), 3);
    assert!(m.iter().any(|x| x["id"]
        == json!({"member_class": "GOV", "member_code": TRANSPORT,
        "object_type": "SUBSYSTEM", "subsystem_code": "TRANSPORT-API", "xroad_instance": "TW"})
        && x["subsystem_name"] == "交通局資料服務"));
    let other: Value = c
        .get(w.app.url("/listClients?xRoadInstance=EE"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other, json!({"member": []}));

    // Past its end the grant denies, and allowedMethods no longer lists it.
    w.app
        .clock
        .set(civitas_core::time::Timestamp::parse_rfc3339("2024-03-08T09:00:00+08:00").unwrap());
    let r = c
        .get(r1(&w, "/cases/9"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, "Server.ServerProxy.AccessDenied");
    let gone: Value = c
        .get(w.app.url(&format!("/r1/{OWNER}/allowedMethods")))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone, json!({"service": []}));
    let grants: Value = c
        .get(w.app.url("/api/v1/exchange/grants"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(grants[0]["state"], "expired");
}

const AUTH_FAILED: &str = "Server.ClientProxy.SslAuthenticationFailed";

/// 交通局's steward grants `CLIENT` the whole bus service.
pub(crate) async fn grant_client(w: &World) {
    let r = client()
        .post(w.app.url("/api/v1/exchange/grants"))
        .bearer_auth(&w.transport)
        .json(&json!({"service_id": SERVICE, "subject": CLIENT, "request_id": w.request_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

async fn refusals_logged(w: &World) -> usize {
    let log: Value = client()
        .get(
            w.app
                .url("/api/v1/exchange/log?errors_only=true&per_page=100"),
        )
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["error_type"] == AUTH_FAILED)
        .count()
}

#[tokio::test]
async fn a_token_authenticates_its_own_subsystem_only_until_revoked_and_never_reaches_the_provider()
{
    let w = world().await;
    grant_client(&w).await;
    let anonymous = client();

    // No credential, or a token nobody issued: refused before anything is looked up.
    let r = anonymous
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    let r = token_client("cvx_0000000000000000000000000000000000000000000000000000000000000000")
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    // OTHER's token claiming CLIENT (which holds the grant): refused.
    let r = w
        .other
        .get(r1(&w, "/cases/1"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    // Metaservices answer authenticated callers only, too.
    let r = anonymous
        .get(w.app.url(&format!("/r1/{OWNER}/allowedMethods")))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    assert_eq!(w.calls.load(Ordering::SeqCst), 0, "nothing was forwarded");

    // CLIENT's own token: through, and the provider never sees it.
    let r = w
        .caller
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["seen"]["x-road-client"], CLIENT);
    assert!(
        body["seen"]["x-civitas-exchange-token"].is_null(),
        "the token header is stripped: {body}"
    );
    assert_eq!(w.calls.load(Ordering::SeqCst), 1);

    // CLIENT's token claiming OTHER: refused.
    let r = w
        .caller
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);

    // The list shows hashes only; 交通局 cannot revoke 警察局's credential; 警察局 can.
    let list: Value = client()
        .get(w.app.url("/api/v1/exchange/credentials"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == CLIENT)
        .unwrap()
        .clone();
    assert_eq!(mine["state"], "active");
    assert_eq!(mine["sha256"].as_str().unwrap().len(), 64);
    assert!(
        !list.to_string().contains(&w.token),
        "tokens are never listed"
    );
    let id = mine["id"].as_i64().unwrap();
    let revoke = w
        .app
        .url(&format!("/api/v1/exchange/credentials/{id}/revoke"));
    let r = client()
        .post(&revoke)
        .bearer_auth(&w.transport)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client()
        .post(&revoke)
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["state"], "revoked");
    let r = client()
        .post(&revoke)
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let actions = w.app.actions().await;
    assert!(
        actions.iter().any(|a| a == "exchange.credential.issue"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "exchange.credential.revoke"),
        "{actions:?}"
    );

    // Revoked: refused, not forwarded.
    let r = w
        .caller
        .get(r1(&w, "/cases/7"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    assert_eq!(w.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        refusals_logged(&w).await,
        5,
        "every refusal is in the message log"
    );
}

/// A loopback PKI: a CA and what it signs.
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

/// A certificate signed by `ca`: (certificate PEM, key PEM).
fn issue(ca: &Ca, cn: &str, server: bool) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let sans = if server {
        vec!["127.0.0.1".to_string()]
    } else {
        Vec::new()
    };
    let mut params = rcgen::CertificateParams::new(sans).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params.extended_key_usages = vec![if server {
        rcgen::ExtendedKeyUsagePurpose::ServerAuth
    } else {
        rcgen::ExtendedKeyUsagePurpose::ClientAuth
    }];
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// An HTTPS client trusting `ca_pem`, presenting `identity` (certificate, key) if given.
fn tls_client(ca_pem: &str, identity: Option<&(String, String)>) -> reqwest::Client {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_preconfigured_tls(config)
        .build()
        .unwrap()
}

#[tokio::test]
async fn on_the_tls_listener_the_client_certificate_is_the_credential_bound_to_one_subsystem() {
    let w = world().await;
    grant_client(&w).await;
    let city_ca = ca("Taoyuan exchange test CA");
    let stranger_ca = ca("Somebody else's CA");
    let server = issue(&city_ca, "civitas exchange", true);
    let cert_a = issue(&city_ca, "police accident system", false);
    let cert_b = issue(&city_ca, "police other system", false);
    let cert_x = issue(&stranger_ca, "police accident system", false);

    // Bind A's certificate to CLIENT and B's to OTHER (警察局's steward, by PEM).
    for ((cert, _), subsystem) in [(&cert_a, CLIENT), (&cert_b, OTHER)] {
        let r = client()
            .post(w.app.url("/api/v1/exchange/credentials"))
            .bearer_auth(&w.police)
            .json(
                &json!({"client": subsystem, "kind": "certificate", "label": "mTLS",
                          "certificate_pem": cert}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert!(body["token"].is_null());
        assert_eq!(
            body["credential"]["subject"],
            if subsystem == CLIENT {
                "CN=police accident system"
            } else {
                "CN=police other system"
            }
        );
    }
    // Not PEM: an actionable refusal.
    let r = client()
        .post(w.app.url("/api/v1/exchange/credentials"))
        .bearer_auth(&w.police)
        .json(&json!({"client": CLIENT, "kind": "certificate", "label": "x", "certificate_pem": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The listener, as `civitas serve` starts it.
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let config = civitas_web::exchange::tls::server_config(
        &write("server.pem", &server.0),
        &write("server.key", &server.1),
        &write("ca.pem", &city_ca.pem),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cancel = tokio_util::sync::CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    tokio::spawn(civitas_web::exchange::tls::serve(
        listener,
        config,
        civitas_web::exchange_app(w.app.state.clone()),
        cancel,
    ));
    let url = |path: &str| format!("https://{addr}/r1/{SERVICE}{path}");

    // A's certificate calling as CLIENT: through.
    let a = tls_client(&city_ca.pem, Some(&cert_a));
    let r = a
        .get(url("/cases/3"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], "3");
    assert_eq!(w.calls.load(Ordering::SeqCst), 1);

    // A's certificate claiming OTHER: refused.
    let r = a
        .get(url("/cases/3"))
        .header("x-road-client", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    // B's certificate as OTHER is authenticated, and then meets deny-by-default.
    let b = tls_client(&city_ca.pem, Some(&cert_b));
    let r = b
        .get(url("/cases/3"))
        .header("x-road-client", OTHER)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, "Server.ServerProxy.AccessDenied");
    // B's certificate with CLIENT's token, claiming CLIENT: refused (on this listener the
    // certificate alone counts).
    let r = b
        .get(url("/cases/3"))
        .header("x-road-client", CLIENT)
        .header(TOKEN_HEADER, &w.token)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);

    // A certificate from another CA, or none: the handshake fails.
    let x = tls_client(&city_ca.pem, Some(&cert_x));
    assert!(
        x.get(url("/cases/3"))
            .header("x-road-client", CLIENT)
            .send()
            .await
            .is_err()
    );
    let none = tls_client(&city_ca.pem, None);
    assert!(
        none.get(url("/cases/3"))
            .header("x-road-client", CLIENT)
            .send()
            .await
            .is_err()
    );
    assert_eq!(
        w.calls.load(Ordering::SeqCst),
        1,
        "nothing else was forwarded"
    );

    // Revoking A's certificate binding refuses it at once (the TLS chain is still fine).
    let list: Value = client()
        .get(w.app.url("/api/v1/exchange/credentials"))
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client"] == CLIENT && c["kind"] == "certificate")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = client()
        .post(
            w.app
                .url(&format!("/api/v1/exchange/credentials/{id}/revoke")),
        )
        .bearer_auth(&w.police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = a
        .get(url("/cases/3"))
        .header("x-road-client", CLIENT)
        .send()
        .await
        .unwrap();
    assert_eq!(xroad_error(r, 500).await, AUTH_FAILED);
    assert_eq!(w.calls.load(Ordering::SeqCst), 1);
}
