//! The alert bulk endpoint, the list and the summary over real HTTP: a token with
//! manage_alerts is needed before the body is read, a re-post adds nothing, bad lines come
//! back with their line numbers, and readers see their own agencies' alerts.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::Value;

use crate::harness::{TestApp, client, error_code};
use crate::office::{Field, open_in_libreoffice};

const WRCCDC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"
));

/// The real EVE file (a pretty-printed array) as NDJSON, the way a shipper posts it.
fn ndjson() -> String {
    let events: Vec<Value> = serde_json::from_str(WRCCDC).unwrap();
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn user_token(app: &TestApp, name: &str, role: Role, scope: Scope) -> String {
    app.add_user(name, &[Grant { role, scope }], None).await;
    app.token(name).await
}

async fn post(app: &TestApp, token: Option<&str>, source: &str, body: String) -> reqwest::Response {
    let mut req = client()
        .post(app.url(&format!("/api/v1/alerts/{source}/bulk")))
        .header("content-type", "application/x-ndjson")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_sensor_posts_its_alerts_once_and_a_repost_adds_nothing() {
    let app = TestApp::spawn().await;
    let token = user_token(&app, "ids.shipper", Role::SocAnalyst, Scope::City).await;
    let r = post(&app, Some(&token), "eve", ndjson()).await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["received"], 207, "{first}");
    assert_eq!(first["created"], 207);
    assert_eq!(first["rejected"], 0);
    let again: Value = post(&app, Some(&token), "eve", ndjson())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], 0);
    assert_eq!(again["duplicates"], 207);
    assert!(
        app.actions()
            .await
            .iter()
            .filter(|a| *a == "alerts.import")
            .count()
            == 2
    );

    let list: Value = client()
        .get(app.url("/api/v1/alerts?per_page=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 207);
    assert_eq!(list["items"].as_array().unwrap().len(), 5);
    assert!(!list["items"][0]["reasons"].as_array().unwrap().is_empty());
    let summary: Value = client()
        .get(app.url("/api/v1/alerts/summary"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["total"], 207);
    let counted: u64 = summary["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 207);
    let first_line = &summary["by_category"][0];
    assert!(first_line["label_zh"].as_str().unwrap().contains("入侵"));
}

#[tokio::test]
async fn bad_lines_come_back_with_their_numbers_and_reasons_and_the_rest_is_stored() {
    let app = TestApp::spawn().await;
    let token = user_token(&app, "ids.shipper", Role::SocAnalyst, Scope::City).await;
    let events: Vec<Value> = serde_json::from_str(WRCCDC).unwrap();
    let good = serde_json::to_string(&events[0]).unwrap();
    let body = format!(
        "{good}\n{{\"timestamp\": \n\u{0}\u{1}binary\n{}\n",
        &good[..40]
    );
    let report: Value = post(&app, Some(&token), "eve", body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["received"], 4, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["rejected"], 3);
    let lines: Vec<u64> = report["rejected_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(
        report["rejected_records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    // The quarantine: the SOC reads its alert imports and their rejected lines without
    // read_imports, and nothing else.
    let run = report["run_id"].as_i64().unwrap();
    let runs = get_json(&app, &token, "/api/v1/imports").await;
    assert_eq!(runs["total"], 1, "{runs}");
    let detail = get_json(&app, &token, &format!("/api/v1/imports/{run}")).await;
    assert_eq!(
        detail["rejected_records"].as_array().map(|r| r.len()),
        Some(3),
        "{detail}"
    );
    let r = client()
        .get(app.url("/api/v1/imports?kind=agencies"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (browser, _) = app.browser("ids.shipper").await;
    let page = browser
        .get(app.url(&format!("/imports/{run}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("JSON"));
}

#[tokio::test]
async fn the_bulk_endpoint_needs_a_token_with_manage_alerts_and_a_known_source() {
    let app = TestApp::spawn().await;
    let r = post(&app, None, "eve", ndjson()).await;
    assert_eq!(r.status(), 401);
    let officer = user_token(&app, "officer", Role::SecurityOfficer, Scope::City).await;
    let r = post(&app, Some(&officer), "eve", ndjson()).await;
    assert_eq!(
        r.status(),
        403,
        "security officers read alerts but do not import them"
    );
    assert_eq!(error_code(r).await, "forbidden");
    // An analyst for one agency may not import: an import places alerts in any agency.
    let local = user_token(
        &app,
        "local.analyst",
        Role::SocAnalyst,
        Scope::Agency(AgencyCode::parse("380330000E").unwrap()),
    )
    .await;
    assert_eq!(
        post(&app, Some(&local), "eve", ndjson()).await.status(),
        403
    );
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    let r = post(&app, Some(&analyst), "nowhere", ndjson()).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "not_found");
    assert!(!app.actions().await.iter().any(|a| a == "alerts.import"));
}

#[tokio::test]
async fn a_body_over_the_bulk_limit_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with(civitas_web::WebSettings {
        max_alert_bulk_bytes: 10_000,
        ..civitas_web::WebSettings::default()
    })
    .await;
    let token = user_token(&app, "ids.shipper", Role::SocAnalyst, Scope::City).await;
    let r = post(&app, Some(&token), "eve", ndjson()).await;
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "payload_too_large");
    assert!(!app.actions().await.iter().any(|a| a == "alerts.import"));
}

#[tokio::test]
async fn an_agency_reader_lists_only_their_agencys_alerts_and_filters_are_checked() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let museum = user_token(
        &app,
        "museum.officer",
        Role::SecurityOfficer,
        Scope::Agency(AgencyCode::parse("TY-ARTMUSEUM").unwrap()),
    )
    .await;
    let culture = user_token(
        &app,
        "culture.officer",
        Role::SecurityOfficer,
        Scope::Agency(AgencyCode::parse("380330000E").unwrap()),
    )
    .await;
    let total = |token: String| {
        let app = &app;
        async move {
            let v: Value = client()
                .get(app.url("/api/v1/alerts"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["total"].as_u64().unwrap()
        }
    };
    let all = total(analyst.clone()).await;
    let theirs = total(culture.clone()).await;
    assert!(theirs > 0 && theirs < all, "{theirs} of {all}");
    assert_eq!(
        total(museum).await,
        0,
        "the museum is below the bureau, not above it"
    );
    let r = client()
        .get(app.url("/api/v1/alerts?severity=urgent"))
        .bearer_auth(&culture)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_input");
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let r = client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn every_number_of_the_analysis_drills_down_to_exactly_its_alerts() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let a = get_json(
        &app,
        &analyst,
        "/api/v1/alerts/analysis?from_month=2018-01&to_month=2018-03&top=5",
    )
    .await;
    assert_eq!(a["summary"]["total"], 207);
    assert_eq!(a["from_month"], "2018-01");
    let months = a["trend"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 24, "two years up to the last month");
    assert_eq!(months[23]["month"], "2018-03");
    assert_eq!(months[23]["total"], 207);
    assert_eq!(a["trend"]["month_over_month"]["previous"], 0);
    let list_total = |query: String| {
        let app = &app;
        let analyst = analyst.clone();
        async move {
            get_json(app, &analyst, &format!("/api/v1/alerts?{query}&per_page=1")).await["total"]
                .as_u64()
                .unwrap()
        }
    };
    let period = "from=2018-01-01&to=2018-03-31";
    for line in a["summary"]["by_category"].as_array().unwrap() {
        let code = line["category"].as_str().unwrap();
        let n = list_total(format!("{period}&category={code}")).await;
        assert_eq!(line["count"].as_u64().unwrap(), n, "{code}");
    }
    // The top values of every dimension, each followed to its alerts.
    let mut followed = 0;
    for list in a["top"].as_array().unwrap() {
        let dimension = list["dimension"].as_str().unwrap();
        for v in list["values"].as_array().unwrap() {
            let value = v["value"].as_str().unwrap();
            let q = serde_urlencoded::to_string([(dimension, value)]).unwrap();
            let n = list_total(format!("{period}&{q}")).await;
            assert_eq!(v["count"].as_u64().unwrap(), n, "{dimension} {value}");
            followed += 1;
        }
    }
    assert!(followed >= 10, "{followed}");
    let agencies: u64 = a["by_agency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(agencies, 207);
    // Two days of alerts after nothing: the first day is unusual for some agency.
    let spikes = a["spikes"].as_array().unwrap();
    assert!(!spikes.is_empty());
    assert!(
        spikes
            .iter()
            .all(|s| s["p_value"].as_f64().unwrap() < 0.001)
    );

    // A month that is not one is refused with its reason.
    let r = client()
        .get(app.url("/api/v1/alerts/analysis?to_month=2018-13"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_input");
}

#[tokio::test]
async fn an_analyst_records_a_cause_and_countermeasure_that_the_next_analysis_shows() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let note = serde_json::json!({
        "dimension": "category",
        "value": "information-gathering",
        "agency": "380330000E",
        "cause": "對外開放的管理介面被掃描",
        "countermeasure": "關閉對外的管理埠，改由 VPN 連線"
    });
    let r = client()
        .post(app.url("/api/v1/alerts/notes"))
        .bearer_auth(&analyst)
        .json(&note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(app.actions().await.iter().any(|a| a == "alerts.note"));
    let a = get_json(
        &app,
        &analyst,
        "/api/v1/alerts/analysis?from_month=2018-03&to_month=2018-03",
    )
    .await;
    let notes = a["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["countermeasure"],
        "關閉對外的管理埠，改由 VPN 連線"
    );
    assert_eq!(notes[0]["author"], "analyst");

    // Empty notes and unknown patterns are refused; a reader cannot write one.
    for bad in [
        serde_json::json!({"dimension": "category", "value": "dos"}),
        serde_json::json!({"dimension": "colour", "value": "red", "cause": "x"}),
        serde_json::json!({"dimension": "category", "value": "dos", "cause": "x", "agency": "NOWHERE"}),
    ] {
        let r = client()
            .post(app.url("/api/v1/alerts/notes"))
            .bearer_auth(&analyst)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 400 | 404), "{bad}");
    }
    let officer = user_token(
        &app,
        "culture.officer",
        Role::SecurityOfficer,
        Scope::Agency(AgencyCode::parse("380330000E").unwrap()),
    )
    .await;
    let seen = get_json(
        &app,
        &officer,
        "/api/v1/alerts/analysis?from_month=2018-03&to_month=2018-03",
    )
    .await;
    assert_eq!(
        seen["notes"].as_array().unwrap().len(),
        1,
        "their agency's note"
    );
    assert!(seen["summary"]["total"].as_u64().unwrap() < 207);
}

#[tokio::test]
async fn the_pages_show_the_analysis_the_list_and_one_alert_with_its_raw_record() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let (browser, _) = app.browser("analyst").await;
    let text = |path: &'static str| {
        let browser = browser.clone();
        let app = &app;
        async move {
            let r = browser.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let page = text("/alerts?from_month=2018-01&to_month=2018-03").await;
    assert!(page.contains("資安警訊分析"));
    assert!(page.contains("入侵嘗試"));
    assert!(page.contains(">207<"), "the total");
    assert!(
        page.contains(
            "/alerts/list?from=2018-01-01&#38;to=2018-03-31&#38;category=intrusion-attempt"
        ),
        "each category's count links to its alerts"
    );
    assert!(page.contains("alerts-trend-data"));
    let list = text("/alerts/list?from=2018-03-01&to=2018-03-31&severity=high").await;
    assert!(list.contains("警訊清單"));
    let first_id = list
        .split("href=\"/alerts/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
        .to_string();
    let any = text("/alerts/list").await;
    let id = if first_id.parse::<i64>().is_ok() {
        first_id
    } else {
        any.split("href=\"/alerts/")
            .filter_map(|s| s.split('"').next())
            .find(|s| s.parse::<i64>().is_ok())
            .unwrap()
            .to_string()
    };
    let r = browser
        .get(app.url(&format!("/alerts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let one = r.text().await.unwrap();
    assert!(one.contains("原始紀錄"));
    assert!(one.contains("event_type"), "the raw EVE record is shown");
    assert!(one.contains("為何是這個類別與嚴重程度"));

    // Someone without read_alerts is refused; an empty period shows what to do.
    let empty = text("/alerts?from_month=2020-01&to_month=2020-02").await;
    assert!(empty.contains("civitas alerts import"));
}

#[tokio::test]
async fn an_administrator_tries_a_rule_change_saves_it_and_the_numbers_follow() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let current = get_json(&app, &analyst, "/api/v1/alerts/rules").await;
    assert_eq!(current["version"], "default-2026.1");
    let text = current["rules"].as_str().unwrap();
    let first_rule = text.find("[[rule]]").unwrap();
    let changed = format!(
        "{}[[rule]]\nid = \"city-scan-is-dos\"\ndescription = \"scans count as denial of service\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"dos\"\n\n{}",
        text[..first_rule].replace("default-2026.1", "city-2026.2"),
        &text[first_rule..]
    );
    let dos_before = dos_count(&app, &analyst).await;

    // In the browser: try it (nothing changes), then save it.
    app.add_user(
        "rules.admin",
        &[Grant {
            role: Role::SocAnalyst,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let (browser, csrf) = app.browser("rules.admin").await;
    let tried = browser
        .post(app.url("/alerts/rules/preview"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("rules", changed.as_str()),
            ("days", "36500"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tried.status(), 200);
    let page = tried.text().await.unwrap();
    assert!(page.contains("類別或嚴重程度改變"), "the preview is shown");
    assert!(page.contains("→"), "with the moves");
    assert_eq!(
        dos_count(&app, &analyst).await,
        dos_before,
        "a preview writes nothing"
    );
    let saved = browser
        .post(app.url("/alerts/rules"))
        .form(&[("_csrf", csrf.as_str()), ("rules", changed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    assert!(saved.text().await.unwrap().contains("city-2026.2"));
    let dos_after = dos_count(&app, &analyst).await;
    assert!(dos_after > dos_before, "{dos_before} → {dos_after}");
    let now = get_json(&app, &analyst, "/api/v1/alerts/rules").await;
    assert_eq!(now["version"], "city-2026.2");
    let list = get_json(&app, &analyst, "/api/v1/alerts?category=dos&per_page=100").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["rule_set_version"] == "city-2026.2")
    );
    assert!(app.actions().await.iter().any(|a| a == "alerts.reclassify"));

    // The same version again, or a broken file: refused with the reason, nothing moves.
    let r = client()
        .put(app.url("/api/v1/alerts/rules"))
        .bearer_auth(&analyst)
        .json(&serde_json::json!({"rules": changed}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let broken = browser
        .post(app.url("/alerts/rules"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("rules", "version = \"x\"\n[[rule]]\nid = 1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 200);
    assert!(broken.text().await.unwrap().contains("規則檔有誤"));
    assert_eq!(dos_count(&app, &analyst).await, dos_after);
}

async fn dos_count(app: &TestApp, token: &str) -> u64 {
    let s = get_json(app, token, "/api/v1/alerts/summary").await;
    s["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "dos")
        .unwrap()["count"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn the_monthly_report_shows_the_month_takes_commentary_and_exports_to_spreadsheets() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "analyst", Role::SocAnalyst, Scope::City).await;
    post(&app, Some(&analyst), "eve", ndjson()).await;
    let (browser, csrf) = app.browser("analyst").await;
    let page = browser
        .get(app.url("/alerts/report?month=2018-03"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("資安監控月報：民國107年3月"),
        "ROC month in the title"
    );
    assert!(
        page.contains("本月尚無評析"),
        "an empty commentary says what to write"
    );
    assert!(page.contains("<td>207</td>"), "the month's total");
    let saved = browser
        .post(app.url("/alerts/report/commentary"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("month", "2018-03"),
            ("agency", ""),
            ("commentary", "本月以掃描為主。\n已封鎖重複來源。"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let page = browser
        .get(app.url("/alerts/report?month=2018-03"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<p>已封鎖重複來源。</p>"));
    assert!(
        app.actions()
            .await
            .iter()
            .any(|a| a == "alerts.report.commentary")
    );
    for (ext, magic) in [
        ("xlsx", &b"PK"[..]),
        ("ods", &b"PK"[..]),
        ("csv", &b"\xEF\xBB\xBF"[..]),
    ] {
        let r = browser
            .get(app.url(&format!("/alerts/report.{ext}?month=2018-03")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{ext}");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{ext}");
        if ext == "csv" {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains("已封鎖重複來源"),
                "the commentary is exported"
            );
            assert!(text.contains("入侵嘗試"));
        }
    }
    // LibreOffice opens both spreadsheets: the commentary as text, the counts as numbers.
    let xlsx = app
        .download(&browser, "/alerts/report.xlsx?month=2018-03")
        .await;
    let ods = app
        .download(&browser, "/alerts/report.ods?month=2018-03")
        .await;
    for sheet in open_in_libreoffice(&[("report-x.xlsx", &xlsx), ("report-o.ods", &ods)]) {
        assert!(
            sheet.rows[0].iter().all(|f| matches!(f, Field::Text(_))),
            "{sheet:?}"
        );
        let commentary = sheet.row_starting("分析人員評析");
        assert_eq!(
            commentary.get(4),
            Some(&Field::text("本月以掃描為主。\n已封鎖重複來源。")),
            "{sheet:?}"
        );
        let intrusion = sheet
            .rows
            .iter()
            .find(|r| r.get(1) == Some(&Field::text("入侵嘗試")))
            .unwrap_or_else(|| panic!("{sheet:?}"));
        match &intrusion[2] {
            Field::Value(n) => assert!(n.parse::<u64>().unwrap() > 0, "{sheet:?}"),
            other => panic!("the count is a number, not {other:?}"),
        }
    }
    // An agency's officer reads their agency's report but cannot write the city's commentary.
    let officer_token = user_token(
        &app,
        "culture.officer",
        Role::SecurityOfficer,
        Scope::Agency(AgencyCode::parse("380330000E").unwrap()),
    )
    .await;
    drop(officer_token);
    let (officer, officer_csrf) = app.browser("culture.officer").await;
    let refused = officer
        .post(app.url("/alerts/report/commentary"))
        .form(&[
            ("_csrf", officer_csrf.as_str()),
            ("month", "2018-03"),
            ("agency", ""),
            ("commentary", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

fn eve(at: &str, src: &str, dest: &str, flow: u64) -> String {
    serde_json::json!({
        "timestamp": at,
        "flow_id": flow,
        "event_type": "alert",
        "src_ip": src,
        "src_port": 40_000,
        "dest_ip": dest,
        "dest_port": 80,
        "proto": "TCP",
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": 2_019_401,
            "rev": 3,
            "signature": "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
            "category": "Web Application Attack",
            "severity": 1,
        },
    })
    .to_string()
}

async fn reasons_of(app: &TestApp, token: &str, src: &str) -> Vec<Vec<String>> {
    let list = get_json(
        app,
        token,
        &format!("/api/v1/alerts?source_ip={src}&per_page=50"),
    )
    .await;
    let mut items: Vec<Value> = list["items"].as_array().unwrap().clone();
    items.sort_by_key(|i| i["observed_at"].as_str().unwrap().to_string());
    items
        .iter()
        .map(|i| {
            i["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["en"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_score_weighs_a_critical_target_and_a_source_that_keeps_coming_back() {
    let app = TestApp::spawn().await;
    let token = user_token(&app, "ids.shipper", Role::SocAnalyst, Scope::City).await;
    let src = "198.51.100.9";
    // Two alerts in one post, a third in a later post two weeks on: the third is the third
    // in 30 days. One much older alert from the same address does not count.
    let first = [
        eve("2023-11-01T10:00:00.000000+0800", src, "10.47.2.2", 1),
        eve("2024-01-20T10:00:00.000000+0800", src, "10.47.2.2", 2),
        eve("2024-01-21T10:00:00.000000+0800", src, "10.47.2.3", 3),
    ]
    .join("\n");
    let r: Value = post(&app, Some(&token), "eve", first)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["created"], 3, "{r}");
    let second = eve("2024-02-03T10:00:00.000000+0800", src, "10.99.1.7", 4);
    let r: Value = post(&app, Some(&token), "eve", second)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["created"], 1, "{r}");

    let reasons = reasons_of(&app, &token, src).await;
    assert_eq!(reasons.len(), 4);
    let recurred = |rs: &Vec<String>| rs.iter().any(|r| r.contains("seen 3 times in 30 days"));
    let at_target = |rs: &Vec<String>| {
        rs.iter()
            .any(|r| r == "+2: the target is critical infrastructure or holds secrets: 自來水監控系統 (10.99.1.7)")
    };
    // November and the first two January alerts: 1, 1 and 2 sightings, under the threshold of 3.
    for rs in &reasons[..3] {
        assert!(!rs.iter().any(|r| r.contains("in 30 days")), "{rs:?}");
        assert!(!at_target(rs), "{rs:?}");
    }
    assert!(recurred(&reasons[3]), "{:?}", reasons[3]);
    assert!(at_target(&reasons[3]), "{:?}", reasons[3]);
    // Priority 1 (+2), critical (+2), recurrence (+1): high.
    let list = get_json(
        &app,
        &token,
        &format!("/api/v1/alerts?source_ip={src}&severity=high"),
    )
    .await;
    assert_eq!(list["total"], 1, "{list}");
    // Full-text search over the list: words of the signature and an address, in any case.
    let found = |q: &str| {
        let app = &app;
        let token = &token;
        let q = q.replace(' ', "%20");
        async move { get_json(app, token, &format!("/api/v1/alerts?q={q}")).await["total"].clone() }
    };
    assert_eq!(found("union SELECT 198.51.100.9").await, 4);
    assert_eq!(found("injection 10.99.1.7").await, 1);
    assert_eq!(found("injection 10.99.1.8").await, 0);
    // Re-posting adds nothing and does not count the same alert twice.
    let again = eve("2024-02-03T10:00:00.000000+0800", src, "10.99.1.7", 4);
    let r: Value = post(&app, Some(&token), "eve", again)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["duplicates"], 1, "{r}");
    assert_eq!(reasons_of(&app, &token, src).await.len(), 4);
}
