//! The SQLite store against the shared conformance story, plus what only SQLite does.
// Tests may unwrap, index and panic: a failure should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use civitas_core::ports::Stores;
use civitas_store_sqlite::{OpenOptions, SqliteStore};
use tempfile::TempDir;

mod intel_scale;
mod search_index;
mod sqlite_only;

pub async fn fresh() -> (Stores, (Arc<SqliteStore>, TempDir)) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    (store.stores(), (store, dir))
}

civitas_store_conformance::suite!(fresh);
