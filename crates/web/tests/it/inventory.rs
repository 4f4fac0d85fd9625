//! Supply and demand, and platforms, the way stewards and administrators use them: 警察局
//! records a need for parking data, the catalogue suggests 交通局's car parks, the steward
//! confirms it and goes on to a prefilled sharing request; 交通局's steward cannot touch
//! 警察局's demand; the administrator registers a platform and its costs.

use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code};
use crate::office::{Field, open_in_libreoffice};

const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";
const PARKING: i64 = 1;

fn steward(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse(agency).unwrap()),
    }]
}

#[tokio::test]
async fn a_steward_records_a_need_confirms_the_suggested_dataset_and_nobody_else_may_edit_it() {
    let app = TestApp::spawn().await;
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let police = app.token("chang.police").await;
    let transport = app.token("lin.transport").await;
    let c = client();

    // 交通局's steward cannot record a need in 警察局's name.
    let body = json!({
        "needing_agency": POLICE, "title": "公有停車場車位", "purpose": "違規停車熱點分析",
        "urgency": "high", "likely_holder": TRANSPORT, "search_words": "停車場 車位",
        "fields": ["name", "spaces"], "legal_basis": "道路交通管理處罰條例"
    });
    let r = c
        .post(app.url("/api/v1/demands"))
        .bearer_auth(&transport)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "forbidden");

    let r = c
        .post(app.url("/api/v1/demands"))
        .bearer_auth(&police)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let d: Value = r.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["status"], "open");
    assert_eq!(d["needing_agency"], POLICE);

    // A bad urgency is refused with the field named.
    let r = c
        .post(app.url("/api/v1/demands"))
        .bearer_auth(&police)
        .json(&json!({"title": "x停車", "purpose": "違規停車熱點分析", "urgency": "urgent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["detail"]["field"], "urgency");

    // The catalogue suggests 交通局's car parks, not 警察局's own data.
    let s: Value = c
        .get(app.url(&format!("/api/v1/demands/{id}/suggestions")))
        .bearer_auth(&transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s[0]["dataset_id"], PARKING, "{s}");
    assert_eq!(s[0]["agency"], TRANSPORT);

    // 交通局's steward reads it but may neither edit, match nor withdraw it.
    for (method, path, body) in [
        (
            reqwest::Method::PUT,
            format!("/api/v1/demands/{id}"),
            json!({"title": "改寫", "purpose": "改寫用途說明"}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/demands/{id}/matches"),
            json!({"dataset_id": PARKING}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/demands/{id}/status"),
            json!({"status": "withdrawn"}),
        ),
    ] {
        let r = c
            .request(method.clone(), app.url(&path))
            .bearer_auth(&transport)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{method} {path}");
    }
    let same: Value = c
        .get(app.url(&format!("/api/v1/demands/{id}")))
        .bearer_auth(&transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(same["title"], "公有停車場車位");
    assert_eq!(same["status"], "open");

    // The matrix shows the need in 交通局's column, not yet matched.
    let m: Value = c
        .get(app.url("/api/v1/inventory/matrix"))
        .bearer_auth(&transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["cells"][0]["holding_agency"], TRANSPORT, "{m}");
    assert_eq!(m["cells"][0]["demands"], 1);
    assert_eq!(m["gaps"], json!([]), "suggested, so no gap");

    // In the browser, 警察局's steward confirms the suggestion and goes on to a request.
    let (b, csrf) = app.browser("chang.police").await;
    let page = b
        .get(app.url(&format!("/inventory/demands/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("桃園市公有停車場資訊") && page.contains("確認符合"));
    let r = b
        .post(app.url(&format!("/inventory/demands/{id}/matches")))
        .form(&[("_csrf", csrf.as_str()), ("dataset_id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = b
        .get(app.url(&format!("/inventory/demands/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已媒合"));
    assert!(page.contains(&format!("/catalog/datasets/1/request?demand={id}")));
    let form = b
        .get(app.url(&format!("/catalog/datasets/1/request?demand={id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("公有停車場車位：違規停車熱點分析") && form.contains("道路交通管理處罰條例"),
        "the request form carries the demand's purpose and legal basis"
    );
    let overview = b
        .get(app.url("/inventory"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.contains("警察局") && overview.contains("交通局"));
    let agency_page = b
        .get(app.url(&format!("/inventory/agencies/{TRANSPORT}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        agency_page.contains("桃園市公有停車場資訊") && agency_page.contains("公有停車場車位"),
        "交通局's page lists its supply and what 警察局 needs from it"
    );
    let csv = b
        .get(app.url("/inventory/demands.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("公有停車場車位") && csv.contains("桃園市公有停車場資訊"));
    // LibreOffice opens the spreadsheets: the demand's number is a number, its title text.
    let xlsx = app.download(&b, "/inventory/demands.xlsx").await;
    let ods = app.download(&b, "/inventory/demands.ods").await;
    for sheet in open_in_libreoffice(&[("demands-x.xlsx", &xlsx), ("demands-o.ods", &ods)]) {
        let demand = sheet
            .rows
            .iter()
            .find(|r| r.contains(&Field::text("公有停車場車位")))
            .unwrap_or_else(|| panic!("{sheet:?}"));
        assert!(
            matches!(&demand[0], Field::Value(n) if n.parse::<i64>().is_ok()),
            "{sheet:?}"
        );
        assert!(
            demand
                .iter()
                .any(|f| matches!(f, Field::Text(s) if s.contains("桃園市公有停車場資訊"))),
            "{sheet:?}"
        );
    }

    let actions = app.actions().await;
    assert!(actions.contains(&"inventory.demand_create".to_string()));
    assert!(actions.contains(&"inventory.demand_match".to_string()));
}

#[tokio::test]
async fn a_need_nothing_in_the_catalogue_meets_is_listed_as_a_gap() {
    let app = TestApp::spawn().await;
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    let police = app.token("chang.police").await;
    let c = client();
    let r = c
        .post(app.url("/api/v1/demands"))
        .bearer_auth(&police)
        .json(&json!({"title": "無人機飛航紀錄", "purpose": "禁航區違規查緝", "urgency": "low"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let m: Value = c
        .get(app.url("/api/v1/inventory/matrix"))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["gaps"], json!([id]));
    assert_eq!(m["cells"][0]["holding_agency"], Value::Null);
    let (b, _) = app.browser("chang.police").await;
    let page = b
        .get(app.url(&format!("/inventory/demands/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("這是一個缺口"), "the gap is explained");
}

#[tokio::test]
async fn the_administrator_registers_a_platform_and_unknown_costs_stay_unknown() {
    let app = TestApp::spawn().await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    // A platform administrator for one bureau only is no city-wide administrator.
    app.add_user(
        "bureau.admin",
        &[Grant {
            role: Role::PlatformAdmin,
            scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse(TRANSPORT).unwrap()),
        }],
        Some(TRANSPORT),
    )
    .await;
    let admin = app.token("admin").await;
    let steward_token = app.token("lin.transport").await;
    let bureau_admin = app.token("bureau.admin").await;
    let c = client();
    let r = c
        .post(app.url("/api/v1/platforms"))
        .bearer_auth(&bureau_admin)
        .json(&json!({"name_zh": "交通局自建平台", "operator": TRANSPORT, "status": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "platforms are registered city-wide only");
    let r = c
        .post(app.url("/api/v1/platforms"))
        .bearer_auth(&admin)
        .json(
            &json!({"name_zh": "資料開放平台", "name_en": "Open data platform",
                      "operator": "380000000A", "since_year": 104, "status": "active"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let open = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .post(app.url("/api/v1/platforms"))
        .bearer_auth(&admin)
        .json(
            &json!({"name_zh": "市政資料治理暨大數據分析平台", "operator": "380000000A",
                      "since_year": 110, "status": "active"}),
        )
        .send()
        .await
        .unwrap();
    let governance = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .put(app.url(&format!("/api/v1/platforms/{governance}/costs/110")))
        .bearer_auth(&admin)
        .json(&json!({"amount": 30000000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Stewards read but do not enter costs.
    let r = c
        .put(app.url(&format!("/api/v1/platforms/{governance}/costs/111")))
        .bearer_auth(&steward_token)
        .json(&json!({"amount": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .put(app.url("/api/v1/platforms/sources"))
        .bearer_auth(&admin)
        .json(&json!({"source": "taoyuan-supply-list", "platform_id": open}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // A view of the car parks in 民國113年 counts for the open-data platform.
    let (b, _) = app.browser("lin.transport").await;
    let r = b
        .get(app.url(&format!("/catalog/datasets/{PARKING}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = c
        .get(app.url("/api/v1/platforms/benefit"))
        .bearer_auth(&steward_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["total_cost"], 30_000_000);
    let rows = report["rows"].as_array().unwrap();
    let gov = rows
        .iter()
        .find(|r| r["platform_id"] == governance)
        .unwrap();
    assert_eq!(gov["cost"], 30_000_000);
    assert_eq!(
        gov["cost_per_use"],
        Value::Null,
        "no use, no division by zero"
    );
    let od = rows.iter().find(|r| r["platform_id"] == open).unwrap();
    assert_eq!(
        (od["roc_year"].as_i64(), od["datasets"].as_i64()),
        (Some(113), Some(3))
    );
    assert!(od["uses"].as_u64().unwrap() >= 1, "{od}");
    assert_eq!(od["cost"], Value::Null, "not entered stays unknown");

    let dataset = b
        .get(app.url(&format!("/catalog/datasets/{PARKING}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dataset.contains("來源平台") && dataset.contains("資料開放平台"),
        "the dataset names the platform it comes from"
    );
    let page = b
        .get(app.url("/platforms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("30,000,000") && page.contains("未填"));
    assert!(page.contains("data-chart=\"benefit\""));
    assert!(!page.contains("新增平台"), "stewards see no admin forms");
    let csv = b
        .get(app.url("/platforms/benefit.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("資料開放平台") && csv.contains("未填") && csv.contains("30000000"));
    let xlsx = app.download(&b, "/platforms/benefit.xlsx").await;
    let ods = app.download(&b, "/platforms/benefit.ods").await;
    for sheet in open_in_libreoffice(&[("benefit-x.xlsx", &xlsx), ("benefit-o.ods", &ods)]) {
        assert!(
            sheet.has_text("資料開放平台") && sheet.has_text("未填"),
            "{sheet:?}"
        );
        assert!(
            sheet
                .rows
                .iter()
                .flatten()
                .any(|f| *f == Field::value("30000000")),
            "the budget is a number: {sheet:?}"
        );
    }
}
