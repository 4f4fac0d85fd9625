//! Behaviour specific to the embedded store: files, WAL, migrations, backups.

use civitas_core::audit::AuditFilter;
use civitas_core::page::PageRequest;
use civitas_store_conformance::event;
use civitas_store_sqlite::{DB_FILE, OpenOptions, SqliteStore};

#[tokio::test]
async fn a_backup_taken_while_writing_opens_with_everything_committed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let stores = store.stores();
    for i in 0..50 {
        stores
            .audit
            .append(event(i, "user.create", &format!("u{i}")))
            .await
            .unwrap();
    }
    let backup = dir.path().join("backup.sqlite3");
    let writer = {
        let stores = stores.clone();
        tokio::spawn(async move {
            for i in 50..150 {
                stores
                    .audit
                    .append(event(i, "user.create", &format!("u{i}")))
                    .await
                    .unwrap();
            }
        })
    };
    stores.admin.backup_to(&backup).await.unwrap();
    writer.await.unwrap();

    let copy = SqliteStore::open(&backup, OpenOptions::default()).unwrap();
    let head = copy.stores().audit.head().await.unwrap().unwrap();
    assert!(
        head.seq >= 50,
        "the backup has at least what was committed before it"
    );
    let n = copy
        .stores()
        .audit
        .query(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .total;
    assert_eq!(
        n as i64, head.seq,
        "entries and head agree: a consistent snapshot"
    );
    assert!(
        stores.admin.backup_to(&backup).await.is_err(),
        "never overwrites a file"
    );
}

#[tokio::test]
async fn the_application_cannot_rewrite_audit_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    store
        .stores()
        .audit
        .append(event(0, "user.create", "a"))
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let err = conn
        .execute("UPDATE audit_log SET actor_name = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn opening_without_migrating_refuses_an_outdated_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let err = SqliteStore::open(
        &path,
        OpenOptions {
            migrate: false,
            readers: 1,
            ..OpenOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("civitas migrate"), "{err}");
    let every: Vec<i64> = civitas_store_sqlite::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(SqliteStore::migrate_file(&path).unwrap(), every);
    assert!(
        SqliteStore::migrate_file(&path).unwrap().is_empty(),
        "migrating twice applies nothing"
    );
    SqliteStore::open(
        &path,
        OpenOptions {
            migrate: false,
            readers: 1,
            ..OpenOptions::default()
        },
    )
    .unwrap();
}

#[tokio::test]
async fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// The notifications-per-day rollup the spike test reads (migration 17) always equals counting
/// alert_groups, through inserts, upserts that move a notification's first sighting or agency
/// across a Taipei midnight, and deletes.
#[tokio::test]
async fn the_notification_day_rollup_follows_every_change_of_alert_groups() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let counted = |conn: &rusqlite::Connection| -> Vec<(String, String, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT date(first_seen / 1000 + 28800, 'unixepoch'), COALESCE(agency, ''), COUNT(*)
                 FROM alert_groups GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let rolled = |conn: &rusqlite::Connection| -> Vec<(String, String, i64)> {
        let mut stmt = conn
            .prepare(
                "SELECT day, agency, groups FROM alert_group_days WHERE groups > 0 ORDER BY 1, 2",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    // 2024-05-01 15:59:59Z is 23:59:59 in Taipei; a second later is the next Taipei day.
    let before_midnight = 1_714_579_199_000i64;
    let upsert = "INSERT INTO alert_groups (group_key, window_start, first_seen, last_seen, alert_count,
                                            category, severity_rank, agency)
                  VALUES (?1, 0, ?2, ?2, 1, 'other', 1, ?3)
                  ON CONFLICT (window_start, group_key) DO UPDATE SET
                      alert_count = alert_count + 1,
                      agency = CASE WHEN excluded.first_seen < first_seen THEN excluded.agency ELSE agency END,
                      first_seen = MIN(first_seen, excluded.first_seen),
                      last_seen = MAX(last_seen, excluded.last_seen)";
    for (key, at, agency) in [
        ("a", before_midnight + 1_000, Some("380330000E")),
        ("b", before_midnight + 5_000, None),
        ("c", before_midnight + 9_000, Some("380330000E")),
        // An earlier alert joins "a": its first sighting moves to the day before, and its
        // agency to the earlier member's.
        ("a", before_midnight, Some("TY-ARTMUSEUM")),
        // A later one joins "b": nothing moves.
        ("b", before_midnight + 86_400_000, Some("380330000E")),
    ] {
        conn.execute(upsert, rusqlite::params![key, at, agency])
            .unwrap();
        assert_eq!(rolled(&conn), counted(&conn), "after {key} at {at}");
    }
    assert_eq!(
        rolled(&conn),
        [
            ("2024-05-01".to_string(), "TY-ARTMUSEUM".to_string(), 1),
            ("2024-05-02".to_string(), String::new(), 1),
            ("2024-05-02".to_string(), "380330000E".to_string(), 1),
        ]
    );
    conn.execute("DELETE FROM alert_groups WHERE group_key = 'c'", [])
        .unwrap();
    assert_eq!(rolled(&conn), counted(&conn));
}

/// Migration 17 indexes the alerts stored before it for full-text search from their records:
/// the backfill finds what the import-time index finds.
#[tokio::test]
async fn the_search_backfill_indexes_stored_alerts_like_the_import_does() {
    use civitas_core::alerts::{AlertSettings, SourceConfig, SourceFormat, SourceName};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let clock = std::sync::Arc::new(civitas_core::clock::ManualClock::new(
        civitas_core::time::Timestamp::parse_rfc3339("2024-03-01T00:00:00Z").unwrap(),
    ));
    let source = SourceConfig::new(SourceName::parse("eve").unwrap(), SourceFormat::Suricata);
    let platform = civitas_core::Platform::new(
        store.stores(),
        clock,
        civitas_core::SecurityPolicy::default(),
    )
    .with_alerts(AlertSettings {
        sources: vec![source.clone()],
        ..AlertSettings::default()
    });
    let op = civitas_core::Caller::new(civitas_core::authz::Principal::operator("test"), None);
    let wrccdc = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/soc/suricata-eve-alerts-wrccdc-2018.json"
    ));
    let done = platform
        .alerts()
        .import(&op, &source, wrccdc, "wrccdc.json")
        .await
        .unwrap();
    assert_eq!(done.report.created, 207);
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let matches = |conn: &rusqlite::Connection, q: &str| -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT rowid FROM alerts_search WHERE alerts_search MATCH ?1 ORDER BY rowid")
            .unwrap();
        stmt.query_map([q], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let address: String = conn
        .query_row(
            "SELECT source_ip FROM alerts WHERE source_ip IS NOT NULL LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let address = format!("\"{address}\"");
    let queries = [
        address.as_str(),
        "\"ET\" AND \"POLICY\"",
        "\"http\"",
        "\"suricata\" OR \"ids\"",
    ];
    let at_import: Vec<Vec<i64>> = queries.iter().map(|q| matches(&conn, q)).collect();
    assert!(
        at_import.iter().take(3).all(|m| !m.is_empty()),
        "{at_import:?}"
    );
    let migration = include_str!("../../migrations/0017_alert_dashboard_scale.sql");
    let backfill = &migration[migration.find("INSERT INTO alerts_search").unwrap()..];
    conn.execute_batch(&format!("DELETE FROM alerts_search; {backfill}"))
        .unwrap();
    let backfilled: Vec<Vec<i64>> = queries.iter().map(|q| matches(&conn, q)).collect();
    assert_eq!(backfilled, at_import);
}

/// The city-wide top values read through the threshold algorithm (migration 17's
/// alert_value_months) or from the kept window of the default period (migration 24) equal
/// summing every rollup row, for a skewed dimension (proved from each month's leaders) and a
/// flat one (where the proof fails and everything is summed), before and after the window
/// moves.
#[tokio::test]
async fn top_values_from_monthly_leaders_equal_summing_every_row() {
    use civitas_core::alerts::AlertFilter;
    use civitas_core::alerts::analysis::Dimension;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let alerts = store.stores().alerts;
    // The dashboard's default period is kept from the start (migration 24): the triggers fill
    // it as the rows below arrive.
    assert!(
        alerts
            .refresh_alert_value_window("2024-01", "2024-12")
            .await
            .unwrap()
    );
    let mut conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let tx = conn.transaction().unwrap();
    let mut seed: u64 = 7;
    let mut next = move |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    {
        let mut up = tx
            .prepare(
                "INSERT INTO alert_value_rollups (month, dimension, agency, value, alert_count, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (dimension, month, agency, value) DO UPDATE SET
                     alert_count = alert_count + excluded.alert_count,
                     first_seen = MIN(first_seen, excluded.first_seen),
                     last_seen = MAX(last_seen, excluded.last_seen)",
            )
            .unwrap();
        for month in 1..=12u32 {
            let m = format!("2024-{month:02}");
            let at = 1_704_067_200_000i64 + i64::from(month) * 2_600_000_000;
            for agency in ["", "380330000E", "TY-ARTMUSEUM"] {
                // Skewed: a few scanners that come back, and many one-off sources.
                for heavy in 0..8u64 {
                    if next(3) > 0 {
                        let n = 20 + next(200) as i64;
                        up.execute(rusqlite::params![
                            m,
                            "source_ip",
                            agency,
                            format!("45.0.0.{heavy}"),
                            n,
                            at
                        ])
                        .unwrap();
                    }
                }
                for _ in 0..300 {
                    let v = format!("203.0.{}.{}", next(40), next(250));
                    up.execute(rusqlite::params![
                        m,
                        "source_ip",
                        agency,
                        v,
                        1 + next(3) as i64,
                        at
                    ])
                    .unwrap();
                }
                // Flat: 150 targets, all with the same count.
                for t in 0..150 {
                    up.execute(rusqlite::params![
                        m,
                        "destination_ip",
                        agency,
                        format!("10.0.0.{t}"),
                        2,
                        at
                    ])
                    .unwrap();
                }
            }
        }
        // An update that lowers nothing but moves counts: re-add to one row.
        up.execute(rusqlite::params![
            "2024-03",
            "source_ip",
            "",
            "45.0.0.1",
            500,
            1_704_067_200_000i64
        ])
        .unwrap();
    }
    tx.commit().unwrap();
    let brute = |dimension: &str, from: &str, to: &str, limit: i64| -> Vec<(String, u64, u32)> {
        let mut stmt = conn
            .prepare(
                "SELECT value, SUM(alert_count) AS n, COUNT(DISTINCT month) FROM alert_value_rollups
                 WHERE dimension = ?1 AND month >= ?2 AND month <= ?3
                 GROUP BY value ORDER BY n DESC, value LIMIT ?4",
            )
            .unwrap();
        stmt.query_map(rusqlite::params![dimension, from, to, limit], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u32,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let compare = async |periods: &[(&str, &str, u32)]| {
        for (dimension, name) in [
            (Dimension::SourceIp, "source_ip"),
            (Dimension::DestinationIp, "destination_ip"),
        ] {
            for &(from, to, limit) in periods {
                let got: Vec<(String, u64, u32)> = alerts
                    .alert_values(&AlertFilter::default(), dimension, from, to, limit)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|v| (v.value, v.count, v.months_seen))
                    .collect();
                assert_eq!(
                    got,
                    brute(name, from, to, i64::from(limit)),
                    "{name} {from}..{to} top {limit}"
                );
            }
        }
    };
    let periods = [
        // The kept window (kept by the triggers), then two periods it does not cover.
        ("2024-01", "2024-12", 10),
        ("2024-01", "2024-12", 160),
        ("2024-03", "2024-05", 5),
        ("2024-06", "2024-06", 25),
    ];
    compare(&periods).await;
    // The window moves (rebuilt from the monthly counts) and is then kept; the year is read
    // through the threshold algorithm again. Moving it to where it is does nothing.
    assert!(
        alerts
            .refresh_alert_value_window("2024-03", "2024-05")
            .await
            .unwrap()
    );
    assert!(
        !alerts
            .refresh_alert_value_window("2024-03", "2024-05")
            .await
            .unwrap()
    );
    let mut more = conn
        .prepare(
            "INSERT INTO alert_value_rollups (month, dimension, agency, value, alert_count, first_seen, last_seen)
             VALUES (?1, ?2, '', ?3, ?4, 1706000000000, 1706000000000)
             ON CONFLICT (dimension, month, agency, value) DO UPDATE SET
                 alert_count = alert_count + excluded.alert_count",
        )
        .unwrap();
    for (month, dimension, value, n) in [
        ("2024-04", "destination_ip", "10.0.0.7", 3),
        ("2024-04", "destination_ip", "10.9.9.9", 1),
        ("2024-04", "source_ip", "45.0.0.3", 40),
        ("2024-09", "source_ip", "45.0.0.4", 900),
    ] {
        more.execute(rusqlite::params![month, dimension, value, n])
            .unwrap();
    }
    drop(more);
    compare(&[
        ("2024-03", "2024-05", 5),
        ("2024-03", "2024-05", 200),
        ("2024-01", "2024-12", 10),
    ])
    .await;
}

/// Migration 19 rolls the calls logged before it into hourly traffic: the backfill gives the
/// same rows as the trigger kept while logging (across hours, statuses and latency buckets).
#[test]
fn the_traffic_backfill_equals_what_the_trigger_keeps() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap());
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let statuses = [200i64, 200, 403, 500, 200, 404, 502, 200];
    let durations = [
        800i64, 1_000, 1_001, 4_999, 60_000, 999_999, 5_000_001, 250_000,
    ];
    for i in 0..400i64 {
        let started = 1_764_300_000_000 + i * 97_531;
        conn.execute(
            "INSERT INTO exchange_messages (xroad_id, request_id, client, service, method, path,
                status, started_at, finished_at, duration_us)
             VALUES (?1, ?1, 'TW/GOV/1/A', ?2, 'GET', '/x', ?3, ?4, ?4, ?5)",
            rusqlite::params![
                format!("id-{i}"),
                if i % 3 == 0 {
                    "TW/GOV/1/A/one"
                } else {
                    "TW/GOV/2/B/two"
                },
                statuses[(i % 8) as usize],
                started,
                durations[(i % 7) as usize],
            ],
        )
        .unwrap();
    }
    // A refusal before the service was known is not traffic of any service.
    conn.execute(
        "INSERT INTO exchange_messages (xroad_id, request_id, method, path, status, started_at,
            finished_at, duration_us) VALUES ('x', 'x', 'GET', '/', 400, 0, 0, 5)",
        [],
    )
    .unwrap();
    let rows = |conn: &rusqlite::Connection| -> Vec<Vec<i64>> {
        let mut stmt = conn
            .prepare(
                "SELECT hour, calls, client_errors, server_errors, total_us, le_1ms, le_5ms,
                    le_10ms, le_50ms, le_100ms, le_500ms, le_1s, le_5s, over_5s
                 FROM exchange_traffic_hours ORDER BY service, hour",
            )
            .unwrap();
        stmt.query_map([], |r| (0..14).map(|i| r.get(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let kept = rows(&conn);
    assert!(kept.len() > 10, "{}", kept.len());
    assert_eq!(kept.iter().map(|r| r[1]).sum::<i64>(), 400);
    let migration = include_str!("../../migrations/0019_exchange_traffic.sql");
    let backfill = &migration[migration.find("-- The calls logged before").unwrap()..];
    conn.execute_batch(&format!("DELETE FROM exchange_traffic_hours; {backfill}"))
        .unwrap();
    assert_eq!(rows(&conn), kept);
}

/// Small grouped writes (the exchange gateway's message log) are committed together, each in
/// its own savepoint: a call whose logging fails half-way (its message row stored, then its
/// second evidence refused as a duplicate) leaves nothing, and the calls logged around it in
/// the same transaction are all kept.
#[tokio::test]
async fn grouped_writes_committed_together_keep_each_others_failures_out() {
    use civitas_core::exchange::{MessageEvidence, MessageFilter, MessageRecord, MessageSide};
    use civitas_store_conformance::at;

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let stores = store.stores();
    let evidence = |side: MessageSide| MessageEvidence {
        side,
        message: format!("{} message", side.as_str()).into_bytes(),
        body: None,
        body_omitted: false,
        signature: b"<signature/>".to_vec(),
        sig_hash_chain: None,
    };
    let mut tasks = Vec::new();
    for i in 0..60u32 {
        let stores = stores.clone();
        let record = MessageRecord {
            id: 0,
            xroad_id: format!("TW-{i}"),
            request_id: format!("req-{i}"),
            client: Some("TW/GOV/380130000C/POLICE-CASES".into()),
            service: Some("TW/GOV/380290000H/TRANSPORT-API/bus".into()),
            agency: None,
            endpoint: None,
            method: "GET".into(),
            path: "/bus".into(),
            status: 200,
            request_hash: None,
            response_hash: None,
            started_at: at(10),
            finished_at: at(10),
            duration_us: 900,
            error_type: None,
            evidence: Vec::new(),
        };
        // Every third logs its request twice: refused after its message row was written.
        let sides = if i.is_multiple_of(3) {
            vec![
                evidence(MessageSide::Request),
                evidence(MessageSide::Request),
            ]
        } else {
            vec![
                evidence(MessageSide::Request),
                evidence(MessageSide::Response),
            ]
        };
        tasks.push(tokio::spawn(async move {
            stores
                .exchange
                .log_signed_message(&record, &sides, at(11))
                .await
        }));
    }
    let mut refused = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(_) => assert!(!i.is_multiple_of(3), "call {i} was logged"),
            Err(_) if i.is_multiple_of(3) => refused += 1,
            Err(e) => panic!("call {i}: {e:?}"),
        }
    }
    assert_eq!(refused, 20);
    let logged = stores
        .exchange
        .messages(
            &MessageFilter::default(),
            PageRequest::new(Some(1), Some(100)),
        )
        .await
        .unwrap();
    assert_eq!(logged.total, 40, "only the calls logged in full are kept");
    assert!(logged.items.iter().all(|m| {
        let n: u32 = m.xroad_id.trim_start_matches("TW-").parse().unwrap();
        !n.is_multiple_of(3)
    }));
}

/// A write of its own (not grouped) has its transaction alone: one that fails half-way (its
/// user row stored, then its grant refused by a foreign key) leaves nothing, however many run
/// at once, and the audit chain has no gap.
#[tokio::test]
async fn writes_of_their_own_leave_nothing_when_they_fail() {
    use civitas_core::accounts::{NewUser, UserFilter, UserName, UserProfile};
    use civitas_core::agencies::AgencyCode;
    use civitas_core::authz::{Grant, Role, Scope};
    use civitas_core::time::{DateStyle, Language};
    use civitas_store_conformance::at;

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let stores = store.stores();
    let mut tasks = Vec::new();
    for i in 0..60u32 {
        let stores = stores.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("u{i}");
            // Every third names an agency that does not exist: its grant fails after its
            // user row was written.
            let grants = if i.is_multiple_of(3) {
                vec![Grant {
                    role: Role::DataSteward,
                    scope: Scope::Agency(AgencyCode::parse("389999999Z").unwrap()),
                }]
            } else {
                Vec::new()
            };
            stores
                .accounts
                .create_user(
                    &NewUser {
                        name: UserName::parse(&name).unwrap(),
                        profile: UserProfile {
                            display_name: name.clone(),
                            email: None,
                            home_agency: None,
                            active: true,
                            language: Language::ZhTw,
                            date_style: DateStyle::Roc,
                        },
                        password_hash: "$argon2id$fake".into(),
                        created_at: at(10),
                    },
                    &grants,
                    "cli:test",
                    event(10 + i64::from(i), "user.create", &name),
                )
                .await
        }));
    }
    let mut refused = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(user) => assert_eq!(user.name.as_str(), format!("u{i}")),
            Err(_) if i.is_multiple_of(3) => refused += 1,
            Err(e) => panic!("u{i}: {e:?}"),
        }
    }
    assert_eq!(refused, 20);
    let users = stores
        .accounts
        .list_users(&UserFilter::default(), PageRequest::new(Some(1), Some(100)))
        .await
        .unwrap();
    assert_eq!(users.total, 40, "only the writes that succeeded are kept");
    assert!(users.items.iter().all(|u| {
        let n: u32 = u.name.as_str().trim_start_matches('u').parse().unwrap();
        !n.is_multiple_of(3)
    }));
    let audit = stores
        .audit
        .query(
            &AuditFilter::default(),
            PageRequest::new(Some(1), Some(100)),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 40, "a refused write leaves no audit entry");
    let head = stores.audit.head().await.unwrap().unwrap();
    assert_eq!(head.seq, 40, "the audit chain has no gap");
}
