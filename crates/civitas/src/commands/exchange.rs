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
    }
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
