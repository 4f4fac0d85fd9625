//! The catalogue as people and scripts use it: search with facets, a dataset's page with its
//! freshness and evidence, a steward's review, and the JSON API.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client};
use crate::office::{Field, open_in_libreoffice};

#[tokio::test]
async fn a_viewer_finds_parking_data_with_a_two_character_word_and_narrows_by_agency() {
    let app = TestApp::spawn().await;
    app.add_user(
        "viewer",
        &[Grant {
            role: Role::Viewer,
            scope: Scope::City,
        }],
        None,
    )
    .await;
    let (c, _) = app.browser("viewer").await;
    let html = c
        .get(app.url("/catalog?q=停車"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("找到 1 筆資料集"), "{html}");
    assert!(html.contains("桃園市公有停車場資訊"));
    assert!(!html.contains("桃園市公車路線"));
    assert!(
        html.contains("提供機關") && html.contains("交通局"),
        "facets name agencies by name"
    );
    // 臺 and 台 find the same datasets.
    let tai = c
        .get(app.url("/catalog?q=台灣"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(tai.contains("臺灣美術展覽資訊"));
    // Facet links narrow and show the choice.
    let narrowed = c
        .get(app.url("/catalog?agency=380290000H"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(narrowed.contains("找到 2 筆資料集"));
    assert!(narrowed.contains("class=\"selected\"") || narrowed.contains("aria-current=\"true\""));
    // An htmx request gets the page too (the client picks the results out of it).
    let r = c
        .get(app.url("/catalog?q=公車"))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"results\""));
    // Nothing found says what to try.
    let none = c
        .get(app.url("/catalog?q=不存在的詞"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(none.contains("沒有符合的資料集"));
}

#[tokio::test]
async fn a_dataset_page_explains_its_freshness_and_a_steward_can_record_a_review() {
    let app = TestApp::spawn().await;
    app.add_user(
        "steward",
        &[Grant {
            role: Role::DataSteward,
            scope: Scope::Agency(AgencyCode::parse("380290000H").unwrap()),
        }],
        Some("380290000H"),
    )
    .await;
    app.add_user(
        "museum.steward",
        &[Grant {
            role: Role::DataSteward,
            scope: Scope::Agency(AgencyCode::parse("TY-ARTMUSEUM").unwrap()),
        }],
        None,
    )
    .await;
    // 民國113年3月1日: the bus routes (不定期, last updated June 2023) are not yet due for review;
    // move on a year and they are.
    app.clock.advance(time::Duration::days(365));
    app.platform()
        .catalog()
        .recompute_freshness(app.platform().now())
        .await
        .unwrap();
    let (c, csrf) = app.browser("steward").await;
    let html = c
        .get(app.url("/catalog/datasets/2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("桃園市公車路線"));
    assert!(
        html.contains("待檢視"),
        "an irregular dataset silent for a year is due for review"
    );
    assert!(
        html.contains("記錄已確認"),
        "the steward of 交通局 sees the review button"
    );
    let r = c
        .post(app.url("/catalog/datasets/2/review"))
        .form(&[("_csrf", csrf.as_str()), ("note", "路線無異動")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/catalog/datasets/2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已更新"), "reviewed: fresh again");
    assert!(html.contains("已記錄"), "the flash says so");
    let review = app
        .actions()
        .await
        .into_iter()
        .filter(|a| a == "dataset.review")
        .count();
    assert_eq!(review, 1, "the review is in the audit trail");

    // Another agency's steward cannot review 交通局's data.
    let (m, mcsrf) = app.browser("museum.steward").await;
    let r = m
        .post(app.url("/catalog/datasets/2/review"))
        .form(&[("_csrf", mcsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let html = m
        .get(app.url("/catalog/datasets/2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("記錄已確認"),
        "no button where the action would be refused"
    );
}

#[tokio::test]
async fn scripts_search_and_edit_through_the_api_and_edits_are_versions() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let found: Value = c
        .get(app.url("/api/v1/datasets?q=停車&per_page=5"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["hits"][0]["title_zh"], "桃園市公有停車場資訊");
    let facets = found["facets"].as_array().unwrap();
    assert!(
        facets
            .iter()
            .any(|f| f[0] == "agency" && f[1][0]["value"] == "380290000H")
    );
    let both: Value = c
        .get(app.url("/api/v1/datasets?format=CSV&format=JSON"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        both["total"], 3,
        "several values of one facet mean any of them"
    );

    let mut d: Value = c
        .get(app.url("/api/v1/datasets/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["version"], 1);
    assert_eq!(d["record"]["fields"][1]["label"], "車位數");
    let data_clock = d["data_updated_at"].clone();
    d["record"]["title_en"] = json!("Public car parks");
    let r = c
        .put(app.url("/api/v1/datasets/1"))
        .bearer_auth(&token)
        .json(&d["record"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after["version"], 2);
    assert_eq!(
        after["data_updated_at"], data_clock,
        "a description edit never counts as new data"
    );
    let versions: Value = c
        .get(app.url("/api/v1/datasets/1/versions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        versions[0]["changes"]["title_en"],
        json!([null, "Public car parks"])
    );
    let english: Value = c
        .get(app.url("/api/v1/datasets?q=car%20parks"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(english["total"], 1);

    // Unknown fields in a record are refused, not ignored.
    let mut bad = d["record"].clone();
    bad["surprise"] = json!(1);
    let r = c
        .put(app.url("/api/v1/datasets/1"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn an_import_through_the_api_reconciles_and_a_second_run_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let c = client();
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
    ))
    .unwrap();
    let post = || {
        c.post(app.url("/api/v1/catalog/import?format=taoyuan-supply-list&source=tycg-2018"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
    };
    let first: Value = post().await.unwrap().json().await.unwrap();
    assert_eq!(first["received"], 1429);
    assert_eq!(first["created"], 1429);
    assert_eq!(first["encoding"], "UTF-8");
    assert_eq!(
        first["withdrawn"], 3,
        "the portal's complete list no longer has the three test datasets"
    );
    let second: Value = post().await.unwrap().json().await.unwrap();
    assert_eq!(second["unchanged"], 1429);
    assert_eq!(second["created"], 0);
    let all: Value = c
        .get(app.url("/api/v1/datasets?per_page=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        all["total"], 1429,
        "the supply list, no duplicates; the withdrawn ones are kept but not listed"
    );
    let with: Value = c
        .get(app.url("/api/v1/datasets?per_page=1&withdrawn=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(with["total"], 1432);
}

#[tokio::test]
async fn harvesters_read_the_open_catalogue_as_dcat_ap_and_it_passes_the_official_shapes() {
    let app = TestApp::spawn().await;
    let r = client().get(app.url("/catalog.ttl")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let turtle = r.text().await.unwrap();
    assert!(turtle.contains("dcat:Catalog"));
    assert!(turtle.contains("桃園市公有停車場資訊"));
    let jsonld: Value = client()
        .get(app.url("/catalog.jsonld"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jsonld.to_string().contains("dcat:Dataset"));

    // A restricted dataset is not published to anonymous harvesters; staff still see it.
    let token = app.token("admin").await;
    let c = client();
    let mut d: Value = c
        .get(app.url("/api/v1/datasets/1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    d["record"]["access_level"] = json!("restricted");
    assert_eq!(
        c.put(app.url("/api/v1/datasets/1"))
            .bearer_auth(&token)
            .json(&d["record"])
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let public = client()
        .get(app.url("/catalog.ttl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains("桃園市公有停車場資訊"));
    let staff = c
        .get(app.url("/api/v1/catalog/dcat"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff.contains("桃園市公有停車場資訊"));

    // The official DCAT-AP 3 shapes, checked by an independent validator (pyshacl).
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let file = app.dir.path().join("catalog.ttl");
    std::fs::write(&file, &staff).unwrap();
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/scripts/dcat-validate.py"))
        .arg(&file)
        .arg(format!("{root}/fixtures/dcat/shapes.ttl"))
        .output()
        .expect("python3 with pyshacl (pip install pyshacl==0.40.1)");
    assert!(
        out.status.success(),
        "DCAT-AP shapes:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_overdue_list_shows_each_agencys_score_and_exports_with_its_evidence() {
    let app = TestApp::spawn().await;
    // 民國113年3月1日 plus four months: the monthly parking data (last 1 Feb) is long overdue.
    app.clock.advance(time::Duration::days(120));
    let (c, csrf) = app.browser("admin").await;
    let r = c
        .post(app.url("/freshness/recompute"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = c
        .get(app.url("/freshness"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("各機關成績"));
    assert!(html.contains("交通局"), "{html}");
    assert!(
        html.contains("桃園市公有停車場資訊"),
        "the late dataset is listed"
    );
    assert!(html.contains("宣告每月更新"), "with the reason");
    let csv = c
        .get(app.url("/freshness/late.csv?agency=380290000H"))
        .send()
        .await
        .unwrap();
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rows.headers().unwrap().get(0), Some("資料集"));
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].get(0), Some("桃園市公有停車場資訊"));
    assert!(
        records[0].get(6).unwrap().parse::<i64>().unwrap() > 60,
        "days late"
    );
    // LibreOffice opens the spreadsheets: the days late are a number.
    let xlsx = app
        .download(&c, "/freshness/late.xlsx?agency=380290000H")
        .await;
    let ods = app
        .download(&c, "/freshness/late.ods?agency=380290000H")
        .await;
    for sheet in open_in_libreoffice(&[("late-x.xlsx", &xlsx), ("late-o.ods", &ods)]) {
        assert_eq!(sheet.rows[0][0], Field::text("資料集"), "{sheet:?}");
        assert_eq!(sheet.rows.len(), 2, "{sheet:?}");
        let late = sheet.row_starting("桃園市公有停車場資訊");
        assert!(
            matches!(&late[6], Field::Value(n) if n.parse::<i64>().unwrap() > 60),
            "{sheet:?}"
        );
    }
    // The museum's quarterly data (last 1 Oct) is late too, but not in 交通局's list.
    let all = c
        .get(app.url("/freshness/late.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(all.contains("臺灣美術展覽資訊"));
}

/// A Big5 supply list with the faults real lists have: each faulty row gets its own reason,
/// the counts add up, and a second run changes nothing.
#[tokio::test]
async fn a_faulty_big5_list_is_read_row_by_row_with_a_reason_for_every_refusal() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let header = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n";
    let url = |n: u32| {
        format!(
            "https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=bbbbbbbb-0000-0000-0000-{n:012}"
        )
    };
    let text = format!(
        "{header}\
         桃園市路燈位置,380290000H 【交通局】,每月,{u1},2024-02-01 09:00:00,CSV,路燈,編號(編號),交通及通訊 (117)\n\
         桃園市路燈位置,380290000H 【交通局】,每月,{u1},2024-02-01 09:00:00,CSV,路燈,編號(編號),交通及通訊 (117)\n\
         桃園市路燈位置（新版）,380290000H 【交通局】,每月,{u1},2024-02-01 09:00:00,CSV,路燈,編號(編號),交通及通訊 (117)\n\
         ,380290000H 【交通局】,每月,{u2},2024-02-01 09:00:00,CSV,無名,編號(編號),交通及通訊 (117)\n\
         颱風停班停課,380290000H 【交通局】,每逢颱風,{u3},2024-02-01 09:00:00,CSV,颱風,縣市(縣市),公共資訊 (921)\n\
         沒有網址的資料,380290000H 【交通局】,每年,https://data.tycg.gov.tw/no-oid-here,2024-02-01 09:00:00,CSV,無,欄(欄),公共資訊 (921)\n\
         不存在機關的資料,999999999Z 【不存在局】,每年,{u4},2024-02-01 09:00:00,CSV,無,欄(欄),公共資訊 (921)\n",
        u1 = url(1),
        u2 = url(2),
        u3 = url(3),
        u4 = url(4),
    );
    let (big5, _, unmappable) = encoding_rs::BIG5.encode(&text);
    assert!(!unmappable, "the test text is all Big5");
    let run = || async {
        let r = client()
            .post(app.url("/api/v1/catalog/import?format=taoyuan-supply-list&source=faulty.csv"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(big5.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };
    let first = run().await;
    assert_eq!(first["encoding"], "Big5", "{first}");
    assert_eq!(first["received"], 7);
    assert_eq!(
        first["created"], 3,
        "the street lights, the typhoon list, and the new agency's dataset"
    );
    assert_eq!(first["duplicates"], 1, "the same row twice is one dataset");
    assert_eq!(first["rejected"], 3);
    let total: u64 = ["created", "updated", "unchanged", "duplicates", "rejected"]
        .iter()
        .map(|k| first[k].as_u64().unwrap())
        .sum();
    assert_eq!(
        total, 7,
        "received = created + updated + unchanged + duplicates + rejected"
    );
    let reasons: Vec<(u64, String)> = first["rejected_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3);
    assert!(reasons[0].1.contains("different values"), "{reasons:?}");
    assert!(
        reasons.iter().any(|(_, r)| r.contains("no title")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|(_, r)| r.contains("no-oid-here")),
        "{reasons:?}"
    );
    // An agency the list names but the tree lacks is added from the list (its own import run).
    let agency = client()
        .get(app.url("/api/v1/agencies/999999999Z"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(agency.status(), 200);
    assert!(reasons.iter().all(|(line, _)| *line >= 2), "{reasons:?}");
    // The unknown frequency is kept, and the dataset says why it cannot be judged.
    let found: Value = client()
        .get(app.url("/api/v1/datasets?q=颱風"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = found["hits"][0]["id"].as_i64().unwrap();
    let d: Value = client()
        .get(app.url(&format!("/api/v1/datasets/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["record"]["frequency"], "每逢颱風");
    assert_eq!(d["freshness"]["state"], "unknown", "{d}");
    assert!(
        d["freshness"]["explanation"]["zh"]
            .as_str()
            .unwrap()
            .contains("每逢颱風"),
        "{d}"
    );
    // The same file again: nothing new, nothing doubled, the same refusals.
    let second = run().await;
    assert_eq!(second["created"], 0);
    assert_eq!(second["unchanged"], 3);
    assert_eq!(second["rejected"], 3);
}
