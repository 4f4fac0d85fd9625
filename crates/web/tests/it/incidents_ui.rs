//! The incident pages as people use them: a handler opens the wget incident from the alert's
//! page, walks its timeline and forensics through the HTML forms, the owner records the work
//! with evidence, cannot verify it themself, and a security officer verifies it; the incident
//! closes with every deadline shown. Each page opens for an allowed role and is refused to a
//! denied one.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::cases::sha256_hex;
use civitas_core::time::Timestamp;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::harness::{TestApp, client};

const CULTURE: &str = "380330000E";

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

async fn person(app: &TestApp, name: &str, grants: &[(Role, Option<&str>)]) {
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
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form and expects the redirect back to a page; returns where it went.
async fn submit(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    pairs.push(("_csrf", csrf));
    let r = c.post(app.url(path)).form(&pairs).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body = r.text().await.unwrap();
    assert_eq!(status, 303, "{path}: {body}");
    location.unwrap()
}

/// The `revision` of the form posting to `action`.
fn revision_of(html: &str, action: &str) -> String {
    let start = html.find(&format!("action=\"{action}")).unwrap_or_else(|| {
        panic!(
            "no form for {action}: {}",
            &html[html.len().saturating_sub(3000)..]
        )
    });
    let marker = "name=\"revision\" value=\"";
    let rest = &html[start..];
    let at = rest.find(marker).unwrap() + marker.len();
    rest[at..].split('"').next().unwrap().to_string()
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

#[tokio::test]
async fn the_wget_incident_is_walked_from_the_alert_page_to_verified_closure_through_the_forms() {
    let app = TestApp::spawn().await;
    person(&app, "ids.shipper", &[(Role::SocAnalyst, None)]).await;
    person(&app, "soc.lin", &[(Role::IncidentHandler, None)]).await;
    person(
        &app,
        "it.wang",
        &[
            (Role::IncidentHandler, Some(CULTURE)),
            (Role::SecurityOfficer, Some(CULTURE)),
        ],
    )
    .await;
    person(&app, "ciso.hsu", &[(Role::SecurityOfficer, Some(CULTURE))]).await;
    person(&app, "data.lee", &[(Role::DataSteward, None)]).await;
    let shipper = app.token("ids.shipper").await;
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
    assert!(r.status().is_success());
    let alerts: Value = client()
        .get(app.url("/api/v1/alerts"))
        .bearer_auth(&shipper)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alert_id = alerts["items"][0]["id"].as_i64().unwrap();
    let notification = alerts["items"][0]["notification_id"].as_i64().unwrap();

    // The alert's page offers to open an incident, filled in from its notification.
    // Sessions end after idle time: each jump of the test clock signs in again.
    app.clock.set(t("2024-03-01T09:00:00+08:00"));
    let (mut soc, mut csrf) = app.browser("soc.lin").await;
    let (_, alert_page) = page(&soc, &app, &format!("/alerts/{alert_id}")).await;
    let start = alert_page
        .find("href=\"/incidents/new?")
        .expect("the open-an-incident button")
        + 6;
    let href = alert_page[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (status, form) = page(&soc, &app, &href).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(&format!("value=\"{notification}\"")),
        "the notification is filled in"
    );
    assert!(form.contains("10.47.1.15"), "the city's own device: {href}");
    assert!(form.contains(&format!("value=\"{CULTURE}\" selected")));
    assert!(!form.contains('⚠'));

    let to = submit(
        &soc,
        &app,
        &csrf,
        "/incidents",
        &[
            ("title", "承辦人電腦以 wget 下載滲透工具與密碼字典"),
            ("agency", CULTURE),
            ("category", "illegal-intrusion"),
            ("notification", &notification.to_string()),
            ("aware_at", "2024-03-01T08:55"),
            ("asset", "承辦人電腦"),
            ("asset_class", "general"),
            ("host", "10.47.1.15"),
            ("description", "IDS 偵測 wget 下載"),
        ],
    )
    .await;
    assert_eq!(to, "/incidents/INC-2024-0001");
    let base = to.clone();

    // The board shows it with its nearest legal deadline counting down.
    let (status, board) = page(&soc, &app, "/incidents").await;
    assert_eq!(status, 200);
    assert!(board.contains("INC-2024-0001"));
    assert!(board.contains("事件通報"), "the notification clock");
    assert!(board.contains("還有 55 分鐘"), "the countdown: {board}");
    let (_, incident) = page(&soc, &app, &base).await;
    assert!(incident.contains("下一步"));
    assert!(
        incident.contains("評估事件等級"),
        "the next step says assess"
    );
    assert!(
        incident.contains("法源"),
        "each clock names its legal source"
    );
    assert!(incident.contains(&format!("/alerts/list?notification={notification}")));

    // Level, then the timeline as the clock moves on.
    app.clock.set(t("2024-03-01T09:30:00+08:00"));
    (soc, csrf) = app.browser("soc.lin").await;
    let rev = revision_of(&incident, &format!("{base}/assess"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/assess"),
        &[
            ("revision", &rev),
            ("asset_1", "承辦人電腦"),
            ("class_1", "general"),
            ("sensitivity_1", "ordinary"),
            ("impact_1", "system_tampered"),
        ],
    )
    .await;
    let (_, incident) = page(&soc, &app, &base).await;
    assert!(incident.contains("第一級"), "level 1 with its reasons");
    // A re-assessment needs its reason and is kept with the first one.
    let rev = revision_of(&incident, &format!("{base}/assess"));
    let reassess = [
        ("revision", rev.as_str()),
        ("asset_1", "承辦人電腦"),
        ("class_1", "core"),
        ("sensitivity_1", "ordinary"),
        ("impact_1", "system_tampered"),
    ];
    let mut no_reason: Vec<(&str, &str)> = reassess.to_vec();
    no_reason.push(("_csrf", csrf.as_str()));
    let r = soc
        .post(app.url(&format!("{base}/assess")))
        .form(&no_reason)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("須說明理由"));
    let mut with_reason = reassess.to_vec();
    with_reason.push(("why", "該電腦存放核心系統的管理帳號"));
    submit(&soc, &app, &csrf, &format!("{base}/assess"), &with_reason).await;
    let (_, incident) = page(&soc, &app, &base).await;
    assert!(
        incident.contains("第一級 → 第二級"),
        "the re-assessment history"
    );
    assert!(incident.contains("該電腦存放核心系統的管理帳號"));
    for (kind, at) in [
        ("notified", "2024-03-01T09:40"),
        ("contained", "2024-03-02T18:00"),
        ("recovered", "2024-03-03T10:00"),
    ] {
        app.clock.set(t(&format!("{at}:00+08:00")));
        (soc, csrf) = app.browser("soc.lin").await;
        let (_, html) = page(&soc, &app, &base).await;
        let rev = revision_of(&html, &format!("{base}/events"));
        submit(
            &soc,
            &app,
            &csrf,
            &format!("{base}/events"),
            &[("revision", &rev), ("kind", kind), ("at", at)],
        )
        .await;
    }
    let (_, incident) = page(&soc, &app, &base).await;
    assert!(incident.contains("已復原"));
    assert!(
        incident.contains("tag tag-ok"),
        "the notification clock is met"
    );

    // A stale form is refused in plain words.
    let r = soc
        .post(app.url(&format!("{base}/events")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("revision", "1"),
            ("kind", "report_submitted"),
            ("at", "2024-03-03T10:00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("已被他人修改"));

    // Forensics: requested, a fake PDF refused, the real one kept by its SHA-256 and accepted.
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/forensics"),
        &[
            ("vendor", "數位鑑識廠商"),
            ("scope", "10.47.1.15 之下載與執行紀錄"),
            ("starts_on", "2024-03-04T09:00"),
            ("report_due", "2024-03-25T17:00"),
        ],
    )
    .await;
    app.clock.set(t("2024-03-20T10:00:00+08:00"));
    (soc, csrf) = app.browser("soc.lin").await;
    let fx = "FX-2024-0001";
    let upload = |bytes: Vec<u8>, sha: String, rev: String| {
        let mut form = Form::new()
            .text("revision", rev)
            .text("incident", "INC-2024-0001")
            .text("sha256", sha);
        for s in [
            "timeline",
            "scope_and_damage",
            "damage_control_and_recovery",
            "investigation_and_handling",
            "root_cause",
            "preventive_measures",
            "schedule_and_tracking",
        ] {
            form = form.text("sections", s);
        }
        form.part("file", Part::bytes(bytes).file_name("final.pdf"))
    };
    let (_, html) = page(&soc, &app, &base).await;
    let rev = revision_of(&html, &format!("/incidents/forensics/{fx}/report"));
    let r = soc
        .post(app.url(&format!("/incidents/forensics/{fx}/report?_csrf={csrf}")))
        .multipart(upload(
            b"MZ\x90\x00 not a report".to_vec(),
            String::new(),
            rev.clone(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("內容不是 PDF"));
    let report = b"%PDF-1.7\n forensic report of 10.47.1.15".to_vec();
    let hash = sha256_hex(&report);
    let r = soc
        .post(app.url(&format!("/incidents/forensics/{fx}/report?_csrf={csrf}")))
        .multipart(upload(report.clone(), hash.clone(), rev))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, html) = page(&soc, &app, &base).await;
    assert!(html.contains(&hash), "the report's SHA-256 is shown");
    assert!(html.contains("七項章節齊全"));
    let rev = revision_of(&html, &format!("/incidents/forensics/{fx}/accept"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("/incidents/forensics/{fx}/accept"),
        &[("revision", &rev)],
    )
    .await;
    let (_, html) = page(&soc, &app, &base).await;
    let rev = revision_of(&html, &format!("/incidents/forensics/{fx}/findings"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("/incidents/forensics/{fx}/findings"),
        &[
            ("revision", &rev),
            ("root_cause", "weak_or_default_credentials"),
            ("detail", "共用本機管理者密碼遭利用，以 wget 下載滲透工具"),
            ("iocs", "203.0.113.50"),
            ("hosts", "10.47.1.15"),
            ("recommendations", "停用共用本機管理者帳號"),
        ],
    )
    .await;

    // The action: a due date in the past is refused, a future one planned for the owner.
    let plan = |due: &'static str| {
        vec![
            ("finding", "FX-2024-0001-F1"),
            ("recommendation", "停用共用本機管理者帳號，改用 LAPS"),
            ("owner_agency", CULTURE),
            ("owner", "it.wang"),
            ("due_at", due),
            ("priority", "high"),
            ("closure_criteria", "每台電腦本機管理者密碼皆不同"),
        ]
    };
    let mut past: Vec<(&str, &str)> = plan("2024-03-01T17:00");
    past.push(("_csrf", csrf.as_str()));
    let r = soc
        .post(app.url(&format!("{base}/actions")))
        .form(&past)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a due date in the past");
    let to = submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/actions"),
        &plan("2024-05-01T17:00"),
    )
    .await;
    assert_eq!(to, "/incidents/actions/ACT-2024-0001");

    // An extension the owner asked for, approved by the handler with its reason.
    let (_, action) = page(&soc, &app, &to).await;
    let rev = revision_of(&action, &format!("{to}/extend"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{to}/extend"),
        &[
            ("revision", &rev),
            ("to", "2024-05-15T17:00"),
            ("requested_by", "it.wang"),
            ("reason", "等待 LAPS 授權採購"),
        ],
    )
    .await;
    let (_, action) = page(&soc, &app, &to).await;
    assert!(
        action.contains("等待 LAPS 授權採購"),
        "the extension and its reason"
    );

    // Evidence with its chain of custody: a hash that is not the file's is refused.
    let image = b"disk image hash list of 10.47.1.15".to_vec();
    let collect = |sha: String| {
        Form::new()
            .text("name", "10.47.1.15 磁碟映像雜湊清單")
            .text("collected_by", "林冠宇")
            .text("collected_at", "2024-03-20T09:00")
            .text("sha256", sha)
            .part(
                "file",
                Part::bytes(image.clone()).file_name("image.sha256.txt"),
            )
    };
    let r = soc
        .post(app.url(&format!("{base}/evidence?_csrf={csrf}")))
        .multipart(collect(sha256_hex(b"something else")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an evidence hash mismatch");
    let r = soc
        .post(app.url(&format!("{base}/evidence?_csrf={csrf}")))
        .multipart(collect(sha256_hex(&image)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let item = "EV-2024-0001";
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/evidence/{item}/handover"),
        &[
            ("seen", "0"),
            ("from", "林冠宇"),
            ("to", "鑑識廠商 張工程師"),
            ("at", "2024-03-20T10:00"),
            ("purpose", "鑑識分析"),
        ],
    )
    .await;
    let (_, html) = page(&soc, &app, &base).await;
    assert!(html.contains(&sha256_hex(&image)));
    assert!(html.contains("鑑識廠商 張工程師"), "the current holder");
    let (status, csv) = page(&soc, &app, &format!("{base}/custody.csv")).await;
    assert_eq!(status, 200);
    assert!(
        csv.contains("鑑識分析"),
        "the custody log exports the hand-over"
    );

    // The owner's list, and the work recorded with evidence and submitted.
    app.clock.set(t("2024-03-21T09:00:00+08:00"));
    (soc, csrf) = app.browser("soc.lin").await;
    let (owner, owner_csrf) = app.browser("it.wang").await;
    let (status, mine) = page(&owner, &app, "/incidents/actions/mine").await;
    assert_eq!(status, 200);
    assert!(mine.contains("ACT-2024-0001"));
    let (_, action) = page(&owner, &app, &to).await;
    assert!(
        action.contains("每台電腦本機管理者密碼皆不同"),
        "the criteria"
    );
    let rev = revision_of(&action, &format!("{to}/work"));
    let log = b"LAPS deployed to 10.47.1.15".to_vec();
    let work = |sha: String| {
        Form::new()
            .text("revision", rev.clone())
            .text("sha256", sha)
            .part("file", Part::bytes(log.clone()).file_name("laps.txt"))
            .text("note", "已部署 LAPS")
            .text("submit", "1")
    };
    let r = owner
        .post(app.url(&format!("{to}/work?_csrf={owner_csrf}")))
        .multipart(work(sha256_hex(b"another file")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "an evidence hash that is not the file's");
    let r = owner
        .post(app.url(&format!("{to}/work?_csrf={owner_csrf}")))
        .multipart(work(sha256_hex(&log)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (_, action) = page(&owner, &app, &to).await;
    assert!(action.contains(&sha256_hex(&log)), "the evidence hash");
    assert!(action.contains("已完成待驗證"));

    // The owner sees why they cannot verify; the button is absent for them.
    let (status, queue) = page(&owner, &app, "/incidents/actions/verify").await;
    assert_eq!(status, 200);
    assert!(queue.contains("ACT-2024-0001"));
    assert!(queue.contains("不能驗證自己的工作"));
    assert!(!queue.contains(&format!("action=\"{to}/verify\"")));
    assert!(!action.contains(&format!("action=\"{to}/verify\"")));

    // Someone else first sends it back saying what is missing; the owner completes it.
    let (ciso, ciso_csrf) = app.browser("ciso.hsu").await;
    let (_, queue) = page(&ciso, &app, "/incidents/actions/verify").await;
    let rev = revision_of(&queue, &format!("{to}/send-back"));
    submit(
        &ciso,
        &app,
        &ciso_csrf,
        &format!("{to}/send-back"),
        &[("revision", &rev), ("reason", "請附 LAPS 密碼輪替紀錄")],
    )
    .await;
    let (_, action) = page(&owner, &app, &to).await;
    assert!(action.contains("退回補正") && action.contains("請附 LAPS 密碼輪替紀錄"));
    let rev = revision_of(&action, &format!("{to}/work"));
    let rotation = b"LAPS rotation log 2024-03-21".to_vec();
    let r = owner
        .post(app.url(&format!("{to}/work?_csrf={owner_csrf}")))
        .multipart(
            Form::new()
                .text("revision", rev)
                .text("sha256", sha256_hex(&rotation))
                .part(
                    "file",
                    Part::bytes(rotation.clone()).file_name("rotation.txt"),
                )
                .text("note", "補附密碼輪替紀錄")
                .text("submit", "1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    // Then verifies it.
    let (_, queue) = page(&ciso, &app, "/incidents/actions/verify").await;
    let rev = revision_of(&queue, &format!("{to}/verify"));
    submit(
        &ciso,
        &app,
        &ciso_csrf,
        &format!("{to}/verify"),
        &[("revision", &rev), ("note", "抽查三台電腦密碼皆不同")],
    )
    .await;
    let (_, action) = page(&ciso, &app, &to).await;
    assert!(action.contains("已驗證結案"));

    // The report, the determination and the closure.
    for (kind, at) in [
        ("report_submitted", "2024-03-21T09:00"),
        ("improvement_plan_submitted", "2024-03-21T09:00"),
    ] {
        let (_, html) = page(&soc, &app, &base).await;
        let rev = revision_of(&html, &format!("{base}/events"));
        submit(
            &soc,
            &app,
            &csrf,
            &format!("{base}/events"),
            &[("revision", &rev), ("kind", kind), ("at", at)],
        )
        .await;
    }
    let (_, html) = page(&soc, &app, &base).await;
    assert!(html.contains("結案"));
    let rev = revision_of(&html, &format!("{base}/determine"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/determine"),
        &[
            ("revision", &rev),
            ("determination", "confirmed"),
            ("why", "鑑識報告確認"),
        ],
    )
    .await;
    let (_, html) = page(&soc, &app, &base).await;
    let rev = revision_of(&html, &format!("{base}/close"));
    submit(
        &soc,
        &app,
        &csrf,
        &format!("{base}/close"),
        &[("revision", &rev), ("summary", "改善事項已驗證")],
    )
    .await;
    let (_, html) = page(&soc, &app, &base).await;
    assert!(html.contains("已結案"));
    assert!(
        html.contains("所有改善措施皆已驗證"),
        "the next step after closure"
    );
    assert!(!html.contains('⚠'));
    let (_, board) = page(&soc, &app, "/incidents?state=closed").await;
    assert!(board.contains("INC-2024-0001"));

    // Pages refused to those without the permission.
    let (steward, _) = app.browser("data.lee").await;
    for path in [
        "/incidents",
        "/incidents/new",
        "/incidents/INC-2024-0001",
        "/incidents/actions/mine",
        "/incidents/actions/ACT-2024-0001",
    ] {
        assert_eq!(page(&steward, &app, path).await.0, 403, "{path}");
    }
    assert_eq!(
        page(&soc, &app, "/incidents/actions/verify").await.0,
        403,
        "handlers do not verify"
    );
    assert_eq!(page(&ciso, &app, "/incidents/new").await.0, 403);
    // English renders without missing text.
    let r = ciso
        .post(app.url("/preferences/language"))
        .form(&[
            ("_csrf", ciso_csrf.as_str()),
            ("language", "en"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    for path in [
        "/incidents",
        "/incidents/INC-2024-0001",
        "/incidents/actions/ACT-2024-0001",
        "/incidents/actions/verify",
    ] {
        let (status, html) = page(&ciso, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains('⚠'), "{path}");
    }
}
