//! Agencies with no system of their own: a steward registers a dataset in the browser, edits
//! its description without moving its freshness clock, and uploads many with the dataset
//! sheet (the downloaded template, and an XLSX) — rows for other agencies refused by name.

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_export::{Cell, Column, Format, Table};
use serde_json::Value;

use crate::harness::{TestApp, client, operator};
use crate::office::{Field, open_in_libreoffice};

const POLICE: &str = "380130000C";
const TRANSPORT: &str = "380290000H";

fn steward(agency: &str) -> Vec<Grant> {
    vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(AgencyCode::parse(agency).unwrap()),
    }]
}

fn form<'a>(csrf: &'a str, pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![("_csrf", csrf)];
    out.extend_from_slice(pairs);
    out
}

#[tokio::test]
async fn a_steward_registers_a_dataset_by_hand_and_edits_it_without_moving_its_clock() {
    let app = TestApp::spawn().await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let (c, csrf) = app.browser("lin.transport").await;

    let page = c.get(app.url("/catalog/new")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("資料集名稱") && html.contains("更新頻率"));
    assert!(
        html.contains(TRANSPORT) && !html.contains(&format!("value=\"{POLICE}\"")),
        "only the steward's own agency is offered"
    );

    let fields = [
        ("title_zh", "桃園市公有自行車停車架"),
        ("description_zh", "本市公有自行車停車架位置與架數"),
        ("agency", TRANSPORT),
        ("frequency", "每月"),
        ("access_level", "開放資料"),
        ("fields", "RackID(代碼)、Slots(架數)"),
        ("format", "CSV"),
        ("download_url", "https://data.tycg.gov.tw/bike-racks.csv"),
        ("data_updated", "113/02/15"),
        ("contact_email", "bike@mail.tycg.gov.tw"),
    ];
    // An unreadable frequency is sent back with the reason beside the field; nothing is saved.
    let mut bad = fields.to_vec();
    bad[3] = ("frequency", "偶爾");
    let r = c
        .post(app.url("/catalog/new"))
        .form(&form(&csrf, &bad))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("更新頻率「偶爾」無法解讀"), "{html}");
    assert!(
        html.contains("桃園市公有自行車停車架"),
        "what was typed is kept"
    );

    // Another agency's dataset is refused on the server, whatever the form offered.
    let mut other = fields.to_vec();
    other[2] = ("agency", POLICE);
    let r = c
        .post(app.url("/catalog/new"))
        .form(&form(&csrf, &other))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = c
        .post(app.url("/catalog/new"))
        .form(&form(&csrf, &fields))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let html = c
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("桃園市公有自行車停車架"));
    assert!(html.contains(&format!("/catalog/datasets/{id}/edit")));

    let d = app.platform().catalog().get(&operator(), id).await.unwrap();
    assert_eq!(d.key.source, "manual");
    assert!(d.record.identifier.starts_with("380290000H-"));
    assert_eq!(d.record.fields.len(), 2);
    let updated = d.data_updated_at.unwrap();
    assert_eq!(updated.to_rfc3339(), "2024-02-14T16:00:00Z");
    let state = d.freshness.as_ref().unwrap().state;
    assert_eq!(
        state.code(),
        "fresh",
        "monthly, updated 2 weeks before 2024-03-01"
    );

    // The same title again is the same dataset: refused, not doubled.
    let r = c
        .post(app.url("/catalog/new"))
        .form(&form(&csrf, &fields))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Editing the description: a new version, the clock unmoved, the audit trail told.
    let edit = c
        .get(app.url(&format!("/catalog/datasets/{id}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edit.contains("本市公有自行車停車架位置與架數"));
    assert!(
        !edit.contains("name=\"data_updated\""),
        "a description edit cannot move the data's update time"
    );
    let r = c
        .post(app.url(&format!("/catalog/datasets/{id}/edit")))
        .form(&form(
            &csrf,
            &[
                ("title_zh", "桃園市公有自行車停車架"),
                ("description_zh", "本市公有自行車停車架位置、架數與型式"),
                ("agency", TRANSPORT),
                ("frequency", "每月"),
                ("access_level", "開放資料"),
                ("fields", "RackID(代碼)、Slots(架數)"),
                ("title_en", "Public bicycle racks"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = app.platform().catalog().get(&operator(), id).await.unwrap();
    assert_eq!(
        after.record.title_en.as_deref(),
        Some("Public bicycle racks")
    );
    assert_eq!(after.data_updated_at, Some(updated));
    assert_eq!(after.record.distributions, d.record.distributions);
    let versions = app
        .platform()
        .catalog()
        .versions(&operator(), id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 2);
    let actions = app.actions().await;
    assert!(actions.contains(&"dataset.create".to_string()));
    assert!(actions.contains(&"dataset.update".to_string()));

    // Someone else's steward may not open the edit form.
    app.add_user("chang.police", &steward(POLICE), Some(POLICE))
        .await;
    let (police, _) = app.browser("chang.police").await;
    let r = police
        .get(app.url(&format!("/catalog/datasets/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn upload(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("format", "civitas-sheet")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    let r = c
        .post(app.url(&format!("/catalog/import?_csrf={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = location.rsplit('/').next().unwrap();
    let token = app.token("admin").await;
    client()
        .get(app.url(&format!("/api/v1/imports/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_downloaded_template_filled_in_registers_datasets_and_a_second_upload_changes_nothing()
{
    let app = TestApp::spawn().await;
    app.add_user("lin.transport", &steward(TRANSPORT), Some(TRANSPORT))
        .await;
    let (c, csrf) = app.browser("lin.transport").await;
    let page = c.get(app.url("/catalog/import")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/catalog/template.xlsx"));
    // LibreOffice opens both templates: one row of Chinese headings, nothing else.
    let xlsx = app.download(&c, "/catalog/template.xlsx").await;
    let ods = app.download(&c, "/catalog/template.ods").await;
    for sheet in open_in_libreoffice(&[("template-x.xlsx", &xlsx), ("template-o.ods", &ods)]) {
        assert_eq!(sheet.rows.len(), 1, "{sheet:?}");
        assert!(sheet.has_text("資料集名稱"), "{sheet:?}");
        assert!(
            sheet.rows[0].iter().all(|f| matches!(f, Field::Text(_))),
            "{sheet:?}"
        );
    }
    assert!(
        !html.contains("taoyuan-supply-list"),
        "a steward uploads sheets, not the city's whole list"
    );

    let template = c
        .get(app.url("/catalog/template.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), 200);
    let mut csv = template.text().await.unwrap();
    assert!(csv.contains("資料集識別碼,資料集名稱,英文名稱,資料集描述,英文描述,提供機關"));
    // Fill it in as a person would, by heading position.
    let headings: Vec<String> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let row = |cells: &[(&str, &str)]| -> String {
        headings
            .iter()
            .map(|h| {
                cells
                    .iter()
                    .find(|(k, _)| k == h)
                    .map(|(_, v)| format!("\"{v}\""))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    for cells in [
        vec![
            ("資料集名稱", "桃園市路邊停車格位"),
            ("資料集描述", "路邊停車格位置"),
            ("提供機關", "交通局"),
            ("更新頻率", "每季"),
        ],
        vec![
            ("資料集名稱", "桃園市計程車招呼站"),
            ("資料集描述", "計程車招呼站位置"),
            ("提供機關", "桃園市政府交通局"),
            ("更新頻率", "每年"),
            ("資料最後更新時間", "2023-12-01"),
        ],
        vec![
            ("資料集名稱", "桃園市測速照相地點"),
            ("資料集描述", "固定式測速照相"),
            ("提供機關", POLICE),
            ("更新頻率", "每月"),
        ],
        vec![
            ("資料集名稱", "桃園市公車站牌"),
            ("資料集描述", "站牌位置"),
            ("提供機關", TRANSPORT),
            ("更新頻率", "看情況"),
        ],
    ] {
        csv.push_str(&row(&cells));
        csv.push('\n');
    }
    let first = upload(&c, &app, &csrf, "sheet.csv", csv.clone().into_bytes()).await;
    assert_eq!(first["received"], 4);
    assert_eq!(first["created"], 2);
    assert_eq!(first["rejected"], 2);
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
    assert_eq!(reasons[0].0, 4);
    assert!(reasons[0].1.contains(POLICE), "{reasons:?}");
    assert_eq!(reasons[1].0, 5);
    assert!(reasons[1].1.contains("看情況"), "{reasons:?}");

    let again = upload(&c, &app, &csrf, "sheet.csv", csv.into_bytes()).await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["unchanged"], 2);
    assert_eq!(again["withdrawn"], 0, "a sheet is not a full listing");
    assert_eq!(
        app.platform()
            .stores
            .catalog
            .count_datasets()
            .await
            .unwrap(),
        5
    );
}

#[tokio::test]
async fn an_xlsx_sheet_with_english_headings_and_dates_as_dates_registers_its_rows() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.browser("admin").await;
    let table = Table {
        title: "datasets".into(),
        columns: [
            "title",
            "description",
            "agency",
            "frequency",
            "data_updated",
            "record_count",
        ]
        .into_iter()
        .map(Column::new)
        .collect(),
        rows: vec![
            vec![
                Cell::Text("桃園市警察局受理報案統計".into()),
                Cell::Text("各分局受理報案件數".into()),
                Cell::Text("Police Department".into()),
                Cell::Text("每月".into()),
                Cell::Date(time::macros::date!(2024 - 02 - 01)),
                Cell::Int(1320),
            ],
            vec![
                Cell::Text("".into()),
                Cell::Text("沒有名稱的一列".into()),
                Cell::Text(POLICE.into()),
                Cell::Text("每月".into()),
                Cell::Text("".into()),
                Cell::Text("".into()),
            ],
        ],
    };
    let bytes = civitas_export::write(&table, Format::Xlsx).unwrap();
    let report = upload(&c, &app, &csrf, "police.xlsx", bytes).await;
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["rejected"], 1);
    assert!(
        report["rejected_records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("title")
    );
    let hits = app
        .platform()
        .stores
        .catalog
        .datasets_from("manual")
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record.agency.as_str(), POLICE);
    assert_eq!(hits[0].record.record_count, Some(1320));
    assert_eq!(
        hits[0].data_updated_at.unwrap().to_rfc3339(),
        "2024-01-31T16:00:00Z",
        "a date cell is read as that day in Taipei"
    );
}
