//! The alert story: real Suricata EVE files import once, their counts add up in the alerts,
//! the notifications and the rollups, and each reader sees only their agencies' alerts.

use std::collections::BTreeMap;
use std::sync::Arc;

use civitas_core::Platform;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{
    AgencyDirectory, AlertFilter, AlertSettings, AlertWrite, Category, GroupField, GroupingPolicy,
    Severity, SourceConfig, SourceFormat, SourceName,
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
        rules_text: None,
        grouping,
        ..AlertSettings::default()
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

    // The sightings of a source address are exactly its alerts in the window asked for.
    let busiest = {
        let mut by_source: std::collections::HashMap<&str, Vec<Timestamp>> = Default::default();
        for a in &alerts.items {
            if let Some(ip) = a.source_ip.as_deref() {
                by_source.entry(ip).or_default().push(a.observed_at);
            }
        }
        let (ip, mut times) = by_source
            .into_iter()
            .max_by_key(|(ip, t)| (t.len(), ip.to_string()))
            .unwrap();
        times.sort();
        (ip.to_string(), times)
    };
    let (ip, times) = busiest;
    assert!(times.len() > 2, "{ip}: {}", times.len());
    let middle = times[times.len() / 2];
    let seen = stores
        .alerts
        .source_sightings(
            &[ip.clone(), "192.0.2.250".into()],
            middle,
            *times.last().unwrap(),
        )
        .await
        .unwrap();
    let mut got = seen.get(&ip).cloned().unwrap_or_default();
    got.sort();
    let want: Vec<i64> = times
        .iter()
        .filter(|t| **t >= middle)
        .map(|t| t.as_millis())
        .collect();
    assert_eq!(got, want, "{ip}");
    assert!(
        !seen.contains_key("192.0.2.250"),
        "an unseen address has no sightings"
    );

    // Full-text search: an address finds the alerts it is the source or target of; the words
    // of a signature find every alert with that signature; what looks like query syntax is
    // taken as words.
    let search = |text: &str| AlertFilter {
        text: Some(text.to_string()),
        ..AlertFilter::default()
    };
    let found = p.alerts().list(&caller, &search(&ip), page).await.unwrap();
    let by_address = alerts
        .items
        .iter()
        .filter(|a| {
            a.source_ip.as_deref() == Some(ip.as_str())
                || a.destination_ip.as_deref() == Some(ip.as_str())
        })
        .count() as u64;
    assert_eq!(found.total, by_address, "{ip}");
    let signature = alerts.items[0].signature.clone();
    let typed = signature.to_lowercase();
    let with_words = p
        .alerts()
        .list(&caller, &search(&typed), page)
        .await
        .unwrap();
    let same: Vec<i64> = alerts
        .items
        .iter()
        .filter(|a| a.signature == signature)
        .map(|a| a.id)
        .collect();
    assert!(!same.is_empty());
    let found_ids: Vec<i64> = with_words.items.iter().map(|a| a.id).collect();
    assert!(
        same.iter().all(|id| found_ids.contains(id)),
        "{signature}: {} found",
        with_words.total
    );
    for nothing in ["zzqx-no-such-word", "\"OR* NEAR(", "ET zzqx"] {
        let none = p
            .alerts()
            .list(&caller, &search(nothing), page)
            .await
            .unwrap();
        assert_eq!(none.total, 0, "{nothing}");
    }

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
            context: Default::default(),
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

/// The built-in rules with one city rule in front: every `ET SCAN` signature is a denial of
/// service (a deliberately visible change).
fn city_rules() -> String {
    let default = civitas_core::alerts::DEFAULT_RULES;
    let first_rule = default.find("[[rule]]").unwrap();
    let (head, rules) = default.split_at(first_rule);
    let head = head.replace("version = \"default-2026.1\"", "version = \"city-2026.2\"");
    assert!(
        head.contains("city-2026.2"),
        "the default rules' version moved"
    );
    format!(
        "{head}[[rule]]\nid = \"city-scan-is-dos\"\ndescription = \"Scans of the city count as denial of service\"\nsignature_prefixes = [\"ET SCAN\"]\ncategory = \"dos\"\n\n{rules}"
    )
}

pub async fn changed_rules_reapplied_to_history_move_the_statistics_and_name_their_version(
    stores: &Stores,
) {
    let p = alert_platform(stores);
    let caller = analyst();
    for (name, bytes) in EVE_FILES {
        p.alerts()
            .import(&caller, &eve(), bytes, name)
            .await
            .unwrap();
    }
    let all = AlertFilter::default();
    let page = PageRequest::new(Some(1), Some(500));
    let before = p.alerts().summary(&caller, &all).await.unwrap();
    let alerts = p.alerts().list(&caller, &all, page).await.unwrap();
    let scans = alerts
        .items
        .iter()
        .filter(|a| a.signature.starts_with("ET SCAN") && a.category != Category::Dos)
        .count() as u64;
    assert!(scans > 0, "the samples hold scans");
    let count = |s: &civitas_core::alerts::AlertSummary, c: Category| {
        s.by_category
            .iter()
            .find(|l| l.category == c)
            .unwrap()
            .share
            .count
    };

    // The preview says what would move, and writes nothing.
    let text = city_rules();
    let preview = p
        .alerts()
        .preview_rules(&caller, &text, 366 * 20)
        .await
        .unwrap();
    assert_eq!(preview.examined, before.total);
    assert_eq!(preview.changed, scans, "{:?}", preview.transitions);
    assert!(
        preview
            .transitions
            .iter()
            .all(|t| t.to_category == Category::Dos)
    );
    let unchanged = p.alerts().summary(&caller, &all).await.unwrap();
    assert_eq!(unchanged, before);

    // Saved and re-applied to all of history: the statistics move, and say which rules.
    let done = p
        .alerts()
        .save_rules(&caller, &text, None, None)
        .await
        .unwrap();
    assert_eq!(done.changed, scans);
    assert_eq!(done.rule_set_version, "city-2026.2");
    let after = p.alerts().summary(&caller, &all).await.unwrap();
    assert_eq!(after.total, before.total);
    assert_eq!(
        count(&after, Category::Dos),
        count(&before, Category::Dos) + scans
    );
    let left: u64 = Category::ALL
        .iter()
        .filter(|c| **c != Category::Dos)
        .map(|c| {
            assert!(
                count(&after, *c) <= count(&before, *c),
                "{c:?} only loses scans"
            );
            count(&before, *c) - count(&after, *c)
        })
        .sum();
    assert_eq!(left, scans, "scans left their old categories for dos");
    for line in &after.by_category {
        let filter = AlertFilter {
            category: Some(line.category),
            ..AlertFilter::default()
        };
        let listed = p.alerts().list(&caller, &filter, page).await.unwrap().total;
        assert_eq!(
            line.share.count, listed,
            "rollups agree with alerts: {:?}",
            line.category
        );
    }
    let relisted = p.alerts().list(&caller, &all, page).await.unwrap();
    assert!(
        relisted
            .items
            .iter()
            .all(|a| a.rule_set_version == "city-2026.2"),
        "every alert names the rules that classify it now"
    );
    assert!(
        relisted
            .items
            .iter()
            .any(|a| a.matched_rule_id.as_deref() == Some("city-scan-is-dos"))
    );
    let groups = p.alerts().notifications(&caller, &all, page).await.unwrap();
    for g in &groups.items {
        let inside = p
            .alerts()
            .list(
                &caller,
                &AlertFilter {
                    group_id: Some(g.id),
                    ..AlertFilter::default()
                },
                page,
            )
            .await
            .unwrap();
        let highest = inside.items.iter().map(|a| a.severity).max().unwrap();
        assert_eq!(g.severity, highest);
        let earliest = inside
            .items
            .iter()
            .min_by_key(|a| (a.observed_at, a.id))
            .unwrap();
        assert_eq!(g.category, earliest.category);
    }
    // New alerts are classified by the saved rules.
    assert_eq!(
        p.alerts().rules_in_force().await.unwrap().version(),
        "city-2026.2"
    );

    // The same version again is refused; so is a broken file. Nothing moves.
    let err = p
        .alerts()
        .save_rules(&caller, &text, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Invalid { .. }), "{err:?}");
    let broken = text.replace("category = \"dos\"", "category = \"weather\"");
    let broken = broken.replace("city-2026.2", "city-2026.3");
    let err = p
        .alerts()
        .save_rules(&caller, &broken, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Invalid { .. }), "{err:?}");
    assert_eq!(p.alerts().summary(&caller, &all).await.unwrap(), after);
    let actions: Vec<String> = stores
        .audit
        .query(
            &AuditFilter::default(),
            PageRequest::new(Some(1), Some(500)),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().any(|a| a == "alerts.rules.save"));
    assert!(actions.iter().any(|a| a == "alerts.reclassify"));
    // The alert list's totals (from the rollups when the filter asks only what they keep)
    // equal the alerts the list pages through, after the re-classification too.
    let midnight = |y: i32, m: u8, d: u8| {
        Timestamp::taipei_midnight(
            time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap(),
        )
    };
    let mut filters = vec![all.clone()];
    for category in Category::ALL {
        filters.push(AlertFilter {
            category: Some(category),
            ..AlertFilter::default()
        });
        for severity in [Severity::High, Severity::Medium, Severity::Low] {
            filters.push(AlertFilter {
                category: Some(category),
                severity: Some(severity),
                ..AlertFilter::default()
            });
        }
    }
    // Whole days that cut through the stored alerts: the day of the newest one is left out.
    let newest = stores
        .alerts
        .alerts(&all, PageRequest::new(Some(1), Some(1)))
        .await
        .unwrap()
        .items[0]
        .observed_at;
    let its_day = Timestamp::taipei_midnight(newest.taipei_date());
    for (from, to) in [
        (midnight(2000, 1, 1), its_day),
        (its_day.sub(time::Duration::days(1)), its_day),
        (midnight(2000, 1, 1), midnight(2099, 1, 1)),
        (midnight(2024, 3, 1), midnight(2024, 4, 1)),
        (
            midnight(2024, 3, 1).add(time::Duration::hours(5)),
            midnight(2099, 1, 1),
        ),
    ] {
        filters.push(AlertFilter {
            from: Some(from),
            to: Some(to),
            ..AlertFilter::default()
        });
    }
    for filter in &filters {
        let page = stores
            .alerts
            .alerts(filter, PageRequest::new(Some(1), Some(1000)))
            .await
            .unwrap();
        assert!(page.items.len() < 1000, "the test pages through everything");
        assert_eq!(page.total, page.items.len() as u64, "{filter:?}");
    }
    // The monthly rollups the analysis page reads stay equal to the daily ones summed per
    // month after the re-classification moved counts between categories.
    assert_eq!(
        monthly_sums(stores.alerts.alert_rollups(&all, None, None).await.unwrap()),
        monthly_sums(
            stores
                .alerts
                .alert_rollup_months(&all, "2000-01", "2099-12")
                .await
                .unwrap()
        )
    );
    // A reader may not change rules.
    let officer = reader(Role::SecurityOfficer, "380330000E");
    let err = p
        .alerts()
        .preview_rules(&officer, &text, 30)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Forbidden { .. } | DomainError::NoGrant(_)),
        "{err:?}"
    );
}

/// Rollup rows summed per month and key, without those that count nothing.
fn monthly_sums(
    rows: Vec<civitas_core::alerts::RollupRow>,
) -> BTreeMap<(String, String, String, String, String, String), u64> {
    let mut out = BTreeMap::new();
    for r in rows {
        let key = (
            r.day.get(..7).unwrap_or_default().to_string(),
            r.agency.map(|a| a.as_str().to_string()).unwrap_or_default(),
            r.category.as_str().to_string(),
            r.sub_bucket
                .map(|b| b.as_str().to_string())
                .unwrap_or_default(),
            r.severity.as_str().to_string(),
            r.source,
        );
        *out.entry(key).or_insert(0) += r.count;
    }
    out.retain(|_, n| *n > 0);
    out
}

/// A large file is read in chunks, each stored on its own: the totals reconcile, rejected
/// lines keep the file's numbers, and a run killed after some chunks, run again, stores each
/// alert once.
pub async fn a_file_is_imported_in_chunks_and_a_rerun_after_a_kill_stores_each_alert_once(
    stores: &Stores,
) {
    let p = alert_platform(stores);
    let caller = analyst();
    let (_, wrccdc) = EVE_FILES[1];
    let events: Vec<serde_json::Value> = serde_json::from_slice(wrccdc).unwrap();
    let mut lines: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    // Two broken lines at known places: a truncated record and binary garbage.
    lines.insert(60, "{\"timestamp\": \"2018-03-".into());
    lines.insert(150, "\u{1}\u{2}garbage".into());
    let file = lines.join("\n");
    let total_lines = lines.len() as u64;
    assert_eq!(total_lines, 209);

    // Killed after two chunks of 50: the first 100 lines are stored (one broken among them).
    let head = lines[..100].join("\n");
    let partial = p
        .alerts()
        .import_file_in_chunks(
            &caller,
            &eve(),
            head.as_bytes(),
            "wrccdc.ndjson",
            50,
            &mut |_, _| {},
        )
        .await
        .unwrap();
    assert_eq!(partial.report.created, 99);

    let mut seen = Vec::new();
    let rerun = p
        .alerts()
        .import_file_in_chunks(
            &caller,
            &eve(),
            file.as_bytes(),
            "wrccdc.ndjson",
            50,
            &mut |done, total| seen.push((done, total)),
        )
        .await
        .unwrap();
    let r = &rerun.report;
    assert!(r.reconciles(), "{r:?}");
    assert_eq!(r.received, total_lines);
    assert_eq!(
        r.created,
        207 - 99,
        "only what the killed run had not stored"
    );
    assert_eq!(r.duplicates, 99);
    let lines_rejected: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
    assert_eq!(lines_rejected, [61, 151], "the file's own line numbers");
    assert_eq!(seen.len(), 5, "five chunks of at most 50 lines");
    assert_eq!(seen.last().unwrap().0, file.len() as u64);
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));

    let all = AlertFilter::default();
    let page = PageRequest::new(Some(1), Some(1));
    assert_eq!(
        p.alerts().list(&caller, &all, page).await.unwrap().total,
        207
    );
    let runs = stores
        .imports
        .import_runs(Some("alerts"), PageRequest::new(Some(1), Some(50)))
        .await
        .unwrap();
    assert_eq!(runs.total, 2 + 5, "one run per chunk");
    assert!(
        runs.items
            .iter()
            .any(|run| run.report.source == "wrccdc.ndjson (151–200)"),
        "{:?}",
        runs.items
            .iter()
            .map(|r| &r.report.source)
            .collect::<Vec<_>>()
    );

    let again = p
        .alerts()
        .import_file_in_chunks(
            &caller,
            &eve(),
            file.as_bytes(),
            "wrccdc.ndjson",
            50,
            &mut |_, _| {},
        )
        .await
        .unwrap();
    assert_eq!(again.report.created, 0);
    assert_eq!(again.report.duplicates, 207);
    assert_eq!(
        p.alerts().list(&caller, &all, page).await.unwrap().total,
        207
    );
}
