//! The intel API over real HTTP: a bundle posted once (a re-post adds nothing), indicators
//! found by value, alerts posted afterwards matched and sighted, sightings read like alerts,
//! and the city's bundle served as STIX and accepted by OASIS' stix2-validator.

use std::process::Command;

use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Grant, Role, Scope};
use serde_json::{Value, json};

use crate::harness::{TestApp, client, error_code};

const C2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/stix/stix21-indicators-for-C2-with-COA.json"
));
const WRCCDC: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"
));
const ATTACKER: &str = "indicator--6d1f0e2a-3b4c-4d5e-8f60-718293a4b5c6";

/// The exchange names the competition's busiest attacking host.
fn regional() -> String {
    json!({
        "type": "bundle", "id": "bundle--6d1f0e2a-3b4c-4d5e-8f60-718293a4b5c7",
        "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": ATTACKER,
            "created": "2018-01-01T00:00:00.000Z", "modified": "2018-01-01T00:00:00.000Z",
            "name": "Red team host 10.128.0.221", "indicator_types": ["malicious-activity"],
            "pattern": "[ipv4-addr:value = '10.128.0.221']", "pattern_type": "stix",
            "valid_from": "2018-01-01T00:00:00Z"
        }]
    })
    .to_string()
}

fn ndjson() -> String {
    let events: Vec<Value> = serde_json::from_str(WRCCDC).unwrap();
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn user_token(app: &TestApp, name: &str, role: Role, scope: Scope) -> String {
    app.add_user(name, &[Grant { role, scope }], None).await;
    app.token(name).await
}

async fn post_bundle(app: &TestApp, token: Option<&str>, body: String) -> reqwest::Response {
    let mut req = client()
        .post(app.url("/api/v1/intel/bundles"))
        .header("content-type", "application/stix+json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_posted_bundle_matches_later_alerts_and_the_citys_export_validates() {
    let app = TestApp::spawn().await;
    let analyst = user_token(&app, "soc", Role::SocAnalyst, Scope::City).await;
    let culture = Scope::Agency(AgencyCode::parse("380330000E").unwrap());
    let officer = user_token(&app, "officer", Role::SecurityOfficer, culture).await;

    let r = post_bundle(&app, Some(&analyst), C2.to_string()).await;
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(
        (first["received"].clone(), first["created"].clone()),
        (json!(8), json!(8)),
        "{first}"
    );
    let again: Value = post_bundle(&app, Some(&analyst), C2.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["duplicates"], 8);
    assert_eq!(again["created"], 0);
    let done: Value = post_bundle(&app, Some(&analyst), regional())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["active_indicators"], 3);
    assert_eq!(
        error_code(post_bundle(&app, None, regional()).await).await,
        "unauthenticated"
    );
    assert_eq!(
        error_code(post_bundle(&app, Some(&officer), regional()).await).await,
        "forbidden"
    );
    let broken = post_bundle(&app, Some(&analyst), "{\"type\": \"bundle\"".into()).await;
    assert_eq!(broken.status(), 200);
    let broken: Value = broken.json().await.unwrap();
    assert_eq!(broken["rejected"], 1);
    assert!(
        broken["rejected_records"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{broken}"
    );

    let found = get(
        &app,
        &officer,
        "/api/v1/intel/indicators?value=10.128.0.221",
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], ATTACKER);
    assert_eq!(found["items"][0]["tests"][0]["kind"], "ipv4-addr");

    // The sensor's alerts arrive after the intel: the attacker's are matched and sighted.
    let r = client()
        .post(app.url("/api/v1/alerts/eve/bulk"))
        .bearer_auth(&analyst)
        .header("content-type", "application/x-ndjson")
        .body(ndjson())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let alerts = get(&app, &analyst, "/api/v1/alerts?per_page=500").await;
    let named = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["reasons"].as_array().unwrap().iter().any(|r| {
                r["en"]
                    .as_str()
                    .unwrap()
                    .contains("matches threat-intelligence indicator Red team host 10.128.0.221")
            })
        })
        .count();
    // 14 from the host, 1 to it.
    assert_eq!(named, 15);
    // The alert's page says which indicator it matched.
    let matched = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["reasons"].as_array().unwrap().iter().any(|r| {
                r["en"]
                    .as_str()
                    .unwrap()
                    .contains("threat-intelligence indicator")
            })
        })
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (browser, _) = app.browser("soc").await;
    let page = browser
        .get(app.url(&format!("/alerts/{matched}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let intel_section = page.split("威脅情資比對").nth(1).unwrap_or("");
    assert!(
        intel_section
            .split("</section>")
            .next()
            .unwrap_or("")
            .contains("Red team host 10.128.0.221"),
        "the page names the indicator"
    );
    let counted = |page: &Value| -> u64 {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_u64().unwrap())
            .sum()
    };
    let sightings = get(&app, &analyst, "/api/v1/intel/sightings?per_page=500").await;
    assert_eq!(counted(&sightings), 15, "{sightings}");
    // The culture bureau's officer sees the 13 aimed at its network, not the 2 placed nowhere.
    let theirs = get(&app, &officer, "/api/v1/intel/sightings?per_page=500").await;
    assert_eq!(counted(&theirs), 13, "{theirs}");
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["indicator"] == ATTACKER && s["agency"] == "380330000E")
    );

    // The export: STIX media type, accepted by the validator; only the SOC shares it.
    let r = client()
        .get(app.url("/api/v1/intel/export"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/stix+json;version=2.1"
    );
    let bundle: Value = r.json().await.unwrap();
    let sighted = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "sighting")
        .count();
    assert_eq!(sighted as u64, sightings["total"].as_u64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("city.json");
    std::fs::write(&file, serde_json::to_string_pretty(&bundle).unwrap()).unwrap();
    let output = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/stix-validate.py"
        ))
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && report.contains(": valid,"),
        "stix2-validator (python3 -m pip install -r tests/requirements.txt):\n{report}"
    );
    let refused = client()
        .get(app.url("/api/v1/intel/export"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(refused).await, "forbidden");
    assert_eq!(
        app.actions()
            .await
            .iter()
            .filter(|a| *a == "intel.import")
            .count(),
        4
    );
}
