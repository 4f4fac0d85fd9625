//! Plain-SQL migrations embedded in the binary, recorded with a checksum so that an edited
//! migration is refused instead of silently diverging.

use civitas_core::error::{DomainError, DomainResult};
use civitas_core::ports::SchemaStatus;
use civitas_core::random::sha256_hex;
use rusqlite::{Connection, OptionalExtension};

use crate::convert::db_err;

/// (version, name, SQL). Append only; never edit an applied migration.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (2, "catalog", include_str!("../migrations/0002_catalog.sql")),
    (
        3,
        "freshness_history",
        include_str!("../migrations/0003_freshness_history.sql"),
    ),
    (
        4,
        "notifications",
        include_str!("../migrations/0004_notifications.sql"),
    ),
    (5, "sharing", include_str!("../migrations/0005_sharing.sql")),
    (
        6,
        "inventory",
        include_str!("../migrations/0006_inventory.sql"),
    ),
    (7, "harvest", include_str!("../migrations/0007_harvest.sql")),
    (
        8,
        "catalog_speed",
        include_str!("../migrations/0008_catalog_speed.sql"),
    ),
    (
        9,
        "link_checks",
        include_str!("../migrations/0009_link_checks.sql"),
    ),
    (
        10,
        "search_changes",
        include_str!("../migrations/0010_search_changes.sql"),
    ),
    (
        11,
        "dataset_freshness",
        include_str!("../migrations/0011_dataset_freshness.sql"),
    ),
    (12, "alerts", include_str!("../migrations/0012_alerts.sql")),
    (
        13,
        "alert_analysis",
        include_str!("../migrations/0013_alert_analysis.sql"),
    ),
    (14, "cases", include_str!("../migrations/0014_cases.sql")),
    (15, "intel", include_str!("../migrations/0015_intel.sql")),
    (
        16,
        "exchange",
        include_str!("../migrations/0016_exchange.sql"),
    ),
    (
        17,
        "alert_dashboard_scale",
        include_str!("../migrations/0017_alert_dashboard_scale.sql"),
    ),
    (
        18,
        "exchange_clients",
        include_str!("../migrations/0018_exchange_clients.sql"),
    ),
    (
        19,
        "exchange_traffic",
        include_str!("../migrations/0019_exchange_traffic.sql"),
    ),
    (
        22,
        "exchange_evidence",
        include_str!("../migrations/0022_exchange_evidence.sql"),
    ),
    (
        23,
        "exchange_archives",
        include_str!("../migrations/0023_exchange_archives.sql"),
    ),
    (
        24,
        "alert_value_window",
        include_str!("../migrations/0024_alert_value_window.sql"),
    ),
    (
        25,
        "alert_rollup_months",
        include_str!("../migrations/0025_alert_rollup_months.sql"),
    ),
];

fn expected() -> i64 {
    MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
}

fn ensure_table(conn: &Connection) -> DomainResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            name        TEXT   NOT NULL,
            checksum    TEXT   NOT NULL,
            applied_at  BIGINT NOT NULL
        );",
    )
    .map_err(db_err)
}

pub(crate) fn status(conn: &Connection) -> DomainResult<SchemaStatus> {
    let exists: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db_err)?
        > 0;
    let applied = if exists {
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(db_err)?
    } else {
        0
    };
    Ok(SchemaStatus {
        applied,
        expected: expected(),
    })
}

/// Apply every pending migration, each in its own transaction. Returns the versions applied.
pub(crate) fn apply(conn: &mut Connection) -> DomainResult<Vec<i64>> {
    ensure_table(conn)?;
    let newest: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    if newest > expected() {
        return Err(DomainError::store(format!(
            "the database was written by a newer civitas (schema {newest}, this one knows {}); upgrade civitas",
            expected()
        )));
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        let checksum = sha256_hex(sql.as_bytes());
        let recorded: Option<String> = conn
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        match recorded {
            Some(sum) if sum == checksum => continue,
            Some(_) => {
                return Err(DomainError::store(format!(
                    "migration {version} ({name}) differs from the one applied to this database"
                )));
            }
            None => {}
        }
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql)
            .map_err(|e| DomainError::store(format!("migration {version} ({name}) failed: {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at)
             VALUES (?1, ?2, ?3, CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
            rusqlite::params![version, name, checksum],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(version, name, "applied migration");
        applied.push(*version);
    }
    Ok(applied)
}
