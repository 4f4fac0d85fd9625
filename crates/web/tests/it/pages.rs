//! Pages as a civil servant sees them: Traditional Chinese first, ROC dates, plain words,
//! helpful empty states, and every navigation entry working.

use civitas_core::authz::{Grant, Role, Scope};

use crate::harness::{TestApp, client};

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_speaks_traditional_chinese_with_roc_dates_by_default() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let (status, html) = get(&c, &app, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("lang=\"zh-Hant-TW\""));
    assert!(
        html.contains("今天是民國113年3月1日"),
        "ROC date of the test clock"
    );
    assert!(html.contains("運作中機關"));
    assert!(html.contains("稽核軌跡完整性"));
    assert!(!html.contains('⚠'), "no missing text");

    // Switch to English; the choice is remembered for this person.
    let r = c
        .post(app.url("/preferences/language"))
        .form(&[("_csrf", csrf.as_str()), ("language", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get(&c, &app, "/").await;
    assert!(html.contains("lang=\"en\""));
    assert!(html.contains("Today is ROC 113-03-01"));
    let (b2, _) = app.browser("admin").await;
    let (_, again) = get(&b2, &app, "/").await;
    assert!(
        again.contains("lang=\"en\""),
        "remembered per user, not per browser"
    );

    // ISO dates on request.
    let r = c
        .post(app.url("/account/preferences"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("language", "zh-TW"),
            ("date_style", "iso"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = get(&c, &app, "/").await;
    assert!(html.contains("今天是2024-03-01"));
}

#[tokio::test]
async fn every_page_in_the_navigation_opens_without_missing_text() {
    let app = TestApp::spawn().await;
    let (c, _) = app.browser("admin").await;
    let (_, home) = get(&c, &app, "/").await;
    let mut links: Vec<String> = home
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("/static"))
        .map(str::to_string)
        .collect();
    links.extend(
        [
            "/agencies/380330000E",
            "/agencies/380330000E/edit",
            "/agencies/new",
            "/agencies/import",
            "/users/admin",
            "/users/new",
            "/imports/1",
            "/incidents/new",
            "/incidents/actions/mine",
            "/incidents/actions/verify",
            "/incidents/measures",
            "/incidents/compliance",
            "/exchange/grants",
            "/exchange/log",
            "/exchange/readiness",
            "/exchange/log?status=failed",
            "/exchange/readiness",
        ]
        .map(String::from),
    );
    links.sort();
    links.dedup();
    assert!(links.len() > 15, "{links:?}");
    for link in links {
        let (status, html) = get(&c, &app, &link).await;
        assert_eq!(status, 200, "{link}");
        assert!(!html.contains('⚠'), "{link} has missing text");
        assert!(html.contains("<main"), "{link}");
    }
    // English too.
    let csrf = crate::harness::csrf_of(&get(&c, &app, "/account").await.1);
    c.post(app.url("/preferences/language"))
        .form(&[("_csrf", csrf.as_str()), ("language", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    for link in [
        "/",
        "/agencies",
        "/users",
        "/audit",
        "/tokens",
        "/account",
        "/imports",
        "/catalog",
        "/catalog?q=parking",
        "/freshness",
        "/catalog/datasets/1",
        "/incidents",
        "/incidents/new",
        "/exchange",
        "/exchange/grants",
        "/exchange/log",
        "/incidents/actions/mine",
        "/incidents/actions/verify",
        "/incidents/measures",
        "/incidents/compliance",
    ] {
        let (status, html) = get(&c, &app, link).await;
        assert_eq!(status, 200, "{link}");
        assert!(!html.contains('⚠'), "{link} has missing English text");
    }
}

#[tokio::test]
async fn pages_not_built_yet_say_what_is_coming_and_show_no_data() {
    let app = TestApp::spawn().await;
    let (c, _) = app.browser("admin").await;
    for path in ["/geo", "/assets"] {
        let (status, html) = get(&c, &app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("建置中"), "{path}");
        assert!(html.contains("不顯示任何示意資料"), "{path}");
        assert!(!html.contains("<table"), "{path} shows no data tables");
    }
    assert_eq!(get(&c, &app, "/nonsense").await.0, 404);
}

#[tokio::test]
async fn a_person_without_roles_is_told_what_to_do() {
    let app = TestApp::spawn().await;
    app.add_user("newcomer", &[], None).await;
    let (c, _) = app.browser("newcomer").await;
    let (status, html) = get(&c, &app, "/").await;
    assert_eq!(status, 403);
    assert!(html.contains("您尚未被授予任何角色"));
    assert!(html.contains("平台管理者"));
    assert_eq!(
        get(&c, &app, "/account").await.0,
        200,
        "their own account still opens"
    );
}

#[tokio::test]
async fn the_sign_in_form_is_labelled_and_anonymous_visitors_are_sent_to_it() {
    let app = TestApp::spawn().await;
    let c = client();
    let r = c.get(app.url("/users")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fusers");
    let (_, html) = get(&c, &app, "/login").await;
    assert!(html.contains("<label for=\"name\">帳號</label>"));
    assert!(html.contains("<label for=\"password\">密碼</label>"));
    assert!(html.contains("autocomplete=\"current-password\""));
    let r = c
        .get(app.url("/login?next=https://evil.example/"))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("name=\"next\" value=\"/\""),
        "no open redirect after sign-in"
    );
}

#[tokio::test]
async fn creating_a_user_with_a_mistake_keeps_the_form_and_says_what_to_fix() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let r = c
        .post(app.url("/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "Bad Name!"),
            ("display_name", "林小明"),
            ("email", "lin@example.gov.tw"),
            ("home_agency", "380330000E"),
            ("role", "data_steward"),
            ("role_agency", "380330000E"),
            ("password", "long enough pass phrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("帳號須為 2 至 64 個小寫英文字母"));
    assert!(html.contains("value=\"林小明\""), "what was typed is kept");
    assert!(
        !html.contains("long enough pass phrase"),
        "but never the password"
    );
    let r = c
        .post(app.url("/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", "lin.hsiaoming"),
            ("display_name", "林小明"),
            ("home_agency", "380330000E"),
            ("role", "data_steward"),
            ("role_agency", "380330000E"),
            ("password", "long enough pass phrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/users/lin.hsiaoming");
    let (_, html) = get(&c, &app, "/users/lin.hsiaoming").await;
    assert!(
        html.contains("已建立帳號 lin.hsiaoming"),
        "the flash message shows once"
    );
    assert!(html.contains("機關資料管理人"));
    let (_, html) = get(&c, &app, "/users/lin.hsiaoming").await;
    assert!(!html.contains("已建立帳號"), "and only once");
    let _ = Grant {
        role: Role::Viewer,
        scope: Scope::City,
    };
}

#[tokio::test]
async fn an_agency_file_uploaded_in_the_browser_reports_every_rejected_line() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let csv = "code,name_zh,name_en,parent_code,kind\nTY-NEW1,新機關,New,380000000A,bureau\nTY-NEW2,孤兒,,NOPE0,bureau\n";
    let form = reqwest::multipart::Form::new()
        .text("format", "civitas-csv")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("new.csv"),
        );
    let r = c
        .post(app.url(&format!("/agencies/import?_csrf={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = get(&c, &app, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("上級機關 NOPE0 不存在"));
    assert!(html.contains("收到 = 新增 + 更新 + 未變更 + 重複 + 退回"));
}

#[tokio::test]
async fn security_headers_are_on_every_page() {
    let app = TestApp::spawn().await;
    let r = client().get(app.url("/login")).send().await.unwrap();
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("x-request-id"));
    let css = client()
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    let htmx = client()
        .get(app.url("/static/vendor/htmx.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        htmx.status(),
        200,
        "front-end libraries are embedded in the binary"
    );
}
