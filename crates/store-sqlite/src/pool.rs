//! A handful of read-only connections and one writer. Reads run concurrently (WAL); writes
//! queue for the writer thread, which runs those waiting together in one `BEGIN IMMEDIATE`
//! transaction, each in its own savepoint, and answers each only after the commit (group
//! commit: under concurrent small writes, one commit serves many).

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
    // Sorts, temporary B-trees and statement journals stay in memory (an alert import is 17%
    // faster than with them in files). The page cache stays at 16 MiB like the readers: a
    // 512 MiB cache made every commit scan its whole hash table (SQLite truncates the cache at
    // each commit), 7% of the exchange gateway's time at ~1,000 commits/s, and its gain on alert
    // imports did not reproduce (BENCHMARKS.md).
    //
    // In memory, a savepoint's sub-journal is a list SQLite walks from its start each time a
    // statement inside the savepoint ends: a large write inside a savepoint becomes quadratic
    // (1M alerts took over 15 minutes instead of 90 s). Only small writes share a transaction
    // in savepoints ([`Pool::write_grouped`]); every other write has its transaction alone.
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
    writes: std::sync::mpsc::Sender<WriteJob>,
}

/// What a write answers once its transaction has ended: the commit's error, if any.
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;

/// One queued write: run in the open transaction, it tells whether it succeeded (its savepoint
/// is kept) and how to answer its caller once the transaction has ended.
type Run = Box<dyn FnOnce(&Transaction<'_>) -> (bool, Answer) + Send>;

/// A queued write: its work, and whether it may share a transaction with other small writes
/// (each in its own savepoint) or must have one of its own.
struct WriteJob {
    run: Run,
    grouped: bool,
}

/// At most this many writes share a transaction.
const GROUP: usize = 64;

/// The writer thread: takes the writes waiting and runs a write of its own alone, or the small
/// grouped writes waiting together in one transaction (each in its own savepoint, so that one
/// failing leaves the others); commits, answers.
fn writer_loop(mut conn: Connection, jobs: &std::sync::mpsc::Receiver<WriteJob>) {
    let mut waiting: std::collections::VecDeque<WriteJob> = std::collections::VecDeque::new();
    loop {
        if waiting.is_empty() {
            match jobs.recv() {
                Ok(job) => waiting.push_back(job),
                Err(_) => return,
            }
        }
        while waiting.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => waiting.push_back(job),
                Err(_) => break,
            }
        }
        // In their order: a write of its own alone, or the grouped writes up to the next one
        // that is not.
        let take = match waiting.front() {
            Some(first) if first.grouped => {
                waiting.iter().take(GROUP).take_while(|j| j.grouped).count()
            }
            _ => 1,
        };
        let batch: Vec<WriteJob> = waiting.drain(..take.min(waiting.len())).collect();
        run_batch(&mut conn, batch, &mut waiting);
    }
}

/// One of the savepoint statements, prepared once.
fn savepoint(tx: &Transaction<'_>, sql: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs `batch` in one transaction; several writes each in its own savepoint: a failing write
/// is rolled back to it, the others are kept (one alone has no savepoint: its failure rolls
/// the transaction back). If SQLite abandons the transaction under a failing write (a
/// full disk, an I/O error), the writes already run are answered with the error, the one running
/// is dropped (its caller hears it did not complete, so a transaction that keeps failing cannot
/// keep the writer spinning) and those not yet run go back to `waiting`, in order.
fn run_batch(
    conn: &mut Connection,
    batch: Vec<WriteJob>,
    waiting: &mut std::collections::VecDeque<WriteJob>,
) {
    let started = Instant::now();
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            // Nothing ran; each caller hears that its write did not complete.
            tracing::error!(error = %e, writes = batch.len(), "cannot begin a write transaction");
            return;
        }
    };
    let mut answers: Vec<(bool, Answer)> = Vec::with_capacity(batch.len());
    // A write alone in its transaction needs no savepoint: if it fails, the transaction is
    // rolled back instead.
    let alone = batch.len() == 1;
    let mut rest = batch.into_iter();
    let mut broken: Option<String> = None;
    let mut failed_alone = false;
    for job in rest.by_ref() {
        if !alone && let Err(e) = savepoint(&tx, "SAVEPOINT civitas_write") {
            broken = Some(e.to_string());
            break;
        }
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (job.run)(&tx)));
        let ok = matches!(ran, Ok((true, _)));
        if let Ok(answer) = ran {
            answers.push(answer);
        }
        if alone {
            failed_alone = !ok;
            break;
        }
        let ended = if ok {
            Ok(())
        } else {
            savepoint(&tx, "ROLLBACK TO civitas_write")
        }
        .and_then(|()| savepoint(&tx, "RELEASE civitas_write"));
        if let Err(e) = ended {
            broken = Some(e.to_string());
            break;
        }
    }
    let failure = match broken {
        // The lone write failed (and has its own error to tell): nothing of it is kept.
        None if failed_alone => {
            drop(tx);
            None
        }
        Some(e) => {
            // The transaction is gone: those that ran are lost; those not run wait for the next.
            for job in rest.rev() {
                waiting.push_front(job);
            }
            drop(tx);
            Some(format!("the write transaction was abandoned: {e}"))
        }
        None => {
            let committed = tx.commit();
            metrics::histogram!("civitas_db_query_seconds", "kind" => "write")
                .record(started.elapsed().as_secs_f64());
            committed.err().map(|e| format!("commit failed: {e}"))
        }
    };
    for (ok, answer) in answers {
        answer(if ok { failure.as_deref() } else { None });
    }
}

fn lock_err<T>(_: T) -> DomainError {
    DomainError::store("a database connection lock was poisoned by a panic")
}

impl Pool {
    pub(crate) fn new(path: &Path, writer: Connection, readers: usize) -> DomainResult<Self> {
        let conns = (0..readers)
            .map(|_| open_reader(path))
            .collect::<DomainResult<Vec<_>>>()?;
        let (writes, jobs) = std::sync::mpsc::channel::<WriteJob>();
        std::thread::Builder::new()
            .name("civitas-db-writer".into())
            .spawn(move || writer_loop(writer, &jobs))
            .map_err(|e| DomainError::store(format!("cannot start the database writer: {e}")))?;
        Ok(Pool {
            readers: Arc::new(Mutex::new(conns)),
            reader_permits: Arc::new(Semaphore::new(readers)),
            writes,
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

    /// A point look-up of a few microseconds (an index probe on the exchange gateway's path):
    /// run on the calling thread when a reader connection is free at once, since handing it
    /// to the blocking pool and back costs more than the query itself; otherwise as
    /// [`Pool::read`]. Never for a query that may scan.
    pub(crate) async fn read_quick<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DomainResult<T> + Send + 'static,
    {
        if let Ok(permit) = self.reader_permits.clone().try_acquire_owned() {
            let conn = self.readers.lock().map_err(lock_err)?.pop();
            if let Some(conn) = conn {
                let started = Instant::now();
                let result = f(&conn);
                metrics::histogram!("civitas_db_query_seconds", "kind" => "read")
                    .record(started.elapsed().as_secs_f64());
                self.readers.lock().map_err(lock_err)?.push(conn);
                drop(permit);
                return result;
            }
        }
        self.read(f).await
    }

    /// Run `f` in an immediate write transaction; its changes are committed when it returns
    /// `Ok` (and the answer comes after the commit), rolled back when it returns `Err`.
    pub(crate) async fn write<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> DomainResult<T> + Send + 'static,
    {
        self.queue_write(f, false).await
    }

    /// A small write (a few rows) that may share its transaction with others waiting, each in
    /// its own savepoint: one commit serves many, at a high rate of small writes (the exchange
    /// gateway's message log). Never for large writes: see `open_writer`.
    pub(crate) async fn write_grouped<T, F>(&self, f: F) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> DomainResult<T> + Send + 'static,
    {
        self.queue_write(f, true).await
    }

    async fn queue_write<T, F>(&self, f: F, grouped: bool) -> DomainResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> DomainResult<T> + Send + 'static,
    {
        let queued = Instant::now();
        let (reply, answer) = tokio::sync::oneshot::channel::<DomainResult<T>>();
        let run: Run = Box::new(move |tx: &Transaction<'_>| {
            metrics::histogram!("civitas_db_wait_seconds", "kind" => "write")
                .record(queued.elapsed().as_secs_f64());
            let result = f(tx);
            let ok = result.is_ok();
            let answer: Answer = Box::new(move |failed: Option<&str>| {
                let _ = reply.send(match failed {
                    Some(e) => Err(DomainError::store(e)),
                    None => result,
                });
            });
            (ok, answer)
        });
        self.writes
            .send(WriteJob { run, grouped })
            .map_err(|_| DomainError::store("the database writer has stopped"))?;
        answer.await.map_err(|_| {
            DomainError::store("the write did not complete (the database writer failed)")
        })?
    }
}
