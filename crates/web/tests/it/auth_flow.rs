//! Signing in and out, lock-outs, throttling, sessions and tokens, as people experience them.

use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{PASSWORD, TestApp, client, csrf_of, error_code};

fn set_cookie_headers(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn signing_in_sets_a_fresh_httponly_session_cookie_and_signing_out_ends_it() {
    let app = TestApp::spawn().await;
    let c = client();
    let csrf = app.anon_csrf(&c).await;
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", PASSWORD),
            ("next", "/agencies"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/agencies");
    let cookies = set_cookie_headers(&r);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("civitas_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let secret = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("civitas_session=")
        .to_string();

    // A session id planted before sign-in is never adopted: sign-in always mints a new one.
    let planted = "f".repeat(64);
    let victim = client();
    let vcsrf = app.anon_csrf(&victim).await;
    let r = victim
        .post(app.url("/login"))
        .header(
            "cookie",
            format!("civitas_session={planted}; civitas_csrf={vcsrf}"),
        )
        .form(&[
            ("_csrf", vcsrf.as_str()),
            ("name", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let minted = set_cookie_headers(&r)
        .into_iter()
        .find(|c| c.starts_with("civitas_session=") && !c.contains("Max-Age=0"))
        .unwrap();
    assert!(!minted.contains(&planted));
    assert!(
        !minted.contains(&secret),
        "two sign-ins never share a session"
    );
    let page = c
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf2 = csrf_of(&page);
    let vr = victim.get(app.url("/account")).send().await.unwrap();
    assert_eq!(
        vr.status(),
        200,
        "the victim is signed in with the minted session"
    );
    let victim_page = vr.text().await.unwrap();
    assert_ne!(
        csrf2,
        csrf_of(&victim_page),
        "each session has its own CSRF token"
    );
    let csrf3 = csrf2;
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", csrf3.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = c.get(app.url("/account")).send().await.unwrap();
    assert_eq!(after.status(), 303);
    assert!(
        after.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
    let actions = app.actions().await;
    assert!(actions.iter().filter(|a| *a == "auth.login").count() >= 2);
    assert!(actions.contains(&"auth.logout".to_string()));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_the_lock_runs_out() {
    let app = TestApp::spawn().await;
    app.add_user(
        "typist",
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let c = client();
    let csrf = app.anon_csrf(&c).await;
    let attempt = |password: &'static str| {
        let c = c.clone();
        let csrf = csrf.clone();
        let url = app.url("/login");
        async move {
            c.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("name", "typist"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    for i in 1..=4 {
        let r = attempt("not my password").await;
        assert_eq!(r.status(), 401, "attempt {i}");
        assert!(r.text().await.unwrap().contains("帳號或密碼錯誤"));
    }
    let r = attempt("not my password").await;
    assert_eq!(r.status(), 423, "the fifth failure locks");
    assert!(r.text().await.unwrap().contains("鎖定"));
    let r = attempt(PASSWORD).await;
    assert_eq!(
        r.status(),
        423,
        "even the right password waits for the lock"
    );

    app.clock.advance(time::Duration::minutes(16));
    let r = attempt(PASSWORD).await;
    assert_eq!(
        r.status(),
        303,
        "after the lock runs out the right password works"
    );
    let actions = app.actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "user.lock").count(), 1);
    let failures = app
        .platform()
        .stores
        .audit
        .entries_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "auth.login" && e.outcome.as_str() == "failure")
        .count();
    assert_eq!(failures, 6, "every failed attempt is in the audit trail");
}

#[tokio::test]
async fn one_address_guessing_many_names_is_slowed_down() {
    let app = TestApp::spawn_with(civitas_web::WebSettings {
        login_failures_per_ip: 3,
        ..Default::default()
    })
    .await;
    let c = client();
    let csrf = app.anon_csrf(&c).await;
    for name in ["a1", "a2", "a3"] {
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("name", name),
                ("password", "guess guess guess"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    app.clock.advance(time::Duration::minutes(16));
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_token_reaches_the_api_with_exactly_its_roles_until_revoked_or_expired() {
    let app = TestApp::spawn().await;
    app.add_user(
        "dual",
        &[
            Grant {
                role: Role::Auditor,
                scope: Scope::City,
            },
            Grant {
                role: Role::DataSteward,
                scope: Scope::City,
            },
        ],
        None,
    )
    .await;
    let admin = app.token("admin").await;
    let c = client();
    // The administrator issues dual a token carrying only the auditor role.
    let r = c
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"label": "audit export", "roles": ["auditor"], "expires_in_days": 7, "user": "dual"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("civ_"));
    let id = created["details"]["id"].as_i64().unwrap();

    let me: Value = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["via"], "token");
    assert_eq!(
        me["effective_grants"],
        json!([{"role": "auditor", "agency": null}])
    );
    assert_eq!(
        c.get(app.url("/api/v1/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(app.url("/api/v1/imports"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "auditors read imports too"
    );

    // Listing never shows the secret again.
    let list = c
        .get(app.url("/api/v1/tokens?user=dual"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&token));
    assert!(list.contains("audit export"));

    // A role the owner does not hold cannot be put in a token.
    let r = c
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&token)
        .json(&json!({"label": "escalate", "roles": ["platform_admin"], "expires_in_days": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Expiry.
    app.clock.advance(time::Duration::days(8));
    let r = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(error_code(r).await, "invalid_token");

    // Revocation.
    let fresh = app.token("dual").await;
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&fresh)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let fresh_id = app
        .platform()
        .stores
        .tokens
        .list_tokens(None)
        .await
        .unwrap()[0]
        .id;
    let r = c
        .delete(app.url(&format!("/api/v1/tokens/{fresh_id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_token");
    assert!(id > 0);

    // Last use is recorded.
    let t = app
        .platform()
        .stores
        .tokens
        .token_by_id(fresh_id)
        .await
        .unwrap()
        .unwrap();
    assert!(t.last_used_at.is_some());
}

#[tokio::test]
async fn a_token_loses_a_role_its_owner_loses_and_dies_with_a_disabled_owner() {
    let app = TestApp::spawn().await;
    app.add_user(
        "steward",
        &[
            Grant {
                role: Role::DataSteward,
                scope: Scope::City,
            },
            Grant {
                role: Role::Viewer,
                scope: Scope::City,
            },
        ],
        None,
    )
    .await;
    let token = app.token("steward").await;
    let admin = app.token("admin").await;
    let c = client();
    let grants: Value = c
        .get(app.url("/api/v1/users/steward"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let steward_grant = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["role"] == "data_steward")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = c
        .delete(app.url(&format!("/api/v1/users/steward/grants/{steward_grant}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let me: Value = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["effective_grants"],
        json!([{"role": "viewer", "agency": null}])
    );
    assert_eq!(
        c.get(app.url("/api/v1/imports"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let r = c
        .patch(app.url("/api/v1/users/steward"))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn changing_ones_password_signs_out_other_browsers() {
    let app = TestApp::spawn().await;
    let (first, _) = app.browser("admin").await;
    let (second, csrf) = app.browser("admin").await;
    let r = second
        .post(app.url("/account/password"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "a brand new pass phrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        second
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "this browser stays"
    );
    assert_eq!(
        first
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other is signed out"
    );
    // A weak new password is refused with the reason, next to the field.
    let r = second
        .post(app.url("/account/password"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("current_password", "a brand new pass phrase"),
            ("new_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("至少需要 12 個字元"));
}

#[tokio::test]
async fn sessions_end_after_being_idle() {
    let app = TestApp::spawn().await;
    let (c, _) = app.browser("admin").await;
    app.clock.advance(time::Duration::minutes(90));
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        200,
        "use keeps it alive"
    );
    app.clock.advance(time::Duration::minutes(90));
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        200
    );
    app.clock.advance(time::Duration::minutes(121));
    assert_eq!(
        c.get(app.url("/account")).send().await.unwrap().status(),
        303,
        "idle too long"
    );
}
