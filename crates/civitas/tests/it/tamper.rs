//! Changing one byte of any audit entry in the database file is caught and named.

use crate::{run, run_ok, seeded, stdout};

/// Flip one byte of `needle` where it appears in the file, as an attacker with a hex editor would.
fn flip_byte_of(path: &std::path::Path, needle: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle} not found in the file"));
    bytes[at + needle.len() - 1] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn checkpoint(data: &std::path::Path) {
    // Fold the WAL into the main file so the bytes we edit are the ones SQLite reads.
    let conn = rusqlite::Connection::open(data.join("civitas.sqlite3")).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

#[test]
fn an_untouched_trail_verifies() {
    let dir = seeded();
    let out = run_ok(dir.path(), &["audit", "verify"]);
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn one_changed_byte_in_an_entry_is_named() {
    let dir = seeded();
    let db = dir.path().join("civitas.sqlite3");
    checkpoint(dir.path());
    let before = run(dir.path(), &["audit", "verify", "--json"]);
    assert!(before.status.success());
    // The entry recording the creation of TY-ARTMUSEUM holds its English name as JSON (the
    // agencies table holds it too, but bare: this needle only matches the audit entry).
    flip_byte_of(&db, "\"name_en\":\"Taoyuan Museum of Fine Arts\"");
    let out = run(dir.path(), &["audit", "verify", "--json"]);
    assert!(!out.status.success(), "a tampered trail fails verification");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let seq = v["problem"]["seq"].as_i64().unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let object: String = conn
        .query_row(
            "SELECT object_id FROM audit_log WHERE seq = ?1",
            [seq],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        object, "TY-ARTMUSEUM",
        "the named entry is the one that was changed"
    );
    let text = stdout(&run(dir.path(), &["audit", "verify"]));
    assert!(
        text.contains(&format!("entry {seq}")) && text.contains("altered"),
        "{text}"
    );
}

#[test]
fn deleting_or_reordering_entries_is_named_too() {
    let dir = seeded();
    let db = dir.path().join("civitas.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    // Someone with the file can drop the guards; the chain still tells.
    conn.execute_batch("DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_no_update;")
        .unwrap();
    conn.execute("DELETE FROM audit_log WHERE seq = 10", [])
        .unwrap();
    drop(conn);
    let out = run(dir.path(), &["audit", "verify", "--json"]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["problem"]["seq"], 10);
    assert!(
        v["problem"]["message"]
            .as_str()
            .unwrap()
            .contains("missing")
    );

    let dir = seeded();
    let db = dir.path().join("civitas.sqlite3");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update;")
        .unwrap();
    // Swap the contents of entries 5 and 6, keeping their positions.
    conn.execute_batch(
        "UPDATE audit_log SET seq = -5 WHERE seq = 5;
         UPDATE audit_log SET seq = 5 WHERE seq = 6;
         UPDATE audit_log SET seq = 6 WHERE seq = -5;",
    )
    .unwrap();
    drop(conn);
    let out = run(dir.path(), &["audit", "verify", "--json"]);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["problem"]["seq"], 5);
}
