//! The SQLite store against the shared conformance story, plus what only SQLite does.

use std::sync::Arc;

use civitas_core::ports::Stores;
use civitas_store_sqlite::{OpenOptions, SqliteStore};
use tempfile::TempDir;

mod sqlite_only;

pub async fn fresh() -> (Stores, (Arc<SqliteStore>, TempDir)) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    (store.stores(), (store, dir))
}

civitas_store_conformance::suite!(fresh);
