//! A backup restored into an empty directory gives back the same people, agencies and trail.

use serde_json::Value;

use crate::{PASSWORD, run, run_ok, seeded, stdout, with_stdin};

#[test]
fn backup_then_restore_into_an_empty_directory_gives_the_same_platform() {
    let dir = seeded();
    let out = with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "amy",
            "--role",
            "auditor",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success());
    run_ok(dir.path(), &["token", "create", "--user", "amy"]);
    let users = run_ok(dir.path(), &["user", "list", "--json"]);
    let agencies = run_ok(dir.path(), &["agency", "list", "--json"]);
    let trail: Value =
        serde_json::from_str(&run_ok(dir.path(), &["audit", "verify", "--json"])).unwrap();

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("civitas-backup.sqlite3");
    let said = run_ok(dir.path(), &["backup", file.to_str().unwrap()]);
    assert!(said.contains("backed up"), "{said}");
    assert!(
        !run(dir.path(), &["backup", file.to_str().unwrap()])
            .status
            .success(),
        "never overwrites"
    );

    let empty = tempfile::tempdir().unwrap();
    let target = empty.path().join("restored");
    let said = run_ok(&target, &["restore", file.to_str().unwrap()]);
    assert!(said.contains("verifies"), "{said}");
    assert_eq!(run_ok(&target, &["user", "list", "--json"]), users);
    assert_eq!(run_ok(&target, &["agency", "list", "--json"]), agencies);
    let restored: Value =
        serde_json::from_str(&run_ok(&target, &["audit", "verify", "--json"])).unwrap();
    assert_eq!(restored["head"], trail["head"], "the same chain head");
    assert_eq!(restored["problem"], Value::Null);
    // The restored platform keeps working: its people can still be managed.
    run_ok(&target, &["user", "grant", "amy", "--role", "viewer"]);
    assert!(run(&target, &["audit", "verify"]).status.success());
}

#[test]
fn restore_refuses_to_overwrite_data_or_take_a_file_that_is_not_a_backup() {
    let dir = seeded();
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("b.sqlite3");
    run_ok(dir.path(), &["backup", file.to_str().unwrap()]);
    let out = run(dir.path(), &["restore", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = run(dir.path(), &["restore", "--force", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
    assert!(kept, "the replaced data is kept");
    let junk = backups.path().join("junk.txt");
    std::fs::write(&junk, "not a database").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path(), &["restore", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a civitas backup"));
}
