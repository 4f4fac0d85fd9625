//! The alert story: real Suricata EVE files import once, their counts add up in the alerts,
//! the notifications and the rollups, and each reader sees only their agencies' alerts.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_core::Platform;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{
    AgencyDirectory, AlertFilter, AlertSettings, AlertWrite, Category, GroupField, GroupingPolicy,
    SourceConfig, SourceFormat, SourceName,
};
use civitas_core::audit::AuditFilter;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::clock::ManualClock;
use civitas_core::error::DomainError;
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, SecurityPolicy};

pub(crate) const EVE_FILES: [(&str, &[u8]); 3] = [
    (
        "suricata-eve-alerts-honeypot-2018.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/soc/suricata-eve-alerts-honeypot-2018.json"
        )),
    ),
    (
        "suricata-eve-alerts-wrccdc-2018.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"
        )),
    ),
    (
        "suricata-eve-alerts-first-org-conf-2015.json",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/soc/suricata-eve-alerts-first-org-conf-2015.json"
        )),
    ),
];

/// The Wrccdc competition network belongs to the culture bureau, the honeypot to the police.
pub(crate) fn alert_platform(stores: &Stores) -> Platform {
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap(),
    ));
    let mut agencies = AgencyDirectory::new();
    agencies
        .add_range("10.47.0.0/16", AgencyCode::parse("380330000E").unwrap())
        .unwrap();
    agencies
        .add_range("138.68.0.0/16", AgencyCode::parse("380130000C").unwrap())
        .unwrap();
    // The files hold one alert per signature: a notification per agency and category and
    // day makes notifications with many members.
    let grouping = GroupingPolicy::new(
        vec![GroupField::Agency, GroupField::Category],
        time::Duration::days(1),
    )
    .unwrap();
    let settings = AlertSettings {
        sources: vec![eve()],
        agencies,
        rules: None,
        grouping,
    };
    Platform::new(stores.clone(), clock, SecurityPolicy::default()).with_alerts(settings)
}

pub(crate) fn eve() -> SourceConfig {
    SourceConfig::new(
        SourceName::parse("eve-dmz").unwrap(),
        SourceFormat::Suricata,
    )
}

pub(crate) fn analyst() -> Caller {
    Caller::new(Principal::operator("test"), Some("127.0.0.1".into()))
}

pub(crate) fn reader(role: Role, agency: &str) -> Caller {
    let mut principal = Principal::operator("reader");
    principal.user_id = Some(7);
    principal.user_name = "reader".into();
    principal.grants = vec![Grant {
        role,
        scope: Scope::Agency(AgencyCode::parse(agency).unwrap()),
    }];
    Caller::new(principal, None)
}

pub async fn real_suricata_files_import_once_and_their_counts_add_up(stores: &Stores) {
    let p = alert_platform(stores);
    let caller = analyst();
    let mut stored = 0;
    for (name, bytes) in EVE_FILES {
        let first = p
            .alerts()
            .import(&caller, &eve(), bytes, name)
            .await
            .unwrap();
        assert!(
            first.report.rejected.is_empty(),
            "{name}: {:?}",
            first.report.rejected
        );
        assert!(first.report.reconciles(), "{name}");
        assert!(first.report.created > 0, "{name}");
        stored += first.report.created;
        let again = p
            .alerts()
            .import(&caller, &eve(), bytes, name)
            .await
            .unwrap();
        assert_eq!(
            again.report.created, 0,
            "{name}: a second import adds nothing"
        );
        assert_eq!(again.report.duplicates, again.report.received, "{name}");
        assert!(again.report.reconciles());
    }
    assert_eq!(
        stored,
        44 + 207 + 136,
        "every alert of the three files is kept once"
    );

    let all = AlertFilter::default();
    let page = PageRequest::new(Some(1), Some(500));
    let alerts = p.alerts().list(&caller, &all, page).await.unwrap();
    assert_eq!(alerts.total, stored);
    assert!(
        alerts
            .items
            .iter()
            .all(|a| a.rule_set_version == alerts.items[0].rule_set_version)
    );
    assert!(alerts.items.iter().any(|a| a.matched_rule_id.is_some()));

    // The rollups agree with the alerts, category by category.
    let summary = p.alerts().summary(&caller, &all).await.unwrap();
    assert_eq!(summary.total, stored);
    for line in &summary.by_category {
        let filter = AlertFilter {
            category: Some(line.category),
            ..AlertFilter::default()
        };
        let counted = p.alerts().list(&caller, &filter, page).await.unwrap().total;
        assert_eq!(line.share.count, counted, "{:?}", line.category);
    }
    let shares: f64 = summary
        .by_category
        .iter()
        .map(|l| l.share.share_percent)
        .sum();
    assert!((shares - 100.0).abs() < 0.1, "{shares}");

    // Each notification counts its members, and together they hold every alert once.
    let groups = p.alerts().notifications(&caller, &all, page).await.unwrap();
    assert!(
        groups.total > 0 && groups.total < stored / 4,
        "{}",
        groups.total
    );
    let mut members = 0;
    for g in &groups.items {
        let filter = AlertFilter {
            group_id: Some(g.id),
            ..AlertFilter::default()
        };
        let inside = p.alerts().list(&caller, &filter, page).await.unwrap();
        assert_eq!(inside.total, g.count, "{}", g.key);
        let highest = inside.items.iter().map(|a| a.severity).max().unwrap();
        assert_eq!(
            g.severity, highest,
            "a notification is as severe as its worst alert"
        );
        assert!(
            inside
                .items
                .iter()
                .all(|a| a.observed_at >= g.first_seen && a.observed_at <= g.last_seen)
        );
        members += g.count;
    }
    assert_eq!(members, stored);

    // Six runs in the import history, each with one audit entry.
    let runs = stores
        .imports
        .import_runs(Some("alerts"), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(runs.total, 6);
    let audit = stores
        .audit
        .query(
            &AuditFilter {
                action: Some("alerts.import".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 6);
}

pub async fn an_agency_reader_sees_only_their_agencys_alerts(stores: &Stores) {
    crate::seed_city(stores).await;
    let p = alert_platform(stores);
    for (name, bytes) in EVE_FILES {
        p.alerts()
            .import(&analyst(), &eve(), bytes, name)
            .await
            .unwrap();
    }
    let all = AlertFilter::default();
    let page = PageRequest::new(Some(1), Some(500));
    let culture = reader(Role::SecurityOfficer, "380330000E");
    let seen = p.alerts().list(&culture, &all, page).await.unwrap();
    assert!(seen.total > 0);
    assert!(
        seen.items
            .iter()
            .all(|a| a.agency.as_ref().map(|c| c.as_str()) == Some("380330000E"))
    );
    assert!(seen.items.iter().all(|a| {
        a.destination_ip
            .as_deref()
            .unwrap_or("")
            .starts_with("10.47.")
            || a.source_ip.as_deref().unwrap_or("").starts_with("10.47.")
    }));
    let summary = p.alerts().summary(&culture, &all).await.unwrap();
    assert_eq!(summary.total, seen.total);
    let everyone = p.alerts().list(&analyst(), &all, page).await.unwrap();
    assert!(everyone.total > seen.total);

    // A data steward holds no alert permission at all.
    let steward = reader(Role::DataSteward, "380330000E");
    let refused = p.alerts().list(&steward, &all, page).await.unwrap_err();
    assert!(matches!(refused, DomainError::Forbidden { .. }));
    // A security officer reads but does not import.
    let refused = p
        .alerts()
        .import(&culture, &eve(), EVE_FILES[0].1, "x")
        .await
        .unwrap_err();
    assert!(matches!(refused, DomainError::Forbidden { .. }));
}

pub async fn an_alert_stored_meanwhile_makes_the_whole_write_fail_and_leaves_nothing(
    stores: &Stores,
) {
    let p = alert_platform(stores);
    let (name, bytes) = EVE_FILES[0];
    p.alerts()
        .import(&analyst(), &eve(), bytes, name)
        .await
        .unwrap();
    let runs_before = stores
        .imports
        .import_runs(None, PageRequest::default())
        .await
        .unwrap()
        .total;
    // A write built from a stale look-up: its alerts are all stored already.
    let batch = civitas_core::alerts::parse_batch(&eve(), bytes, p.now());
    let rules = p.alert_settings.rule_set().unwrap();
    let classified = batch
        .alerts
        .iter()
        .map(|a| civitas_core::alerts::ClassifiedAlert {
            alert: a.clone(),
            agency: None,
            agency_reason: civitas_core::text::Text::new("-", "-"),
            classification: rules.classify(a, &Default::default()),
            group_key: "[]".into(),
            window_start: a.observed_at,
        })
        .collect();
    let report = batch.import_report("suricata", name, 0);
    let err = stores
        .alerts
        .store_alert_import(
            AlertWrite::new(classified),
            &report,
            p.now(),
            p.now(),
            "cli:test",
            crate::event(0, "alerts.import", name),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::AlreadyExists { .. }), "{err:?}");
    let runs_after = stores
        .imports
        .import_runs(None, PageRequest::default())
        .await
        .unwrap()
        .total;
    assert_eq!(
        runs_before, runs_after,
        "the run was rolled back with the alerts"
    );
    let groups = p
        .alerts()
        .notifications(
            &analyst(),
            &AlertFilter::default(),
            PageRequest::new(Some(1), Some(500)),
        )
        .await
        .unwrap();
    assert!(groups.items.iter().all(|g| g.key != "[]"));
    let summary = p
        .alerts()
        .summary(&analyst(), &AlertFilter::default())
        .await
        .unwrap();
    let by_category: BTreeMap<Category, u64> = summary
        .by_category
        .iter()
        .map(|l| (l.category, l.share.count))
        .collect();
    assert_eq!(by_category.values().sum::<u64>(), 44);
}
