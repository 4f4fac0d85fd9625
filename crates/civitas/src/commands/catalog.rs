//! `civitas catalog import|freshness`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use civitas_core::catalog::{CatalogFormat, Facet, ImportSource, SearchQuery};
use civitas_core::clock::{Clock, ManualClock, SystemClock};
use civitas_core::time::{TAIPEI, Timestamp};

use super::domain;
use crate::cli::CatalogCommand;
use crate::config::Settings;
use crate::progress::Progress;
use crate::runtime;

pub async fn run(settings: &Settings, cmd: &CatalogCommand) -> anyhow::Result<ExitCode> {
    let (store, platform) = runtime::open(settings)?;
    let op = runtime::operator();
    match cmd {
        CatalogCommand::Import {
            format,
            source,
            files,
            json,
        } => {
            let format = CatalogFormat::parse(format).ok_or_else(|| {
                anyhow::anyhow!(
                    "--format must be one of {} (got '{format}')",
                    CatalogFormat::codes()
                )
            })?;
            let configured = match source {
                Some(name) => settings
                    .catalog
                    .sources
                    .iter()
                    .find(|s| s.name == *name)
                    .map(|s| s.harvest_source())
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("catalog.sources: {e}"))?,
                None => None,
            };
            let aliases = configured
                .as_ref()
                .map(|c| c.aliases.clone())
                .unwrap_or_default();
            let key = source
                .clone()
                .unwrap_or_else(|| format.source().to_string());
            let mut documents = Vec::new();
            for file in files {
                documents.push((
                    file.display().to_string(),
                    std::fs::read(file)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?,
                ));
            }
            // Pages of one query are one listing; other files are imported one by one.
            let batches: Vec<Vec<&(String, Vec<u8>)>> = if format.pages_of_one_listing() {
                vec![documents.iter().collect()]
            } else {
                documents.iter().map(|d| vec![d]).collect()
            };
            let progress = Progress::new(batches.len() as u64, "匯入資料集 / importing datasets");
            let mut reports = Vec::new();
            for (i, batch) in batches.iter().enumerate() {
                let label = batch
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let bytes: Vec<&[u8]> = batch.iter().map(|(_, b)| b.as_slice()).collect();
                let (id, report) = platform
                    .catalog()
                    .import_documents(
                        &op,
                        &bytes,
                        format,
                        &ImportSource {
                            key: &key,
                            label: &label,
                            aliases: &aliases,
                            default_agency: configured.as_ref().and_then(|c| c.agency.as_deref()),
                        },
                    )
                    .await
                    .map_err(domain)?;
                progress.step(i as u64 + 1, batches.len() as u64, &label);
                reports.push((id, report));
            }
            progress.finish();
            let clean = reports.iter().all(|(_, r)| r.rejected.is_empty());
            if *json {
                let out: Vec<_> = reports
                    .iter()
                    .map(|(id, r)| {
                        serde_json::json!({
                            "run_id": id, "source": r.source, "format": r.format, "encoding": r.encoding,
                            "received": r.received, "created": r.created, "updated": r.updated,
                            "unchanged": r.unchanged, "duplicates": r.duplicates, "rejected": r.rejected.len(),
                            "withdrawn": r.withdrawn, "rejected_records": r.rejected,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for (id, r) in &reports {
                    println!(
                        "{}: 收到 received {} = 新增 created {} + 更新 updated {} + 未變更 unchanged {} + 重複 duplicates {} + 退回 rejected {}；下架 withdrawn {} (run {id})",
                        r.source,
                        r.received,
                        r.created,
                        r.updated,
                        r.unchanged,
                        r.duplicates,
                        r.rejected.len(),
                        r.withdrawn
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
        CatalogCommand::Freshness { as_of, json } => {
            let at = match as_of {
                Some(day) => {
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    let date = time::Date::parse(day, &format).map_err(|_| {
                        anyhow::anyhow!("--as-of takes a date like 2018-03-20 (got '{day}')")
                    })?;
                    // The end of that day in Taipei.
                    Timestamp::from_offset(
                        date.with_hms(23, 59, 59)
                            .unwrap_or(date.midnight())
                            .assume_offset(TAIPEI),
                    )
                }
                None => SystemClock.now(),
            };
            let clock = Arc::new(ManualClock::new(at));
            let p = runtime::platform(settings, &store, clock);
            let changed = p
                .catalog()
                .recompute_freshness(at)
                .await
                .map_err(domain)?
                .changed;
            let all = p
                .catalog()
                .search(&op, &SearchQuery::default())
                .await
                .map_err(domain)?;
            let states: BTreeMap<String, u64> = all
                .facets
                .iter()
                .find(|(f, _)| *f == Facet::Freshness)
                .map(|(_, c)| c.iter().map(|c| (c.value.clone(), c.count)).collect())
                .unwrap_or_default();
            let mut per_agency: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for state in ["overdue", "delinquent"] {
                let mut q = SearchQuery::default();
                q.filters.push((Facet::Freshness, state.into()));
                let r = p.catalog().search(&op, &q).await.map_err(domain)?;
                for c in r
                    .facets
                    .iter()
                    .find(|(f, _)| *f == Facet::Agency)
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default()
                {
                    let e = per_agency.entry(c.value).or_default();
                    if state == "overdue" {
                        e.0 += c.count
                    } else {
                        e.1 += c.count
                    }
                }
            }
            if *json {
                let agencies: Vec<_> = per_agency
                    .iter()
                    .map(|(a, (o, d))| serde_json::json!({"agency": a, "overdue": o, "delinquent": d}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "as_of": at, "datasets": all.total, "changed": changed, "states": states, "late_by_agency": agencies,
                    }))?
                );
            } else {
                println!("更新狀態 / freshness as of {at}: {} datasets", all.total);
                for (s, n) in &states {
                    println!("  {s:<15} {n}");
                }
                println!("逾期機關 / late datasets by agency (overdue, delinquent):");
                for (a, (o, d)) in &per_agency {
                    println!("  {a:<12} {o:>4} {d:>4}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
