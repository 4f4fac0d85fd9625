//! The API description is generated from the code and must not change by accident.

use serde_json::Value;

use crate::harness::{TestApp, client};

#[tokio::test]
async fn the_api_description_matches_its_snapshot() {
    let app = TestApp::spawn().await;
    let r = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("`csrf_failed`"),
        "the error table is published"
    );
    let mut doc = doc;
    doc["info"]["version"] = Value::String("(version)".into());
    insta::assert_snapshot!("openapi", serde_json::to_string_pretty(&doc).unwrap());
}
