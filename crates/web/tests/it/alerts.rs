//! The alert bulk endpoint, the list and the summary over real HTTP: a token with
//! manage_alerts is needed before the body is read, a re-post adds nothing, bad lines come
//! back with their line numbers, and readers see their own agencies' alerts.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::Value;

use crate::harness::{TestApp, client, error_code};

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
