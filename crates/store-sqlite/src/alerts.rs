//! Security alerts, their notifications and per-day rollups (migration 0012). The domain has
//! decided every alert's agency, class, notification and rollup cell; this only adds them up.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::analysis::{AlertNote, DayCount, Dimension, NewAlertNote, ValueCount};
use civitas_core::alerts::reclassify::{Reclassification, StoredClass, Tally};
use civitas_core::alerts::{
    Alert, AlertFilter, AlertGroupRow, AlertRow, AlertWrite, Category, Fingerprint, RollupRow,
    Severity, SubBucket,
};
use civitas_core::alerts::{RuleSet, ScoreContext, search_text};
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::import::ImportReport;
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::{AlertStore, SOURCE_SIGHTINGS_CAP};
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use rusqlite::{ErrorCode, OptionalExtension, Row, Transaction, params};
use std::sync::Arc;

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
    if let Some(b) = filter.sub_bucket {
        sql.push_str(" AND sub_bucket = ?");
        params.push(Box::new(b.as_str()));
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

/// What a person typed, as an FTS5 query that cannot be misread as its syntax: each word a
/// quoted phrase (an address or `CVE-2021-44228` is matched as the run of its parts), all of
/// them required. `None` when nothing searchable was typed.
fn match_expression(typed: &str) -> Option<String> {
    let phrases: Vec<String> = typed
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(16)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" AND "))
}

/// ' T1190 T1059.001 ': spaces at both ends so that `instr` finds whole ids.
fn techniques(a: &Alert) -> String {
    if a.techniques.is_empty() {
        return String::new();
    }
    let ids: Vec<&str> = a.techniques.iter().map(|t| t.as_str()).collect();
    format!(" {} ", ids.join(" "))
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
                                 destination_port, reasons, agency_reason, record, techniques,
                                 score_context)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                     ?20, ?21, ?22, ?23, ?24)",
        )
        .map_err(db_err)?;
    let mut search = tx
        .prepare_cached("INSERT INTO alerts_search (rowid, words) VALUES (?1, ?2)")
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
            techniques(a),
            serde_json::to_string(&c.context).map_err(DomainError::store)?,
        ]);
        match inserted {
            Ok(_) => {
                search
                    .execute(params![tx.last_insert_rowid(), search_text(a)])
                    .map_err(db_err)?;
            }
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
    let mut value_rollup = tx
        .prepare_cached(
            "INSERT INTO alert_value_rollups (month, dimension, agency, value, alert_count, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (dimension, month, agency, value) DO UPDATE SET
                 alert_count = alert_count + excluded.alert_count,
                 first_seen = MIN(first_seen, excluded.first_seen),
                 last_seen = MAX(last_seen, excluded.last_seen)",
        )
        .map_err(db_err)?;
    for (key, delta) in &write.values {
        value_rollup
            .execute(params![
                key.month,
                key.dimension.as_str(),
                key.agency.as_ref().map(|a| a.as_str()).unwrap_or(""),
                key.value,
                delta.count as i64,
                delta.first_seen.as_millis(),
                delta.last_seen.as_millis(),
            ])
            .map_err(db_err)?;
    }
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

    async fn source_sightings(
        &self,
        addresses: &[String],
        from: Timestamp,
        to: Timestamp,
    ) -> DomainResult<HashMap<String, Vec<i64>>> {
        let wanted = addresses.to_vec();
        let (from, to) = (from.as_millis(), to.as_millis());
        self.pool
            .read(move |conn| {
                let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
                for chunk in wanted.chunks(LOOKUP_CHUNK) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    // The (source_ip, observed_at) index answers each address's range; the
                    // window function keeps only the newest sightings of a flooding source.
                    let mut stmt = conn
                        .prepare_cached(&format!(
                            "SELECT source_ip, observed_at FROM (
                                 SELECT source_ip, observed_at, row_number() OVER (
                                     PARTITION BY source_ip ORDER BY observed_at DESC) AS n
                                 FROM alerts
                                 WHERE source_ip IN ({marks}) AND observed_at BETWEEN ? AND ?)
                             WHERE n <= ?"
                        ))
                        .map_err(db_err)?;
                    let mut values: Vec<rusqlite::types::Value> = chunk
                        .iter()
                        .map(|a| rusqlite::types::Value::Text(a.clone()))
                        .collect();
                    values.push(from.into());
                    values.push(to.into());
                    values.push((SOURCE_SIGHTINGS_CAP as i64).into());
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(values), |r| {
                            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                        })
                        .map_err(db_err)?;
                    for row in rows {
                        let (address, at) = row.map_err(db_err)?;
                        seen.entry(address).or_default().push(at);
                    }
                }
                Ok(seen)
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
        if let Some(source) = &filter.source {
            sql.push_str(" AND source_name = ?");
            params.push(Box::new(source.clone()));
        }
        if let Some((dimension, value)) = &filter.value {
            let (clause, bound) = match dimension {
                Dimension::Signature => (" AND signature = ?", value.clone()),
                Dimension::SourceIp => (" AND source_ip = ?", value.clone()),
                Dimension::DestinationIp => (" AND destination_ip = ?", value.clone()),
                Dimension::Technique => (" AND instr(techniques, ?) > 0", format!(" {value} ")),
            };
            sql.push_str(clause);
            params.push(Box::new(bound));
        }
        if let Some(words) = filter.text.as_deref().and_then(match_expression) {
            sql.push_str(
                " AND id IN (SELECT rowid FROM alerts_search WHERE alerts_search MATCH ?)",
            );
            params.push(Box::new(words));
        }
        let select = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1=1{sql}");
        // The total: from the daily rollups when the filter asks only what they keep (at 10M
        // alerts, counting the index entries of a category took 80 ms); otherwise counted.
        let counted = format!("SELECT COUNT(*) FROM alerts WHERE 1=1{sql}");
        let from_rollups = rollup_count(filter);
        self.pool
            .read(move |conn| {
                let count = match &from_rollups {
                    Some((sql, params)) => (sql.as_str(), params),
                    None => (counted.as_str(), &params),
                };
                newest_first(
                    conn,
                    count,
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
                newest_first(
                    conn,
                    (&count, &params),
                    &select,
                    "last_seen",
                    &params,
                    page,
                    group_row,
                )
            })
            .await
    }

    async fn alert_rollups(
        &self,
        filter: &AlertFilter,
        from_day: Option<&str>,
        to_day: Option<&str>,
    ) -> DomainResult<Vec<RollupRow>> {
        let (mut sql, mut params) = rollup_conditions(filter);
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
                stmt.query_map(param_refs(&params).as_slice(), rollup_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn alert_rollup_months(
        &self,
        filter: &AlertFilter,
        from_month: &str,
        to_month: &str,
    ) -> DomainResult<Vec<RollupRow>> {
        let (sql, mut params) = rollup_conditions(filter);
        let mut all: Params = vec![
            Box::new(from_month.to_string()),
            Box::new(to_month.to_string()),
        ];
        all.append(&mut params);
        self.pool
            .read(move |conn| {
                // Kept by triggers on alert_rollups (migration 25); read in key order.
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT month, agency, category, sub_bucket, severity, source, alert_count
                         FROM alert_rollup_months
                         WHERE month >= ? AND month <= ? AND alert_count > 0{sql}"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&all).as_slice(), rollup_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn refresh_alert_value_window(
        &self,
        from_month: &str,
        to_month: &str,
    ) -> DomainResult<bool> {
        let (from, to) = (from_month.to_string(), to_month.to_string());
        let wanted = (from.clone(), to.clone());
        // Read first: a dashboard view must not wait behind an import's write to learn that
        // nothing has to move.
        if self.pool.read(value_window).await?.as_ref() == Some(&wanted) {
            return Ok(false);
        }
        self.pool
            .write(move |tx| {
                if value_window(tx)?.as_ref() == Some(&wanted) {
                    return Ok(false);
                }
                tx.execute("DELETE FROM alert_value_window_bounds", [])
                    .map_err(db_err)?;
                tx.execute("DELETE FROM alert_value_window", [])
                    .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO alert_value_window
                         (dimension, value, alert_count, months_seen, first_seen, last_seen)
                     SELECT dimension, value, SUM(alert_count), SUM(alert_count > 0),
                            MIN(first_seen), MAX(last_seen)
                     FROM alert_value_months WHERE month >= ?1 AND month <= ?2
                     GROUP BY dimension, value",
                    params![from, to],
                )
                .map_err(db_err)?;
                // From here on the triggers keep it.
                tx.execute(
                    "INSERT INTO alert_value_window_bounds (id, from_month, to_month)
                     VALUES (1, ?1, ?2)",
                    params![from, to],
                )
                .map_err(db_err)?;
                Ok(true)
            })
            .await
    }

    async fn alert_values(
        &self,
        filter: &AlertFilter,
        dimension: Dimension,
        from_month: &str,
        to_month: &str,
        limit: u32,
    ) -> DomainResult<Vec<ValueCount>> {
        let (sql, mut params) = agency_conditions(filter);
        let mut all: Params = vec![
            Box::new(dimension.as_str()),
            Box::new(from_month.to_string()),
            Box::new(to_month.to_string()),
        ];
        all.append(&mut params);
        all.push(Box::new(i64::from(limit)));
        let city_wide = filter.visible.is_none() && filter.agency.is_none();
        let (from, to) = (from_month.to_string(), to_month.to_string());
        self.pool
            .read(move |conn| {
                if city_wide
                    && value_window(conn)?.is_some_and(|(f, t)| f == from && t == to)
                {
                    return window_top(conn, dimension.as_str(), limit);
                }
                if city_wide
                    && let Some(top) = top_city_wide(conn, dimension.as_str(), &from, &to, limit)?
                {
                    return Ok(top);
                }
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT value, SUM(alert_count) AS n, COUNT(DISTINCT month), MIN(first_seen),
                                MAX(last_seen)
                         FROM alert_value_rollups
                         WHERE dimension = ? AND month >= ? AND month <= ?{sql}
                         GROUP BY value ORDER BY n DESC, value LIMIT ?"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&all).as_slice(), value_count_row)
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn alert_group_days(
        &self,
        filter: &AlertFilter,
        from: Timestamp,
        to: Timestamp,
    ) -> DomainResult<Vec<DayCount>> {
        let (sql, mut params) = agency_conditions(filter);
        // Whole Taipei days: `from` and `to` are the analysis' day boundaries.
        let day = |t: Timestamp| civitas_core::time::iso_date(t.taipei_date());
        let mut all: Params = vec![Box::new(day(from)), Box::new(day(to))];
        all.append(&mut params);
        self.pool
            .read(move |conn| {
                // Kept by triggers on alert_groups (migration 17).
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT NULLIF(agency, ''), day, groups
                         FROM alert_group_days WHERE day >= ? AND day < ? AND groups > 0{sql}
                         ORDER BY agency, day"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&all).as_slice(), |r| {
                    Ok(DayCount {
                        agency: opt_code(r, 0)?,
                        day: r.get(1)?,
                        count: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn add_alert_note(
        &self,
        note: &NewAlertNote,
        author: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<i64> {
        let note = note.clone();
        let author = author.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO alert_notes (dimension, value, agency, cause, countermeasure, author,
                                              created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        note.dimension,
                        note.value,
                        note.agency.as_ref().map(|a| a.as_str().to_string()),
                        note.cause,
                        note.countermeasure,
                        author,
                        at.as_millis(),
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                append(tx, audit)?;
                Ok(id)
            })
            .await
    }

    async fn alert_report_commentary(
        &self,
        month: &str,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Option<(String, String, Timestamp)>> {
        let month = month.to_string();
        let agency = agency.map(|a| a.as_str().to_string()).unwrap_or_default();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT commentary, saved_by, saved_at FROM alert_report_commentary
                     WHERE month = ?1 AND agency = ?2 ORDER BY id DESC LIMIT 1",
                    params![month, agency],
                    |r| Ok((r.get(0)?, r.get(1)?, ts(r.get(2)?)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn save_alert_report_commentary(
        &self,
        month: &str,
        agency: Option<&AgencyCode>,
        commentary: &str,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()> {
        let (month, commentary, actor) =
            (month.to_string(), commentary.to_string(), actor.to_string());
        let agency = agency.map(|a| a.as_str().to_string()).unwrap_or_default();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO alert_report_commentary (month, agency, commentary, saved_by, saved_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![month, agency, commentary, actor, at.as_millis()],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn latest_alert_rules(&self) -> DomainResult<Option<(String, String)>> {
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT version, rules FROM alert_rule_sets ORDER BY id DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn save_alert_rules(
        &self,
        version: &str,
        rules: &str,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()> {
        let (version, rules, actor) = (version.to_string(), rules.to_string(), actor.to_string());
        self.pool
            .write(move |tx| {
                let inserted = tx.execute(
                    "INSERT INTO alert_rule_sets (version, rules, saved_by, saved_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![version, rules, actor, at.as_millis()],
                );
                match inserted {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(f, _))
                        if f.code == ErrorCode::ConstraintViolation =>
                    {
                        return Err(DomainError::AlreadyExists {
                            what: "rule set version",
                            key: version,
                        });
                    }
                    Err(e) => return Err(db_err(e)),
                }
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn stored_classes(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        after_id: i64,
        limit: u32,
    ) -> DomainResult<Vec<StoredClass>> {
        let (from, to) = (from.map(|t| t.as_millis()), to.map(|t| t.as_millis()));
        self.pool
            .read(move |conn| read_stored_classes(conn, from, to, after_id, limit))
            .await
    }

    async fn reclassify_alerts(
        &self,
        rules: Arc<RuleSet>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        actor: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Reclassification> {
        let actor = actor.to_string();
        let (from, to) = (from.map(|t| t.as_millis()), to.map(|t| t.as_millis()));
        self.pool
            .write(move |tx| {
                let done = reclassify_in(tx, &rules, from, to)?;
                tx.execute(
                    "INSERT INTO alert_reclassifications (rule_set_version, from_at, to_at, examined,
                                                          changed, actor, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        done.rule_set_version,
                        from,
                        to,
                        done.examined as i64,
                        done.changed as i64,
                        actor,
                        at.as_millis(),
                    ],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(done)
            })
            .await
    }

    async fn alert_notes(
        &self,
        filter: &AlertFilter,
        pattern: Option<(&str, &str)>,
        limit: u32,
    ) -> DomainResult<Vec<AlertNote>> {
        let mut sql = String::new();
        let mut params: Params = Vec::new();
        if let Some(visible) = &filter.visible {
            let marks = vec!["?"; visible.len()].join(", ");
            sql.push_str(&format!(" AND (agency IS NULL OR agency IN ({marks}))"));
            for code in visible {
                params.push(Box::new(code.as_str().to_string()));
            }
        }
        if let Some(agency) = &filter.agency {
            sql.push_str(" AND (agency IS NULL OR agency = ?)");
            params.push(Box::new(agency.as_str().to_string()));
        }
        if let Some((dimension, value)) = pattern {
            sql.push_str(" AND dimension = ? AND value = ?");
            params.push(Box::new(dimension.to_string()));
            params.push(Box::new(value.to_string()));
        }
        params.push(Box::new(i64::from(limit)));
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT id, dimension, value, agency, cause, countermeasure, author, created_at
                         FROM alert_notes WHERE 1=1{sql} ORDER BY created_at DESC, id DESC LIMIT ?"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&params).as_slice(), |r| {
                    Ok(AlertNote {
                        id: r.get(0)?,
                        dimension: r.get(1)?,
                        value: r.get(2)?,
                        agency: opt_code(r, 3)?,
                        cause: r.get(4)?,
                        countermeasure: r.get(5)?,
                        author: r.get(6)?,
                        created_at: ts(r.get(7)?)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }
}

const STORED_CLASS_COLUMNS: &str = "id, group_id, observed_at, category, sub_bucket, severity, rule_set_version, score_context, record";

fn stored_class(r: &Row<'_>) -> rusqlite::Result<StoredClass> {
    let context: String = r.get(7)?;
    let record: String = r.get(8)?;
    Ok(StoredClass {
        id: r.get(0)?,
        group_id: r.get(1)?,
        observed_at: ts(r.get(2)?)?,
        category: category(r, 3)?,
        sub_bucket: sub_bucket(r, 4)?,
        severity: severity(r, 5)?,
        rule_set_version: r.get(6)?,
        context: serde_json::from_str::<ScoreContext>(&context)
            .map_err(|_| bad_value(7, "score context"))?,
        alert: serde_json::from_str::<Alert>(&record).map_err(|_| bad_value(8, "alert record"))?,
    })
}

fn read_stored_classes(
    conn: &rusqlite::Connection,
    from: Option<i64>,
    to: Option<i64>,
    after_id: i64,
    limit: u32,
) -> DomainResult<Vec<StoredClass>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {STORED_CLASS_COLUMNS} FROM alerts
             WHERE id > ?1 AND (?2 IS NULL OR observed_at >= ?2) AND (?3 IS NULL OR observed_at < ?3)
             ORDER BY id LIMIT ?4"
        ))
        .map_err(db_err)?;
    stmt.query_map(params![after_id, from, to, i64::from(limit)], stored_class)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)
}

/// The instant a Taipei day (ISO) begins, in milliseconds.
fn taipei_day_millis(day: &str) -> Option<i64> {
    let date = civitas_core::time::parse_iso_date(day)?;
    Some(Timestamp::taipei_midnight(date).as_millis())
}

/// Counts a day's rollups again from its alerts.
fn rebuild_rollup_day(tx: &Transaction<'_>, day: &str) -> DomainResult<()> {
    let start =
        taipei_day_millis(day).ok_or_else(|| DomainError::store(format!("not a day: {day}")))?;
    let end = start + 86_400_000;
    tx.execute("DELETE FROM alert_rollups WHERE day = ?1", [day])
        .map_err(db_err)?;
    tx.execute(
        "INSERT INTO alert_rollups (day, agency, category, sub_bucket, severity, source, alert_count)
         SELECT ?1, COALESCE(agency, ''), category, COALESCE(sub_bucket, ''), severity, source_name, COUNT(*)
         FROM alerts WHERE observed_at >= ?2 AND observed_at < ?3
         GROUP BY 2, 3, 4, 5, 6",
        params![day, start, end],
    )
    .map_err(db_err)?;
    Ok(())
}

fn reclassify_in(
    tx: &Transaction<'_>,
    rules: &RuleSet,
    from: Option<i64>,
    to: Option<i64>,
) -> DomainResult<Reclassification> {
    let mut tally = Tally::default();
    let mut days: HashSet<String> = HashSet::new();
    let mut groups: HashSet<i64> = HashSet::new();
    let mut after = 0;
    loop {
        let chunk = read_stored_classes(tx, from, to, after, 5_000)?;
        let Some(last) = chunk.last() else {
            break;
        };
        after = last.id;
        let mut update = tx
            .prepare_cached(
                "UPDATE alerts SET category = ?2, sub_bucket = ?3, severity = ?4, score = ?5, rsit = ?6,
                                   rule_set_version = ?7, matched_rule_id = ?8, reasons = ?9
                 WHERE id = ?1",
            )
            .map_err(db_err)?;
        for stored in &chunk {
            let Some(new) = tally.classify(stored, rules) else {
                continue;
            };
            if civitas_core::alerts::reclassify::class_changes(stored, &new) {
                days.insert(civitas_core::time::iso_date(
                    stored.observed_at.taipei_date(),
                ));
                groups.insert(stored.group_id);
            }
            let reasons = serde_json::to_string(&new.reasons).map_err(DomainError::store)?;
            update
                .execute(params![
                    stored.id,
                    new.category.as_str(),
                    new.sub_bucket.map(|b| b.as_str()),
                    new.severity.as_str(),
                    new.score,
                    new.rsit,
                    new.rule_set_version,
                    new.matched_rule_id,
                    reasons,
                ])
                .map_err(db_err)?;
        }
    }
    let mut days: Vec<String> = days.into_iter().collect();
    days.sort();
    for day in &days {
        rebuild_rollup_day(tx, day)?;
    }
    let mut regroup = tx
        .prepare_cached(
            "UPDATE alert_groups SET
                 severity_rank = (SELECT MAX(CASE severity WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END)
                                  FROM alerts WHERE group_id = ?1),
                 category = (SELECT category FROM alerts WHERE group_id = ?1
                             ORDER BY observed_at, id LIMIT 1)
             WHERE id = ?1",
        )
        .map_err(db_err)?;
    for group in groups {
        regroup.execute([group]).map_err(db_err)?;
    }
    Ok(tally.finish(rules.version()))
}

/// `YYYY-MM` months from `from` to `to`, both included (at most 1,200).
fn months_between(from: &str, to: &str) -> Vec<String> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        let (y, mo) = m.split_once('-')?;
        Some((y.parse().ok()?, mo.parse().ok()?))
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(from), parse(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (y, m) <= end && out.len() < 1_200 {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// The period the kept top-values window covers (migration 24), if any.
fn value_window(conn: &rusqlite::Connection) -> DomainResult<Option<(String, String)>> {
    conn.prepare_cached("SELECT from_month, to_month FROM alert_value_window_bounds WHERE id = 1")
        .map_err(db_err)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db_err)
}

/// The filter's conditions on the rollup tables (agency, category, sub-bucket, severity,
/// source; not its times).
fn rollup_conditions(filter: &AlertFilter) -> (String, Params) {
    let (mut sql, mut params) = conditions(filter, None, true);
    if let Some(source) = &filter.source {
        sql.push_str(" AND source = ?");
        params.push(Box::new(source.clone()));
    }
    (sql, params)
}

/// How many alerts `filter` selects, from the daily rollups, when it asks only what they keep
/// (agency, category, sub-bucket, severity, source, whole Taipei days): the alert list's total
/// without counting millions of index entries. `None` when it asks more.
fn rollup_count(filter: &AlertFilter) -> Option<(String, Params)> {
    let searches = filter.text.as_deref().and_then(match_expression).is_some();
    if filter.group_id.is_some() || filter.value.is_some() || searches {
        return None;
    }
    let whole_day = |t: Timestamp| t == Timestamp::taipei_midnight(t.taipei_date());
    if filter.from.is_some_and(|t| !whole_day(t)) || filter.to.is_some_and(|t| !whole_day(t)) {
        return None;
    }
    let (mut sql, mut params) = rollup_conditions(filter);
    let day = |t: Timestamp| civitas_core::time::iso_date(t.taipei_date());
    if let Some(from) = filter.from {
        sql.push_str(" AND day >= ?");
        params.push(Box::new(day(from)));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND day < ?");
        params.push(Box::new(day(to)));
    }
    Some((
        format!("SELECT COALESCE(SUM(alert_count), 0) FROM alert_rollups WHERE 1=1{sql}"),
        params,
    ))
}

/// A rollup row: day (or month), agency, category, sub-bucket, severity, source, count.
fn rollup_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RollupRow> {
    Ok(RollupRow {
        day: r.get(0)?,
        agency: opt_code(r, 1)?,
        category: category(r, 2)?,
        sub_bucket: sub_bucket(r, 3)?,
        severity: severity(r, 4)?,
        source: r.get(5)?,
        count: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
    })
}

/// A top-values row: value, count, months seen, first and last seen.
fn value_count_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ValueCount> {
    Ok(ValueCount {
        value: r.get(0)?,
        count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        months_seen: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        first_seen: ts(r.get(3)?)?,
        last_seen: ts(r.get(4)?)?,
    })
}

/// The top `limit` values of a dimension over the kept window: the first rows of its ranking.
fn window_top(
    conn: &rusqlite::Connection,
    dimension: &str,
    limit: u32,
) -> DomainResult<Vec<ValueCount>> {
    conn.prepare_cached(
        "SELECT value, alert_count, months_seen, first_seen, last_seen FROM alert_value_window
         WHERE dimension = ?1 AND alert_count > 0
         ORDER BY alert_count DESC, value LIMIT ?2",
    )
    .map_err(db_err)?
    .query_map(params![dimension, i64::from(limit)], value_count_row)
    .map_err(db_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(db_err)
}

/// The city-wide top `limit` values of a dimension over `from..=to` months, proved exact without
/// summing every value (Fagin's threshold algorithm over `alert_value_months`): read each month's
/// `k` leaders; sum the exact totals of those candidates; a value among no month's leaders has at
/// most the sum of each month's k-th count, so when the last of the top list is above that bound
/// the list is exact. Otherwise `k` grows; `None` when even a large `k` proves nothing (a flat
/// distribution), and the caller sums everything.
fn top_city_wide(
    conn: &rusqlite::Connection,
    dimension: &str,
    from: &str,
    to: &str,
    limit: u32,
) -> DomainResult<Option<Vec<ValueCount>>> {
    let months = months_between(from, to);
    let limit = limit as usize;
    let mut k = (limit * 10).max(100);
    let mut leaders = conn
        .prepare_cached(
            "SELECT value, alert_count FROM alert_value_months
             WHERE dimension = ?1 AND month = ?2 AND alert_count > 0
             ORDER BY alert_count DESC LIMIT ?3",
        )
        .map_err(db_err)?;
    let mut total = conn
        .prepare_cached(
            "SELECT SUM(alert_count), COUNT(*), MIN(first_seen), MAX(last_seen)
             FROM alert_value_months
             WHERE dimension = ?1 AND value = ?2 AND month >= ?3 AND month <= ?4 AND alert_count > 0",
        )
        .map_err(db_err)?;
    loop {
        // Each candidate's count over the months where it is a leader, and in which months.
        let mut partial: HashMap<String, (i64, Vec<usize>)> = HashMap::new();
        let mut kth: Vec<i64> = Vec::with_capacity(months.len());
        for (i, month) in months.iter().enumerate() {
            let rows = leaders
                .query_map(params![dimension, month, k as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)?;
            kth.push(match rows.last() {
                Some((_, c)) if rows.len() == k => *c,
                _ => 0,
            });
            for (value, count) in rows {
                let e = partial.entry(value).or_default();
                e.0 += count;
                e.1.push(i);
            }
        }
        let bound: i64 = kth.iter().sum();
        // Only a candidate whose best case reaches the limit-th surest count can be in the list.
        let mut surest: Vec<i64> = partial.values().map(|(n, _)| *n).collect();
        surest.sort_unstable_by(|a, b| b.cmp(a));
        let floor = surest.get(limit.saturating_sub(1)).copied().unwrap_or(0);
        let candidates: Vec<String> = partial
            .into_iter()
            .filter(|(_, (n, seen))| {
                let unseen: i64 = kth
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !seen.contains(i))
                    .map(|(_, c)| c)
                    .sum();
                n + unseen >= floor
            })
            .map(|(v, _)| v)
            .collect();
        let mut top = Vec::with_capacity(candidates.len());
        for value in candidates {
            let (n, months_seen, first, last): (i64, i64, i64, i64) = total
                .query_row(params![dimension, value, from, to], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(db_err)?;
            top.push(ValueCount {
                value,
                count: u64::try_from(n).unwrap_or(0),
                months_seen: u32::try_from(months_seen).unwrap_or(0),
                first_seen: ts(first).map_err(db_err)?,
                last_seen: ts(last).map_err(db_err)?,
            });
        }
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        top.truncate(limit);
        let proved = match top.last() {
            _ if bound == 0 => true,
            Some(last) if top.len() == limit => last.count > u64::try_from(bound).unwrap_or(0),
            _ => false,
        };
        if proved {
            return Ok(Some(top));
        }
        if k >= 10_000 {
            return Ok(None);
        }
        k *= 10;
    }
}

/// The agency part of a filter alone, for tables that hold nothing else of it.
fn agency_conditions(filter: &AlertFilter) -> (String, Params) {
    let agency_only = AlertFilter {
        visible: filter.visible.clone(),
        agency: filter.agency.clone(),
        ..AlertFilter::default()
    };
    conditions(&agency_only, None, false)
}

/// One page of `select`'s rows, newest `time_column` first, with the total `count` (a query
/// and its parameters) gives.
fn newest_first<T>(
    conn: &rusqlite::Connection,
    count: (&str, &Params),
    select: &str,
    time_column: &str,
    params: &Params,
    page: PageRequest,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> DomainResult<Page<T>> {
    let total: i64 = conn
        .query_row(count.0, param_refs(count.1).as_slice(), |r| r.get(0))
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
