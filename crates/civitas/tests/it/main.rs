//! The `civitas` binary driven as an operator drives it: commands, exit codes, output,
//! and a running server reached over HTTP.
// Tests may unwrap, index and panic: a failure should stop the test loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod alerts;
mod backup_restore;
mod cli;
mod config;
mod exchange;
mod harvest;
mod intel;
mod notify;
mod server;
mod syslog;
mod tamper;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const PASSWORD: &str = "operator pass phrase 2024";

pub fn civitas(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_civitas"));
    c.arg("--data-dir").arg(data);
    // A clean environment: only what the test sets.
    for (k, _) in std::env::vars() {
        if k.starts_with("CIVITAS_") {
            c.env_remove(k);
        }
    }
    c.env("CIVITAS_LOG_FORMAT", "json");
    // Tests log in often: cheap hashing (production cost is tested in the core).
    c.env("CIVITAS_SECURITY__ARGON2_MEMORY_KIB", "1024");
    c.env("CIVITAS_SECURITY__ARGON2_ITERATIONS", "1");
    c
}

pub fn run(data: &Path, args: &[&str]) -> Output {
    civitas(data).args(args).output().unwrap()
}

pub fn run_ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    assert!(
        out.status.success(),
        "civitas {args:?} failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

pub fn with_stdin(data: &Path, args: &[&str], input: &str) -> Output {
    let mut child = civitas(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A data directory with the demo agencies and one administrator.
pub fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/agencies.csv");
    run_ok(dir.path(), &["agency", "import", csv]);
    let out = with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "admin",
            "--role",
            "platform_admin",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}
