//! `civitas intel import FILE... [--json]`, `civitas intel match [--json]` and
//! `civitas intel export [--out FILE]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use civitas_core::intel::IntelImport;

use super::domain;
use crate::cli::IntelCommand;
use crate::config::Settings;
use crate::progress::Progress;
use crate::runtime;

pub async fn run(settings: &Settings, cmd: &IntelCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IntelCommand::Import { files, json } => import(settings, files, *json).await,
        IntelCommand::Match { json } => match_stored(settings, *json).await,
        IntelCommand::Export { out } => export(settings, out.as_deref()).await,
        IntelCommand::Pull { name, json } => pull(settings, name.as_deref(), *json).await,
    }
}

async fn pull(settings: &Settings, name: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let chosen: Vec<_> = settings
        .intel
        .taxii
        .iter()
        .filter(|t| name.is_none_or(|n| t.name == n))
        .collect();
    anyhow::ensure!(
        !chosen.is_empty(),
        "沒有設定 TAXII collection：請在設定檔加上 [[intel.taxii]]\n\
         no TAXII collection configured{}: add [[intel.taxii]] to the configuration",
        name.map(|n| format!(" named {n}")).unwrap_or_default()
    );
    let (_store, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    let mut pulls = Vec::new();
    for entry in chosen {
        let transport = civitas_delivery::TaxiiHttp::new(
            settings.catalog.fetch(),
            entry.credentials().map_err(|e| anyhow::anyhow!(e))?,
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let progress = Progress::new(1, &format!("讀取 TAXII / pulling {}", entry.name));
        let done = platform
            .intel()
            .pull(&op, &entry.collection(), &transport)
            .await
            .map_err(domain)?;
        progress.step(1, 1, "stored");
        progress.finish();
        pulls.push(done);
    }
    let clean = pulls
        .iter()
        .flat_map(|p| &p.pages)
        .all(|i| i.report.rejected.is_empty());
    if json {
        println!("{}", serde_json::to_string_pretty(&pulls)?);
    } else {
        for p in &pulls {
            let sum = |f: fn(&IntelImport) -> u64| p.pages.iter().map(f).sum::<u64>();
            println!(
                "{}: {} 頁 pages，收到 received {}，新增 created {}，更新 updated {}，重複 duplicates {}，退回 rejected {}；下次自 next poll after {}",
                p.collection,
                p.pages.len(),
                sum(|i| i.report.received),
                sum(|i| i.report.created),
                sum(|i| i.report.updated),
                sum(|i| i.report.duplicates),
                sum(|i| i.report.rejected_count()),
                p.resume_after.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn import(settings: &Settings, files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let (_store, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    let mut imports: Vec<IntelImport> = Vec::new();
    for file in files {
        let label = file.display().to_string();
        let progress = Progress::new(2, &format!("匯入情資 / importing intel {label}"));
        let bytes = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        progress.step(1, 2, "read");
        let done = platform
            .intel()
            .import_bundle(&op, &bytes, &label)
            .await
            .map_err(domain)?;
        progress.step(2, 2, "stored");
        progress.finish();
        imports.push(done);
    }
    let clean = imports.iter().all(|i| i.report.rejected.is_empty());
    if json {
        println!("{}", serde_json::to_string_pretty(&imports)?);
    } else {
        for i in &imports {
            let r = &i.report;
            println!(
                "{}: 收到 received {} = 新增 created {} + 更新 updated {} + 較舊 older {} + 重複 duplicates {} + 退回 rejected {}；可比對指標 active indicators {} (run {})",
                r.source,
                r.received,
                r.created,
                r.updated,
                r.unchanged,
                r.duplicates,
                r.rejected.len(),
                i.active_indicators,
                i.run_id
            );
            for x in &r.rejected {
                println!(
                    "  第 {} 個物件 object {}: {} / {}",
                    x.line, x.line, x.reason.zh, x.reason.en
                );
            }
        }
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn match_stored(settings: &Settings, json: bool) -> anyhow::Result<ExitCode> {
    let (_store, platform) = runtime::open(settings)?;
    let run = platform
        .intel()
        .match_stored(&runtime::operator())
        .await
        .map_err(domain)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        println!(
            "比對警訊 alerts checked {}，符合 matches {}；目擊 sightings 新增 created {}、更新 updated {}",
            run.alerts_checked, run.matches, run.sightings_created, run.sightings_updated
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(settings: &Settings, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (_store, platform) = runtime::open(settings)?;
    let bundle = platform
        .intel()
        .export(&runtime::operator())
        .await
        .map_err(domain)?;
    let text = serde_json::to_string_pretty(&bundle)?;
    match out {
        Some(path) => {
            std::fs::write(path, text + "\n")
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            let count = bundle
                .get("objects")
                .and_then(|o| o.as_array())
                .map_or(0, Vec::len);
            eprintln!(
                "已匯出 {count} 個 STIX 物件 / exported {count} STIX objects to {}",
                path.display()
            );
        }
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
