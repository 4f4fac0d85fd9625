//! Grants scoped to an agency reach that agency and those under it, and nothing else.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client};

fn at(code: &str) -> Scope {
    Scope::Agency(AgencyCode::parse(code).unwrap())
}

#[tokio::test]
async fn a_bureau_administrator_manages_its_own_people_and_sub_agencies_only() {
    let app = TestApp::spawn().await;
    app.add_user(
        "culture.admin",
        &[Grant {
            role: Role::PlatformAdmin,
            scope: at("380330000E"),
        }],
        Some("380330000E"),
    )
    .await;
    app.add_user("museum.staff", &[], Some("TY-ARTMUSEUM"))
        .await;
    app.add_user("police.staff", &[], Some("380130000C")).await;
    let token = app.token("culture.admin").await;
    let c = client();

    let users: Value = c
        .get(app.url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["culture.admin", "museum.staff"],
        "only people of 文化局 and below"
    );

    let grant = |user: &'static str, agency: &'static str| {
        c.post(app.url(&format!("/api/v1/users/{user}/grants")))
            .bearer_auth(&token)
            .json(&json!({"role": "data_steward", "agency": agency}))
            .send()
    };
    assert_eq!(
        grant("museum.staff", "TY-ARTMUSEUM")
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        grant("police.staff", "380130000C").await.unwrap().status(),
        403,
        "another bureau's person"
    );
    assert_eq!(
        grant("museum.staff", "380130000C").await.unwrap().status(),
        403,
        "another bureau's scope"
    );
    let city = c
        .post(app.url("/api/v1/users/museum.staff/grants"))
        .bearer_auth(&token)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        city.status(),
        403,
        "a city-wide grant needs a city-wide administrator"
    );

    let r = c
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .json(&json!({"code": "TY-CULTURE-PARK", "name_zh": "文化園區管理所", "parent": "380330000E", "kind": "subordinate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "may add an agency under its own bureau");
    let r = c
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&token)
        .json(&json!({"code": "TY-POLICE-X", "name_zh": "分局", "parent": "380130000C", "kind": "subordinate"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        c.get(app.url("/api/v1/audit"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "the audit trail is city-wide"
    );
}

#[tokio::test]
async fn the_last_city_administrator_cannot_remove_themselves() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let me: Value = c
        .get(app.url("/api/v1/users/admin"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = me["grants"][0]["id"].as_i64().unwrap();
    let r = c
        .delete(app.url(&format!("/api/v1/users/admin/grants/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c
        .patch(app.url("/api/v1/users/admin"))
        .bearer_auth(&token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}
