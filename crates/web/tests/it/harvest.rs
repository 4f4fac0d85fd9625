//! The harvest sources page: a catalogue manager sees each configured source with its last and
//! next run, and asks for a run now (CSRF-checked, audited); others are refused.

use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::harvest::HarvestSource;

use crate::harness::{TestApp, client};

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_catalogue_manager_sees_the_sources_and_asks_for_a_run_now() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let (status, html) = get(&c, &app, "/catalog/harvest").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("尚未設定採集來源") && html.contains("[[catalog.sources]]"),
        "the empty state says how to add one"
    );
    assert!(html.contains("href=\"/catalog/harvest\""), "in the menu");

    let uk = HarvestSource::new("datagovuk", "ckan", "https://data.gov.uk", "1d", 100).unwrap();
    app.platform().harvests().sync_sources(&[uk]).await.unwrap();
    let (_, html) = get(&c, &app, "/catalog/harvest").await;
    assert!(html.contains("datagovuk"));
    assert!(html.contains("每 1 天"));
    assert!(html.contains("尚未採集過"));
    assert!(html.contains("立即採集"));
    assert!(!html.contains('⚠'), "no missing text");

    let before = app.audit_head().await;
    let refused = c
        .post(app.url("/catalog/harvest/datagovuk/run"))
        .form(&[("_csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "no run without the form's token");
    let r = c
        .post(app.url("/catalog/harvest/datagovuk/run"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get(&c, &app, "/catalog/harvest").await;
    assert!(html.contains("已排入立即採集「datagovuk」"), "flash");
    assert!(html.contains("已排入立即採集</dt>"), "the request is shown");
    assert!(app.audit_head().await > before, "audited");
    let due = app.platform().harvests().due().await.unwrap();
    assert_eq!(due.len(), 1);

    let missing = c
        .post(app.url("/catalog/harvest/nowhere/run"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_steward_of_one_agency_and_a_viewer_cannot_run_city_wide_harvests() {
    let app = TestApp::spawn().await;
    app.add_user(
        "steward",
        &[Grant {
            role: Role::DataSteward,
            scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse("380290000H").unwrap()),
        }],
        None,
    )
    .await;
    let (c, csrf) = app.browser("steward").await;
    let (status, _) = get(&c, &app, "/catalog/harvest").await;
    assert_eq!(status, 403);
    let r = c
        .post(app.url("/catalog/harvest/x/run"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let anon = client();
    let r = anon.get(app.url("/catalog/harvest")).send().await.unwrap();
    assert_ne!(r.status(), 200);
}

#[tokio::test]
async fn the_sources_and_run_now_are_in_the_json_api() {
    let app = TestApp::spawn().await;
    let uk = HarvestSource::new("datagovuk", "ckan", "https://data.gov.uk", "12h", 100).unwrap();
    app.platform().harvests().sync_sources(&[uk]).await.unwrap();
    let token = app.token("admin").await;
    let c = client();
    let list: serde_json::Value = c
        .get(app.url("/api/v1/catalog/harvest/sources"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "datagovuk");
    assert_eq!(list[0]["interval_seconds"], 43_200);
    assert_eq!(list[0]["last_run"], serde_json::Value::Null);
    let r = c
        .post(app.url("/api/v1/catalog/harvest/sources/datagovuk/run"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let list: serde_json::Value = c
        .get(app.url("/api/v1/catalog/harvest/sources"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list[0]["run_requested_at"].is_string());
    let r = c
        .post(app.url("/api/v1/catalog/harvest/sources/nowhere/run"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}
