//! `civitas intel import`, `match` and `export`: OASIS' bundles and a regional one in, the
//! honeypot's alerts matched, the city's bundle out and checked by OASIS' stix2-validator.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::{run, run_ok, stderr, stdout};

const C2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/stix/stix21-indicators-for-C2-with-COA.json"
);
const HONEYPOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/soc/suricata-eve-alerts-honeypot-2018.json"
);
const SCANNER: &str = "indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f11";

/// The regional exchange's bundle: the scanner the honeypot saw, and an object with a broken
/// pattern.
fn regional(dir: &Path) -> String {
    let indicator = |id: &str, pattern: &str| {
        json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2018-12-01T00:00:00.000Z", "modified": "2018-12-01T00:00:00.000Z",
            "name": "SSH scanner", "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2018-12-01T00:00:00Z"
        })
    };
    let bundle = json!({
        "type": "bundle", "id": "bundle--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f10",
        "objects": [
            indicator(SCANNER, "[ipv4-addr:value = '8.42.77.171']"),
            indicator("indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f12", "[ipv4-addr:value = "),
        ]
    });
    let path = dir.join("regional.json");
    std::fs::write(&path, bundle.to_string()).unwrap();
    path.display().to_string()
}

/// OASIS' stix2-validator on a file (scripts/stix-validate.py); its report.
fn validate(file: &Path) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/stix-validate.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(file)
        .output()
        .expect("python3 runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "stix2-validator refuses the export (python3 -m pip install -r tests/requirements.txt \
         if it is missing):\n{report}"
    );
    report
}

#[test]
fn bundles_import_once_alerts_are_sighted_and_the_citys_bundle_validates() {
    let dir = tempfile::tempdir().unwrap();
    let regional = regional(dir.path());
    let out = run(dir.path(), &["intel", "import", "--json", C2, &regional]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let first: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(first[0]["report"]["created"], 8, "{first}");
    assert_eq!(first[1]["report"]["created"], 1);
    let rejected = first[1]["report"]["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(first[1]["active_indicators"], 3);

    // Again: nothing new, and the plain report says so.
    let text = run_ok(dir.path(), &["intel", "import", C2]);
    assert!(text.contains("重複 duplicates 8"), "{text}");

    run_ok(
        dir.path(),
        &[
            "alerts", "import", "--source", "honeypot", "--kind", "suricata", HONEYPOT,
        ],
    );
    let matched: Value =
        serde_json::from_str(&run_ok(dir.path(), &["intel", "match", "--json"])).unwrap();
    assert_eq!(matched["alerts_checked"], 44);
    assert_eq!(matched["matches"], 7);
    assert_eq!(
        (
            matched["sightings_created"].clone(),
            matched["sightings_updated"].clone()
        ),
        (json!(0), json!(0)),
        "the import already recorded them"
    );

    let file = dir.path().join("city.json");
    let out = run(
        dir.path(),
        &["intel", "export", "--out", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let sightings: Vec<&Value> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "sighting")
        .collect();
    assert!(!sightings.is_empty());
    assert!(sightings.iter().all(|s| s["sighting_of_ref"] == SCANNER));
    let counted: u64 = sightings.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 7);
    let report = validate(&file);
    assert!(report.contains(": valid,"), "{report}");
}
