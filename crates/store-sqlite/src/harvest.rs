//! Harvest sources and runs on SQLite.

use async_trait::async_trait;
use civitas_core::catalog::schedule::{HarvestRun, RunTrigger, SourceRow};
use civitas_core::error::DomainResult;
use civitas_core::ports::HarvestStore;
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use rusqlite::{Row, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{bad_value, db_err, opt_ts, ts};

const SOURCE_COLUMNS: &str =
    "name, kind, url, interval_seconds, configured, run_requested_at, run_requested_by";
const RUN_COLUMNS: &str = "id, source, trigger, started_at, finished_at, import_run_id, received, created, updated, \
     unchanged, duplicates, rejected, withdrawn, pages_read, complete, error_zh, error_en";

fn source_row(r: &Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        name: r.get(0)?,
        kind: r.get(1)?,
        url: r.get(2)?,
        interval_seconds: r.get(3)?,
        configured: r.get::<_, i64>(4)? != 0,
        run_requested_at: opt_ts(r.get(5)?)?,
        run_requested_by: r.get(6)?,
    })
}

fn count(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

fn run_row(r: &Row<'_>) -> rusqlite::Result<HarvestRun> {
    let trigger: String = r.get(2)?;
    let error_zh: Option<String> = r.get(15)?;
    let error_en: Option<String> = r.get(16)?;
    Ok(HarvestRun {
        id: r.get(0)?,
        source: r.get(1)?,
        trigger: RunTrigger::parse(&trigger).ok_or_else(|| bad_value(2, "harvest trigger"))?,
        started_at: ts(r.get(3)?)?,
        finished_at: opt_ts(r.get(4)?)?,
        import_run: r.get(5)?,
        received: count(r, 6)?,
        created: count(r, 7)?,
        updated: count(r, 8)?,
        unchanged: count(r, 9)?,
        duplicates: count(r, 10)?,
        rejected: count(r, 11)?,
        withdrawn: count(r, 12)?,
        pages_read: count(r, 13)?,
        complete: r.get::<_, i64>(14)? != 0,
        error: match (error_zh, error_en) {
            (Some(zh), Some(en)) => Some(Text::new(zh, en)),
            _ => None,
        },
    })
}

fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait]
impl HarvestStore for SqliteStore {
    async fn sync_harvest_sources(&self, sources: &[SourceRow], at: Timestamp) -> DomainResult<()> {
        let sources = sources.to_vec();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE harvest_sources SET configured = 0, updated_at = ?1 WHERE configured = 1",
                    [at.as_millis()],
                )
                .map_err(db_err)?;
                for s in &sources {
                    tx.execute(
                        "INSERT INTO harvest_sources (name, kind, url, interval_seconds, configured, updated_at)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5)
                         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url,
                             interval_seconds = excluded.interval_seconds, configured = 1,
                             updated_at = excluded.updated_at",
                        params![s.name, s.kind, s.url, s.interval_seconds, at.as_millis()],
                    )
                    .map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }

    async fn add_harvest_source(&self, source: &SourceRow, at: Timestamp) -> DomainResult<()> {
        let s = source.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO harvest_sources (name, kind, url, interval_seconds, configured, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING",
                    params![
                        s.name,
                        s.kind,
                        s.url,
                        s.interval_seconds,
                        i64::from(s.configured),
                        at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn harvest_sources(&self) -> DomainResult<Vec<SourceRow>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {SOURCE_COLUMNS} FROM harvest_sources ORDER BY name"
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([], source_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn request_harvest(
        &self,
        source: &str,
        by: &str,
        at: Timestamp,
        audit: civitas_core::audit::AuditEvent,
    ) -> DomainResult<()> {
        let (source, by) = (source.to_string(), by.to_string());
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE harvest_sources SET run_requested_at = ?2, run_requested_by = ?3
                     WHERE name = ?1",
                    params![source, at.as_millis(), by],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn start_harvest_run(
        &self,
        source: &str,
        trigger: RunTrigger,
        at: Timestamp,
    ) -> DomainResult<i64> {
        let source = source.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE harvest_sources SET run_requested_at = NULL, run_requested_by = NULL
                     WHERE name = ?1",
                    [&source],
                )
                .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO harvest_runs (source, trigger, started_at) VALUES (?1, ?2, ?3)",
                    params![source, trigger.code(), at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(tx.last_insert_rowid())
            })
            .await
    }

    async fn finish_harvest_run(&self, run: &HarvestRun) -> DomainResult<()> {
        let r = run.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE harvest_runs SET finished_at = ?2, import_run_id = ?3, received = ?4,
                         created = ?5, updated = ?6, unchanged = ?7, duplicates = ?8, rejected = ?9,
                         withdrawn = ?10, pages_read = ?11, complete = ?12, error_zh = ?13,
                         error_en = ?14
                     WHERE id = ?1",
                    params![
                        r.id,
                        r.finished_at.map(|t| t.as_millis()),
                        r.import_run,
                        n(r.received),
                        n(r.created),
                        n(r.updated),
                        n(r.unchanged),
                        n(r.duplicates),
                        n(r.rejected),
                        n(r.withdrawn),
                        n(r.pages_read),
                        i64::from(r.complete),
                        r.error.as_ref().map(|e| e.zh.clone()),
                        r.error.as_ref().map(|e| e.en.clone()),
                    ],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn close_open_harvest_runs(&self, at: Timestamp, reason: &Text) -> DomainResult<u64> {
        let reason = reason.clone();
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE harvest_runs SET finished_at = ?1, error_zh = ?2, error_en = ?3
                         WHERE finished_at IS NULL",
                        params![at.as_millis(), reason.zh, reason.en],
                    )
                    .map_err(db_err)?;
                Ok(n as u64)
            })
            .await
    }

    async fn harvest_runs(&self, source: &str, limit: u32) -> DomainResult<Vec<HarvestRun>> {
        let source = source.to_string();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {RUN_COLUMNS} FROM harvest_runs WHERE source = ?1
                         ORDER BY started_at DESC, id DESC LIMIT ?2"
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![source, i64::from(limit)], run_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }
}
