//! `civitas agency import|list`.

use std::process::ExitCode;

use civitas_core::agencies::{AgencyImportFormat, AgencyTree};

use super::domain;
use crate::cli::AgencyCommand;
use crate::config::Settings;
use crate::progress::Progress;
use crate::runtime;

pub async fn run(settings: &Settings, cmd: &AgencyCommand) -> anyhow::Result<ExitCode> {
    let (_, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    match cmd {
        AgencyCommand::Import {
            format,
            files,
            json,
        } => {
            let format = AgencyImportFormat::parse(format).ok_or_else(|| {
                anyhow::anyhow!(
                    "--format must be civitas-csv or taoyuan-supply-list (got '{format}')"
                )
            })?;
            let progress = Progress::new(files.len() as u64, "匯入機關 / importing agencies");
            let mut reports = Vec::new();
            let mut all_clean = true;
            for (i, file) in files.iter().enumerate() {
                let bytes = std::fs::read(file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let source = file.display().to_string();
                let (id, report) = platform
                    .agencies()
                    .import(&op, &bytes, format, &source)
                    .await
                    .map_err(domain)?;
                all_clean &= report.rejected.is_empty();
                progress.step(i as u64 + 1, files.len() as u64, &source);
                reports.push((id, report));
            }
            progress.finish();
            if *json {
                let out: Vec<_> = reports
                    .iter()
                    .map(|(id, r)| serde_json::json!({
                        "run_id": id, "source": r.source, "format": r.format, "received": r.received,
                        "created": r.created, "updated": r.updated, "unchanged": r.unchanged,
                        "duplicates": r.duplicates, "rejected": r.rejected.len(), "encoding": r.encoding,
                        "rejected_records": r.rejected,
                    }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for (id, r) in &reports {
                    println!(
                        "{}: 收到 received {} = 新增 created {} + 更新 updated {} + 未變更 unchanged {} + 重複 duplicates {} + 退回 rejected {} (run {id})",
                        r.source,
                        r.received,
                        r.created,
                        r.updated,
                        r.unchanged,
                        r.duplicates,
                        r.rejected.len()
                    );
                    for x in &r.rejected {
                        println!(
                            "  第 {} 行 line {}: {} / {}",
                            x.line, x.line, x.reason.zh, x.reason.en
                        );
                    }
                }
            }
            Ok(if all_clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        AgencyCommand::List { json } => {
            let agencies = platform.agencies().list(&op).await.map_err(domain)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&agencies)?);
            } else {
                let tree = AgencyTree::new(&agencies);
                for node in tree.walk() {
                    let a = node.agency;
                    println!(
                        "{}{} {} {}{}",
                        "  ".repeat(node.depth),
                        a.code,
                        a.name_zh,
                        a.name_en.as_deref().unwrap_or(""),
                        if a.active { "" } else { " [retired]" }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
