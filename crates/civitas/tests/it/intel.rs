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

/// A tiny TAXII 2.1 server: the C2 bundle's objects in two pages (a cursor between them), and
/// nothing more for a poll that asks only for objects added after the last one.
async fn taxii_server(seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> String {
    use axum::extract::RawQuery;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(C2).unwrap()).unwrap();
    let objects = bundle["objects"].as_array().unwrap().clone();
    let handler = move |headers: HeaderMap, RawQuery(query): RawQuery| {
        let seen = seen.clone();
        let objects = objects.clone();
        async move {
            let accept = headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // city:s3cret
            if auth != "Basic Y2l0eTpzM2NyZXQ=" {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            let query = query.unwrap_or_default();
            seen.lock().unwrap().push(format!("{accept} ?{query}"));
            let page = |objects: &[Value], more: bool, next: Option<&str>, last: &str| {
                let mut body = json!({"more": more, "objects": objects});
                if let Some(next) = next {
                    body["next"] = next.into();
                }
                (
                    [
                        ("content-type", "application/taxii+json;version=2.1"),
                        ("x-taxii-date-added-first", "2024-06-01T00:00:00.000Z"),
                        ("x-taxii-date-added-last", last),
                    ],
                    body.to_string(),
                )
                    .into_response()
            };
            if query.contains("added_after") {
                json!({}).to_string().into_response()
            } else if query.contains("next=p2") {
                page(&objects[5..], false, None, "2024-06-01T00:00:07.000Z")
            } else {
                page(&objects[..5], true, Some("p2"), "2024-06-01T00:00:04.000Z")
            }
        }
    };
    let app =
        axum::Router::new().route("/api1/collections/c2/objects/", axum::routing::get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api1/")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taxii_collection_is_pulled_page_by_page_and_the_next_poll_resumes_after_it() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let api_root = taxii_server(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("taxii.secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        format!(
            "[[intel.taxii]]\nname = \"regional\"\napi_root = \"{api_root}\"\ncollection = \"c2\"\n\
             limit = 5\nusername = \"city\"\npassword_file = \"{}\"\n",
            secret.display()
        ),
    )
    .unwrap();
    let data = dir.path().to_path_buf();
    let pull = move |data: std::path::PathBuf, config: std::path::PathBuf| {
        tokio::task::spawn_blocking(move || {
            let config = config.display().to_string();
            run(&data, &["--config", &config, "intel", "pull", "--json"])
        })
    };
    let out = pull(data.clone(), config.clone()).await.unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let first: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let pages = first[0]["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2, "{first}");
    assert_eq!(pages[0]["report"]["created"], 5);
    assert_eq!(pages[1]["report"]["created"], 3);
    assert_eq!(pages[1]["active_indicators"], 2);
    assert_eq!(first[0]["resume_after"], "2024-06-01T00:00:07.000Z");

    // The next poll asks only for what was added since, and gets nothing new.
    let out = pull(data.clone(), config.clone()).await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let second: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(second[0]["started_after"], "2024-06-01T00:00:07.000Z");
    assert_eq!(second[0]["pages"][0]["report"]["received"], 0);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "application/taxii+json;version=2.1 ?limit=5",
            "application/taxii+json;version=2.1 ?limit=5&next=p2",
            "application/taxii+json;version=2.1 ?added_after=2024-06-01T00%3A00%3A07.000Z&limit=5",
        ]
    );
}
