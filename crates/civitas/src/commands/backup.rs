//! `civitas backup OUT` and `civitas restore IN`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use civitas_store_sqlite::{DB_FILE, OpenOptions, SqliteStore};

use super::domain;
use crate::config::Settings;
use crate::runtime;

pub async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<ExitCode> {
    let db = settings.data_dir.join(DB_FILE);
    anyhow::ensure!(
        db.exists(),
        "there is no civitas data in {}",
        settings.data_dir.display()
    );
    // Open without migrating: a backup never changes the live database.
    let store = runtime::open_store(settings, false)?;
    store.stores().admin.backup_to(out).await.map_err(domain)?;
    let head = store.stores().audit.head().await.map_err(domain)?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "已備份 / backed up to {} ({size} bytes, audit head {})",
        out.display(),
        head.map(|h| format!("{} {}", h.seq, h.hash))
            .unwrap_or_else(|| "-".into())
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(settings: &Settings, input: &Path, force: bool) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(input.exists(), "{} does not exist", input.display());
    // Check the file is a civitas database before touching anything.
    let probe = SqliteStore::open(
        input,
        OpenOptions {
            migrate: false,
            readers: 1,
            ..OpenOptions::default()
        },
    )
    .map_err(domain)
    .with_context(|| format!("{} is not a civitas backup", input.display()))?;
    drop(probe);
    std::fs::create_dir_all(&settings.data_dir)?;
    let target = settings.data_dir.join(DB_FILE);
    if target.exists() {
        anyhow::ensure!(
            force,
            "{} already holds data; use --force to replace it (the old file is kept)",
            settings.data_dir.display()
        );
        let stamp = civitas_core::clock::Clock::now(&civitas_core::clock::SystemClock).as_millis();
        for suffix in ["", "-wal", "-shm"] {
            let from = settings.data_dir.join(format!("{DB_FILE}{suffix}"));
            if from.exists() {
                std::fs::rename(
                    &from,
                    settings
                        .data_dir
                        .join(format!("{DB_FILE}{suffix}.before-restore-{stamp}")),
                )?;
            }
        }
    }
    std::fs::copy(input, &target).with_context(|| format!("copying to {}", target.display()))?;
    let (_, platform) = runtime::open(settings)?;
    let users = platform
        .stores
        .accounts
        .count_users()
        .await
        .map_err(domain)?;
    let agencies = platform
        .stores
        .agencies
        .agencies()
        .await
        .map_err(domain)?
        .len();
    let v = platform.audit().verify().await.map_err(domain)?;
    println!(
        "已還原 / restored: {users} users, {agencies} agencies, {} audit entries",
        v.entries_checked
    );
    match &v.problem {
        None => {
            println!("稽核軌跡完整 / the audit trail verifies");
            Ok(ExitCode::SUCCESS)
        }
        Some(p) => {
            println!(
                "稽核軌跡有問題 / the audit trail does not verify: entry {}: {}",
                p.seq, p.message
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
