//! The threat-intelligence story: OASIS' STIX bundles import once, a newer version supersedes
//! the old one (kept), a regional bundle's indicators match the real honeypot alerts as they
//! arrive and when the stored alerts are matched again, and each match is a sighting of its
//! notification that the alert's severity reason names.

use civitas_core::audit::AuditFilter;
use civitas_core::authz::Role;
use civitas_core::error::DomainError;
use civitas_core::intel::{IndicatorFilter, SightingFilter};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::Timestamp;
use serde_json::{Value, json};

use crate::alerts::{EVE_FILES, alert_platform, analyst, eve, reader};

const OASIS_BUNDLES: [(&str, &[u8]); 6] = [
    (
        "stix21-incident-core-task-perform-patching.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-incident-core-task-perform-patching.json"
        )),
    ),
    (
        "stix21-indicator-for-malicious-url.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-indicator-for-malicious-url.json"
        )),
    ),
    (
        "stix21-indicators-for-C2-with-COA.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-indicators-for-C2-with-COA.json"
        )),
    ),
    (
        "stix21-sighting-of-an-indicator.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-sighting-of-an-indicator.json"
        )),
    ),
    (
        "stix21-sighting-of-observed-data.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-sighting-of-observed-data.json"
        )),
    ),
    (
        "stix21-using-marking-definitions.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/stix/stix21-using-marking-definitions.json"
        )),
    ),
];

pub const SCANNER: &str = "indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f11";
const EXPIRED: &str = "indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f12";
const REVOKED: &str = "indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f13";
const LATE: &str = "indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f14";

fn indicator(id: &str, name: &str, pattern: &str, extra: Value) -> Value {
    let mut object = json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2018-12-01T00:00:00.000Z", "modified": "2018-12-01T00:00:00.000Z",
        "name": name, "indicator_types": ["malicious-activity"],
        "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2018-12-01T00:00:00Z"
    });
    for (key, value) in extra.as_object().unwrap() {
        object[key] = value.clone();
    }
    object
}

/// What the regional exchange sends: a scanner seen by the honeypot, a block whose validity
/// ended before the alerts, and a revoked address that the honeypot also saw.
pub fn regional_bundle() -> Vec<u8> {
    json!({
        "type": "bundle", "id": "bundle--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f10",
        "objects": [
            indicator(SCANNER, "SSH scanner 8.42.77.171", "[ipv4-addr:value = '8.42.77.171']", json!({})),
            indicator(EXPIRED, "Old VPS block", "[ipv4-addr:value ISSUBSET '80.211.246.0/24']",
                json!({"valid_until": "2018-12-31T00:00:00Z"})),
            indicator(REVOKED, "Withdrawn address", "[ipv4-addr:value = '37.49.231.178']",
                json!({"revoked": true})),
        ]
    })
    .to_string()
    .into_bytes()
}

pub async fn stix_bundles_import_once_and_a_newer_version_supersedes_the_old_one(stores: &Stores) {
    let p = alert_platform(stores);
    let intel = p.intel();
    let caller = analyst();
    let mut received = 0;
    for (name, bytes) in OASIS_BUNDLES {
        let first = intel.import_bundle(&caller, bytes, name).await.unwrap();
        let r = &first.report;
        assert!(r.rejected.is_empty() && r.reconciles(), "{name}: {r:?}");
        assert_eq!(r.created, r.received, "{name}");
        received += r.received;
        let again = intel.import_bundle(&caller, bytes, name).await.unwrap();
        let r = &again.report;
        assert_eq!(
            r.duplicates, r.received,
            "{name}: a second import adds nothing"
        );
        assert_eq!(r.created + r.updated, 0);
        assert!(r.reconciles());
    }
    assert_eq!(received, 3 + 3 + 8 + 4 + 8 + 4);
    let all = PageRequest::new(Some(1), Some(500));
    let listed = intel
        .indicators(&caller, &IndicatorFilter::default(), all)
        .await
        .unwrap();
    // Five indicators in the six bundles, one version each.
    assert_eq!(listed.total, 5);
    assert!(listed.items.iter().all(|i| i.versions == 1));
    // Two bundles name 10.0.0.0: found by value through the stored tests.
    let by_value = IndicatorFilter {
        value: Some("10.0.0.0".into()),
        ..IndicatorFilter::default()
    };
    let ten = intel.indicators(&caller, &by_value, all).await.unwrap();
    assert_eq!(ten.total, 2);
    assert!(ten.items.iter().all(|i| i.tests[0].kind == "ipv4-addr"));
    assert_eq!(intel.active().await.unwrap().len(), 5);

    // The exchange revokes the malicious-URL indicator: a newer version, the old one kept.
    let (name, bytes) = OASIS_BUNDLES[1];
    let mut bundle: Value = serde_json::from_slice(bytes).unwrap();
    bundle["objects"][0]["modified"] = "2030-01-01T00:00:00.000Z".into();
    bundle["objects"][0]["revoked"] = true.into();
    let newer = intel
        .import_bundle(&caller, bundle.to_string().as_bytes(), name)
        .await
        .unwrap();
    assert_eq!((newer.report.updated, newer.report.duplicates), (1, 2));
    assert_eq!(
        newer.active_indicators, 4,
        "a revoked indicator never matches"
    );
    let url = intel
        .indicators(
            &caller,
            &IndicatorFilter {
                value: Some("http://x4z9arb.cn/4712/".into()),
                ..IndicatorFilter::default()
            },
            all,
        )
        .await
        .unwrap();
    assert_eq!(url.total, 1);
    assert!(url.items[0].revoked);
    assert_eq!(url.items[0].versions, 2);
    assert_eq!(url.items[0].modified, "2030-01-01T00:00:00.000Z");
    // The old version arriving again is not stored over the new one.
    let stale = intel.import_bundle(&caller, bytes, name).await.unwrap();
    assert_eq!(stale.report.unchanged + stale.report.duplicates, 3);
    assert_eq!(stale.report.updated, 0);

    // A bundle with a broken object: the good one is stored, the bad one kept with its reason.
    let mixed = json!({
        "type": "bundle", "id": "bundle--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f20",
        "objects": [
            indicator(LATE, "Late", "[domain-name:value = 'evil.example']", json!({})),
            indicator("indicator--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f21", "Typo", "[ipv4-addr:value = '1.2.3.4'", json!({})),
        ]
    });
    let done = intel
        .import_bundle(&caller, mixed.to_string().as_bytes(), "mixed.json")
        .await
        .unwrap();
    assert_eq!((done.report.created, done.report.rejected.len()), (1, 1));
    let run = stores
        .imports
        .import_run(done.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.report.kind, "stix");
    assert_eq!(run.report.received, 2);
    assert_eq!(run.report.rejected.len(), 1);
    assert_eq!(run.report.rejected[0].line, 2);
    assert!(
        run.report.rejected[0]
            .reason
            .en
            .contains("the pattern cannot be read"),
        "{:?}",
        run.report.rejected[0]
    );

    // Each import is a run with its audit entry; a security officer may read but not import.
    let runs = stores
        .imports
        .import_runs(Some("stix"), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(runs.total, 12 + 3);
    let audit = stores
        .audit
        .query(
            &AuditFilter {
                action: Some("intel.import".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 15);
    let officer = reader(Role::SecurityOfficer, "380330000E");
    let refused = intel
        .import_bundle(&officer, OASIS_BUNDLES[0].1, "x")
        .await
        .unwrap_err();
    assert!(matches!(refused, DomainError::Forbidden { .. }));
    assert!(
        intel
            .indicators(&officer, &IndicatorFilter::default(), all)
            .await
            .is_ok()
    );
}

pub async fn honeypot_alerts_matching_an_indicator_are_sighted_once_and_their_severity_names_it(
    stores: &Stores,
) {
    crate::seed_city(stores).await;
    stores
        .agencies
        .create_agency(
            &crate::agency_input(
                "380130000C",
                "桃園市政府警察局",
                Some("380000000A"),
                civitas_core::agencies::AgencyKind::Bureau,
            ),
            crate::at(5),
            crate::event(5, "agency.create", "380130000C"),
        )
        .await
        .unwrap();
    let p = alert_platform(stores);
    let caller = analyst();
    let intel = p.intel();
    let regional = intel
        .import_bundle(&caller, &regional_bundle(), "regional.json")
        .await
        .unwrap();
    assert_eq!(regional.active_indicators, 2, "the revoked one is left out");

    // The honeypot's alerts arrive: the scanner's seven match, the expired block's and the
    // revoked address's do not.
    let (name, bytes) = EVE_FILES[0];
    let imported = p
        .alerts()
        .import(&caller, &eve(), bytes, name)
        .await
        .unwrap();
    assert_eq!(imported.intel_matches, 7);
    let page = PageRequest::new(Some(1), Some(500));
    let alerts = p
        .alerts()
        .list(&caller, &Default::default(), page)
        .await
        .unwrap();
    for alert in &alerts.items {
        let named = alert.reasons.iter().any(|r| {
            r.en.contains("matches threat-intelligence indicator SSH scanner 8.42.77.171")
                && r.en.contains(SCANNER)
                && r.zh.contains("符合威脅情資指標")
        });
        let scanner = alert.source_ip.as_deref() == Some("8.42.77.171");
        assert_eq!(named, scanner, "{alert:?}");
    }
    let sightings = intel
        .sightings(&caller, &SightingFilter::default(), page)
        .await
        .unwrap();
    assert!(sightings.total >= 1);
    let counted: u64 = sightings.items.iter().map(|s| s.sighting.count).sum();
    assert_eq!(counted, 7, "every matching alert counted once");
    for s in &sightings.items {
        assert_eq!(s.sighting.sighting_of_ref.as_str(), SCANNER);
        assert_eq!(s.indicator_name.as_deref(), Some("SSH scanner 8.42.77.171"));
        assert_eq!(s.agency.as_ref().unwrap().as_str(), "380130000C");
        let members = p
            .alerts()
            .list(
                &caller,
                &civitas_core::alerts::AlertFilter {
                    group_id: Some(s.group_id),
                    ..Default::default()
                },
                page,
            )
            .await
            .unwrap();
        let from_scanner: Vec<_> = members
            .items
            .iter()
            .filter(|a| a.source_ip.as_deref() == Some("8.42.77.171"))
            .collect();
        assert_eq!(from_scanner.len() as u64, s.sighting.count);
        let first = from_scanner.iter().map(|a| a.observed_at).min().unwrap();
        assert_eq!(s.sighting.first_seen.at(), first);
    }

    // The same file again adds no alert and no sighting; matching the stored alerts again
    // finds the same matches and changes nothing.
    let again = p
        .alerts()
        .import(&caller, &eve(), bytes, name)
        .await
        .unwrap();
    assert_eq!((again.report.created, again.intel_matches), (0, 0));
    let rerun = intel.match_stored(&caller).await.unwrap();
    assert_eq!(rerun.alerts_checked, 44);
    assert_eq!(rerun.matches, 7);
    assert_eq!((rerun.sightings_created, rerun.sightings_updated), (0, 0));

    // A new indicator for an address already stored: matching the stored alerts sights it.
    let late = json!({
        "type": "bundle", "id": "bundle--2f0c1a4e-7d35-4b8e-9c61-0a3b5d7e9f30",
        "objects": [indicator(LATE, "Botnet node 92.63.194.33", "[ipv4-addr:value = '92.63.194.33']", json!({}))]
    });
    intel
        .import_bundle(&caller, late.to_string().as_bytes(), "late.json")
        .await
        .unwrap();
    let backfill = intel.match_stored(&caller).await.unwrap();
    assert_eq!(backfill.matches, 9);
    assert!(backfill.sightings_created >= 1);
    let late_only = SightingFilter {
        indicator: Some(civitas_core::intel::StixId::parse(LATE).unwrap()),
        ..SightingFilter::default()
    };
    let late_sightings = intel.sightings(&caller, &late_only, page).await.unwrap();
    let late_count: u64 = late_sightings.items.iter().map(|s| s.sighting.count).sum();
    assert_eq!(late_count, 2);
    let audit = stores
        .audit
        .query(
            &AuditFilter {
                action: Some("intel.match".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);

    // Sightings are read like alerts: the police see theirs, culture none.
    let police = reader(Role::SecurityOfficer, "380130000C");
    let theirs = intel
        .sightings(&police, &SightingFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(theirs.total, sightings.total + late_sightings.total);
    let culture = reader(Role::SecurityOfficer, "380330000E");
    let none = intel
        .sightings(&culture, &SightingFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let steward = reader(Role::DataSteward, "380330000E");
    assert!(matches!(
        intel
            .sightings(&steward, &SightingFilter::default(), page)
            .await
            .unwrap_err(),
        DomainError::Forbidden { .. }
    ));

    // The export: the city, its marking and every sighting, stable from one call to the next.
    let bundle = intel.export(&caller).await.unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    let sighted = objects.iter().filter(|o| o["type"] == "sighting").count() as u64;
    assert_eq!(sighted, theirs.total);
    assert!(objects.iter().any(|o| o["type"] == "identity"));
    assert_eq!(bundle, intel.export(&caller).await.unwrap());
    let at = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    assert!(
        objects.iter().filter(|o| o["type"] == "sighting").all(
            |o| o["created"] == civitas_core::intel::StixTimestamp::from_timestamp(at).as_str()
        )
    );
}
