//! Security alerts, their notifications and per-day rollups (migration 0012). The domain has
//! decided every alert's agency, class, notification and rollup cell; this only adds them up.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{
    Alert, AlertFilter, AlertGroupRow, AlertRow, AlertWrite, Category, Fingerprint, RollupRow,
    Severity, SubBucket,
};
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::import::ImportReport;
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::AlertStore;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use rusqlite::{ErrorCode, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{Params, bad_value, db_err, param_refs, ts};
use crate::imports::insert_run;

/// Look-ups go in chunks well under SQLite's limit on bound parameters.
const LOOKUP_CHUNK: usize = 500;

const ALERT_COLUMNS: &str = "id, fingerprint, source_name, source_kind, observed_at, agency, category, sub_bucket, \
                             severity, score, rsit, rule_set_version, matched_rule_id, signature, source_ip, \
                             source_port, destination_ip, destination_port, group_id, reasons";

pub(crate) const GROUP_COLUMNS: &str = "id, group_key, window_start, first_seen, last_seen, alert_count, category, \
                             severity_rank, agency";

fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Low => 0,
        Severity::Medium => 1,
        Severity::High => 2,
    }
}

fn severity_of_rank(rank: i64) -> Option<Severity> {
    match rank {
        0 => Some(Severity::Low),
        1 => Some(Severity::Medium),
        2 => Some(Severity::High),
        _ => None,
    }
}

fn opt_code(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<AgencyCode>> {
    match r.get::<_, Option<String>>(i)? {
        Some(text) if !text.is_empty() => AgencyCode::parse(&text)
            .map(Some)
            .map_err(|_| bad_value(i, "agency code")),
        _ => Ok(None),
    }
}

fn category(r: &Row<'_>, i: usize) -> rusqlite::Result<Category> {
    let text: String = r.get(i)?;
    Category::parse(&text).ok_or_else(|| bad_value(i, "alert category"))
}

fn sub_bucket(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<SubBucket>> {
    match r.get::<_, Option<String>>(i)? {
        Some(text) if !text.is_empty() => SubBucket::parse(&text)
            .map(Some)
            .ok_or_else(|| bad_value(i, "sub-bucket")),
        _ => Ok(None),
    }
}

fn severity(r: &Row<'_>, i: usize) -> rusqlite::Result<Severity> {
    let text: String = r.get(i)?;
    Severity::parse(&text).ok_or_else(|| bad_value(i, "severity"))
}

fn port(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<u16>> {
    Ok(r.get::<_, Option<i64>>(i)?
        .and_then(|p| u16::try_from(p).ok()))
}

fn alert_row(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    let fingerprint: Vec<u8> = r.get(1)?;
    let reasons: String = r.get(19)?;
    Ok(AlertRow {
        id: r.get(0)?,
        fingerprint: fingerprint.iter().map(|b| format!("{b:02x}")).collect(),
        source_name: r.get(2)?,
        source_kind: r.get(3)?,
        observed_at: ts(r.get(4)?)?,
        agency: opt_code(r, 5)?,
        category: category(r, 6)?,
        sub_bucket: sub_bucket(r, 7)?,
        severity: severity(r, 8)?,
        score: r.get(9)?,
        rsit: r.get(10)?,
        rule_set_version: r.get(11)?,
        matched_rule_id: r.get(12)?,
        signature: r.get(13)?,
        source_ip: r.get(14)?,
        source_port: port(r, 15)?,
        destination_ip: r.get(16)?,
        destination_port: port(r, 17)?,
        group_id: r.get(18)?,
        reasons: serde_json::from_str::<Vec<Text>>(&reasons)
            .map_err(|_| bad_value(19, "reasons"))?,
    })
}

pub(crate) fn group_row(r: &Row<'_>) -> rusqlite::Result<AlertGroupRow> {
    Ok(AlertGroupRow {
        id: r.get(0)?,
        key: r.get(1)?,
        window_start: ts(r.get(2)?)?,
        first_seen: ts(r.get(3)?)?,
        last_seen: ts(r.get(4)?)?,
        count: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        category: category(r, 6)?,
        severity: severity_of_rank(r.get(7)?).ok_or_else(|| bad_value(7, "severity rank"))?,
        agency: opt_code(r, 8)?,
    })
}

/// The WHERE clause (after `WHERE 1=1`) and its parameters for a filter over a table with
/// `agency`, `category` and a time column.
fn conditions(
    filter: &AlertFilter,
    time_column: Option<&str>,
    with_severity: bool,
) -> (String, Params) {
    let mut sql = String::new();
    let mut params: Params = Vec::new();
    if let Some(visible) = &filter.visible {
        // Alerts of no agency are for city-wide readers only.
        let marks = vec!["?"; visible.len()].join(", ");
        sql.push_str(&format!(" AND agency IN ({marks})"));
        for code in visible {
            params.push(Box::new(code.as_str().to_string()));
        }
    }
    if let Some(agency) = &filter.agency {
        sql.push_str(" AND agency = ?");
        params.push(Box::new(agency.as_str().to_string()));
    }
    if let Some(c) = filter.category {
        sql.push_str(" AND category = ?");
        params.push(Box::new(c.as_str()));
    }
    if with_severity && let Some(s) = filter.severity {
        sql.push_str(" AND severity = ?");
        params.push(Box::new(s.as_str()));
    }
    if let Some(column) = time_column {
        if let Some(from) = filter.from {
            sql.push_str(&format!(" AND {column} >= ?"));
            params.push(Box::new(from.as_millis()));
        }
        if let Some(to) = filter.to {
            sql.push_str(&format!(" AND {column} < ?"));
            params.push(Box::new(to.as_millis()));
        }
    }
    (sql, params)
}

fn write_alerts(tx: &Transaction<'_>, write: &AlertWrite, run_id: i64) -> DomainResult<()> {
    let mut group_ids: HashMap<(i64, &str), i64> = HashMap::new();
    {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO alert_groups (group_key, window_start, first_seen, last_seen, alert_count,
                                           category, severity_rank, agency)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (window_start, group_key) DO UPDATE SET
                     alert_count = alert_count + excluded.alert_count,
                     category = CASE WHEN excluded.first_seen < first_seen
                                     THEN excluded.category ELSE category END,
                     agency = CASE WHEN excluded.first_seen < first_seen
                                   THEN excluded.agency ELSE agency END,
                     first_seen = MIN(first_seen, excluded.first_seen),
                     last_seen = MAX(last_seen, excluded.last_seen),
                     severity_rank = MAX(severity_rank, excluded.severity_rank)
                 RETURNING id",
            )
            .map_err(db_err)?;
        for g in &write.groups {
            let id: i64 = upsert
                .query_row(
                    params![
                        g.key,
                        g.window_start.as_millis(),
                        g.first_seen.as_millis(),
                        g.last_seen.as_millis(),
                        g.added as i64,
                        g.category.as_str(),
                        severity_rank(g.severity),
                        g.agency.as_ref().map(|a| a.as_str().to_string()),
                    ],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            group_ids.insert((g.window_start.as_millis(), g.key.as_str()), id);
        }
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO alerts (fingerprint, import_run_id, group_id, source_name, source_kind, observed_at,
                                 agency, category, sub_bucket, severity, score, rsit, rule_set_version,
                                 matched_rule_id, signature, source_ip, source_port, destination_ip,
                                 destination_port, reasons, agency_reason, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                     ?20, ?21, ?22)",
        )
        .map_err(db_err)?;
    for c in &write.alerts {
        let a = &c.alert;
        let k = &c.classification;
        let group_id = group_ids
            .get(&(c.window_start.as_millis(), c.group_key.as_str()))
            .copied()
            .ok_or_else(|| {
                DomainError::store("an alert's notification is missing from the write")
            })?;
        let reasons = serde_json::to_string(&k.reasons).map_err(DomainError::store)?;
        let agency_reason = serde_json::to_string(&c.agency_reason).map_err(DomainError::store)?;
        let record = serde_json::to_string(a).map_err(DomainError::store)?;
        let inserted = insert.execute(params![
            a.fingerprint.as_bytes().as_slice(),
            run_id,
            group_id,
            a.source_name,
            a.source_kind.as_str(),
            a.observed_at.as_millis(),
            c.agency.as_ref().map(|x| x.as_str().to_string()),
            k.category.as_str(),
            k.sub_bucket.map(|s| s.as_str()),
            k.severity.as_str(),
            k.score,
            k.rsit,
            k.rule_set_version,
            k.matched_rule_id,
            a.signature(),
            a.source.ip.map(|ip| ip.to_string()),
            a.source.port,
            a.destination.ip.map(|ip| ip.to_string()),
            a.destination.port,
            reasons,
            agency_reason,
            record,
        ]);
        match inserted {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == ErrorCode::ConstraintViolation =>
            {
                return Err(DomainError::AlreadyExists {
                    what: "alert",
                    key: a.fingerprint.to_hex(),
                });
            }
            Err(e) => return Err(db_err(e)),
        }
    }
    let mut rollup = tx
        .prepare_cached(
            "INSERT INTO alert_rollups (day, agency, category, sub_bucket, severity, source, alert_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (day, agency, category, sub_bucket, severity, source)
             DO UPDATE SET alert_count = alert_count + excluded.alert_count",
        )
        .map_err(db_err)?;
    for (key, count) in &write.rollups {
        rollup
            .execute(params![
                key.day,
                key.agency.as_ref().map(|a| a.as_str()).unwrap_or(""),
                key.category.as_str(),
                key.sub_bucket.map(|s| s.as_str()).unwrap_or(""),
                key.severity.as_str(),
                key.source,
                *count as i64,
            ])
            .map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl AlertStore for SqliteStore {
    async fn known_fingerprints(
        &self,
        fingerprints: &[Fingerprint],
    ) -> DomainResult<HashSet<Fingerprint>> {
        let wanted = fingerprints.to_vec();
        self.pool
            .read(move |conn| {
                let mut known = HashSet::new();
                for chunk in wanted.chunks(LOOKUP_CHUNK) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let mut stmt = conn
                        .prepare_cached(&format!(
                            "SELECT fingerprint FROM alerts WHERE fingerprint IN ({marks})"
                        ))
                        .map_err(db_err)?;
                    let keys: Vec<&[u8]> = chunk.iter().map(|f| f.as_bytes().as_slice()).collect();
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(keys), |r| r.get::<_, Vec<u8>>(0))
                        .map_err(db_err)?;
                    let found = rows
                        .collect::<rusqlite::Result<HashSet<Vec<u8>>>>()
                        .map_err(db_err)?;
                    known.extend(
                        chunk
                            .iter()
                            .filter(|f| found.contains(f.as_bytes().as_slice())),
                    );
                }
                Ok(known)
            })
            .await
    }

    async fn store_alert_import(
        &self,
        write: AlertWrite,
        report: &ImportReport,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<i64> {
        let report = report.clone();
        let actor = actor_name.to_string();
        self.pool
            .write(move |tx| {
                let run_id = insert_run(tx, &report, started_at, at, &actor)?;
                write_alerts(tx, &write, run_id)?;
                append(tx, audit)?;
                Ok(run_id)
            })
            .await
    }

    async fn alerts(
        &self,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AlertRow>> {
        let (mut sql, mut params) = conditions(filter, Some("observed_at"), true);
        if let Some(group) = filter.group_id {
            sql.push_str(" AND group_id = ?");
            params.push(Box::new(group));
        }
        let select = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1=1{sql}");
        let count = format!("SELECT COUNT(*) FROM alerts WHERE 1=1{sql}");
        self.pool
            .read(move |conn| {
                newest_first(
                    conn,
                    &count,
                    &select,
                    "observed_at",
                    &params,
                    page,
                    alert_row,
                )
            })
            .await
    }

    async fn alert(&self, id: i64) -> DomainResult<Option<(AlertRow, Alert)>> {
        self.pool
            .read(move |conn| {
                let found = conn
                    .query_row(
                        &format!("SELECT {ALERT_COLUMNS}, record FROM alerts WHERE id = ?1"),
                        [id],
                        |r| Ok((alert_row(r)?, r.get::<_, String>(20)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                found
                    .map(|(row, record)| {
                        serde_json::from_str::<Alert>(&record)
                            .map(|alert| (row, alert))
                            .map_err(DomainError::store)
                    })
                    .transpose()
            })
            .await
    }

    async fn alert_groups(
        &self,
        filter: &AlertFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AlertGroupRow>> {
        let (mut sql, mut params) = conditions(filter, Some("last_seen"), false);
        if let Some(s) = filter.severity {
            sql.push_str(" AND severity_rank = ?");
            params.push(Box::new(severity_rank(s)));
        }
        let select = format!("SELECT {GROUP_COLUMNS} FROM alert_groups WHERE 1=1{sql}");
        let count = format!("SELECT COUNT(*) FROM alert_groups WHERE 1=1{sql}");
        self.pool
            .read(move |conn| {
                newest_first(conn, &count, &select, "last_seen", &params, page, group_row)
            })
            .await
    }

    async fn alert_rollups(
        &self,
        filter: &AlertFilter,
        from_day: Option<&str>,
        to_day: Option<&str>,
    ) -> DomainResult<Vec<RollupRow>> {
        let (mut sql, mut params) = conditions(filter, None, true);
        if let Some(from) = from_day {
            sql.push_str(" AND day >= ?");
            params.push(Box::new(from.to_string()));
        }
        if let Some(to) = to_day {
            sql.push_str(" AND day <= ?");
            params.push(Box::new(to.to_string()));
        }
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT day, agency, category, sub_bucket, severity, source, alert_count
                         FROM alert_rollups WHERE 1=1{sql} ORDER BY day, agency, category, severity, source"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&params).as_slice(), |r| {
                    Ok(RollupRow {
                        day: r.get(0)?,
                        agency: opt_code(r, 1)?,
                        category: category(r, 2)?,
                        sub_bucket: sub_bucket(r, 3)?,
                        severity: severity(r, 4)?,
                        source: r.get(5)?,
                        count: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }
}

/// One page of `select`'s rows, newest `time_column` first, with the total `count` gives.
fn newest_first<T>(
    conn: &rusqlite::Connection,
    count: &str,
    select: &str,
    time_column: &str,
    params: &Params,
    page: PageRequest,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> DomainResult<Page<T>> {
    let total: i64 = conn
        .query_row(count, param_refs(params).as_slice(), |r| r.get(0))
        .map_err(db_err)?;
    let mut stmt = conn
        .prepare(&format!(
            "{select} ORDER BY {time_column} DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .map_err(db_err)?;
    let mut refs = param_refs(params);
    let (limit, offset) = (page.limit() as i64, page.offset() as i64);
    refs.push(&limit);
    refs.push(&offset);
    let items = stmt
        .query_map(refs.as_slice(), row)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    Ok(Page {
        items,
        page: page.page,
        per_page: page.per_page,
        total: u64::try_from(total).unwrap_or(0),
    })
}
