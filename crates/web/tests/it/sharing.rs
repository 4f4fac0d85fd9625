//! Sharing end to end, the way people and programs do it: 警察局 asks 交通局 for its bus
//! routes (restricted), a steward approves in part, a data key reads the granted fields
//! through the data API, use is counted, and without a grant the data stays closed.

use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::catalog::AccessLevel;
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code, operator};
use crate::office::{Field, open_in_libreoffice};

const BUS: i64 = 2;
const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";

fn steward(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(civitas_core::agencies::AgencyCode::parse(agency).unwrap()),
    }]
}

/// The bus-routes dataset made restricted, with its CSV uploaded by 交通局's steward.
async fn restricted_bus_routes(app: &TestApp, level: AccessLevel) {
    let p = app.platform();
    let d = p.catalog().get(&operator(), BUS).await.unwrap();
    let mut record = d.record.clone();
    record.access_level = level;
    record.fields.clear();
    p.catalog().update(&operator(), BUS, record).await.unwrap();
    p.sharing()
        .upload(
            &operator(),
            BUS,
            "routes.csv",
            "text/csv",
            "route,stops,operator\n1,20,桃園客運\n5,31,中壢客運\n9,12,桃園客運\n".as_bytes(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_request_becomes_a_grant_and_a_data_key_reads_only_the_granted_fields() {
    let app = TestApp::spawn().await;
    restricted_bus_routes(&app, AccessLevel::Restricted).await;
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let police = app.token("chang.police").await;
    let transport = app.token("lin.transport").await;
    let c = client();

    // Without a grant: the data API refuses with a code a program can act on.
    let r = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/data")))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "no_grant");
    let anon = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/file")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);

    // 警察局 asks; the request names the purpose, fields and period.
    let r = c
        .post(app.url("/api/v1/sharing/requests"))
        .bearer_auth(&police)
        .json(&json!({
            "dataset_id": BUS, "purpose": "公車站周邊交通事故分析",
            "fields": ["route", "stops"], "period_from": "2023-01-01", "period_to": "2023-12-31", "days": 60
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let req: Value = r.json().await.unwrap();
    assert_eq!(req["status"], "pending");
    assert_eq!(req["requesting_agency"], POLICE);
    assert_eq!(req["providing_agency"], TRANSPORT);
    let id = req["id"].as_i64().unwrap();

    // The requester cannot decide; 交通局's steward approves in part.
    let r = c
        .post(app.url(&format!("/api/v1/sharing/requests/{id}/decision")))
        .bearer_auth(&police)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(app.url(&format!("/api/v1/sharing/requests/{id}/decision")))
        .bearer_auth(&transport)
        .json(&json!({"decision": "approve_in_part", "fields": ["route"], "days": 30, "reason": "站數另有統計"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let decided: Value = r.json().await.unwrap();
    assert_eq!(decided["request"]["status"], "partly_approved");
    let grant = &decided["grant"];
    assert_eq!(grant["fields"], json!(["route"]));
    assert_eq!(grant["active"], true);
    let grant_id = grant["id"].as_i64().unwrap();

    // A data key for 警察局's system: shown once, then it reads the grant's data only.
    let r = c
        .post(app.url(&format!("/api/v1/sharing/grants/{grant_id}/keys")))
        .bearer_auth(&police)
        .json(&json!({"label": "事故分析系統"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key: Value = r.json().await.unwrap();
    let secret = key["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("civg_"));
    let listed: Value = c
        .get(app.url(&format!("/api/v1/sharing/grants/{grant_id}/keys")))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed[0].get("secret").is_none(), "a key is shown once");

    let page: Value = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/data?limit=2")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["columns"], json!(["route"]));
    assert_eq!(page["rows"], json!([{"route": "1"}, {"route": "5"}]));
    assert_eq!(page["total"], 3);
    assert_eq!(page["next_offset"], 2);
    assert_eq!(page["grant_id"], grant_id);
    let csv = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/data?offset=2&format=csv")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, "route\n9\n");
    let file = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/file")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !file.contains("stops") && !file.contains("客運"),
        "ungranted fields never leave: {file}"
    );
    // The key is good for nothing else.
    let r = c
        .get(app.url("/api/v1/datasets"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(app.url("/api/v1/datasets/3/data"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a data key reads its own grant's dataset only"
    );

    // Every access was counted: three reads under the grant by one consuming agency.
    let usage: Value = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/usage")))
        .bearer_auth(&transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(usage["api_calls"], 2);
    assert_eq!(usage["downloads"], 1);
    assert_eq!(usage["consuming_agencies"], 1);
    let log: Value = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/access-log")))
        .bearer_auth(&transport)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 3);
    assert_eq!(log[0]["agency"], POLICE);
    assert_eq!(log[0]["user"], "chang.police");
    let r = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/access-log")))
        .bearer_auth(&police)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "the grantee does not read the provider's log"
    );

    // The provider ends the grant: the key stops at once.
    let r = c
        .post(app.url(&format!("/api/v1/sharing/grants/{grant_id}/revoke")))
        .bearer_auth(&transport)
        .json(&json!({"reason": "分析已完成"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(app.url(&format!("/api/v1/datasets/{BUS}/data")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "invalid_token");
    let actions = app.actions().await;
    for a in [
        "dataset.upload",
        "sharing.request",
        "sharing.decide",
        "sharing.key.create",
        "sharing.revoke",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited");
    }
}

#[tokio::test]
async fn a_steward_decides_in_the_browser_and_the_requester_previews_the_data() {
    let app = TestApp::spawn().await;
    restricted_bus_routes(&app, AccessLevel::PersonalData).await;
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    app.add_user("wu.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;

    // The requester finds the dataset closed and asks through the form.
    let (police, csrf) = app.browser("chang.police").await;
    let page = police
        .get(app.url(&format!("/catalog/datasets/{BUS}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("申請取用"),
        "a closed dataset offers a request"
    );
    assert!(!page.contains("預覽前 20 筆"));
    let form = police
        .get(app.url(&format!("/catalog/datasets/{BUS}/request")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("法律依據") && form.contains("含個人資料"));
    // Personal data without a legal basis: the form says what is missing and keeps the input.
    let r = police
        .post(app.url(&format!("/catalog/datasets/{BUS}/request")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("requesting_agency", POLICE),
            ("purpose", "公車站周邊交通事故分析"),
            ("field", "route"),
            ("days", "60"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let again = r.text().await.unwrap();
    assert!(again.contains("法律依據") && again.contains("公車站周邊交通事故分析"));
    let r = police
        .post(app.url(&format!("/catalog/datasets/{BUS}/request")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("requesting_agency", POLICE),
            ("purpose", "公車站周邊交通事故分析"),
            ("legal_basis", "個人資料保護法第16條第2款"),
            ("field", "route"),
            ("field", "operator"),
            ("days", "60"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/sharing/requests/"), "{location}");

    // Two stewards of 交通局 approve; the first sees that a second is needed.
    let (lin, lin_csrf) = app.browser("lin.transport").await;
    let overview = lin
        .get(app.url("/sharing"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.contains("待我審核") && overview.contains("桃園市公車路線"));
    let decision = format!("{location}/decision");
    let r = lin
        .post(app.url(&decision))
        .form(&[
            ("_csrf", lin_csrf.as_str()),
            ("decision", "approve"),
            ("field", "route"),
            ("field", "operator"),
            ("days", "60"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let shown = lin
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("待第二位核准"), "{shown}");
    assert!(
        !shown.contains("送出審核結果"),
        "the first approver cannot approve again"
    );
    let (wu, wu_csrf) = app.browser("wu.transport").await;
    let r = wu
        .post(app.url(&decision))
        .form(&[
            ("_csrf", wu_csrf.as_str()),
            ("decision", "approve"),
            ("days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // Now the requester's dataset page offers the data, limited to the granted fields.
    let page = police
        .get(app.url(&format!("/catalog/datasets/{BUS}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("貴機關已獲授權"), "{page}");
    let preview = police
        .get(app.url(&format!("/catalog/datasets/{BUS}/preview")))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("桃園客運") && !preview.contains(">stops<"),
        "{preview}"
    );
    let usage = lin
        .get(app.url("/usage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(usage.contains("桃園市公車路線") && usage.contains("使用最多的資料集"));
    let xlsx = app.download(&lin, "/usage/datasets.xlsx").await;
    let ods = app.download(&lin, "/usage/datasets.ods").await;
    for sheet in open_in_libreoffice(&[("usage-x.xlsx", &xlsx), ("usage-o.ods", &ods)]) {
        let bus = sheet
            .rows
            .iter()
            .find(|r| r.contains(&Field::text("桃園市公車路線")))
            .unwrap_or_else(|| panic!("{sheet:?}"));
        assert!(
            bus.iter()
                .any(|f| matches!(f, Field::Value(n) if n.parse::<i64>().unwrap() > 0)),
            "the use counts are numbers: {sheet:?}"
        );
    }
}

#[tokio::test]
async fn open_data_needs_no_grant_and_same_content_is_not_a_data_update() {
    let app = TestApp::spawn().await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let token = app.token("lin.transport").await;
    let c = client();
    let body = "name,spaces\n站前,120\n藝文,80\n";
    let r = c
        .post(app.url("/api/v1/datasets/1/file?name=parking.csv"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let up: Value = r.json().await.unwrap();
    assert_eq!(up["changed"], true);
    assert_eq!(up["rows"], 2);
    let d: Value = c
        .get(app.url("/api/v1/datasets/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["freshness"]["state"], "fresh");
    let again: Value = c
        .post(app.url("/api/v1/datasets/1/file?name=parking-copy.csv"))
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["changed"], false);
    // Anyone, signed in or not, reads open data; the download keeps the uploaded bytes.
    let file = c
        .get(app.url("/api/v1/datasets/1/file"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("parking.csv")
    );
    assert_eq!(file.text().await.unwrap(), body);
    let data: Value = c
        .get(app.url("/api/v1/datasets/1/data"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["rows"][1]["name"], "藝文");
    // A broken CSV is refused with the line that is wrong, and nothing changes.
    let r = c
        .post(app.url("/api/v1/datasets/1/file?name=bad.csv"))
        .bearer_auth(&token)
        .body("name,spaces\n站前,120,extra\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("2"), "{e}");
}

#[tokio::test]
async fn a_stewards_worklist_holds_their_late_datasets_and_the_requests_they_must_decide() {
    let app = TestApp::spawn().await;
    restricted_bus_routes(&app, AccessLevel::Restricted).await;
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let police = app.token("chang.police").await;
    let r = client()
        .post(app.url("/api/v1/sharing/requests"))
        .bearer_auth(&police)
        .json(&json!({"dataset_id": BUS, "purpose": "公車站周邊交通事故分析", "days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A month and a half later the monthly parking list is late.
    app.clock.advance(time::Duration::days(45));
    app.platform()
        .catalog()
        .recompute_freshness(app.platform().now())
        .await
        .unwrap();
    let (lin, _) = app.browser("lin.transport").await;
    let page = lin
        .get(app.url("/worklist"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("您負責的機關： 交通局"),
        "names the steward's agency"
    );
    assert!(
        page.contains("待我審核的共享申請") && page.contains("#1"),
        "{page}"
    );
    assert!(
        page.contains("桃園市公有停車場資訊"),
        "the late parking list"
    );
    assert!(
        !page.contains("臺灣美術展覽資訊"),
        "another agency's datasets stay out"
    );
    // How late it is counts on as days pass, though nothing stored changes.
    let days_late = |page: &str| -> i64 {
        ["已逾期", "已過預定更新日"]
            .into_iter()
            .flat_map(|m| page.match_indices(m).map(move |(i, _)| i + m.len()))
            .find_map(|at| {
                let rest = &page[at..];
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let days = digits.parse().ok()?;
                rest[digits.len()..].starts_with('天').then_some(days)
            })
            .unwrap_or_else(|| panic!("no count of days late in {page}"))
    };
    let before = days_late(&page);
    app.clock.advance(time::Duration::days(3));
    // (Signed in again: three days outlive a session.)
    let (lin, _) = app.browser("lin.transport").await;
    let later = lin
        .get(app.url("/worklist"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(days_late(&later), before + 3);
    let (chang, _) = app.browser("chang.police").await;
    let theirs = chang
        .get(app.url("/worklist"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(theirs.contains("目前沒有等您審核的申請"));
}
