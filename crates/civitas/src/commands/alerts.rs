//! `civitas alerts import FILE... --source NAME [--kind K] [--json]`.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use civitas_core::alerts::{AlertImport, SourceConfig, SourceKind};

use super::domain;
use crate::alerts::kind_name;
use crate::cli::AlertsCommand;
use crate::config::Settings;
use crate::progress::Progress;
use crate::runtime;

/// gzip's magic number: a file is decompressed by its content, whatever its name.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

pub async fn run(settings: &Settings, cmd: &AlertsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AlertsCommand::Import {
            source,
            kind,
            files,
            json,
        } => import(settings, source, kind.as_deref(), files, *json).await,
    }
}

/// The configured source of that name, or a one-off source of the given kind.
fn source_config(
    settings: &Settings,
    name: &str,
    kind: Option<&str>,
) -> anyhow::Result<SourceConfig> {
    let configured = settings.alerts.sources.iter().find(|s| s.name == name);
    match (configured, kind) {
        (Some(entry), None) => entry.source().map_err(|e| anyhow::anyhow!(e)),
        (Some(entry), Some(kind)) => {
            let source = entry.source().map_err(|e| anyhow::anyhow!(e))?;
            anyhow::ensure!(
                source.kind().as_str() == kind_name(kind),
                "來源 {name} 設定的格式是 {}，與 --kind {kind} 不同\n\
                 the source {name} is configured as {}, not --kind {kind}",
                source.kind(),
                source.kind()
            );
            Ok(source)
        }
        (None, Some(kind)) => {
            anyhow::ensure!(
                kind_name(kind) != SourceKind::GenericJson.as_str(),
                "--kind json 需要欄位對應：請在設定檔 [[alerts.sources]] 設定 mapping\n\
                 --kind json needs a field mapping: configure the source under [[alerts.sources]] with a mapping"
            );
            SourceConfig::from_settings(name, kind_name(kind), None, None)
                .map_err(|e| anyhow::anyhow!("{}\n{}", e.zh, e.en))
        }
        (None, None) => anyhow::bail!(
            "來源 {name} 未設定：請加上 --kind 或在設定檔 [[alerts.sources]] 設定\n\
             the source {name} is not configured: give --kind or configure it under [[alerts.sources]]"
        ),
    }
}

/// The file's bytes, decompressed when it is gzip.
fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| anyhow::anyhow!("{} is not a readable gzip file: {e}", path.display()))?;
    Ok(out)
}

async fn import(
    settings: &Settings,
    source: &str,
    kind: Option<&str>,
    files: &[std::path::PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let config = source_config(settings, source, kind)?;
    let (_store, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    let mut imports: Vec<AlertImport> = Vec::new();
    for file in files {
        let label = file.display().to_string();
        // One bar per file, in percent of its (decompressed) bytes stored: the import reads
        // it in chunks of 20,000 lines, each stored as it is classified.
        let progress = Progress::new(100, &format!("匯入警訊 / importing alerts {label}"));
        let bytes = read_file(file)?;
        let done = platform
            .alerts()
            .import_file(&op, &config, &bytes, &label, &mut |done, total| {
                let percent = done.saturating_mul(100) / total.max(1);
                let mib = |b: u64| b as f64 / 1_048_576.0;
                progress.step(
                    percent,
                    100,
                    &format!("{:.1}/{:.1} MiB", mib(done), mib(total)),
                );
            })
            .await
            .map_err(domain)?;
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
                "{}: 收到 received {} = 新增 created {} + 重複 duplicates {} + 退回 rejected {}；略過非警訊事件 other events skipped {} (run {}, rules {})",
                r.source,
                r.received,
                r.created,
                r.duplicates,
                r.rejected.len(),
                i.skipped_other_events,
                i.run_id,
                i.rule_set_version
            );
            for x in &r.rejected {
                println!(
                    "  第 {} 行 line {}: {} / {}",
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
