//! `civitas audit verify|export`.

use std::process::ExitCode;

use civitas_core::audit::AuditFilter;

use super::domain;
use crate::cli::AuditCommand;
use crate::config::Settings;
use crate::runtime;

pub async fn run(settings: &Settings, cmd: &AuditCommand) -> anyhow::Result<ExitCode> {
    // Verification reads only: never migrate or otherwise touch the file being checked.
    let store = runtime::open_store(settings, false)?;
    let platform = runtime::platform(
        settings,
        &store,
        std::sync::Arc::new(civitas_core::clock::SystemClock),
    )?;
    match cmd {
        AuditCommand::Verify { json } => {
            let v = platform.audit().verify().await.map_err(domain)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else if let Some(p) = &v.problem {
                println!(
                    "稽核軌跡遭竄改 / the audit trail was tampered with: entry {}",
                    p.seq
                );
                println!("  {}", p.message);
            } else {
                println!(
                    "稽核軌跡完整 / the audit trail is intact: {} entries, head {}",
                    v.entries_checked,
                    v.head.as_ref().map(|h| h.hash.as_str()).unwrap_or("-")
                );
            }
            Ok(if v.intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        AuditCommand::Export { out, action, actor } => {
            let filter = AuditFilter {
                action: action.clone(),
                actor: actor.clone(),
                ..Default::default()
            };
            let op = runtime::operator();
            let n = match out {
                Some(path) => {
                    let file = std::fs::File::create(path)?;
                    platform
                        .audit()
                        .export_csv(&op, &filter, file)
                        .await
                        .map_err(domain)?
                }
                None => platform
                    .audit()
                    .export_csv(&op, &filter, std::io::stdout())
                    .await
                    .map_err(domain)?,
            };
            eprintln!("匯出 / exported {n} entries");
            Ok(ExitCode::SUCCESS)
        }
    }
}
