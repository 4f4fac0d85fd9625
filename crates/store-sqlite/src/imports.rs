//! Import runs and their rejected records.

use async_trait::async_trait;
use civitas_core::audit::AuditEvent;
use civitas_core::error::DomainResult;
use civitas_core::import::{ImportReport, ImportRun, Rejected};
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::ImportStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{db_err, ts};

pub(crate) fn insert_run(
    tx: &Transaction<'_>,
    report: &ImportReport,
    started_at: Timestamp,
    at: Timestamp,
    actor: &str,
) -> DomainResult<i64> {
    tx.execute(
        "INSERT INTO import_runs (kind, format, source, actor_name, started_at, finished_at, received,
                                  created, updated, unchanged, duplicates, rejected, encoding, withdrawn)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            report.kind,
            report.format,
            report.source,
            actor,
            started_at.as_millis(),
            at.as_millis(),
            report.received as i64,
            report.created as i64,
            report.updated as i64,
            report.unchanged as i64,
            report.duplicates as i64,
            report.rejected.len() as i64,
            report.encoding,
            report.withdrawn as i64
        ],
    )
    .map_err(db_err)?;
    let id = tx.last_insert_rowid();
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO import_rejects (run_id, line, reason_zh, reason_en, raw) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db_err)?;
    for r in &report.rejected {
        stmt.execute(params![id, r.line as i64, r.reason.zh, r.reason.en, r.raw])
            .map_err(db_err)?;
    }
    Ok(id)
}

const COLUMNS: &str = "id, kind, format, source, actor_name, started_at, finished_at, received, created, \
                       updated, unchanged, duplicates, rejected, encoding, withdrawn";

fn run(r: &Row<'_>) -> rusqlite::Result<ImportRun> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| u64::try_from(v).unwrap_or(0));
    Ok(ImportRun {
        id: r.get(0)?,
        started_at: ts(r.get(5)?)?,
        finished_at: ts(r.get(6)?)?,
        actor_name: r.get(4)?,
        rejected_total: n(12)?,
        report: ImportReport {
            kind: r.get(1)?,
            format: r.get(2)?,
            source: r.get(3)?,
            received: n(7)?,
            created: n(8)?,
            updated: n(9)?,
            unchanged: n(10)?,
            duplicates: n(11)?,
            rejected: Vec::new(),
            encoding: r.get(13)?,
            withdrawn: n(14)?,
        },
    })
}

fn rejects(conn: &Connection, run_id: i64) -> DomainResult<Vec<Rejected>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT line, reason_zh, reason_en, raw FROM import_rejects WHERE run_id = ?1 ORDER BY line, rowid",
        )
        .map_err(db_err)?;
    stmt.query_map([run_id], |r| {
        Ok(Rejected {
            line: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            reason: civitas_core::text::Text::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?),
            raw: r.get(3)?,
        })
    })
    .map_err(db_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(db_err)
}

#[async_trait]
impl ImportStore for SqliteStore {
    async fn save_import_run(
        &self,
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
                let id = insert_run(tx, &report, started_at, at, &actor)?;
                append(tx, audit)?;
                Ok(id)
            })
            .await
    }

    async fn import_runs(
        &self,
        kind: Option<&str>,
        page: PageRequest,
    ) -> DomainResult<Page<ImportRun>> {
        let kind = kind.map(str::to_string);
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM import_runs WHERE ?1 IS NULL OR kind = ?1",
                        [&kind],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM import_runs WHERE ?1 IS NULL OR kind = ?1
                         ORDER BY id DESC LIMIT ?2 OFFSET ?3"
                    ))
                    .map_err(db_err)?;
                let items = stmt
                    .query_map(
                        params![kind, page.limit() as i64, page.offset() as i64],
                        run,
                    )
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

    async fn import_run(&self, id: i64) -> DomainResult<Option<ImportRun>> {
        self.pool
            .read(move |conn| {
                let found = conn
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM import_runs WHERE id = ?1"),
                        [id],
                        run,
                    )
                    .optional()
                    .map_err(db_err)?;
                match found {
                    Some(mut r) => {
                        r.report.rejected = rejects(conn, id)?;
                        Ok(Some(r))
                    }
                    None => Ok(None),
                }
            })
            .await
    }
}
