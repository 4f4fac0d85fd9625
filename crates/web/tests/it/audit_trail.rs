//! Every state change lands in the hash-chained trail, which auditors can filter and export.

use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client};

#[tokio::test]
async fn each_change_is_recorded_with_who_what_where_and_for_which_agency() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    c.post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"name": "amy", "display_name": "陳美玲", "password": "long enough pass phrase", "home_agency": "380330000E",
                      "grants": [{"role": "data_steward", "agency": "380330000E"}]}))
        .send()
        .await
        .unwrap();
    c.patch(app.url("/api/v1/agencies/380290000H"))
        .bearer_auth(&token)
        .json(&json!({"name_en": "Transportation Department"}))
        .send()
        .await
        .unwrap();
    let page: Value = c
        .get(app.url("/api/v1/audit?action=agency.update"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    let e = &page["items"][0];
    assert_eq!(e["actor_name"], "admin");
    assert_eq!(e["object_id"], "380290000H");
    assert_eq!(e["source_ip"], "127.0.0.1");
    let summary: Value = serde_json::from_str(e["summary"].as_str().unwrap()).unwrap();
    assert_eq!(
        summary["name_en"],
        json!(["Department of Transportation", "Transportation Department"])
    );

    let created: Value = c
        .get(app.url("/api/v1/audit?action=user.create"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let summary = created["items"][0]["summary"].as_str().unwrap();
    assert!(
        !summary.contains("long enough pass phrase"),
        "passwords never reach the trail"
    );
    assert!(!summary.contains("argon2"), "nor their hashes");

    // A steward acting for the Department of Cultural Affairs is recorded as acting for it.
    app.add_user(
        "boss",
        &[Grant {
            role: Role::PlatformAdmin,
            scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse("380330000E").unwrap()),
        }],
        Some("380330000E"),
    )
    .await;
    let boss = app.token("boss").await;
    let r = c
        .patch(app.url("/api/v1/agencies/TY-ARTMUSEUM"))
        .bearer_auth(&boss)
        .json(&json!({"name_en": "Taoyuan Art Museum"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page: Value = c
        .get(app.url("/api/v1/audit?actor=boss"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["acting_agency"], "380330000E");
}

#[tokio::test]
async fn auditors_export_the_trail_as_csv_that_excel_opens_in_chinese() {
    let app = TestApp::spawn().await;
    app.add_user(
        "audrey",
        &[Grant {
            role: Role::Auditor,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let token = app.token("audrey").await;
    let r = client()
        .get(app.url("/api/v1/audit/export?action=user"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM so Excel reads UTF-8"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("seq,at,actor_user_id,actor_name")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "the two accounts created: {rows:?}");
    assert!(rows.iter().all(|r| r.contains("user.create")));
    // The export itself is recorded.
    let page: Value = client()
        .get(app.url("/api/v1/audit?action=audit.export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
}

#[tokio::test]
async fn verification_reports_an_intact_chain_and_pages_page() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let v: Value = c
        .get(app.url("/api/v1/audit/verify"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["intact"], true);
    let n = v["entries_checked"].as_u64().unwrap();
    assert!(
        n >= 7,
        "agencies imported, admin created, token created: {n}"
    );
    assert_eq!(v["head_seq"].as_u64().unwrap(), n);
    let p: Value = c
        .get(app.url("/api/v1/audit?per_page=2&page=2"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["per_page"], 2);
    assert_eq!(p["page"], 2);
    assert_eq!(p["items"].as_array().unwrap().len(), 2);
    assert_eq!(p["total"].as_u64().unwrap(), n);
}
