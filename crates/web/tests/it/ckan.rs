//! CKAN clients read civitas through the CKAN-compatible API.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::harness::{TestApp, client};

const ALL_FACETS: &str = r#"["organization","res_format","tags","license_id"]"#;
const PARKING: &str = "aaaaaaaa-0000-0000-0000-000000000001";

/// GET an action, anonymously or with a token: the status and the envelope.
async fn call(
    app: &TestApp,
    action: &str,
    query: &[(&str, &str)],
    token: Option<&str>,
) -> (u16, Value) {
    let query = serde_urlencoded::to_string(query).unwrap();
    let mut req = client().get(app.url(&format!("/api/3/action/{action}?{query}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The `result` of a successful action, checking the envelope.
fn result((status, body): (u16, Value)) -> Value {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert!(
        body["help"]
            .as_str()
            .unwrap()
            .contains("/api/3/action/help_show?name=")
    );
    body["result"].clone()
}

async fn ok(app: &TestApp, action: &str, query: &[(&str, &str)]) -> Value {
    result(call(app, action, query, None).await)
}

async fn count(app: &TestApp, fq: &str) -> u64 {
    ok(app, "package_search", &[("fq", fq)]).await["count"]
        .as_u64()
        .unwrap()
}

fn titles(found: &Value) -> Vec<&str> {
    found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect()
}

fn extra<'v>(package: &'v Value, key: &str) -> Option<&'v Value> {
    package["extras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .map(|e| &e["value"])
}

async fn import_taoyuan_list(app: &TestApp) {
    let token = app.token("admin").await;
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
    ))
    .unwrap();
    let r = client()
        .post(app.url("/api/v1/catalog/import?format=taoyuan-supply-list&source=tycg-2018"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Make civitas dataset `id` restricted through the JSON API, as an administrator would.
async fn restrict(app: &TestApp, token: &str, id: i64) {
    let url = app.url(&format!("/api/v1/datasets/{id}"));
    let c = client();
    let mut d: Value = c
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    d["record"]["access_level"] = json!("restricted");
    let r = c
        .put(&url)
        .bearer_auth(token)
        .json(&d["record"])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_ckan_client_searches_in_chinese_and_gets_facets() {
    let app = TestApp::spawn().await;
    let found = ok(
        &app,
        "package_search",
        &[("q", "停車"), ("facet.field", ALL_FACETS)],
    )
    .await;
    assert_eq!(found["count"], 1);
    assert_eq!(titles(&found), vec!["桃園市公有停車場資訊"]);
    assert_eq!(found["sort"], "score desc, metadata_modified desc");
    let org = &found["search_facets"]["organization"];
    assert_eq!(org["title"], "organization");
    assert_eq!(
        org["items"],
        json!([{ "name": "380290000h", "display_name": "桃園市政府交通局", "count": 1 }])
    );
    assert_eq!(found["facets"]["res_format"], json!({ "CSV": 1 }));
    assert_eq!(found["facets"]["license_id"].as_object().unwrap().len(), 1);

    // 臺 and 台 are the same to the search; all words must match.
    assert_eq!(
        titles(&ok(&app, "package_search", &[("q", "台灣")]).await),
        vec!["臺灣美術展覽資訊"]
    );
    assert_eq!(
        ok(&app, "package_search", &[("q", "停車 美術")]).await["count"],
        0
    );

    // Everything, with the facets of the whole catalogue; sorted by title when asked.
    let all = ok(
        &app,
        "package_search",
        &[("q", "*:*"), ("facet.field", r#"["organization"]"#)],
    )
    .await;
    assert_eq!(all["count"], 3);
    assert_eq!(
        all["search_facets"]["organization"]["items"][0],
        json!({ "name": "380290000h", "display_name": "桃園市政府交通局", "count": 2 })
    );
    let by_title = ok(&app, "package_search", &[("sort", "title_string asc")]).await;
    let mut sorted = titles(&by_title);
    sorted.sort();
    assert_eq!(titles(&by_title), sorted);
}

#[tokio::test]
async fn filters_narrow_by_organization_format_and_date_by_get_or_post() {
    let app = TestApp::spawn().await;
    assert_eq!(count(&app, "organization:380290000h").await, 2);
    assert_eq!(
        count(&app, "organization:\"380290000H\"").await,
        2,
        "the agency code works too"
    );
    assert_eq!(count(&app, "res_format:CSV").await, 2);
    assert_eq!(
        count(&app, "res_format:csv +organization:380290000h").await,
        1
    );
    assert_eq!(count(&app, "res_format:(CSV OR JSON)").await, 3);
    assert_eq!(count(&app, "-organization:380290000h").await, 1);
    assert_eq!(
        count(&app, "organization:ty-artmuseum OR organization:380290000h").await,
        3
    );
    assert_eq!(
        count(&app, "metadata_modified:[2024-01-01T00:00:00Z TO *]").await,
        3
    );
    assert_eq!(
        count(&app, "metadata_modified:[* TO 2020-01-01T00:00:00Z]").await,
        0
    );

    // POST with a JSON body, as ckanapi and harvesters send it; no CSRF for anonymous API calls.
    let r = client()
        .post(app.url("/api/3/action/package_search"))
        .json(&json!({ "fq": "organization:380290000h", "q": "公車", "rows": 5, "facet.field": ["res_format"] }))
        .send()
        .await
        .unwrap();
    let posted = result((r.status().as_u16(), r.json().await.unwrap()));
    assert_eq!(titles(&posted), vec!["桃園市公車路線"]);
    assert_eq!(
        posted["search_facets"]["res_format"]["items"][0]["name"],
        "JSON"
    );

    // ckanapi's path, without the version.
    let r = client()
        .get(app.url("/api/action/package_list"))
        .send()
        .await
        .unwrap();
    let listed = result((r.status().as_u16(), r.json().await.unwrap()));
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // A field civitas cannot filter by is refused by name, never ignored.
    let (status, body) = call(
        &app,
        "package_search",
        &[("fq", "groups:transport title:x")],
        None,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["__type"], "Validation Error");
    assert!(
        body["error"]["fq"][0]
            .as_str()
            .unwrap()
            .contains("groups, title"),
        "{body}"
    );
}

#[tokio::test]
async fn harvesters_page_through_the_real_taoyuan_list_without_overlaps() {
    let app = TestApp::spawn().await;
    import_taoyuan_list(&app).await;
    let first = ok(
        &app,
        "package_search",
        &[
            ("rows", "0"),
            ("facet.field", ALL_FACETS),
            ("facet.limit", "-1"),
        ],
    )
    .await;
    assert_eq!(
        first["count"], 1429,
        "the list's datasets; the three withdrawn test datasets are gone"
    );
    let orgs = first["search_facets"]["organization"]["items"]
        .as_array()
        .unwrap();
    assert_eq!(
        orgs.iter()
            .map(|o| o["count"].as_u64().unwrap())
            .sum::<u64>(),
        1429
    );
    assert_eq!(orgs[0]["name"], "380160000a");
    assert_eq!(orgs[0]["count"], 192, "地政局 provides the most");
    assert_eq!(
        first["facets"]["license_id"],
        json!({ "OGDL-Taiwan-1.0": 1429 })
    );

    for sort in ["id asc", "score desc, metadata_modified desc"] {
        let mut seen = HashSet::new();
        let mut start = 0;
        loop {
            let start_text = start.to_string();
            let query = [
                ("rows", "500"),
                ("start", start_text.as_str()),
                ("sort", sort),
            ];
            let page = ok(&app, "package_search", &query).await;
            assert_eq!(page["count"], 1429);
            let results = page["results"].as_array().unwrap();
            if results.is_empty() {
                break;
            }
            assert!(results.len() <= 500);
            for r in results {
                let id = r["id"].as_str().unwrap().to_string();
                assert!(seen.insert(id), "{sort}: {} on two pages", r["id"]);
            }
            start += 500;
        }
        assert_eq!(seen.len(), 1429, "{sort}: every dataset once");
    }
    let capped = ok(&app, "package_search", &[("rows", "5000")]).await;
    assert_eq!(
        capped["results"].as_array().unwrap().len(),
        1000,
        "rows is capped at 1000, as in CKAN"
    );

    let parking = ok(&app, "package_search", &[("q", "停車"), ("rows", "100")]).await;
    assert!(
        parking["count"].as_u64().unwrap() >= 6,
        "{}",
        parking["count"]
    );
    assert!(
        titles(&parking)[0].contains("停車"),
        "words in a title rank first"
    );
    assert_eq!(
        ok(&app, "package_list", &[])
            .await
            .as_array()
            .unwrap()
            .len(),
        1429
    );
    let tagged = ok(&app, "package_search", &[("fq", "tags:登革熱")]).await;
    assert!(titles(&tagged).contains(&"桃園市登革熱確診個案分布"));
}

#[tokio::test]
async fn a_dataset_and_its_agency_read_like_ckan_records() {
    let app = TestApp::spawn().await;
    let shown = ok(&app, "package_show", &[("id", PARKING)]).await;
    assert_eq!(shown["title"], "桃園市公有停車場資訊");
    assert_eq!(shown["id"], PARKING, "the portal's identifier");
    assert_eq!(shown["name"], PARKING);
    assert_eq!(shown["type"], "dataset");
    assert_eq!(shown["private"], false);
    assert_eq!(shown["notes"], "公有停車場位置與車位數");
    assert_eq!(shown["organization"]["name"], "380290000h");
    assert_eq!(shown["organization"]["title"], "桃園市政府交通局");
    assert_eq!(
        shown["organization"]["description"],
        "Department of Transportation"
    );
    assert_eq!(shown["owner_org"], shown["organization"]["id"]);
    assert_eq!(shown["resources"][0]["format"], "CSV");
    assert_eq!(shown["resources"][0]["package_id"], shown["id"]);
    let modified = shown["metadata_modified"].as_str().unwrap();
    assert_eq!(
        modified.len(),
        "2024-03-01T01:00:00.000000".len(),
        "UTC without an offset: {modified}"
    );
    assert_eq!(
        extra(&shown, "frequency"),
        Some(&json!("每月")),
        "更新頻率 verbatim"
    );
    assert_eq!(extra(&shown, "access_level"), Some(&json!("open")));
    assert_eq!(extra(&shown, "category"), Some(&json!("交通及通訊")));
    assert!(
        extra(&shown, "freshness_state").is_some() && extra(&shown, "data_updated_at").is_some()
    );
    for key in ["author", "maintainer", "author_email", "maintainer_email"] {
        assert!(
            shown.get(key).is_none(),
            "no contact people in the public API"
        );
    }

    // An organization by its name, its id or the agency code.
    let org_id = shown["owner_org"].as_str().unwrap().to_string();
    for reference in ["380290000h", org_id.as_str(), "380290000H"] {
        let org = ok(
            &app,
            "organization_show",
            &[("id", reference), ("include_datasets", "true")],
        )
        .await;
        assert_eq!(org["name"], "380290000h");
        assert_eq!(org["package_count"], 2);
        assert_eq!(org["packages"].as_array().unwrap().len(), 2);
        assert_eq!(
            org["groups"],
            json!([{ "name": "380000000a", "capacity": "parent" }])
        );
    }
    assert_eq!(
        ok(&app, "organization_list", &[]).await,
        json!([
            "380000000a",
            "380130000c",
            "380290000h",
            "380330000e",
            "ty-artmuseum"
        ])
    );
    let dicts = ok(
        &app,
        "organization_list",
        &[("all_fields", "true"), ("sort", "package_count desc")],
    )
    .await;
    assert_eq!(dicts[0]["name"], "380290000h");
    assert_eq!(dicts[0]["package_count"], 2);
    assert_eq!(dicts[0]["is_organization"], true);

    let status = ok(&app, "status_show", &[]).await;
    assert!(status["ckan_version"].as_str().unwrap().starts_with("2.10"));
    let help = ok(&app, "help_show", &[("name", "package_search")]).await;
    assert!(help.as_str().unwrap().contains("facet.field"));
}

#[tokio::test]
async fn the_public_sees_open_data_only_and_a_token_holder_sees_all() {
    let app = TestApp::spawn().await;
    let token = app.token("admin").await;
    let staff = Some(token.as_str());
    restrict(&app, &token, 1).await;

    let public = ok(&app, "package_search", &[("q", "停車")]).await;
    assert_eq!(
        public["count"], 0,
        "anonymous readers no longer find the restricted dataset"
    );
    let (status, body) = call(&app, "package_show", &[("id", PARKING)], None).await;
    assert_eq!(status, 404, "its existence is not confirmed: {body}");
    assert_eq!(body["error"]["__type"], "Not Found Error");
    assert_eq!(
        ok(&app, "package_list", &[])
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let found = result(call(&app, "package_search", &[("q", "停車")], staff).await);
    assert_eq!(titles(&found), vec!["桃園市公有停車場資訊"]);
    assert_eq!(
        found["results"][0]["private"], true,
        "not open data: private in CKAN's terms"
    );
    let shown = result(call(&app, "package_show", &[("id", PARKING)], staff).await);
    assert_eq!(extra(&shown, "access_level"), Some(&json!("restricted")));
    let narrowed = result(
        call(
            &app,
            "package_search",
            &[("include_private", "false")],
            staff,
        )
        .await,
    );
    assert_eq!(
        narrowed["count"], 2,
        "include_private=false gives staff the public view"
    );

    let transport = [("id", "380290000h")];
    assert_eq!(
        ok(&app, "organization_show", &transport).await["package_count"],
        1
    );
    let seen_by_staff = result(call(&app, "organization_show", &transport, staff).await);
    assert_eq!(seen_by_staff["package_count"], 2);
}

#[tokio::test]
async fn mistakes_get_ckans_error_shapes_and_codes() {
    let app = TestApp::spawn().await;
    let expect = |(status, body): (u16, Value), code: u16, kind: &str| {
        assert_eq!(status, code, "{body}");
        assert_eq!(body["success"], false);
        assert_eq!(body["error"]["__type"], kind, "{body}");
        assert!(body["help"].is_string() && body.get("result").is_none());
        body
    };
    let unknown = expect(
        call(&app, "package_create", &[], None).await,
        400,
        "Bad Request",
    );
    assert_eq!(
        unknown["error"]["message"],
        "Bad request - Action name not known: package_create"
    );
    expect(
        call(&app, "package_show", &[], None).await,
        409,
        "Validation Error",
    );
    expect(
        call(&app, "package_show", &[("id", "no-such")], None).await,
        404,
        "Not Found Error",
    );
    expect(
        call(&app, "organization_show", &[("id", "no-such")], None).await,
        404,
        "Not Found Error",
    );
    let rows = expect(
        call(&app, "package_search", &[("rows", "ten")], None).await,
        409,
        "Validation Error",
    );
    assert_eq!(rows["error"]["rows"], json!(["Invalid integer"]));
    for bad in [
        ("sort", "views_recent desc"),
        ("facet.field", r#"["maintainer"]"#),
        ("fq", "metadata_modified:[NOW-1DAY TO *]"),
    ] {
        expect(
            call(&app, "package_search", &[bad], None).await,
            409,
            "Validation Error",
        );
    }
    let r = client()
        .post(app.url("/api/3/action/package_search"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect(
        (r.status().as_u16(), r.json().await.unwrap()),
        400,
        "Bad Request",
    );
}

#[tokio::test]
async fn a_real_ckan_client_reads_civitas_and_every_answer_matches_ckans_schemas() {
    let app = TestApp::spawn().await;
    import_taoyuan_list(&app).await;
    let token = app.token("admin").await;
    let parking = ok(&app, "package_search", &[("q", "停車"), ("rows", "1")]).await;
    let civitas_id = extra(&parking["results"][0], "civitas_id").unwrap();
    restrict(&app, &token, civitas_id.as_str().unwrap().parse().unwrap()).await;

    // ckanapi, the CKAN project's own client, against this server; every raw answer is checked
    // against the JSON Schemas of alphagov/ckan-functional-tests.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut command = std::process::Command::new("python3");
    command
        .arg(format!("{root}/scripts/ckan-client-check.py"))
        .arg(&app.base)
        .args(["--token", &token, "--expect-hidden", "1"]);
    // The client calls this test's server, so it must not block the runtime that serves it.
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect(
            "python3 with ckanapi and jsonschema (pip install ckanapi==4.11 jsonschema==4.26.0)",
        );
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{report}");
    assert!(out.status.success(), "ckan-client-check:\n{report}");
    assert!(
        report.contains("conforms to package_search.schema.json"),
        "{report}"
    );
}
