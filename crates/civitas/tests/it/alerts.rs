//! `civitas alerts import`: real files, plain and gzip, once and again, and bad lines.

use std::io::Write;

use serde_json::Value;

use crate::{civitas, run, stderr, stdout};

const HONEYPOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/soc/suricata-eve-alerts-honeypot-2018.json"
);
const WRCCDC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"
);

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_gzipped_eve_file_and_a_plain_one_import_once_and_a_second_run_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("honeypot.json.gz");
    std::fs::write(&gz, gzip(&std::fs::read(HONEYPOT).unwrap())).unwrap();
    let args = [
        "alerts",
        "import",
        "--source",
        "ids-dmz",
        "--kind",
        "suricata",
        "--json",
        gz.to_str().unwrap(),
        WRCCDC,
    ];
    let out = run(dir.path(), &args);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let first: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(first[0]["report"]["created"], 44, "{first}");
    assert_eq!(first[0]["report"]["rejected"].as_array().unwrap().len(), 0);
    assert_eq!(first[1]["report"]["created"], 207);
    assert!(!first[0]["rule_set_version"].as_str().unwrap().is_empty());
    let again: Value = serde_json::from_str(&stdout(&run(dir.path(), &args))).unwrap();
    for (i, n) in [(0, 44), (1, 207)] {
        assert_eq!(again[i]["report"]["created"], 0);
        assert_eq!(again[i]["report"]["duplicates"], n);
        assert_eq!(again[i]["report"]["received"], n);
    }
}

#[test]
fn a_configured_source_reports_each_rejected_line_and_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        r#"
[[alerts.sources]]
name = "asa-firewall"
kind = "syslog3164"
zone = "+08:00"

[[alerts.agencies]]
agency = "380330000E"
ranges = ["10.22.8.0/24"]
"#,
    )
    .unwrap();
    let log = dir.path().join("asa.log");
    std::fs::write(
        &log,
        "<167>Jan  5 08:52:35 10.22.8.216 %ASA-7-609001: Built local-host inside:10.22.8.205\n\
         this is not syslog at all\n\
         <166>Jan  5 08:52:36 10.22.8.216 %ASA-6-302021: Teardown ICMP connection for faddr 10.22.8.74/0\n",
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["alerts", "import", "--source", "asa-firewall"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("received 3 = 新增 created 2"), "{text}");
    assert!(text.contains("line 2:"), "{text}");
}

#[test]
fn an_unknown_source_without_a_kind_is_refused_saying_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["alerts", "import", "--source", "nowhere", HONEYPOT],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--kind"), "{}", stderr(&out));
    let out = run(
        dir.path(),
        &[
            "alerts", "import", "--source", "x", "--kind", "json", HONEYPOT,
        ],
    );
    assert!(stderr(&out).contains("mapping"), "{}", stderr(&out));
}

#[test]
fn a_wrong_agency_range_in_the_configuration_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        "[[alerts.agencies]]\nagency = \"380330000E\"\nranges = [\"10.22.8.0/33\"]\n",
    )
    .unwrap();
    let out = civitas(dir.path())
        .arg("--config")
        .arg(&config)
        .args([
            "alerts", "import", "--source", "x", "--kind", "cef", HONEYPOT,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("alerts.agencies") && err.contains("380330000E"),
        "{err}"
    );
    let defaults = stdout(&run(dir.path(), &["config", "print-default"]));
    for key in [
        "[alerts]",
        "rules_file",
        "bulk_max_bytes",
        "[[alerts.sources]]",
        "[[alerts.agencies]]",
    ] {
        assert!(defaults.contains(key), "{key} is documented");
    }
}
