//! civitas' embedded store: every core port implemented on one SQLite file in WAL mode,
//! with a few pooled read-only connections and one writer. Blocking SQLite calls run on
//! tokio's blocking pool, never on the async workers.

mod accounts;
mod agencies;
mod alerts;
mod audit;
mod cases;
mod catalog;
mod convert;
mod exchange;
mod harvest;
mod imports;
mod intel;
mod inventory;
mod migrate;
mod notifications;
mod pool;
mod sessions;
mod sharing;
mod tokens;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::ports::{SchemaStatus, StoreAdmin, Stores};

pub use migrate::MIGRATIONS;
use pool::Pool;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "civitas.sqlite3";

pub struct SqliteStore {
    pool: Pool,
    path: PathBuf,
    /// The catalogue's search index in memory (`None`: every search runs in SQLite).
    search_index: Option<Arc<catalog::SearchIndex>>,
}

#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    /// Apply pending migrations on open (otherwise refuse to open an outdated schema).
    pub migrate: bool,
    pub readers: usize,
    /// Keep a copy of the catalogue's search index in memory (about 60 MB per 100,000
    /// datasets; searches and facet counts in milliseconds). Off: FTS5 in SQLite answers.
    pub search_in_memory: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            migrate: true,
            readers: 4,
            search_in_memory: true,
        }
    }
}

impl SqliteStore {
    /// Open (creating if needed) the store in `data_dir`.
    pub fn open_in(data_dir: &Path, options: OpenOptions) -> DomainResult<Arc<Self>> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            DomainError::store(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        Self::open(&data_dir.join(DB_FILE), options)
    }

    pub fn open(path: &Path, options: OpenOptions) -> DomainResult<Arc<Self>> {
        let mut writer = pool::open_writer(path)?;
        if options.migrate {
            migrate::apply(&mut writer)?;
        } else {
            let status = migrate::status(&writer)?;
            if !status.current() {
                return Err(DomainError::store(format!(
                    "the database schema is at version {} but this civitas needs {}; run `civitas migrate`",
                    status.applied, status.expected
                )));
            }
        }
        let pool = Pool::new(path, writer, options.readers.max(1))?;
        Ok(Arc::new(SqliteStore {
            pool,
            path: path.to_path_buf(),
            search_index: options
                .search_in_memory
                .then(|| Arc::new(catalog::SearchIndex::default())),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn stores(self: &Arc<Self>) -> Stores {
        Stores::from_backend(self.clone())
    }

    /// Apply pending migrations to the file at `path`; returns the versions applied.
    pub fn migrate_file(path: &Path) -> DomainResult<Vec<i64>> {
        let mut conn = pool::open_writer(path)?;
        migrate::apply(&mut conn)
    }
}

#[async_trait]
impl StoreAdmin for SqliteStore {
    async fn ping(&self) -> DomainResult<()> {
        self.pool
            .read(|conn| {
                conn.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(convert::db_err)
            })
            .await
    }

    async fn schema_status(&self) -> DomainResult<SchemaStatus> {
        self.pool.read(migrate::status).await
    }

    async fn backup_to(&self, path: &Path) -> DomainResult<()> {
        if path.exists() {
            return Err(DomainError::conflict(
                format!("{} 已存在；請換一個檔名", path.display()),
                format!("{} already exists; choose a new file name", path.display()),
            ));
        }
        let source = self.path.clone();
        let target = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            // VACUUM INTO writes a consistent, compacted snapshot while others keep writing.
            let conn = pool::open_plain(&source)?;
            let target = target
                .to_str()
                .ok_or_else(|| {
                    DomainError::invalid(
                        "path",
                        civitas_core::text::Text::new(
                            "備份路徑必須是有效的 UTF-8",
                            "the backup path must be valid UTF-8",
                        ),
                    )
                })?
                .to_string();
            conn.execute("VACUUM INTO ?1", [target])
                .map_err(convert::db_err)?;
            Ok(())
        })
        .await
        .map_err(|e| DomainError::store(format!("backup task: {e}")))?
    }
}
