//! `civitas catalog import|harvest|freshness|check-links`.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use civitas_core::catalog::harvest::{HarvestSource, PageProgress};
use civitas_core::catalog::schedule::RunTrigger;
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
        CatalogCommand::CheckLinks {
            dataset,
            timeout,
            json,
        } => {
            let timeout = civitas_core::time::parse_duration(timeout)
                .and_then(|d| std::time::Duration::try_from(d).ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("--timeout must look like 30s or 2m (got '{timeout}')")
                })?;
            let probe =
                civitas_delivery::HttpProbe::new(timeout, settings.catalog.fetch().max_bytes)
                    .map_err(|e| anyhow::anyhow!("cannot start the HTTP client: {e}"))?;
            let run = civitas_core::catalog::links::check_links(&platform, &op, &probe, *dataset)
                .await
                .map_err(domain)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                println!(
                    "檢查 {} 個資料集的 {} 個網址：未變更 {}，資料有更新 {}，失敗 {}，無法連線的資料集 {}\n\
                     checked {} addresses of {} datasets: not modified {}, data changed {}, failed {}, unreachable datasets {}",
                    run.datasets,
                    run.checked,
                    run.not_modified,
                    run.changed,
                    run.failed,
                    run.unreachable,
                    run.checked,
                    run.datasets,
                    run.not_modified,
                    run.changed,
                    run.failed,
                    run.unreachable,
                );
            }
            drop(store);
            Ok(if run.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
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
        CatalogCommand::Harvest {
            source,
            ckan,
            dcat,
            datagovtw,
            rows,
            aliases,
            json,
        } => {
            harvest(
                settings,
                &platform,
                &op,
                source.as_deref(),
                [("ckan", ckan), ("dcat", dcat), ("datagovtw", datagovtw)],
                *rows,
                aliases,
                *json,
            )
            .await
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
            let p = runtime::platform(settings, &store, clock)?;
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

#[allow(clippy::too_many_arguments)]
async fn harvest(
    settings: &Settings,
    platform: &civitas_core::Platform,
    op: &civitas_core::Caller,
    name: Option<&str>,
    one_off: [(&str, &Option<String>); 3],
    rows: u64,
    aliases: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let source = match name {
        Some(name) => settings
            .catalog
            .sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = settings
                    .catalog
                    .sources
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                anyhow::anyhow!(
                    "no source named '{name}' in catalog.sources (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })?
            .harvest_source()
            .map_err(|e| anyhow::anyhow!("catalog.sources: {e}"))?,
        None => {
            let (kind, url) = one_off
                .iter()
                .find_map(|(kind, url)| url.as_ref().map(|u| (*kind, u.as_str())))
                .ok_or_else(|| {
                    anyhow::anyhow!("give --source NAME, --ckan URL, --dcat URL or --datagovtw URL")
                })?;
            // A one-off source is kept under its URL: running the same URL again updates it.
            let mut source =
                HarvestSource::new(url, kind, url, "", rows).map_err(|e| anyhow::anyhow!("{e}"))?;
            for alias in aliases {
                let (from, to) = alias.split_once('=').ok_or_else(|| {
                    anyhow::anyhow!("--alias takes NAME=AGENCY_CODE (got '{alias}')")
                })?;
                source
                    .aliases
                    .insert(from.trim().to_string(), to.trim().to_string());
            }
            source
        }
    };
    let fetcher = civitas_delivery::HttpFetcher::new(settings.catalog.fetch())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let progress = Progress::new(1, &format!("採集 / harvesting {}", source.name));
    let on_page = |p: PageProgress| {
        let total = p.pages_expected.unwrap_or(p.pages_read).max(p.pages_read);
        progress.set_total(total);
        progress.step(
            p.pages_read,
            total,
            &format!("{} 筆 records", p.records_read),
        );
    };
    let (run, outcome) = platform
        .harvests()
        .run(op, &source, RunTrigger::Cli, &fetcher, &on_page)
        .await
        .map_err(domain)?;
    progress.finish();
    let rejected_records = outcome
        .as_ref()
        .map(|o| o.report.rejected.clone())
        .unwrap_or_default();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "source": run.source, "url": source.url, "kind": source.kind.code(),
                "harvest_run": run.id, "import_run": run.import_run,
                "complete": run.complete, "pages_read": run.pages_read,
                "received": run.received, "created": run.created, "updated": run.updated,
                "unchanged": run.unchanged, "duplicates": run.duplicates,
                "rejected": run.rejected, "withdrawn": run.withdrawn,
                "error": run.error, "rejected_records": rejected_records,
            }))?
        );
    } else {
        println!(
            "{} ({}): 收到 received {} = 新增 created {} + 更新 updated {} + 未變更 unchanged {} + 重複 duplicates {} + 退回 rejected {}；下架 withdrawn {}；{} 頁 pages (harvest run {}, import run {})",
            run.source,
            source.url,
            run.received,
            run.created,
            run.updated,
            run.unchanged,
            run.duplicates,
            run.rejected,
            run.withdrawn,
            run.pages_read,
            run.id,
            run.import_run
                .map(|i| i.to_string())
                .unwrap_or_else(|| "—".into()),
        );
        for x in &rejected_records {
            println!(
                "  第 {} 筆 record {}: {} / {}",
                x.line, x.line, x.reason.zh, x.reason.en
            );
        }
        if let Some(e) = &run.error {
            println!("未完成 / incomplete: {}\n  {}", e.zh, e.en);
            println!(
                "已讀取的資料已保存，未下架任何資料集；請稍後再執行一次。 / What was read is kept and nothing was withdrawn; run it again later."
            );
        }
    }
    Ok(if run.error.is_some() {
        ExitCode::from(3)
    } else if run.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
