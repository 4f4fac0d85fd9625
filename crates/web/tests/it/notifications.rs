//! Stewards are told before a dataset falls due: in the page header, on their notifications
//! page and through the API, once per change, and only about their own agencies.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::time::Timestamp;
use serde_json::Value;

use crate::harness::{TestApp, client, csrf_of};

fn steward_of(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(AgencyCode::parse(agency).unwrap()),
    }]
}

fn taipei(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{text}+08:00")).unwrap()
}

/// Move the clock and run the hourly reassessment.
async fn reassess_at(app: &TestApp, at: &str) {
    let at = taipei(at);
    app.clock.set(at);
    app.platform()
        .catalog()
        .recompute_freshness(at)
        .await
        .unwrap();
}

async fn inbox(app: &TestApp, token: &str, query: &str) -> Value {
    let r = client()
        .get(app.url(&format!("/api/v1/notifications{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_steward_of_the_transport_department_is_told_3_days_before_a_monthly_dataset_falls_due() {
    let app = TestApp::spawn().await;
    app.add_user("traffic", &steward_of("380290000H"), Some("380290000H"))
        .await;
    app.add_user("police", &steward_of("380130000C"), Some("380130000C"))
        .await;
    let traffic = app.token("traffic").await;
    let police = app.token("police").await;

    // The parking list (每月, last updated 民國113年2月1日 09:00) falls due on 3月1日 09:00.
    reassess_at(&app, "2024-02-26T09:00:00").await;
    assert_eq!(
        inbox(&app, &traffic, "").await["total"],
        0,
        "4 days ahead: quiet"
    );
    reassess_at(&app, "2024-02-27T09:30:00").await;
    let told = inbox(&app, &traffic, "").await;
    assert_eq!(told["total"], 1, "{told}");
    let notice = &told["items"][0];
    assert_eq!(
        notice["title_zh"],
        "資料集「桃園市公有停車場資訊」將於民國113年3月1日到期"
    );
    assert_eq!(
        notice["title_en"],
        "Dataset \"桃園市公有停車場資訊\" falls due on ROC 113-03-01"
    );
    assert_eq!(notice["link"], "/catalog/datasets/1");
    assert_eq!(notice["dataset_id"], 1);
    assert_eq!(notice["kind"], "freshness");
    assert!(notice["read_at"].is_null());
    assert!(
        notice["body_zh"].as_str().unwrap().starts_with(
            "交通局的資料集「桃園市公有停車場資訊」更新狀態由「已更新」轉為「即將到期」"
        ),
        "{notice}"
    );

    // The hourly reassessments that follow do not repeat it.
    reassess_at(&app, "2024-02-27T10:30:00").await;
    reassess_at(&app, "2024-02-27T11:30:00").await;
    assert_eq!(inbox(&app, &traffic, "").await["total"], 1);

    // A steward of another agency hears nothing, and cannot touch someone else's notice.
    assert_eq!(inbox(&app, &police, "").await["total"], 0);
    let id = notice["id"].as_i64().unwrap();
    let r = client()
        .post(app.url(&format!("/api/v1/notifications/{id}/read")))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(inbox(&app, &traffic, "?unread=1").await["total"], 1);

    let r = client()
        .post(app.url(&format!("/api/v1/notifications/{id}/read")))
        .bearer_auth(&traffic)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let read: Value = r.json().await.unwrap();
    assert!(read["read_at"].as_str().is_some());
    assert_eq!(inbox(&app, &traffic, "?unread=1").await["total"], 0);
    assert_eq!(inbox(&app, &traffic, "").await["total"], 1);

    // Once late, the steward is told again (a new state), and can clear everything at once.
    reassess_at(&app, "2024-03-20T09:00:00").await;
    let late = inbox(&app, &traffic, "?unread=1").await;
    assert_eq!(late["total"], 1, "{late}");
    assert_ne!(late["items"][0]["id"], notice["id"]);
    let r = client()
        .post(app.url("/api/v1/notifications/read-all"))
        .bearer_auth(&traffic)
        .send()
        .await
        .unwrap();
    let marked: Value = r.json().await.unwrap();
    assert_eq!(marked["marked"], 1);
    assert_eq!(inbox(&app, &traffic, "?unread=1").await["total"], 0);
}

#[tokio::test]
async fn the_bell_counts_unread_notices_and_the_page_marks_them_read() {
    let app = TestApp::spawn().await;
    app.add_user("traffic", &steward_of("380290000H"), Some("380290000H"))
        .await;
    reassess_at(&app, "2024-02-26T09:00:00").await;
    reassess_at(&app, "2024-02-27T09:30:00").await;
    let (c, csrf) = app.browser("traffic").await;
    let home = c
        .get(app.url("/catalog"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("aria-label=\"通知（1 則未讀）\""), "{home}");
    assert!(home.contains("<span class=\"badge\">1</span>"));

    let page = c
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("資料集「桃園市公有停車場資訊」將於民國113年3月1日到期"));
    assert!(page.contains("href=\"/catalog/datasets/1\""));
    let id = page
        .split("action=\"/notifications/")
        .skip(1)
        .find(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string();
    let r = c
        .post(app.url(&format!("/notifications/{id}/read")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = c
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !after.contains("class=\"badge\""),
        "read: no count on the bell"
    );
    assert!(after.contains("已讀於"));
    assert_eq!(csrf_of(&after), csrf);

    // Three weeks on the dataset is late: a new notice, seen after signing in again. Without
    // the page's CSRF token nothing is marked.
    reassess_at(&app, "2024-03-20T09:00:00").await;
    let (c, csrf) = app.browser("traffic").await;
    let r = c
        .post(app.url("/notifications/read-all"))
        .form(&[("other", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let me = app
        .platform()
        .stores
        .accounts
        .user_by_name("traffic")
        .await
        .unwrap()
        .unwrap();
    let unread = app.platform().stores.notifications.unread_count(me.id);
    assert_eq!(unread.await.unwrap(), 1, "nothing was marked");
    let r = c
        .post(app.url("/notifications/read-all"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let done = c
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("已將 1 則通知標示為已讀。"), "{done}");
}

#[tokio::test]
async fn someone_with_no_notices_is_told_what_will_appear_there_in_their_language() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let page = c
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("目前沒有通知。"), "{page}");
    assert!(page.contains("到期前 3 天"));
    assert!(page.contains("aria-label=\"通知\""));
    c.post(app.url("/preferences/language"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("language", "en"),
            ("next", "/notifications"),
        ])
        .send()
        .await
        .unwrap();
    let page = c
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("No notifications yet."), "{page}");
    assert!(page.contains("a monthly one 3 days before"));
}
