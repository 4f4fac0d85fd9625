//! The audit's wget incident over real HTTP: a sensor's alerts become a notification, a
//! handler opens an incident from it, assesses the level and records the timeline, a forensic
//! report is uploaded (a fake one refused), a finding's recommendation becomes an action that
//! its owner works with evidence and someone else verifies, and the incident is closed and
//! exported as STIX. Each bad input from the issue is refused with its stable code.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::cases::sha256_hex;
use civitas_core::time::Timestamp;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code};

const CULTURE: &str = "380330000E";

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn eve(at: &str) -> String {
    json!({
        "timestamp": at, "flow_id": 7, "event_type": "alert",
        "src_ip": "10.47.1.15", "src_port": 51514, "dest_ip": "203.0.113.50", "dest_port": 80,
        "proto": "TCP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2013504, "rev": 5,
                  "signature": "ET POLICY GNU/Linux wget User-Agent Outbound",
                  "category": "Potentially Bad Traffic", "severity": 2}
    })
    .to_string()
}

async fn token(app: &TestApp, name: &str, grants: &[(Role, Option<&str>)]) -> String {
    let grants: Vec<Grant> = grants
        .iter()
        .map(|(role, agency)| Grant {
            role: *role,
            scope: match agency {
                Some(code) => Scope::Agency(AgencyCode::parse(code).unwrap()),
                None => Scope::City,
            },
        })
        .collect();
    app.add_user(name, &grants, Some(CULTURE)).await;
    app.token(name).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn ok(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// The code and the field named in the error's detail.
async fn refused(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["code"].as_str().unwrap_or("").to_string(),
        body["detail"]["field"].as_str().unwrap_or("").to_string(),
    )
}

async fn upload(app: &TestApp, token: &str, path: &str, form: Form) -> reqwest::Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_wget_incident_is_walked_from_an_alert_notification_to_verified_closure_over_the_api() {
    let app = TestApp::spawn().await;
    let shipper = token(&app, "ids.shipper", &[(Role::SocAnalyst, None)]).await;
    let soc = token(&app, "soc.lin", &[(Role::IncidentHandler, None)]).await;
    let owner = token(
        &app,
        "it.wang",
        &[
            (Role::IncidentHandler, Some(CULTURE)),
            (Role::SecurityOfficer, Some(CULTURE)),
        ],
    )
    .await;
    let ciso = token(&app, "ciso.hsu", &[(Role::SecurityOfficer, Some(CULTURE))]).await;
    let steward = token(&app, "data.lee", &[(Role::DataSteward, None)]).await;

    // The sensor's alerts become a notification of the culture bureau.
    let body = [
        eve("2024-03-01T08:50:00.000000+0800"),
        eve("2024-03-01T08:51:00.000000+0800"),
    ]
    .join("\n");
    let r = client()
        .post(app.url("/api/v1/alerts/eve/bulk"))
        .bearer_auth(&shipper)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok(r).await["created"], 2);
    let alerts = ok(get(&app, &soc, "/api/v1/alerts").await).await;
    let notification = alerts["items"][0]["notification_id"].as_i64().unwrap();

    let incident = json!({
        "title": "承辦人電腦以 wget 下載滲透工具與密碼字典",
        "agency": CULTURE,
        "category": "illegal-intrusion",
        "notifications": [notification],
        "assets": [{"name": "承辦人電腦", "class": "general", "host": "10.47.1.15"}],
        "aware_at": "2024-03-01T08:55:00+08:00",
        "description": "IDS 偵測 wget 下載",
    });
    let (status, code, _) =
        refused(post(&app, &steward, "/api/v1/incidents", incident.clone()).await).await;
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    let mut unknown = incident.clone();
    unknown["notifications"] = json!([notification + 999]);
    let (status, code, _) = refused(post(&app, &soc, "/api/v1/incidents", unknown).await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let r = post(&app, &soc, "/api/v1/incidents", incident).await;
    assert_eq!(r.status(), 201);
    let created = r.json::<Value>().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id, "INC-2024-0001");
    assert_eq!(created["rule_set"], "2021-08-23");
    let base = format!("/api/v1/incidents/{id}");

    // Level, then the timeline as the clock moves on.
    app.clock.set(t("2024-03-01T09:30:00+08:00"));
    let effect = json!([{"asset": "承辦人電腦", "class": "general", "sensitivity": "ordinary",
                         "impact": {"kind": "system_tampered", "severity": "minor"}}]);
    let assessed = ok(post(
        &app,
        &soc,
        &format!("{base}/assess"),
        json!({"revision": 1, "effects": effect}),
    )
    .await)
    .await;
    assert_eq!(assessed["level"], 1);
    let mut revision = assessed["revision"].as_u64().unwrap();
    for (kind, at) in [
        ("notified", "2024-03-01T09:40:00+08:00"),
        ("contained", "2024-03-02T18:00:00+08:00"),
        ("recovered", "2024-03-03T10:00:00+08:00"),
    ] {
        app.clock.set(t(at));
        let done = ok(post(
            &app,
            &soc,
            &format!("{base}/events"),
            json!({"revision": revision, "kind": kind, "at": at}),
        )
        .await)
        .await;
        revision = done["revision"].as_u64().unwrap();
    }
    let (status, code, _) = refused(
        post(
            &app,
            &soc,
            &format!("{base}/events"),
            json!({"revision": revision - 1, "kind": "report_submitted", "at": "2024-03-03T10:00:00+08:00"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (409, "conflict"),
        "a stale incident edit"
    );
    let detail = ok(get(&app, &soc, &base).await).await;
    let notify = detail["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["obligation"] == "notify")
        .unwrap();
    assert_eq!(notify["state"], "met");
    assert!(!detail["deadline_history"].as_array().unwrap().is_empty());

    // Forensics: a fake PDF is refused; the real report is kept by its SHA-256.
    let fx = ok(post(
        &app,
        &soc,
        &format!("{base}/forensics"),
        json!({"vendor": "數位鑑識廠商", "scope": "10.47.1.15 之下載與執行紀錄",
               "starts_on": "2024-03-04T09:00:00+08:00", "report_due": "2024-03-25T17:00:00+08:00"}),
    )
    .await)
    .await;
    let fx_id = fx["id"].as_str().unwrap().to_string();
    let sections = "timeline,scope_and_damage,damage_control_and_recovery,investigation_and_handling,root_cause,preventive_measures,schedule_and_tracking";
    app.clock.set(t("2024-03-20T10:00:00+08:00"));
    let fake = Form::new()
        .text("revision", "1")
        .text("sections", sections)
        .part(
            "file",
            Part::bytes(b"MZ\x90\x00 not a report".to_vec()).file_name("final.pdf"),
        );
    let (status, code, field) = refused(
        upload(
            &app,
            &soc,
            &format!("/api/v1/forensics/{fx_id}/reports"),
            fake,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_str()),
        (400, "invalid_input", "file")
    );
    let report = b"%PDF-1.7\n forensic report of 10.47.1.15".to_vec();
    let real = Form::new()
        .text("revision", "1")
        .text("sections", sections)
        .text("sha256", sha256_hex(&report))
        .part("file", Part::bytes(report.clone()).file_name("final.pdf"));
    let r = upload(
        &app,
        &soc,
        &format!("/api/v1/forensics/{fx_id}/reports"),
        real,
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let engagement = ok(post(
        &app,
        &soc,
        &format!("/api/v1/forensics/{fx_id}/accept"),
        json!({"revision": 2}),
    )
    .await)
    .await;
    let engagement = ok(post(
        &app,
        &soc,
        &format!("/api/v1/forensics/{fx_id}/findings"),
        json!({"revision": engagement["revision"], "root_cause": "weak_or_default_credentials",
               "detail": "共用本機管理者密碼遭利用，以 wget 下載滲透工具",
               "iocs": [{"kind": {"kind": "ipv4"}, "value": "203.0.113.50"}],
               "affected_hosts": ["10.47.1.15"],
               "recommendations": ["停用共用本機管理者帳號"]}),
    )
    .await)
    .await;
    let finding = engagement["engagement"]["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The action: a due date in the past is refused.
    let plan = |due: &str| {
        json!({"finding": finding, "recommendation": "停用共用本機管理者帳號，改用 LAPS",
               "owner_agency": CULTURE, "owner": "it.wang", "due_at": due, "priority": "high",
               "closure_criteria": "每台電腦本機管理者密碼皆不同"})
    };
    let (status, code, field) = refused(
        post(
            &app,
            &soc,
            &format!("{base}/actions"),
            plan("2024-03-01T17:00:00+08:00"),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_str()),
        (400, "invalid_input", "due_at")
    );
    let r = post(
        &app,
        &soc,
        &format!("{base}/actions"),
        plan("2024-05-01T17:00:00+08:00"),
    )
    .await;
    assert_eq!(r.status(), 201);
    let action = r.json::<Value>().await.unwrap();
    let action_id = action["id"].as_str().unwrap().to_string();
    let actions = format!("/api/v1/actions/{action_id}");

    // The owner's evidence: a hash that is not the file's is refused.
    app.clock.set(t("2024-03-21T09:00:00+08:00"));
    let log = b"LAPS deployed to 10.47.1.15".to_vec();
    let work = |claimed: String| {
        Form::new()
            .text("revision", "1")
            .text("note", "已部署 LAPS")
            .text("sha256", claimed)
            .part("file", Part::bytes(log.clone()).file_name("laps.txt"))
    };
    let (status, code, field) = refused(
        upload(
            &app,
            &owner,
            &format!("{actions}/work"),
            work(sha256_hex(b"another file")),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_str()),
        (400, "invalid_input", "sha256")
    );
    let done = ok(upload(
        &app,
        &owner,
        &format!("{actions}/work"),
        work(sha256_hex(&log)),
    )
    .await)
    .await;
    assert_eq!(done["status"], "done_pending_verification");
    let revision = done["revision"].as_u64().unwrap();
    assert_eq!(
        ok(get(&app, &owner, "/api/v1/actions?owner=me").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "my actions"
    );
    let queue = ok(get(
        &app,
        &ciso,
        "/api/v1/actions?status=done_pending_verification",
    )
    .await)
    .await;
    assert_eq!(queue[0]["id"], action_id.as_str(), "the verifier's queue");

    // A concurrent edit from the revision before the submission is refused.
    let (status, code, _) = refused(
        post(
            &app,
            &soc,
            &format!("{actions}/extend"),
            json!({"revision": revision - 1, "to": "2024-06-01T17:00:00+08:00",
                   "reason": "等待廠商", "requested_by": "it.wang"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "conflict"));
    // The owner cannot verify their own work; someone else can.
    let (status, code, field) = refused(
        post(
            &app,
            &owner,
            &format!("{actions}/verify"),
            json!({"revision": revision, "note": "我自己驗證"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str(), field.as_str()),
        (400, "invalid_input", "verifier")
    );
    let (status, code, _) = refused(
        post(
            &app,
            &soc,
            &format!("{actions}/verify"),
            json!({"revision": revision, "note": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (403, "forbidden"),
        "handlers do not verify"
    );
    let verified = ok(post(
        &app,
        &ciso,
        &format!("{actions}/verify"),
        json!({"revision": revision, "note": "抽查三台電腦密碼皆不同"}),
    )
    .await)
    .await;
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["action"]["verified_by"], "ciso.hsu");

    // The report and the closure of the incident.
    let detail = ok(get(&app, &soc, &base).await).await;
    let mut revision = detail["revision"].as_u64().unwrap();
    for (kind, at) in [
        ("report_submitted", "2024-03-21T09:00:00+08:00"),
        ("improvement_plan_submitted", "2024-03-21T09:00:00+08:00"),
    ] {
        let done = ok(post(
            &app,
            &soc,
            &format!("{base}/events"),
            json!({"revision": revision, "kind": kind, "at": at}),
        )
        .await)
        .await;
        revision = done["revision"].as_u64().unwrap();
    }
    let done = ok(post(
        &app,
        &soc,
        &format!("{base}/determination"),
        json!({"revision": revision, "determination": "confirmed", "why": "鑑識報告確認"}),
    )
    .await)
    .await;
    let closed = ok(post(
        &app,
        &soc,
        &format!("{base}/close"),
        json!({"revision": done["revision"], "summary": "改善事項已驗證"}),
    )
    .await)
    .await;
    assert_eq!(closed["status"], "closed");
    let board = ok(get(&app, &soc, "/api/v1/incidents?state=closed").await).await;
    assert_eq!(board["total"], 1);

    // The STIX export carries the incident and its task.
    let r = get(&app, &soc, &format!("{base}/stix")).await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/stix+json")
    );
    let bundle: Value = r.json().await.unwrap();
    let types: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"incident") && types.contains(&"task"),
        "{types:?}"
    );

    let audited = app.actions().await;
    for action in [
        "incident.open",
        "incident.level_assess",
        "forensics.report_receive",
        "action.plan",
        "action.evidence_add",
        "incident.close",
    ] {
        assert!(
            audited.iter().any(|a| a == action),
            "{action} in {audited:?}"
        );
    }
    assert_eq!(
        error_code(get(&app, &steward, &base).await).await,
        "forbidden"
    );
}
