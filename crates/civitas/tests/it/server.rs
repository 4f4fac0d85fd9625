//! A real `civitas serve` / `civitas demo` process reached over HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{PASSWORD, civitas, run, run_ok, seeded, stdout};

struct Server {
    child: Child,
    base: String,
    lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Start `civitas <command> --listen 127.0.0.1:0` and wait for the line announcing the URL.
fn start(data: &Path, command: &str, envs: &[(&str, &str)]) -> Server {
    start_logging(data, command, envs, None)
}

/// Like `start`, writing the server's logs to `log`.
fn start_logging(data: &Path, command: &str, envs: &[(&str, &str)], log: Option<&Path>) -> Server {
    // Tests reach the server with reqwest, built with rustls (ring) for the whole workspace.
    civitas_delivery::install_tls_provider();
    let mut cmd = civitas(data);
    let stderr = match log {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    };
    cmd.args([command, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut lines = Vec::new();
    let mut base = None;
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(i) = line.find("http://") {
                base = Some(line[i..].trim().trim_end_matches('/').to_string());
            }
            let done = base.is_some() && (command != "demo" || line.contains("Ctrl+C"));
            lines.push(line);
            if done {
                break;
            }
        }
    }
    Server {
        child,
        base: base.expect("the server announced its address"),
        lines,
    }
}

// Polls a child process of our own; nothing else runs on this test thread meanwhile.
#[allow(clippy::disallowed_methods)]
fn stop(mut server: Server) -> i32 {
    let pid = server.child.id();
    // SIGTERM, as a service manager would send.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.child.try_wait() {
            return status.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not stop on SIGTERM");
}

#[tokio::test]
async fn a_token_from_the_command_line_reaches_the_api_with_exactly_its_roles() {
    let dir = seeded();
    let out = crate::with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "steward",
            "--role",
            "data_steward",
            "--agency",
            "380290000H",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success());
    run_ok(
        dir.path(),
        &["user", "grant", "steward", "--role", "auditor"],
    );
    let created: Value = serde_json::from_str(&run_ok(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "steward",
            "--role",
            "auditor",
            "--expires",
            "30d",
            "--json",
        ],
    ))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_i64().unwrap();
    let server = start(dir.path(), "serve", &[]);
    let c = reqwest::Client::new();
    let me: Value = c
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["effective_grants"],
        serde_json::json!([{"role": "auditor", "agency": null}])
    );
    assert_eq!(
        c.get(format!("{}/api/v1/audit", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.post(format!("{}/api/v1/agencies/import", server.base))
            .bearer_auth(&token)
            .body("code\n")
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "the steward role was left out of the token"
    );
    run_ok(dir.path(), &["token", "revoke", &id.to_string()]);
    let r = c
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "revoked on the command line, refused by the running server"
    );
    assert_eq!(stop(server), 0, "SIGTERM stops the server cleanly");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let dir = seeded();
    let server = start(
        dir.path(),
        "serve",
        &[("CIVITAS_METRICS_LISTEN", "127.0.0.1:0")],
    );
    let c = reqwest::Client::new();
    let h: Value = c
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let r: Value = c
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "ready");
    assert_eq!(r["schema_applied"], r["schema_expected"]);
    // With a separate metrics listener, the main one does not serve /metrics at all.
    let admin: Value = serde_json::from_str(&run_ok(
        dir.path(),
        &["token", "create", "--user", "admin", "--json"],
    ))
    .unwrap();
    let r = c
        .get(format!("{}/metrics", server.base))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    stop(server);

    let server = start(dir.path(), "serve", &[]);
    c.get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    let text = c
        .get(format!("{}/metrics", server.base))
        .bearer_auth(admin["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("civitas_http_requests_total"), "{text}");
    assert!(
        text.contains("civitas_db_query_seconds"),
        "database pool metrics too"
    );
    assert_eq!(
        c.get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    stop(server);
}

#[tokio::test]
async fn the_bootstrap_administrator_is_created_on_first_start_only() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pw");
    std::fs::write(&secret, format!("{PASSWORD}\n")).unwrap();
    let envs = [
        ("CIVITAS_BOOTSTRAP__ADMIN_NAME", "first.admin"),
        (
            "CIVITAS_BOOTSTRAP__ADMIN_PASSWORD_FILE",
            secret.to_str().unwrap(),
        ),
    ];
    let server = start(dir.path(), "serve", &envs);
    stop(server);
    let list = run_ok(dir.path(), &["user", "list"]);
    assert!(
        list.contains("first.admin") && list.contains("platform_admin"),
        "{list}"
    );
    let server = start(dir.path(), "serve", &envs);
    stop(server);
    assert_eq!(run_ok(dir.path(), &["user", "list"]).lines().count(), 1);
}

#[tokio::test]
async fn the_demo_prints_a_login_that_works_and_shows_the_dashboard_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let server = start(&data, "demo", &[]);
    let text = server.lines.join("\n");
    let password = server
        .lines
        .iter()
        .find(|l| l.contains("密碼 password:"))
        .and_then(|l| l.split(':').nth(1))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|| panic!("no password line in:\n{text}"));
    assert!(text.contains("帳號 user:      admin"), "{text}");
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = c
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let csrf = login[login.find(marker).unwrap() + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .post(format!("{}/login", server.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the printed login works");
    let home = c
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("今天是民國"),
        "Traditional Chinese dashboard with an ROC date"
    );
    assert!(home.contains("運作中機關"));
    let agencies = c
        .get(format!("{}/agencies?show=retired", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        agencies.contains("桃園市政府資訊科技局"),
        "the 民國113年 merger is in the demo"
    );
    // Sharing has a history: requests in every state, grants, and a month of use.
    let sharing = c
        .get(format!("{}/sharing", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for seen in [
        "桃園市登革熱確診個案分布",
        "部分核准",
        "不予核准",
        "待第二位核准",
        "待審核",
    ] {
        assert!(
            sharing.contains(seen),
            "{seen} missing from the demo's sharing page"
        );
    }
    let usage = c
        .get(format!("{}/usage", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(usage.contains("使用最多的資料集") && usage.contains("桃園市登革熱確診個案分布"));
    assert!(
        !usage.contains("期間內還沒有任何使用紀錄"),
        "the demo has use to show"
    );
    assert!(
        usage.contains("data-chart=\"usage\""),
        "a month of use draws a trend"
    );
    // The exchange gateway has services, grants from the approvals, and a month of calls.
    let page = |path: &'static str| {
        let c = c.clone();
        let url = format!("{}{path}", server.base);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let exchange = page("/exchange").await;
    for seen in ["交通事故資料查詢", "登革熱確診個案查詢", "公車即時車輛位置"]
    {
        assert!(
            exchange.contains(seen),
            "{seen} missing from the demo's services"
        );
    }
    let grants = page("/exchange/grants").await;
    assert!(grants.contains("TRAFFIC-SYS") && grants.contains("WELFARE-SYS"));
    let log = page("/exchange/log?status=failed").await;
    assert!(
        log.contains("AccessDenied") && log.contains("ServiceFailed"),
        "{log}"
    );
    let readiness = page("/exchange/readiness").await;
    assert!(readiness.contains("交通事故資料查詢"));
    // A year of security alerts whose table is the audit's: 4,611, 48.51% intrusion attempts,
    // 1.63% high; an agency's spike and two analysts' notes.
    let alerts = c
        .get(format!("{}/alerts", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for seen in [
        ">4611<",
        "48.51%",
        "18.30%",
        "12.64%",
        "1.63%",
        "93.28%",
        "美術館",
        "Tor 出口節點",
    ] {
        assert!(
            alerts.contains(seen),
            "{seen} missing from the demo's alert analysis"
        );
    }
    assert!(
        !alerts.contains("近 30 天沒有異常激增"),
        "the museum's spike is found"
    );
    // The platform register holds the audit's Table 1; the open-data platform's cost is unknown.
    let platforms = c
        .get(format!("{}/platforms", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        platforms.contains("89,452,900"),
        "Table 1 adds up to NT$89,452,900"
    );
    for seen in [
        "智慧運籌管理暨大數據分析平台",
        "因無法滿足新增需求而於110年度下架",
        "市政資料治理暨大數據分析平台",
        "8,492,000",
        "44,000,000",
        "未填",
        "data-chart=\"benefit\"",
    ] {
        assert!(platforms.contains(seen), "{seen} missing from /platforms");
    }
    let benefit = c
        .get(format!("{}/platforms/benefit.csv", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(benefit.contains("3432400") && benefit.contains("資料開放平台"));
    // Needs recorded by stewards: some matched in the catalogue, some gaps.
    let inventory = c
        .get(format!("{}/inventory", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for seen in [
        "交通事故發生地點與時段",
        // Row badges, not the card labels: a matched, a met and a gap demand are listed.
        "status-matched",
        "status-met",
        "<tr class=\"gap\">",
        "獨居長者名冊與居住地址",
    ] {
        assert!(inventory.contains(seen), "{seen} missing from /inventory");
    }
    // The audit's four incidents with forensic reports, findings and actions in real states:
    // some overdue, one verified and still clean, one reopened because its indicator came back.
    let get_json = |path: &str| {
        let request = c.get(format!("{}{path}", server.base));
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let incidents = get_json("/api/v1/incidents").await;
    assert_eq!(incidents["total"], 4, "{incidents}");
    let titles = incidents.to_string();
    for seen in ["wget", "美術館", "博弈廣告", "EDR"] {
        assert!(
            titles.contains(seen),
            "{seen} missing from the demo incidents"
        );
    }
    let mut from_alerts = 0;
    for row in incidents["items"].as_array().unwrap() {
        let detail = get_json(&format!(
            "/api/v1/incidents/{}",
            row["id"].as_str().unwrap()
        ))
        .await;
        if detail["incident"]["origin"]["kind"] == "alerts" {
            from_alerts += 1;
        }
        assert!(
            !detail["clocks"].as_array().unwrap().is_empty(),
            "every incident has its legal clocks"
        );
    }
    assert_eq!(
        from_alerts, 2,
        "the wget and intrusion incidents come from the demo's alerts"
    );
    let actions = get_json("/api/v1/actions").await;
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 7, "{actions:?}");
    let now = civitas_core::clock::Clock::now(&civitas_core::clock::SystemClock);
    let overdue = actions
        .iter()
        .filter(|a| {
            ["planned", "in_progress", "sent_back"].contains(&a["status"].as_str().unwrap())
                && civitas_core::time::Timestamp::parse_rfc3339(a["due_at"].as_str().unwrap())
                    .unwrap()
                    < now
        })
        .count();
    assert!(overdue >= 2, "some actions are overdue: {overdue}");
    let reopened: Vec<_> = actions
        .iter()
        .filter(|a| {
            a["status"] == "in_progress"
                && a["action"]["recurrence_checks"]
                    .as_array()
                    .is_some_and(|c| {
                        c.iter()
                            .any(|c| !c["evidence"].as_array().unwrap().is_empty())
                    })
        })
        .collect();
    assert_eq!(
        reopened.len(),
        1,
        "one action reopened by the recurrence check"
    );
    assert!(reopened[0]["action"].to_string().contains("185.220.101.34"));
    assert_eq!(
        actions.iter().filter(|a| a["status"] == "verified").count(),
        1,
        "one action verified and clean"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| a["status"] == "done_pending_verification")
            .count(),
        1,
        "one waiting for its verifier"
    );
    let board = c
        .get(format!("{}/incidents", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        board.contains("已逾期"),
        "the board shows an overdue legal deadline"
    );
    assert_eq!(stop(server), 0);

    // Running the demo again reuses the data and prints the same login.
    let again = start(&data, "demo", &[]);
    assert!(again.lines.iter().any(|l| l.contains(&password)));
    stop(again);
    let verify = run(&data, &["audit", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}

#[tokio::test]
async fn logs_are_json_with_request_ids_and_never_hold_secrets() {
    let dir = seeded();
    let created: Value = serde_json::from_str(&run_ok(
        dir.path(),
        &["token", "create", "--user", "admin", "--json"],
    ))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let log = dir.path().join("server.log");
    let server = start_logging(
        dir.path(),
        "serve",
        &[("CIVITAS_LOG_LEVEL", "debug")],
        Some(&log),
    );
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    c.get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let page = c
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let csrf = page[page.find(marker).unwrap() + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .post(format!("{}/login?next=%2F", server.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(";");
    c.post(format!("{}/login", server.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", "a wrong guess here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(stop(server), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().count() > 3,
        "the server logged something:\n{text}"
    );
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            v.get("timestamp").is_some() && v.get("level").is_some(),
            "{line}"
        );
    }
    assert!(
        text.contains("request_id"),
        "requests are logged with their id"
    );
    let secret = session
        .split("civitas_session=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    for needle in [
        token.as_str(),
        PASSWORD,
        "a wrong guess here",
        csrf.as_str(),
        secret,
    ] {
        assert!(!text.contains(needle), "a secret reached the log: {needle}");
    }
}

/// Issue 6, done when: "the message log survives a crash mid-traffic with no lost or
/// half-written record". The demo's 交通局 system calls a 警察局 service (backed by a real local
/// provider) from eight workers; the server is killed with SIGKILL mid-traffic; after a restart
/// every call that got its answer is in the log exactly once, complete, the per-hour traffic
/// rollup agrees with the log, and the database passes SQLite's integrity check.
#[tokio::test]
async fn the_message_log_survives_a_kill_mid_traffic_with_every_answered_call_logged_once() {
    use std::sync::{Arc, Mutex};

    // 警察局's system: a small JSON answer after a short think.
    let provider = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider_url = format!("http://{}", provider.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/accidents",
        axum::routing::get(|| async {
            tokio::time::sleep(Duration::from_millis(2)).await;
            axum::Json(serde_json::json!({"items": [{"id": "A106000001", "district": "中壢區"}]}))
        }),
    );
    tokio::spawn(async move { axum::serve(provider, app).await });

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let mut server = start(&data, "demo", &[]);
    let created: Value = serde_json::from_str(&run_ok(
        &data,
        &["token", "create", "--user", "admin", "--json"],
    ))
    .unwrap();
    let admin = created["token"].as_str().unwrap().to_string();
    let c = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    let grants: Value = c
        .get(api("/exchange/grants"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let request_id = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["subject"] == "TW/GOV/380290000H/TRAFFIC-SYS")
        .map(|g| g["request_id"].as_i64().unwrap())
        .expect("the demo grants 交通局's system");
    let service = "TW/GOV/380130000C/POLICE-DATA/accidents-live";
    let r = c
        .post(api("/exchange/services"))
        .bearer_auth(&admin)
        .json(
            &serde_json::json!({"service_id": service, "agency": "380130000C",
            "title": "交通事故即時查詢", "base_url": provider_url}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = c
        .post(api("/exchange/grants"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"service_id": service,
            "subject": "TW/GOV/380290000H/TRAFFIC-SYS", "request_id": request_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let issued: Value = c
        .post(api("/exchange/credentials"))
        .bearer_auth(&admin)
        .json(
            &serde_json::json!({"client": "TW/GOV/380290000H/TRAFFIC-SYS",
            "kind": "token", "label": "壓力測試"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["token"].as_str().unwrap().to_string();

    // Eight workers call until the server dies; each keeps the X-Road-Id of every answer.
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let url = format!("{}/r1/{service}/accidents", server.base);
    let mut workers = Vec::new();
    for w in 0..8 {
        let (c, url, token, answered) = (c.clone(), url.clone(), token.clone(), answered.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..100_000 {
                let r = c
                    .get(format!("{url}?worker={w}&i={i}"))
                    .header("X-Road-Client", "TW/GOV/380290000H/TRAFFIC-SYS")
                    .header("X-Civitas-Exchange-Token", &token)
                    .send()
                    .await;
                let Ok(r) = r else { break };
                let id = r
                    .headers()
                    .get("x-road-id")
                    .map(|v| v.to_str().unwrap().to_string());
                let status = r.status();
                // Only a call whose whole answer arrived counts as answered.
                if r.bytes().await.is_err() {
                    break;
                }
                assert_eq!(status, 200);
                answered
                    .lock()
                    .unwrap()
                    .push(id.expect("an answer carries its X-Road-Id"));
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < 300 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    let _ = server.child.wait();
    for w in workers {
        w.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 300, "traffic flowed: {}", answered.len());

    // The database is whole.
    {
        let db = rusqlite::Connection::open(data.join("civitas.sqlite3")).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let (rows, complete): (i64, i64) = db
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(status = 200 AND request_hash IS NOT NULL
                   AND response_hash IS NOT NULL AND finished_at >= started_at), 0)
                 FROM exchange_messages WHERE service = ?1",
                [service],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(rows, complete, "no half-written record");
        assert!(rows >= answered.len() as i64);
        let rolled: i64 = db
            .query_row(
                "SELECT COALESCE(SUM(calls), 0) FROM exchange_traffic_hours WHERE service = ?1",
                [service],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rolled, rows, "the traffic rollup agrees with the log");
        eprintln!(
            "killed mid-traffic: {} calls answered, {rows} logged (the rest were logged but the kill cut their answers)",
            answered.len()
        );
    }

    // After a restart the log answers for every answered call, exactly once.
    let server = start(&data, "serve", &[]);
    let mut logged = std::collections::HashMap::<String, u32>::new();
    for page in 1.. {
        let got: Value = c
            .get(format!(
                "{}/api/v1/exchange/log?service={service}&per_page=500&page={page}",
                server.base
            ))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = got["items"].as_array().unwrap();
        for m in items {
            assert_eq!(m["status"], 200, "{m}");
            assert!(m["response_hash"].is_string(), "complete: {m}");
            *logged
                .entry(m["xroad_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        if items.len() < 500 {
            break;
        }
    }
    for id in &answered {
        assert_eq!(
            logged.get(id),
            Some(&1),
            "{id} answered but logged {:?} times",
            logged.get(id)
        );
    }
}

/// `[exchange.trust]` configured: `civitas serve` reads the TSA certificate, installs the trust
/// monitor and stamps at once; the TSA here is a closed port, so the health route shows the
/// failure and its time (the loopback TSA and OCSP proofs are the web crate's
/// `exchange_trust` tests). A certificate file that is not one stops the start.
#[tokio::test]
async fn serve_runs_the_trust_job_and_reports_its_tsa_on_the_health_route() {
    let dir = seeded();
    let out = crate::with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "reader",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let created: Value = serde_json::from_str(&run_ok(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "reader",
            "--role",
            "auditor",
            "--expires",
            "1d",
            "--json",
        ],
    ))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let tsa_pem = dir.path().join("tsa.pem");
    let made = rcgen::generate_simple_self_signed(vec!["tsa.test".to_string()]).unwrap();
    std::fs::write(&tsa_pem, made.cert.pem()).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tsa_url = format!("http://{}/tsa", closed.local_addr().unwrap());
    drop(closed);
    let urls = format!("[\"{tsa_url}\"]");
    let pem = tsa_pem.display().to_string();
    let envs = [
        ("CIVITAS_EXCHANGE__TRUST__TSA_URLS", urls.as_str()),
        ("CIVITAS_EXCHANGE__TRUST__TSA_CERT_FILE", pem.as_str()),
        ("CIVITAS_EXCHANGE__TRUST__REQUEST_TIMEOUT_SECS", "2"),
    ];
    let server = start(dir.path(), "serve", &envs);
    let c = reqwest::Client::new();
    let mut health = Value::Null;
    for _ in 0..50 {
        health = c
            .get(format!("{}/api/v1/exchange/health", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !health["tsas"][0]["last_failure"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(health["configured"], true, "{health}");
    assert_eq!(health["tsas"][0]["url"], tsa_url.as_str());
    assert_eq!(health["tsas"][0]["ok"], false);
    assert!(
        health["tsas"][0]["error"]
            .as_str()
            .unwrap()
            .contains("timestamp_unreachable"),
        "{health}"
    );
    assert!(!health["timestamp_failing_since"].is_null());
    assert_eq!(health["refusing"], false, "within the acceptable 4 hours");
    assert_eq!(health["acceptable_timestamp_failure_secs"], 14400);
    stop(server);

    std::fs::write(&tsa_pem, "not a certificate").unwrap();
    let out = civitas(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .envs(envs)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        crate::stderr(&out).contains("tsa_cert_file"),
        "{}",
        crate::stderr(&out)
    );
}
