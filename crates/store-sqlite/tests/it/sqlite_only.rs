//! Behaviour specific to the embedded store: files, WAL, migrations, backups.

use civitas_core::audit::AuditFilter;
use civitas_core::page::PageRequest;
use civitas_store_conformance::event;
use civitas_store_sqlite::{DB_FILE, OpenOptions, SqliteStore};

#[tokio::test]
async fn a_backup_taken_while_writing_opens_with_everything_committed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let stores = store.stores();
    for i in 0..50 {
        stores
            .audit
            .append(event(i, "user.create", &format!("u{i}")))
            .await
            .unwrap();
    }
    let backup = dir.path().join("backup.sqlite3");
    let writer = {
        let stores = stores.clone();
        tokio::spawn(async move {
            for i in 50..150 {
                stores
                    .audit
                    .append(event(i, "user.create", &format!("u{i}")))
                    .await
                    .unwrap();
            }
        })
    };
    stores.admin.backup_to(&backup).await.unwrap();
    writer.await.unwrap();

    let copy = SqliteStore::open(&backup, OpenOptions::default()).unwrap();
    let head = copy.stores().audit.head().await.unwrap().unwrap();
    assert!(
        head.seq >= 50,
        "the backup has at least what was committed before it"
    );
    let n = copy
        .stores()
        .audit
        .query(&AuditFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .total;
    assert_eq!(
        n as i64, head.seq,
        "entries and head agree: a consistent snapshot"
    );
    assert!(
        stores.admin.backup_to(&backup).await.is_err(),
        "never overwrites a file"
    );
}

#[tokio::test]
async fn the_application_cannot_rewrite_audit_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    store
        .stores()
        .audit
        .append(event(0, "user.create", "a"))
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let err = conn
        .execute("UPDATE audit_log SET actor_name = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn opening_without_migrating_refuses_an_outdated_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let err = SqliteStore::open(
        &path,
        OpenOptions {
            migrate: false,
            readers: 1,
            ..OpenOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("civitas migrate"), "{err}");
    let every: Vec<i64> = civitas_store_sqlite::MIGRATIONS
        .iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(SqliteStore::migrate_file(&path).unwrap(), every);
    assert!(
        SqliteStore::migrate_file(&path).unwrap().is_empty(),
        "migrating twice applies nothing"
    );
    SqliteStore::open(
        &path,
        OpenOptions {
            migrate: false,
            readers: 1,
            ..OpenOptions::default()
        },
    )
    .unwrap();
}

#[tokio::test]
async fn the_database_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SqliteStore::open_in(dir.path(), OpenOptions::default()).unwrap();
    let conn = rusqlite_conn(&dir.path().join(DB_FILE));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn rusqlite_conn(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
