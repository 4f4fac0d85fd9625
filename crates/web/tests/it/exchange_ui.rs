//! The exchange gateway's pages as a steward sees them: 交通局's steward registers a service
//! through the form, disables and enables it, grants 警察局's system access from the approved
//! sharing request and revokes it; the message log finds a refused call. Other agencies and
//! people without `read_exchange` are refused, and every change is in the audit trail.

use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::AccessLevel;
use serde_json::{Value, json};

use crate::harness::{TestApp, client, operator};

const BUS: i64 = 2;
const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";
const SERVICE: &str = "TW/GOV/380290000H/TRANSPORT-API/bus";
const CLIENT: &str = "TW/GOV/380130000C/POLICE-SYS";
const OPENAPI: &str = r#"{"openapi": "3.1.0", "info": {"title": "公車", "version": "1"},
  "paths": {"/cases/{id}": {"get": {}}, "/cases": {"post": {}}}}"#;

fn steward(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse(agency).unwrap()),
    }]
}

async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    pairs.push(("_csrf", csrf));
    let r = c.post(app.url(path)).form(&pairs).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_steward_registers_grants_and_revokes_through_the_pages_and_others_are_refused() {
    let app = TestApp::spawn().await;
    let p = app.platform();
    let d = p.catalog().get(&operator(), BUS).await.unwrap();
    let mut record = d.record.clone();
    record.access_level = AccessLevel::Restricted;
    p.catalog().update(&operator(), BUS, record).await.unwrap();
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    app.add_user(
        "viewer.wu",
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let (lin, lin_csrf) = app.browser("lin.transport").await;
    let (chang, chang_csrf) = app.browser("chang.police").await;
    let (viewer, _) = app.browser("viewer.wu").await;

    // Empty states say what to do; the navigation offers the page to stewards only.
    let (status, html) = page(&lin, &app, "/exchange").await;
    assert_eq!(status, 200);
    assert!(html.contains("還沒有機關登錄服務"), "{html}");
    assert!(html.contains("登錄新服務"));
    assert!(html.contains("href=\"/exchange\""));
    let (_, html) = page(&lin, &app, "/exchange/grants").await;
    assert!(html.contains("目前沒有任何存取授權"));
    let (_, html) = page(&lin, &app, "/exchange/log").await;
    assert!(html.contains("沒有符合條件的呼叫紀錄"));
    let (_, html) = page(&lin, &app, "/exchange/readiness").await;
    assert!(
        html.contains("部會測試環境"),
        "says interop awaits confirmation"
    );
    assert!(html.contains("登錄第一個服務"), "{html}");
    for path in [
        "/exchange",
        "/exchange/grants",
        "/exchange/log",
        "/exchange/readiness",
    ] {
        assert_eq!(page(&viewer, &app, path).await.0, 403, "{path}");
    }
    let (_, home) = page(&viewer, &app, "/").await;
    assert!(!home.contains("href=\"/exchange\""));

    // A wrong service id is explained next to the form, which keeps what was typed.
    let form = [
        ("agency", TRANSPORT),
        ("title", "公車路線"),
        ("service_id", "not an id"),
        ("subsystem_name", "交通局資料服務"),
        ("base_url", "http://127.0.0.1:9/api"),
        ("timeout_s", "5"),
        ("tls_verify", "on"),
        ("openapi", OPENAPI),
    ];
    let (status, html) = post(&lin, &app, &lin_csrf, "/exchange/services", &form).await;
    assert_eq!(status, 400);
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("value=\"公車路線\""));
    // Without the CSRF token nothing happens.
    let r = lin
        .post(app.url("/exchange/services"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // 警察局's steward cannot register for 交通局 (the select offers only their own agency).
    let mut good = form;
    good[2] = ("service_id", SERVICE);
    let (status, _) = post(&chang, &app, &chang_csrf, "/exchange/services", &good).await;
    assert_eq!(status, 403);
    let (status, _) = post(&lin, &app, &lin_csrf, "/exchange/services", &good).await;
    assert_eq!(status, 303);
    let (_, html) = page(&lin, &app, "/exchange").await;
    assert!(html.contains("已登錄服務「公車路線」"), "flash");
    assert!(html.contains(SERVICE));
    assert!(html.contains("GET /cases/*"));
    assert!(html.contains("5.0 秒"));
    assert!(html.contains("機關代碼"));
    // 警察局 does not read 交通局's exchange.
    let (status, html) = page(&chang, &app, "/exchange").await;
    assert_eq!(status, 200);
    assert!(!html.contains(SERVICE));
    let id = app
        .platform()
        .stores
        .exchange
        .exchange_services(None)
        .await
        .unwrap()[0]
        .id;

    // Disable needs a notice; 警察局 may not; enable again.
    let disable = format!("/exchange/services/{id}/disable");
    let (status, html) = post(&lin, &app, &lin_csrf, &disable, &[("notice", " ")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("停用說明請寫 1 至 500 字"), "{html}");
    let notice = [("notice", "系統維護至 3 月 5 日")];
    assert_eq!(
        post(&chang, &app, &chang_csrf, &disable, &notice).await.0,
        403
    );
    assert_eq!(post(&lin, &app, &lin_csrf, &disable, &notice).await.0, 303);
    let (_, html) = page(&lin, &app, "/exchange").await;
    assert!(html.contains("已停用") && html.contains("系統維護至 3 月 5 日"));
    let enable = format!("/exchange/services/{id}/enable");
    assert_eq!(post(&lin, &app, &lin_csrf, &enable, &[]).await.0, 303);
    let (_, html) = page(&lin, &app, "/exchange").await;
    assert!(html.contains("已重新啟用服務"));

    // No approval yet: the grant form says where approvals come from.
    let (_, html) = page(&lin, &app, "/exchange/grants").await;
    assert!(html.contains("沒有仍有效的已核准分享申請"), "{html}");

    // 警察局 asks for the bus data; 交通局 approves.
    let c = client();
    let police = app.token("chang.police").await;
    let transport = app.token("lin.transport").await;
    let r = c
        .post(app.url("/api/v1/sharing/requests"))
        .bearer_auth(&police)
        .json(&json!({"dataset_id": BUS, "purpose": "公車站周邊交通事故分析", "days": 60}))
        .send()
        .await
        .unwrap();
    let request_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .post(app.url(&format!("/api/v1/sharing/requests/{request_id}/decision")))
        .bearer_auth(&transport)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A call before any grant is refused and logged (the caller authenticated as its subsystem).
    let issued = app
        .platform()
        .exchange()
        .issue_token(
            &operator(),
            &civitas_core::exchange::CredentialInput {
                client: CLIENT.into(),
                agency: Some(civitas_core::agencies::AgencyCode::parse(POLICE).unwrap()),
                subsystem_name: None,
                label: "警察局案件系統".into(),
            },
        )
        .await
        .unwrap();
    let r = c
        .get(app.url(&format!("/r1/{SERVICE}/cases/42")))
        .header("x-road-client", CLIENT)
        .header("x-civitas-exchange-token", issued.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let xroad_id = app
        .platform()
        .exchange()
        .messages(
            &operator(),
            civitas_core::exchange::MessageFilter::default(),
            civitas_core::page::PageRequest::default(),
        )
        .await
        .unwrap()
        .items[0]
        .xroad_id
        .clone();

    // The grant form lists the approval; a bad client id is explained.
    let (_, html) = page(&lin, &app, "/exchange/grants").await;
    assert!(html.contains(&format!("value=\"{request_id}\"")), "{html}");
    let rid = request_id.to_string();
    let mut grant = vec![
        ("request_id", rid.as_str()),
        ("service_id", SERVICE),
        ("endpoint", "GET /cases/*"),
        ("subject", "nonsense"),
        ("subject_name", "警察局事故分析系統"),
        ("valid_until", ""),
    ];
    let (status, html) = post(&lin, &app, &lin_csrf, "/exchange/grants", &grant).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("field-error"));
    grant[3] = ("subject", CLIENT);
    assert_eq!(
        post(&chang, &app, &chang_csrf, "/exchange/grants", &grant)
            .await
            .0,
        403
    );
    let (status, html) = post(&lin, &app, &lin_csrf, "/exchange/grants", &grant).await;
    assert_eq!(status, 303, "{html}");
    let (_, html) = page(&lin, &app, "/exchange/grants").await;
    assert!(html.contains(CLIENT) && html.contains("公車站周邊交通事故分析"));
    assert!(html.contains("有效"));
    assert!(html.contains(&format!("/sharing/requests/{request_id}")));
    // 警察局 sees the grant given to it, without a revoke button.
    let (_, html) = page(&chang, &app, "/exchange/grants").await;
    assert!(html.contains(CLIENT));
    assert!(!html.contains("/revoke\""));
    let grant_id = app.platform().exchange().grants(&operator()).await.unwrap()[0].id;
    let revoke = format!("/exchange/grants/{grant_id}/revoke");
    assert_eq!(post(&chang, &app, &chang_csrf, &revoke, &[]).await.0, 403);
    assert_eq!(post(&lin, &app, &lin_csrf, &revoke, &[]).await.0, 303);
    let (_, html) = page(&lin, &app, "/exchange/grants").await;
    assert!(html.contains("已撤銷"));
    // Readiness: registered, but no grant in force now, one refused call.
    let (_, html) = page(&lin, &app, "/exchange/readiness").await;
    assert!(html.contains("在「存取授權」頁授權"), "{html}");
    assert!(html.contains("status=failed\">1</a>"), "{html}");

    // The service's traffic page counts the refused call as a failure, and links to the log.
    let service_id = app
        .platform()
        .exchange()
        .services(&operator())
        .await
        .unwrap()[0]
        .id;
    let traffic = format!("/exchange/services/{service_id}/traffic");
    let (status, html) = page(&lin, &app, &traffic).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-total=\"calls\">1<"), "{html}");
    assert!(html.contains("data-total=\"server-errors\">1<"), "{html}");
    assert!(html.contains("data-total=\"error-rate\">100.0%<"), "{html}");
    assert!(html.contains("exchange-calls-data"), "the chart is drawn");
    assert!(
        html.contains("/static/vendor/uPlot.iife.min.js"),
        "the page loads the chart library"
    );
    assert!(html.contains("/exchange/log?service="), "{html}");
    let (_, html) = page(&lin, &app, &format!("{traffic}?days=7")).await;
    assert!(html.contains("aria-current=\"page\">近 7 天"), "{html}");
    let api: serde_json::Value = lin
        .get(app.url(&format!("/api/v1/exchange/services/{service_id}/traffic")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["service_id"], SERVICE);
    assert_eq!(api["hours"].as_array().unwrap().len(), 1, "{api}");
    assert_eq!(api["hours"][0]["calls"], 1);
    assert_eq!(api["hours"][0]["server_errors"], 1);
    assert_eq!(api["latency_bounds_ms"][3], 50);
    let r = lin
        .get(app.url(&format!(
            "/api/v1/exchange/services/{service_id}/traffic?from=2020-01-01T00:00:00Z"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "more than 93 days is refused");
    let feed: serde_json::Value = lin
        .get(app.url("/api/v1/exchange/transfer-records?after=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed["records"][0]["xroad_id"], xroad_id.as_str(), "{feed}");
    assert_eq!(
        feed["records"][0]["error_type"],
        "Server.ServerProxy.AccessDenied"
    );
    assert_eq!(feed["records"][0]["timestamped"], false);
    let next = feed["next_after"].as_i64().unwrap();
    let again: serde_json::Value = lin
        .get(app.url(&format!("/api/v1/exchange/transfer-records?after={next}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["records"].as_array().unwrap().len(), 0);
    assert_eq!(again["next_after"], next, "nothing new: the cursor stays");
    assert_eq!(
        page(&chang, &app, &traffic).await.0,
        403,
        "another agency's service traffic stays hidden"
    );
    assert_eq!(
        page(&lin, &app, "/exchange/services/99999/traffic").await.0,
        404
    );

    // The log finds the refused call by its id and by "failed only", with its details.
    let (status, html) = page(&lin, &app, &format!("/exchange/log?xroad_id={xroad_id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Server.ServerProxy.AccessDenied"), "{html}");
    assert!(html.contains("未獲授權而被拒絕"));
    let (_, html) = page(&lin, &app, "/exchange/log?status=failed").await;
    assert!(html.contains(&xroad_id));
    let (_, html) = page(&lin, &app, "/exchange/log?status=200").await;
    assert!(!html.contains(&xroad_id));
    let (_, html) = page(&chang, &app, "/exchange/log").await;
    assert!(
        !html.contains(&xroad_id),
        "another agency's calls stay hidden"
    );

    // English too.
    let (lin_en, csrf_en) = app.browser("lin.transport").await;
    lin_en
        .post(app.url("/preferences/language"))
        .form(&[
            ("_csrf", csrf_en.as_str()),
            ("language", "en"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    for path in [
        "/exchange",
        "/exchange/grants",
        "/exchange/log?status=failed",
        &traffic,
    ] {
        let (status, html) = page(&lin_en, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains('⚠'), "{path}");
        assert!(html.contains("lang=\"en\""));
    }

    let actions = app.actions().await;
    for a in [
        "exchange.service.register",
        "exchange.service.disable",
        "exchange.service.enable",
        "exchange.grant.create",
        "exchange.grant.revoke",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }
}
