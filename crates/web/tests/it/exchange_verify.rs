//! Verifying a message container in the API and the UI (issue 6, point 7): X-Road's own test
//! containers (fixtures/xroad, MIT) against X-Road's test global configuration. Valid ones
//! verify; a broken one fails for its own reason; garbage and a node without a configuration
//! get stable error codes; nobody without `read_exchange` may use it.

use civitas_core::authz::{Grant, Role, Scope};
use civitas_web::WebSettings;
use serde_json::Value;

use crate::harness::{TestApp, client, csrf_of, error_code};

fn fixture(name: &str) -> std::path::PathBuf {
    [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "fixtures",
        "xroad",
        name,
    ]
    .iter()
    .collect()
}

fn container(name: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("asic/{name}.asice"))).unwrap()
}

async fn spawn(conf: std::path::PathBuf) -> TestApp {
    TestApp::spawn_with(WebSettings {
        exchange_globalconf_dir: conf,
        ..WebSettings::default()
    })
    .await
}

async fn post(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut r = client()
        .post(app.url("/api/v1/exchange/verify"))
        .header("content-type", "application/vnd.etsi.asic-e+zip")
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn the_api_verifies_x_roads_containers_each_for_its_own_reason() {
    let app = spawn(fixture("globalconf_good2_v3")).await;
    let token = app.token("admin").await;

    for name in [
        "valid-batch-ts",
        "valid-signed-hashchain",
        "valid-non-batch-rest",
    ] {
        let r = post(&app, Some(&token), container(name)).await;
        assert_eq!(r.status(), 200, "{name}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["valid"], true, "{name}: {v:#}");
        assert!(v["failure"].is_null());
        let checks = v["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c["key"] == "timestamp" && c["status"] == "passed")
        );
        assert!(v["signer"].as_str().is_some_and(|s| !s.is_empty()));
    }

    // Each broken container is refused for its own check.
    for (name, check) in [
        ("wrong-message", "references"),
        ("invalid-signed-hashchain", "hash_chain"),
        ("attachments", "certificate_chain"),
    ] {
        let v: Value = post(&app, Some(&token), container(name))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["valid"], false, "{name}");
        let failed: Vec<&Value> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "failed")
            .collect();
        let first = failed.first().unwrap_or_else(|| panic!("{name}: {v:#}"));
        assert_eq!(first["code"], v["failure"], "{name}");
        eprintln!("{name}: {} {}", first["key"], v["failure"]);
        assert_eq!(first["key"], check, "{name}: {v:#}");
        assert!(first["reason_zh"].as_str().is_some_and(|s| !s.is_empty()));
    }

    // Not a container at all: a stable code a person can act on.
    let r = post(&app, Some(&token), b"PK\x03\x04 not really a zip".to_vec()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_input");

    // Nobody signed in: refused before the body counts.
    let r = post(&app, None, container("valid-batch-ts")).await;
    assert_eq!(r.status(), 401);

    // A person who reads no exchange at all.
    app.add_user(
        "chen.catalog",
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let viewer = app.token("chen.catalog").await;
    let r = post(&app, Some(&viewer), container("valid-batch-ts")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "forbidden");
    // An auditor reads every agency's exchange and may verify.
    app.add_user(
        "auditor.hsu",
        &[Grant {
            role: Role::Auditor,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let auditor = app.token("auditor.hsu").await;
    let r = post(&app, Some(&auditor), container("valid-batch-ts")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_node_without_a_verification_configuration_says_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let app = spawn(empty.path().to_path_buf()).await;
    let token = app.token("admin").await;
    let r = post(&app, Some(&token), container("valid-batch-ts")).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "conflict");
    assert!(
        v["message"].as_str().unwrap().contains("shared-params.xml"),
        "{v:#}"
    );
}

#[tokio::test]
async fn a_person_uploads_a_container_on_the_page_and_sees_every_check() {
    let app = spawn(fixture("globalconf_good2_v3")).await;
    let (c, _) = app.browser("admin").await;
    let html = c
        .get(app.url("/exchange/verify"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("驗證訊息容器"));
    assert!(html.contains("尚未上傳容器"), "the empty state explains");
    let csrf = csrf_of(&html);

    let upload = |name: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(container(name)).file_name(format!("{name}.asice")),
        );
        c.post(app.url(&format!("/exchange/verify?_csrf={csrf}")))
            .multipart(form)
            .send()
    };
    let r = upload("valid-batch-ts").await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"data-valid="true""#), "{html}");
    assert!(html.contains(r#"data-check="timestamp" data-status="passed""#));
    assert!(html.contains("有效"));
    assert!(html.contains("valid-batch-ts.asice"));

    let html = upload("wrong-message").await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-valid="false""#));
    assert!(html.contains(r#"data-status="failed""#));
    assert!(html.contains("無效"));

    // Without the CSRF token the upload is refused.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(container("valid-batch-ts")).file_name("x.asice"),
    );
    let r = c
        .post(app.url("/exchange/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
