//! Bad input of every kind gets a clear 4xx with a stable code, never a 500, and changes nothing.

use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code};

const SQLISH: &[&str] = &[
    "'; DROP TABLE users; --",
    "\" OR \"1\"=\"1",
    "1; DELETE FROM audit_log",
    "Robert'); DROP TABLE agencies;--",
    "%' OR '%'='",
    "\\x00\\x1a",
    "🙂 桃園 <script>alert(1)</script>",
];

#[tokio::test]
async fn malformed_or_mistyped_json_is_refused_with_a_stable_code() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let before = app.audit_head().await;
    let post = |body: &'static str| {
        c.post(app.url("/api/v1/agencies"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
    };
    for body in [
        "{",
        "not json at all",
        "[]",
        r#"{"code": 123, "name_zh": "x", "kind": "bureau"}"#,
        r#"{"code": "TY-A", "name_zh": "x", "kind": "bureau", "parent": "380000000A", "surprise": true}"#,
        r#"{"name_zh": "missing code"}"#,
    ] {
        let r = post(body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(error_code(r).await, "malformed_json", "{body}");
    }
    let r = c
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .body(r#"{"code":"TY-A"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(error_code(r).await, "unsupported_media_type");
    let r = c
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .json(
            &json!({"code": "bad code!", "name_zh": "x", "kind": "bureau", "parent": "380000000A"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");
    assert_eq!(body["detail"]["field"], "code");
    assert_eq!(app.audit_head().await, before, "nothing changed");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let app = TestApp::spawn_with(civitas_web::WebSettings {
        max_body_bytes: 4096,
        ..Default::default()
    })
    .await;
    let token = app.token("admin").await;
    let big = format!(
        r#"{{"code": "TY-BIG", "name_zh": "{}", "kind": "bureau", "parent": "380000000A"}}"#,
        "大".repeat(5000)
    );
    let r = client()
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(error_code(r).await, "payload_too_large");
}

#[tokio::test]
async fn wrong_expired_and_malformed_credentials_get_401() {
    let app = TestApp::spawn().await;
    let c = client();
    for header in [
        "Bearer civ_0000000000000000000000000000000000000000000000",
        "Bearer nonsense",
        "Basic YWRtaW46eA==",
        "Bearer",
        "Token abc",
    ] {
        let r = c
            .get(app.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{header}");
        assert_eq!(error_code(r).await, "invalid_token", "{header}");
    }
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "unauthenticated");
    // Messages follow Accept-Language.
    let r = c
        .get(app.url("/api/v1/me"))
        .header("accept-language", "zh-TW,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "請先登入");
}

#[tokio::test]
async fn a_form_without_the_csrf_token_or_from_another_site_changes_nothing() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let before = app.audit_head().await;
    let form = [
        ("code", "TY-CSRF"),
        ("name_zh", "偽造"),
        ("kind", "bureau"),
        ("parent", "380000000A"),
    ];
    let r = c
        .post(app.url("/agencies"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("csrf_failed"));
    let mut wrong = form.to_vec();
    wrong.push(("_csrf", "0000"));
    assert_eq!(
        c.post(app.url("/agencies"))
            .form(&wrong)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let mut right = form.to_vec();
    right.push(("_csrf", csrf.as_str()));
    let r = c
        .post(app.url("/agencies"))
        .header("origin", "https://evil.example")
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "another site's page cannot post, even with the token"
    );
    // The session's cookie alone cannot drive the JSON API either.
    let r = c
        .post(app.url("/api/v1/agencies"))
        .json(&json!({"code": "TY-CSRF", "name_zh": "x", "kind": "bureau", "parent": "380000000A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "csrf_failed");
    // A sign-in form needs its token too.
    let r = client()
        .post(app.url("/login"))
        .form(&[("name", "admin"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.audit_head().await, before, "nothing changed");
    // With the token it works.
    assert_eq!(
        c.post(app.url("/agencies"))
            .form(&right)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

#[tokio::test]
async fn sql_looking_text_is_just_text_everywhere() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    for (i, text) in SQLISH.iter().enumerate() {
        // As names: stored verbatim (or refused as invalid), never a server error.
        let r = c
            .post(app.url("/api/v1/agencies"))
            .bearer_auth(&token)
            .json(&json!({"code": format!("TY-SQL{i}"), "name_zh": text, "name_en": text, "kind": "bureau", "parent": "380000000A"}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 201 || status == 400, "{text}: {status}");
        if status == 201 {
            let back: Value = c
                .get(app.url(&format!("/api/v1/agencies/TY-SQL{i}")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(back["name_en"], *text);
        }
        // As user names, display names and passwords.
        let r = c
            .post(app.url("/api/v1/users"))
            .bearer_auth(&token)
            .json(&json!({"name": text, "display_name": text, "password": format!("{text} long enough pass")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{text}");
        let r = c
            .post(app.url("/api/v1/users"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("sql{i}"), "display_name": text, "password": "long enough pass phrase"}))
            .send()
            .await
            .unwrap();
        assert!(
            r.status() == 201 || r.status() == 400,
            "{text}: {}",
            r.status()
        );
        // As query parameters and path segments.
        for path in [
            format!("/api/v1/users?q={}", urlencode(text)),
            format!(
                "/api/v1/audit?actor={}&action={}&agency={}",
                urlencode(text),
                urlencode(text),
                urlencode(text)
            ),
            format!("/api/v1/agencies/{}", urlencode(text)),
            format!("/api/v1/users/{}", urlencode(text)),
            format!("/api/v1/imports?kind={}", urlencode(text)),
        ] {
            let r = c
                .get(app.url(&path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_success() || r.status().is_client_error(),
                "{path}: {}",
                r.status()
            );
        }
        // As a sign-in name.
        let b = client();
        let csrf = app.anon_csrf(&b).await;
        let r = b
            .post(app.url("/login"))
            .form(&[("_csrf", csrf.as_str()), ("name", text), ("password", text)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{text}");
    }
    // The tables are all still there and the trail still verifies.
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
    let agencies: Value = c
        .get(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(agencies.as_array().unwrap().len() >= 5);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn unknown_addresses_methods_and_path_values_get_their_own_codes() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let r = c
        .get(app.url("/api/v1/nothing-here"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "route_not_found");
    let r = c
        .put(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "method_not_allowed");
    let r = c
        .delete(app.url("/api/v1/tokens/not-a-number"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_path");
    let r = c
        .get(app.url("/api/v1/users?page=minus-one"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_query");
    let r = c
        .get(app.url("/api/v1/audit?from=yesterday"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "invalid_input");
    // A page that does not exist is a page, in Chinese.
    let (b, _) = app.browser("admin").await;
    let r = b.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("找不到這個網址"));
}

#[tokio::test]
async fn duplicate_and_conflicting_changes_say_what_clashed() {
    let app = TestApp::spawn().await;
    app.add_user(
        "dup",
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let token = app.token("admin").await;
    let c = client();
    let r = c
        .post(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"name": "dup", "display_name": "x", "password": "long enough pass phrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(error_code(r).await, "already_exists");
    let r = c
        .post(app.url("/api/v1/agencies/380330000E/retire"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "it still has an active museum under it");
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("TY-ARTMUSEUM"));
}
