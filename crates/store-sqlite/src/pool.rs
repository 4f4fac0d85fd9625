//! A handful of read-only connections and one writer. Reads run concurrently (WAL);
//! writes queue for the single writer and run in `BEGIN IMMEDIATE` transactions.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use civitas_core::error::{DomainError, DomainResult};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

use crate::convert::db_err;

/// Read pages through a memory map rather than one system call each: a catalogue of 100,000
/// datasets is read whole by every freshness recompute (BENCHMARKS.md). Address space only;
/// the kernel's page cache holds the pages either way.
const SPEED: &str = "PRAGMA mmap_size = 4294967296; PRAGMA cache_size = -16384;";

/// The bundled SQLite is built with STAT4, which re-prepares a cached statement on every new
/// bound value that might change its plan (a partial index, a LIMIT, a bound pattern): the
/// gateway spent 9% of its time re-parsing three look-ups (BENCHMARKS.md, exchange gateway).
/// Plans here never depend on bound values (no ANALYZE, no LIKE on bound patterns), so pin them.
fn stable_plans(conn: &Connection) -> DomainResult<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
    .map_err(db_err)
}

fn configure(conn: &Connection) -> DomainResult<()> {
    stable_plans(conn)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         {SPEED}"
    ))
    .map_err(db_err)
}

pub(crate) fn open_writer(path: &Path) -> DomainResult<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| DomainError::store(format!("cannot open {}: {e}", path.display())))?;
    configure(&conn)?;
    // Sorts and temporary B-trees stay in memory. The page cache stays at 16 MiB like the readers:
    // a 512 MiB cache made every commit scan its whole hash table (SQLite truncates the cache
    // at each commit), 7% of the exchange gateway's time at ~1,000 commits/s, and its gain on
    // alert imports did not reproduce (BENCHMARKS.md).
    conn.execute_batch("PRAGMA temp_store = MEMORY;")
        .map_err(db_err)?;
    // Imports cycle through a few dozen statements per dataset; keep them all prepared.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

pub(crate) fn open_plain(path: &Path) -> DomainResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| DomainError::store(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch("PRAGMA busy_timeout = 5000;")
        .map_err(db_err)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> DomainResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| DomainError::store(format!("cannot open {} for reading: {e}", path.display())))?;
    stable_plans(&conn)?;
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 5000; PRAGMA query_only = ON; {SPEED}"
    ))
    .map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

pub(crate) struct Pool {
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_permits: Arc<Semaphore>,
    writer: Arc<Mutex<Connection>>,
    writer_permit: Arc<Semaphore>,
}

fn lock_err<T>(_: T) -> DomainError {
    DomainError::store("a database connection lock was poisoned by a panic")
}

impl Pool {
    pub(crate) fn new(path: &Path, writer: Connection, readers: usize) -> DomainResult<Self> {
        let conns = (0..readers)
            .map(|_| open_reader(path))
            .collect::<DomainResult<Vec<_>>>()?;
        Ok(Pool {
            readers: Arc::new(Mutex::new(conns)),
            reader_permits: Arc::new(Semaphore::new(readers)),
            writer: Arc::new(Mutex::new(writer)),
            writer_permit: Arc::new(Semaphore::new(1)),
        })
    }

    /// Run `f` on a read-only connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DomainResult<T> + Send + 'static,
    {
        let waited = Instant::now();
        let permit = self
            .reader_permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DomainError::store("the database is closing"))?;
        metrics::histogram!("civitas_db_wait_seconds", "kind" => "read")
            .record(waited.elapsed().as_secs_f64());
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn =
                readers.lock().map_err(lock_err)?.pop().ok_or_else(|| {
                    DomainError::store("no reader connection free despite a permit")
                })?;
            let started = Instant::now();
            let result = f(&conn);
            metrics::histogram!("civitas_db_query_seconds", "kind" => "read")
                .record(started.elapsed().as_secs_f64());
            readers.lock().map_err(lock_err)?.push(conn);
            result
        })
        .await
        .map_err(|e| DomainError::store(format!("database task failed: {e}")))?
    }

    /// Run `f` in an immediate write transaction; commit when it returns `Ok`.
    pub(crate) async fn write<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> DomainResult<T> + Send + 'static,
    {
        let waited = Instant::now();
        let permit = self
            .writer_permit
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DomainError::store("the database is closing"))?;
        metrics::histogram!("civitas_db_wait_seconds", "kind" => "write")
            .record(waited.elapsed().as_secs_f64());
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = writer.lock().map_err(lock_err)?;
            let started = Instant::now();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let value = f(&tx)?;
            tx.commit().map_err(db_err)?;
            metrics::histogram!("civitas_db_query_seconds", "kind" => "write")
                .record(started.elapsed().as_secs_f64());
            Ok(value)
        })
        .await
        .map_err(|e| DomainError::store(format!("database task failed: {e}")))?
    }
}
