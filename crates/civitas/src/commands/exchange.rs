//! `civitas exchange verify FILE.asice [--conf DIR] [--json]`: check an X-Road message
//! container offline against a global configuration. Exit 0 valid, 1 invalid, 2 unusable input
//! (unreadable file, not a ZIP, no usable configuration).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use civitas_core::exchange::asic::{self, Outcome, Report, VerificationConf};

use crate::cli::ExchangeCommand;

const UNUSABLE: u8 = 2;

pub fn run(
    cmd: &ExchangeCommand,
    data_dir: impl FnOnce() -> anyhow::Result<PathBuf>,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ExchangeCommand::Verify { file, conf, json } => {
            let conf_dir = match conf {
                Some(dir) => dir.clone(),
                None => data_dir()?.join("exchange").join("globalconf"),
            };
            verify(file, &conf_dir, *json)
        }
        ExchangeCommand::VerifyArchives { dir } => {
            let dir = match dir {
                Some(d) => d.clone(),
                None => data_dir()?.join("exchange").join("archive"),
            };
            verify_archives(&dir)
        }
        // Needs the store: dispatched to `archive` by the command runner.
        ExchangeCommand::Archive { .. } => Ok(ExitCode::FAILURE),
    }
}

/// `civitas exchange archive`: archive until nothing stamped waits.
pub async fn archive(
    settings: &crate::config::Settings,
    dir: Option<&Path>,
    per_archive: usize,
) -> anyhow::Result<ExitCode> {
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| settings.data_dir.join("exchange").join("archive"));
    let (_store, platform) = crate::runtime::open(settings)?;
    let mut archives = 0;
    let mut records = 0;
    while let Some((name, n)) = platform
        .exchange()
        .archive_pending(&dir, per_archive.max(1))
        .await?
    {
        println!(
            "已封存 / archived {n} records → {}",
            dir.join(&name).display()
        );
        archives += 1;
        records += n;
    }
    if archives == 0 {
        println!(
            "沒有待封存的紀錄（已蓋時戳且未封存者才會封存）/ nothing to archive (only time-stamped records not yet archived are)"
        );
    } else {
        println!(
            "共 {archives} 個封存檔、{records} 筆紀錄 / {archives} archives, {records} records"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every `mlog-*.zip` in `dir`, in name order (their names begin with the first record's
/// time), each checked and linked to the one before.
fn verify_archives(dir: &Path) -> anyhow::Result<ExitCode> {
    use civitas_core::exchange::archive::{ArchiveLink, verify_archive};
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with("mlog-") && n.ends_with(".zip"))
            .collect(),
        Err(e) => {
            return Ok(unusable(
                &format!("無法讀取封存目錄 {}：{e}", dir.display()),
                &format!("cannot read the archive directory {}: {e}", dir.display()),
            ));
        }
    };
    names.sort();
    let mut previous: Option<ArchiveLink> = None;
    let mut containers = 0;
    for name in &names {
        let bytes = std::fs::read(dir.join(name))?;
        match verify_archive(&bytes, name, previous.as_ref()) {
            Ok(v) => {
                if previous.is_none() && !v.previous.is_start() {
                    println!(
                        "! {name} 接續 {}，但該檔不在此目錄（較早的封存已移走？）/ continues {}, which is not in this directory (older archives moved away?)",
                        v.previous.file_name, v.previous.file_name
                    );
                }
                containers += v.entries.len();
                previous = Some(v.link);
            }
            Err(fault) => {
                println!("✗ {name}: {fault}");
                println!(
                    "封存鏈在此中斷 / the archive chain breaks here ({})",
                    fault.code()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    println!(
        "✓ {} 個封存檔、{containers} 個容器，雜湊鏈完整 / {} archives, {containers} containers, the chain holds",
        names.len(),
        names.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn unusable(zh: &str, en: &str) -> ExitCode {
    eprintln!("無法驗證：{zh}\ncannot verify: {en}");
    ExitCode::from(UNUSABLE)
}

fn verify(file: &Path, conf_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let conf = match VerificationConf::load_dir(conf_dir) {
        Ok(c) => c,
        Err(e) => {
            return Ok(unusable(
                &format!("驗證設定無法使用（請以 --conf 指定全域設定目錄）：{e}"),
                &format!(
                    "the verification configuration is unusable (give the global configuration directory with --conf): {e}"
                ),
            ));
        }
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return Ok(unusable(
                &format!("無法讀取 {}：{e}", file.display()),
                &format!("cannot read {}: {e}", file.display()),
            ));
        }
    };
    let report = match asic::verify_container(&bytes, &conf) {
        Ok(r) => r,
        Err(e) => {
            return Ok(unusable(
                &format!("{} 不是 ASiC-E 容器：{e}", file.display()),
                &format!("{} is not an ASiC-E container: {e}", file.display()),
            ));
        }
    };
    if json {
        let out = serde_json::json!({
            "file": file.display().to_string(),
            "valid": report.is_valid(),
            "failure": report.failure_code(),
            "report": report,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_report(file, &report);
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(file: &Path, report: &Report) {
    println!(
        "X-Road 訊息容器驗證 / X-Road message container: {}",
        file.display()
    );
    for c in &report.checks {
        match &c.outcome {
            Outcome::Passed => println!("  [通過 ok]   {} / {}", c.label.zh, c.label.en),
            Outcome::Failed { code, detail } => {
                let why = asic::failure_text(code);
                println!("  [失敗 FAIL] {} / {}", c.label.zh, c.label.en);
                println!("              {}", why.zh);
                println!("              {} [{code}]", why.en);
                println!("              {detail}");
            }
            Outcome::Skipped { reason } => {
                println!(
                    "  [略過 skip] {} / {}：{} / {}",
                    c.label.zh, c.label.en, reason.zh, reason.en
                );
            }
        }
    }
    if let Some(signer) = &report.signer {
        println!("簽章者 / signer: {signer}");
    }
    if let Some(t) = report.signing_time {
        println!("簽章時間 / signing time: {t}");
    }
    if let Some(t) = report.timestamp_time {
        println!("時戳時間 / time-stamp time: {t}");
    }
    for w in &report.warnings {
        println!("注意：{}\nwarning: {}", w.zh, w.en);
    }
    match report.failure_code() {
        None => println!("結果：有效 / verdict: VALID"),
        Some(code) => println!("結果：無效 / verdict: INVALID [{code}]"),
    }
}
