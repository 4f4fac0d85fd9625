//! Commands and their output, good and bad.

use serde_json::Value;

use crate::{PASSWORD, run, run_ok, seeded, stderr, stdout, with_stdin};

#[test]
fn importing_the_same_agency_file_twice_changes_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/agencies.csv");
    let first: Value =
        serde_json::from_str(&run_ok(dir.path(), &["agency", "import", "--json", csv])).unwrap();
    assert_eq!(first[0]["received"], 37);
    assert_eq!(first[0]["created"], 37);
    assert_eq!(first[0]["rejected"], 0);
    let second: Value =
        serde_json::from_str(&run_ok(dir.path(), &["agency", "import", "--json", csv])).unwrap();
    assert_eq!(second[0]["created"], 0);
    assert_eq!(second[0]["unchanged"], 37);
    let list: Value =
        serde_json::from_str(&run_ok(dir.path(), &["agency", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 37);
    let tree = run_ok(dir.path(), &["agency", "list"]);
    assert!(
        tree.contains("  TY-ARTMUSEUM 桃園市立美術館"),
        "sub-agencies are indented under their parent:\n{tree}"
    );
}

#[test]
fn the_real_taoyuan_supply_list_yields_its_34_providing_agencies() {
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.csv");
    std::fs::write(&root, "code,name_zh,name_en,kind\n380000000A,桃園市政府,Taoyuan City Government,city_government\n").unwrap();
    run_ok(dir.path(), &["agency", "import", root.to_str().unwrap()]);
    for _ in 0..2 {
        let out: Value = serde_json::from_str(&run_ok(
            dir.path(),
            &[
                "agency",
                "import",
                "--format",
                "taoyuan-supply-list",
                "--json",
                list,
            ],
        ))
        .unwrap();
        let r = &out[0];
        assert_eq!(r["received"], 1429);
        let stored = r["created"].as_u64().unwrap()
            + r["updated"].as_u64().unwrap()
            + r["unchanged"].as_u64().unwrap();
        assert_eq!(
            stored + r["duplicates"].as_u64().unwrap() + r["rejected"].as_u64().unwrap(),
            1429,
            "the report reconciles"
        );
        assert_eq!(stored, 34);
    }
    let list: Value =
        serde_json::from_str(&run_ok(dir.path(), &["agency", "list", "--json"])).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        35,
        "34 agencies and the city government, no duplicates"
    );
}

#[test]
fn a_file_with_bad_rows_reports_each_line_and_exits_non_zero() {
    let dir = seeded();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "code,name_zh,parent_code,kind\nTY-OK,好機關,380000000A,bureau\nTY-BAD,壞機關,NOWHERE1,bureau\n,沒有代碼,380000000A,bureau\n").unwrap();
    let out = run(dir.path(), &["agency", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "rejections give exit code 2");
    let text = stdout(&out);
    assert!(text.contains("收到 received 3 = 新增 created 1"), "{text}");
    assert!(
        text.contains("第 3 行 line 3") && text.contains("NOWHERE1"),
        "{text}"
    );
    assert!(text.contains("第 4 行 line 4"), "{text}");
    // A Big5 file (社會局) is read as Big5 and converted; a second root is refused.
    let big5 = dir.path().join("big5.csv");
    std::fs::write(&big5, b"code,name_zh,parent_code\nTY-X,\xaa\xc0\xb7\x7c\xa7\xbd,380000000A\nTY-ROOT2,\xaa\xc0\xb7\x7c\xa7\xbd,\n").unwrap();
    let out = run(
        dir.path(),
        &["agency", "import", "--json", big5.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report[0]["encoding"], "Big5");
    assert_eq!(report[0]["created"], 1);
    assert!(
        report[0]["rejected_records"][0]["reason"]["en"]
            .as_str()
            .unwrap()
            .contains("city government already exists")
    );
    let list: serde_json::Value =
        serde_json::from_str(&run_ok(dir.path(), &["agency", "list", "--json"])).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "TY-X" && a["name_zh"] == "社會局")
    );
    let binary = dir.path().join("binary.csv");
    std::fs::write(&binary, b"code,name_zh\n\xff\xfe\xff\n").unwrap();
    let out = run(dir.path(), &["agency", "import", binary.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("UTF-8"), "{}", stdout(&out));
}

#[test]
fn users_are_added_listed_granted_and_revoked_from_the_command_line() {
    let dir = seeded();
    let out = with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "amy.chen",
            "--role",
            "data_steward",
            "--agency",
            "380330000E",
            "--display-name",
            "陳美玲",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    run_ok(
        dir.path(),
        &["user", "grant", "amy.chen", "--role", "viewer"],
    );
    let list: Value =
        serde_json::from_str(&run_ok(dir.path(), &["user", "list", "--json"])).unwrap();
    let amy = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "amy.chen")
        .unwrap();
    assert_eq!(amy["home_agency"], "380330000E");
    assert_eq!(amy["grants"].as_array().unwrap().len(), 2);
    run_ok(
        dir.path(),
        &["user", "revoke", "amy.chen", "--role", "viewer"],
    );
    let list: Value =
        serde_json::from_str(&run_ok(dir.path(), &["user", "list", "--json"])).unwrap();
    let amy = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "amy.chen")
        .unwrap();
    assert_eq!(amy["grants"].as_array().unwrap().len(), 1);
    let out = with_stdin(
        dir.path(),
        &["user", "set-password", "amy.chen", "--password-stdin"],
        "a completely new phrase\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn mistakes_on_the_command_line_get_clear_messages() {
    let dir = seeded();
    let out = with_stdin(
        dir.path(),
        &["user", "add", "bob", "--role", "wizard", "--password-stdin"],
        PASSWORD,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown role 'wizard'"),
        "{}",
        stderr(&out)
    );
    let out = with_stdin(
        dir.path(),
        &["user", "add", "bob", "--role", "viewer", "--password-stdin"],
        "short",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("至少需要 12 個字元"),
        "both languages: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("at least 12 characters"));
    let out = with_stdin(
        dir.path(),
        &["user", "add", "admin", "--password-stdin"],
        PASSWORD,
    );
    assert!(stderr(&out).contains("already_exists"), "{}", stderr(&out));
    let out = run(
        dir.path(),
        &["token", "create", "--user", "admin", "--expires", "forever"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("30d"), "{}", stderr(&out));
    let out = run(dir.path(), &["user", "add", "carol"]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors");
    for cmd in [
        vec!["--help"],
        vec!["user", "--help"],
        vec!["token", "create", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["backup", "--help"],
    ] {
        let out = run(dir.path(), &cmd);
        assert!(out.status.success(), "{cmd:?}");
        assert!(stdout(&out).contains("Usage"), "{cmd:?}");
    }
}

#[test]
fn migrate_applies_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let every: Vec<i64> = civitas_store_sqlite::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .collect();
    assert!(run_ok(dir.path(), &["migrate"]).contains(&format!("{every:?}")));
    assert!(run_ok(dir.path(), &["migrate"]).contains("up to date"));
}

/// Agencies for harvested catalogues: the city, its transport bureau (whose English name a
/// CKAN organisation may use) and its cultural affairs bureau.
const HARVEST_AGENCIES: &str = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
    380000000A,桃園市政府,Taoyuan City Government,市政府,,city_government\n\
    380290000H,桃園市政府交通局,Centre for Environment Fisheries & Aquaculture Science,交通局,380000000A,bureau\n\
    380330000E,桃園市政府文化局,Department of Cultural Affairs,文化局,380000000A,bureau\n";

#[test]
fn a_ckan_search_page_imports_with_the_source_s_aliases_and_names_the_publisher_it_cannot_place() {
    let dir = tempfile::tempdir().unwrap();
    let agencies = dir.path().join("agencies.csv");
    std::fs::write(&agencies, HARVEST_AGENCIES).unwrap();
    run_ok(
        dir.path(),
        &["agency", "import", agencies.to_str().unwrap()],
    );
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        r#"
[[catalog.sources]]
name = "datagovuk"
kind = "ckan"
url = "https://data.gov.uk"
interval = "1d"
aliases = { "eidc" = "380330000E", "Centre for Environment, Fisheries & Aquaculture Science" = "380290000H" }
"#,
    )
    .unwrap();
    let page = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/ckan/package_search.json"
    );
    let import = |expect_created: u64, expect_unchanged: u64| {
        let out = run(
            dir.path(),
            &[
                "--config",
                config.to_str().unwrap(),
                "catalog",
                "import",
                "--format",
                "ckan-package-search",
                "--source",
                "datagovuk",
                "--json",
                page,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let r = &r[0];
        assert_eq!(r["format"], "ckan-package-search");
        assert_eq!(r["received"], 4);
        assert_eq!(r["created"], expect_created);
        assert_eq!(r["unchanged"], expect_unchanged);
        assert_eq!(r["rejected"], 1);
        // The page holds 4 of the query's 10 records: nothing may be withdrawn.
        assert_eq!(r["withdrawn"], 0);
        let reason = r["rejected_records"][0]["reason"]["en"].as_str().unwrap();
        assert!(reason.contains("Colchester Borough Council"), "{reason}");
    };
    import(3, 0);
    import(0, 3);
}

#[test]
fn a_data_gov_tw_scrape_reconciles_and_rejects_every_agency_outside_the_tree_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let agencies = dir.path().join("agencies.csv");
    std::fs::write(&agencies, HARVEST_AGENCIES).unwrap();
    run_ok(
        dir.path(),
        &["agency", "import", agencies.to_str().unwrap()],
    );
    let scrape = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/datagovtw_2017_iot_metadata.nocontact.jsonl"
    );
    let out = run(
        dir.path(),
        &[
            "catalog",
            "import",
            "--format",
            "datagovtw-jsonl",
            "--json",
            scrape,
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let r = &r[0];
    let n = |k: &str| r[k].as_u64().unwrap();
    assert_eq!(r["received"], 936);
    assert_eq!(
        n("created") + n("updated") + n("unchanged") + n("duplicates") + n("rejected"),
        936
    );
    assert_eq!(n("withdrawn"), 0, "a scrape is never a full listing");
    for x in r["rejected_records"].as_array().unwrap() {
        let why = x["reason"]["zh"].as_str().unwrap();
        assert!(
            why.contains("提供機關") || why.contains("已在第"),
            "line {}: {why}",
            x["line"]
        );
    }
    let bad = run(
        dir.path(),
        &["catalog", "import", "--format", "socrata", scrape],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("ckan-package-search"),
        "the message lists the formats: {}",
        stderr(&bad)
    );
}

#[test]
fn the_incident_follow_up_runs_from_cron_and_reports_what_it_sent() {
    let dir = tempfile::tempdir().unwrap();
    let first: Value =
        serde_json::from_str(&run_ok(dir.path(), &["incidents", "follow-up", "--json"])).unwrap();
    for key in ["reminders", "escalations", "clock_escalations"] {
        assert_eq!(first[key]["notifications"], 0, "{first}");
    }
    assert_eq!(first["recurrence"], serde_json::json!([]));
    let text = run_ok(dir.path(), &["incidents", "follow-up"]);
    assert!(text.contains("提醒 reminders 0"), "{text}");
    assert!(text.contains("復發檢查 recurrence checks 0"), "{text}");
}
