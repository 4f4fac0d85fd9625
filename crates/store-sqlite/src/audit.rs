//! The audit chain on SQLite. Appends happen inside the caller's write transaction, so a
//! change and its audit entry commit together or not at all.

use async_trait::async_trait;
use civitas_core::audit::{AuditEntry, AuditEvent, AuditFilter, ChainHead, Outcome, seal};
use civitas_core::error::DomainResult;
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::{AuditStore, DailyCounts};
use civitas_core::time::{Timestamp, iso_date};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::convert::{Params, bad_value, db_err, param_refs, ts};

fn head(conn: &Connection) -> DomainResult<Option<ChainHead>> {
    // Cached statements: an import appends one entry per dataset.
    conn.prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")
        .and_then(|mut s| {
            s.query_row([], |r| {
                Ok(ChainHead {
                    seq: r.get(0)?,
                    hash: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(db_err)
}

/// Seal `event` after the current head and store it; call inside a write transaction.
pub(crate) fn append(tx: &Transaction<'_>, event: AuditEvent) -> DomainResult<AuditEntry> {
    let current = head(tx)?.unwrap_or_else(ChainHead::genesis);
    let e = seal(&current, event);
    tx.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor_name, acting_agency, action, object_type,
                                object_id, source_ip, outcome, summary, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.seq,
            e.at.as_millis(),
            e.actor_user_id,
            e.actor_name,
            e.acting_agency,
            e.action,
            e.object_type,
            e.object_id,
            e.source_ip,
            e.outcome.as_str(),
            e.summary,
            e.prev_hash,
            e.hash
        ])
    })
    .map_err(db_err)?;
    tx.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .and_then(|mut s| s.execute(params![e.seq, e.hash]))
    .map_err(db_err)?;
    Ok(e)
}

pub(crate) fn append_all(tx: &Transaction<'_>, events: Vec<AuditEvent>) -> DomainResult<()> {
    for event in events {
        append(tx, event)?;
    }
    Ok(())
}

const COLUMNS: &str = "seq, at, actor_user_id, actor_name, acting_agency, action, object_type, object_id, \
                       source_ip, outcome, summary, prev_hash, hash";

fn entry(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let outcome: String = r.get(9)?;
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: ts(r.get(1)?)?,
        actor_user_id: r.get(2)?,
        actor_name: r.get(3)?,
        acting_agency: r.get(4)?,
        action: r.get(5)?,
        object_type: r.get(6)?,
        object_id: r.get(7)?,
        source_ip: r.get(8)?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| bad_value(9, "outcome"))?,
        summary: r.get(10)?,
        prev_hash: r.get(11)?,
        hash: r.get(12)?,
    })
}

fn where_clause(filter: &AuditFilter) -> (String, Params) {
    let mut clauses: Vec<String> = Vec::new();
    let mut params: Params = Vec::new();
    // Each clause names its parameter as `?N`; `{n}` is replaced by that number.
    let mut add = |sql: &str, value: Box<dyn rusqlite::ToSql + Send>| {
        params.push(value);
        clauses.push(sql.replace("{n}", &params.len().to_string()));
    };
    if let Some(from) = filter.from {
        add("at >= ?{n}", Box::new(from.as_millis()));
    }
    if let Some(to) = filter.to {
        add("at < ?{n}", Box::new(to.as_millis()));
    }
    if let Some(actor) = &filter.actor {
        add("actor_name = ?{n}", Box::new(actor.clone()));
    }
    if let Some(action) = &filter.action {
        // Exact action, or a dotted prefix: `user` matches `user.create`.
        add(
            "(action = ?{n} OR substr(action, 1, length(?{n}) + 1) = ?{n} || '.')",
            Box::new(action.clone()),
        );
    }
    if let Some(object_type) = &filter.object_type {
        add("object_type = ?{n}", Box::new(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        add("object_id = ?{n}", Box::new(object_id.clone()));
    }
    if let Some(agency) = &filter.agency {
        add("acting_agency = ?{n}", Box::new(agency.clone()));
    }
    if let Some(outcome) = filter.outcome {
        add("outcome = ?{n}", Box::new(outcome.as_str()));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (sql, params)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append(&self, event: AuditEvent) -> DomainResult<AuditEntry> {
        self.pool.write(move |tx| append(tx, event)).await
    }

    async fn query(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> DomainResult<Page<AuditEntry>> {
        let (clause, mut params) = where_clause(filter);
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM audit_log {clause}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                params.push(Box::new(page.limit() as i64));
                params.push(Box::new(page.offset() as i64));
                let n = params.len();
                let sql = format!(
                    "SELECT {COLUMNS} FROM audit_log {clause} ORDER BY seq DESC LIMIT ?{} OFFSET ?{n}",
                    n - 1
                );
                let mut stmt = conn.prepare(&sql).map_err(db_err)?;
                let items = stmt
                    .query_map(param_refs(&params).as_slice(), entry)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(Page {
                    items,
                    page: page.page,
                    per_page: page.per_page,
                    total: u64::try_from(total).unwrap_or(0),
                })
            })
            .await
    }

    async fn entries_after(&self, after: i64, limit: u32) -> DomainResult<Vec<AuditEntry>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(params![after, limit], entry)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn head(&self) -> DomainResult<Option<ChainHead>> {
        self.pool.read(head).await
    }

    async fn daily_counts(
        &self,
        from: Timestamp,
        action_prefix: Option<&str>,
    ) -> DomainResult<DailyCounts> {
        let prefix = action_prefix.map(str::to_string);
        self.pool
            .read(move |conn| {
                // Days are Taipei days: shift by 8 hours before dividing.
                let mut stmt = conn
                    .prepare(
                        "SELECT (at + 28800000) / 86400000 AS day, COUNT(*) FROM audit_log
                         WHERE at >= ?1
                           AND (?2 IS NULL OR action = ?2 OR substr(action, 1, length(?2) + 1) = ?2 || '.')
                         GROUP BY day ORDER BY day",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![from.as_millis(), prefix], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(day, count)| {
                        let at = Timestamp::from_millis(day * 86_400_000)?;
                        Some((iso_date(at.inner().date()), u64::try_from(count).unwrap_or(0)))
                    })
                    .collect())
            })
            .await
    }
}
