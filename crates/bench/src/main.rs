//! Catalogue benchmarks (issue 3), run by `bench/catalog.sh` in a release build:
//!
//! 1. importing Taoyuan's real supply list (1,429 datasets) into a fresh store, then again
//!    (idempotent), then into the full catalogue;
//! 2. a generated catalogue of 100,000 datasets written through the real store (the same
//!    import plan and store call a harvest uses, with its audit entries);
//! 3. recomputing freshness for all of them through `CatalogService::recompute_freshness`, the
//!    call the server's hourly job makes;
//! 4. search latency over many queries through `CatalogService::search`, the call the web
//!    handlers make, with facet counts in every answer;
//! 5. optionally, the same catalogue and searches in PostgreSQL (`--postgres DB`).
//!
//! Prints Markdown tables for BENCHMARKS.md.

mod alerts;
mod gateway;
mod generate;
mod postgres;
mod stats;
mod syslog;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_core::agencies::{AgencyCode, AgencyImportFormat};
use civitas_core::authz::{Permission, Principal, Target};
use civitas_core::catalog::{
    CatalogFormat, Facet, ParsedDataset, PlannedChange, SearchQuery, plan_catalog_import, snapshot,
};
use civitas_core::clock::ManualClock;
use civitas_core::import::ImportReport;
use civitas_core::page::PageRequest;
use civitas_core::time::{TAIPEI, Timestamp};
use civitas_core::{Caller, Platform, SecurityPolicy};
use civitas_store_sqlite::{OpenOptions, SqliteStore};
use serde_json::json;

use stats::{Latencies, ms};

const USAGE: &str = "civitas-bench alerts --help | civitas-bench syslog --help | civitas-bench gateway --help | civitas-bench [--datasets N] [--rounds N] [--import-runs N] [--postgres DB] [--repo DIR] [--data-dir DIR [--reuse]]";

struct Args {
    datasets: usize,
    rounds: usize,
    import_runs: usize,
    postgres: Option<String>,
    repo: PathBuf,
    data_dir: Option<PathBuf>,
    /// Keep a catalogue already in `data_dir` (for working on one measurement; not for records).
    reuse: bool,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        datasets: 100_000,
        rounds: 20,
        import_runs: 5,
        postgres: None,
        repo: PathBuf::from("."),
        data_dir: None,
        reuse: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--datasets" => a.datasets = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--import-runs" => a.import_runs = value()?.parse()?,
            "--postgres" => a.postgres = Some(value()?),
            "--repo" => a.repo = PathBuf::from(value()?),
            "--data-dir" => a.data_dir = Some(PathBuf::from(value()?)),
            "--reuse" => a.reuse = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(a)
}

/// The benchmark's "now": a fixed instant, so every run assesses the same catalogue the same way.
fn now() -> Timestamp {
    Timestamp::from_offset(time::macros::datetime!(2025-06-02 10:00).assume_offset(TAIPEI))
}

fn caller() -> Caller {
    Caller::new(Principal::operator("bench"), None)
}

fn err(e: civitas_core::DomainError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

struct Fixtures {
    agencies: Vec<u8>,
    supply_list: Vec<u8>,
    datagovtw: Vec<u8>,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

fn open(dir: &Path, clock: Arc<ManualClock>) -> anyhow::Result<(Arc<SqliteStore>, Platform)> {
    let store = SqliteStore::open_in(dir, OpenOptions::default()).map_err(err)?;
    let platform = Platform::new(store.stores(), clock, SecurityPolicy::default());
    Ok((store, platform))
}

async fn import_agencies(p: &Platform, f: &Fixtures) -> anyhow::Result<()> {
    let (_, report) = p
        .agencies()
        .import(
            &caller(),
            &f.agencies,
            AgencyImportFormat::CivitasCsv,
            "demo/agencies.csv",
        )
        .await
        .map_err(err)?;
    anyhow::ensure!(report.rejected.is_empty(), "agencies rejected");
    Ok(())
}

async fn import_supply_list(
    p: &Platform,
    f: &Fixtures,
) -> anyhow::Result<(Duration, ImportReport)> {
    let started = Instant::now();
    let (_, report) = p
        .catalog()
        .import(
            &caller(),
            &f.supply_list,
            CatalogFormat::TaoyuanSupplyList,
            "taoyuan_open_data_supply_list_2018.nocontact.csv",
        )
        .await
        .map_err(err)?;
    Ok((started.elapsed(), report))
}

struct ImportResult {
    first: Latencies,
    second: Latencies,
    first_cpu: Latencies,
    second_cpu: Latencies,
    first_report: Option<ImportReport>,
    second_report: Option<ImportReport>,
}

/// The supply list into fresh stores, twice each.
async fn bench_import(f: &Fixtures, runs: usize) -> anyhow::Result<ImportResult> {
    let mut r = ImportResult {
        first: Latencies::default(),
        second: Latencies::default(),
        first_cpu: Latencies::default(),
        second_cpu: Latencies::default(),
        first_report: None,
        second_report: None,
    };
    for _ in 0..runs {
        let dir = tempfile::tempdir()?;
        let clock = Arc::new(ManualClock::new(now()));
        let (_store, p) = open(dir.path(), clock)?;
        import_agencies(&p, f).await?;
        let cpu = stats::cpu_time();
        let (t, report) = import_supply_list(&p, f).await?;
        r.first_cpu.push(cpu_since(cpu));
        r.first.push(t);
        r.first_report = Some(report);
        let cpu = stats::cpu_time();
        let (t, report) = import_supply_list(&p, f).await?;
        r.second_cpu.push(cpu_since(cpu));
        anyhow::ensure!(
            report.created == 0 && report.updated == 0 && report.unchanged == report.received,
            "the second import changed something: {}",
            report.summary()
        );
        r.second.push(t);
        r.second_report = Some(report);
    }
    Ok(r)
}

/// Write `count` generated datasets through the import plan and the store, in batches of
/// 10,000 (one transaction each, with one audit entry per dataset). Returns the time taken.
async fn load_generated(
    p: &Platform,
    f: &Fixtures,
    count: usize,
) -> anyhow::Result<(Duration, generate::Templates, usize)> {
    let agencies: Vec<AgencyCode> = p
        .stores
        .agencies
        .agencies()
        .await
        .map_err(err)?
        .into_iter()
        .filter(|a| a.active)
        .map(|a| a.code)
        .collect();
    let fallback = agencies
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no agencies"))?;
    let templates = generate::templates(&f.supply_list, &f.datagovtw, &fallback)?;
    let known: HashSet<AgencyCode> = agencies.iter().cloned().collect();
    let c = caller();
    let auth = c
        .principal
        .authorize(Permission::ManageCatalog, &Target::City)
        .map_err(err)?;
    let mut rng = generate::Rng::new(0x00C1_71A5);
    let source = "bench-generated";
    let at = now();
    let started = Instant::now();
    let mut done = 0;
    while done < count {
        let batch = (count - done).min(10_000);
        let parsed: Vec<ParsedDataset> = (done..done + batch)
            .filter_map(|i| {
                generate::dataset(i, &templates, &agencies, at, &mut rng).map(|r| ParsedDataset {
                    line: i as u64 + 1,
                    raw: String::new(),
                    result: Ok(r),
                })
            })
            .collect();
        let report = ImportReport::new("datasets", source, "generated");
        let plan = plan_catalog_import(&[], parsed, source, false, &known, at, report);
        anyhow::ensure!(
            plan.report.rejected.is_empty(),
            "generated datasets rejected: {:?}",
            plan.report.rejected.first()
        );
        let mut freshness = Vec::new();
        let mut events = Vec::new();
        for change in &plan.changes {
            if let PlannedChange::Create {
                record,
                data_updated_at,
            } = change
            {
                freshness.push((
                    record.identifier.clone(),
                    snapshot(p, &record.frequency, *data_updated_at, None, at),
                ));
                events.push(c.event(
                    at,
                    &auth,
                    "dataset.create",
                    "dataset",
                    &record.identifier,
                    json!({ "title": record.title_zh, "agency": record.agency, "source": source }),
                ));
            }
        }
        p.stores
            .catalog
            .apply_catalog_import(&plan, &freshness, at, at, &c.principal.user_name, events)
            .await
            .map_err(err)?;
        done += batch;
        eprintln!("  {done} / {count} generated datasets stored");
    }
    Ok((started.elapsed(), templates, agencies.len()))
}

/// Words (or none), facet filters, and whether to search field names only.
type Query = (Option<&'static str>, Vec<(Facet, String)>, bool);

struct QuerySet {
    name: &'static str,
    queries: Vec<Query>,
}

fn f(facet: Facet, value: &str) -> (Facet, String) {
    (facet, value.to_string())
}

fn query_sets() -> Vec<QuerySet> {
    let words = |ws: &[&'static str]| ws.iter().map(|w| (Some(*w), vec![], false)).collect();
    vec![
        QuerySet {
            name: "two Chinese characters (停車, 公車, 垃圾, 路燈 … 20 words)",
            queries: words(&[
                "停車", "公車", "垃圾", "路燈", "學校", "人口", "預算", "醫院", "觀光", "空氣",
                "河川", "補助", "道路", "消防", "公園", "回收", "農業", "文化", "勞工", "選舉",
            ]),
        },
        QuerySet {
            name: "two characters found in most datasets (桃園, 資料, 統計)",
            queries: words(&["桃園", "資料", "統計"]),
        },
        QuerySet {
            name: "臺/台 spelled either way (臺灣/台灣, 臺北/台北, 臺鐵/台鐵)",
            queries: words(&["臺灣", "台灣", "臺北", "台北", "臺鐵", "台鐵"]),
        },
        QuerySet {
            name: "longer Chinese (停車場, 公車路線, 身心障礙, 長期照顧, 資源回收)",
            queries: words(&["停車場", "公車路線", "身心障礙", "長期照顧", "資源回收"]),
        },
        QuerySet {
            name: "English (parking, bus, schools, budget, air quality)",
            queries: words(&["parking", "bus", "schools", "budget", "air quality"]),
        },
        QuerySet {
            name: "two characters + filters (agency, format, access, licence)",
            queries: vec![
                (Some("停車"), vec![f(Facet::Agency, "380290000H")], false),
                (Some("公車"), vec![f(Facet::Format, "CSV")], false),
                (
                    Some("學校"),
                    vec![f(Facet::Access, "open"), f(Facet::Format, "JSON")],
                    false,
                ),
                (Some("人口"), vec![f(Facet::Agency, "380020000A")], false),
                (
                    Some("預算"),
                    vec![f(Facet::License, "政府資料開放授權條款－第1版")],
                    false,
                ),
                (Some("醫院"), vec![f(Facet::Freshness, "overdue")], false),
            ],
        },
        QuerySet {
            name: "no words: the first page, newest first; overdue; one agency; CSV + open",
            queries: vec![
                (None, vec![], false),
                (None, vec![f(Facet::Freshness, "overdue")], false),
                (None, vec![f(Facet::Agency, "380290000H")], false),
                (
                    None,
                    vec![f(Facet::Format, "CSV"), f(Facet::Access, "open")],
                    false,
                ),
            ],
        },
        QuerySet {
            name: "field names only (地址, 電話, 經度)",
            queries: vec![
                (Some("地址"), vec![], true),
                (Some("電話"), vec![], true),
                (Some("經度"), vec![], true),
            ],
        },
    ]
}

fn search_query(text: Option<&str>, filters: &[(Facet, String)], fields_only: bool) -> SearchQuery {
    SearchQuery {
        text: text.map(str::to_string),
        filters: filters.to_vec(),
        fields_only,
        page: PageRequest::default(),
        ..SearchQuery::default()
    }
}

struct SetResult {
    name: &'static str,
    queries: usize,
    /// Process CPU time over the measured rounds divided by the searches run.
    cpu_per_query: Duration,
    civitas: Latencies,
    totals: Vec<u64>,
    trigram: Option<Latencies>,
    fulltext: Option<Latencies>,
}

async fn bench_search(p: &Platform, rounds: usize) -> anyhow::Result<Vec<SetResult>> {
    let c = caller();
    let mut out = Vec::new();
    for set in query_sets() {
        let mut lat = Latencies::default();
        let mut totals = Vec::new();
        // One unmeasured pass, so every set starts from the same warm cache.
        for (text, filters, fields_only) in &set.queries {
            let r = p
                .catalog()
                .search(&c, &search_query(*text, filters, *fields_only))
                .await
                .map_err(err)?;
            anyhow::ensure!(
                r.facets.iter().any(|(_, values)| !values.is_empty()) || r.total == 0,
                "a search answered without facet counts"
            );
            totals.push(r.total);
        }
        let cpu = stats::cpu_time();
        for _ in 0..rounds {
            for (text, filters, fields_only) in &set.queries {
                let q = search_query(*text, filters, *fields_only);
                let started = Instant::now();
                let r = p.catalog().search(&c, &q).await.map_err(err)?;
                lat.push(started.elapsed());
                std::hint::black_box(r);
            }
        }
        let cpu_per_query = cpu_since(cpu) / (lat.len().max(1) as u32);
        out.push(SetResult {
            name: set.name,
            queries: set.queries.len(),
            cpu_per_query,
            civitas: lat,
            totals,
            trigram: None,
            fulltext: None,
        });
    }
    Ok(out)
}

fn bench_postgres(db: &str, results: &mut [SetResult], rounds: usize) -> anyhow::Result<()> {
    let per_page = PageRequest::default().limit();
    for (set, result) in query_sets().into_iter().zip(results.iter_mut()) {
        for method in [postgres::Method::Trigram, postgres::Method::FullText] {
            // The trigram comparator has no field-only search; leave it out there.
            if set.queries.iter().any(|q| q.2) {
                continue;
            }
            let statements: Vec<String> = set
                .queries
                .iter()
                .map(|(text, filters, _)| postgres::search_sql(method, *text, filters, per_page))
                .collect();
            let mut all = Vec::new();
            // Warm-up pass, then the measured rounds.
            postgres::time_statements(db, &statements)?;
            for _ in 0..rounds {
                all.extend(statements.iter().cloned());
            }
            let mut lat = Latencies::default();
            for t in postgres::time_statements(db, &all)? {
                lat.push(t);
            }
            match method {
                postgres::Method::Trigram => result.trigram = Some(lat),
                postgres::Method::FullText => result.fulltext = Some(lat),
            }
        }
    }
    Ok(())
}

/// CPU time used since `before` (zero when /proc cannot be read).
fn cpu_since(before: Option<Duration>) -> Duration {
    match (before, stats::cpu_time()) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => Duration::ZERO,
    }
}

fn median_u64(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("alerts") {
        return alerts::run(std::env::args().skip(2)).await;
    }
    if std::env::args().nth(1).as_deref() == Some("syslog") {
        return syslog::run(std::env::args().skip(2)).await;
    }
    if std::env::args().nth(1).as_deref() == Some("gateway") {
        return gateway::main(std::env::args().skip(2)).await;
    }
    let a = args()?;
    let fixtures = Fixtures {
        agencies: read(&a.repo.join("crates/civitas/demo/agencies.csv"))?,
        supply_list: read(
            &a.repo
                .join("fixtures/catalog/taoyuan_open_data_supply_list_2018.nocontact.csv"),
        )?,
        datagovtw: read(
            &a.repo
                .join("fixtures/catalog/datagovtw_2017_iot_metadata.nocontact.jsonl"),
        )?,
    };

    eprintln!(
        "== import: the supply list into {} fresh stores, twice each",
        a.import_runs
    );
    let runs = if a.reuse { 1 } else { a.import_runs };
    let import = bench_import(&fixtures, runs).await?;

    eprintln!("== building a catalogue of {} datasets", a.datasets);
    let temp = tempfile::tempdir()?;
    let dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let clock = Arc::new(ManualClock::new(now()));
    let (store, p) = open(&dir, clock.clone())?;
    let held = p.stores.catalog.count_datasets().await.map_err(err)?;
    let (generated, load_time, templates, agency_count) = if a.reuse && held > 0 {
        eprintln!(
            "   (reusing the {held} datasets already in {})",
            dir.display()
        );
        let agencies = p.stores.agencies.agencies().await.map_err(err)?;
        let fallback = agencies
            .first()
            .map(|a| a.code.clone())
            .ok_or_else(|| anyhow::anyhow!("no agencies"))?;
        let templates = generate::templates(&fixtures.supply_list, &fixtures.datagovtw, &fallback)?;
        (0, Duration::ZERO, templates, agencies.len())
    } else {
        import_agencies(&p, &fixtures).await?;
        let (_, real) = import_supply_list(&p, &fixtures).await?;
        let generated = a.datasets.saturating_sub(real.created as usize);
        let (load_time, templates, agency_count) = load_generated(&p, &fixtures, generated).await?;
        (generated, load_time, templates, agency_count)
    };
    let total = p.stores.catalog.count_datasets().await.map_err(err)?;

    eprintln!("== freshness");
    let load_before_freshness = stats::load_average();
    let cpu = stats::cpu_time();
    let started = Instant::now();
    let first = p.catalog().recompute_freshness(now()).await.map_err(err)?;
    let first_time = started.elapsed();
    let first_cpu = cpu_since(cpu);
    let mut steady = Latencies::default();
    let mut steady_cpu = Latencies::default();
    let mut steady_changed = 0;
    for _ in 0..3 {
        let cpu = stats::cpu_time();
        let started = Instant::now();
        steady_changed = p
            .catalog()
            .recompute_freshness(now())
            .await
            .map_err(err)?
            .changed;
        steady.push(started.elapsed());
        steady_cpu.push(cpu_since(cpu));
    }
    let later = now().add(time::Duration::days(35));
    clock.set(later);
    let cpu = stats::cpu_time();
    let started = Instant::now();
    let month = p.catalog().recompute_freshness(later).await.map_err(err)?;
    let month_time = started.elapsed();
    let month_cpu = cpu_since(cpu);

    eprintln!("== search index: the first search builds it");
    let rss_before = stats::resident_mib();
    let started = Instant::now();
    p.catalog()
        .search(&caller(), &search_query(Some("停車"), &[], false))
        .await
        .map_err(err)?;
    let index_build = started.elapsed();
    let rss_after = stats::resident_mib();
    eprintln!("== search ({} rounds)", a.rounds);
    let load_before_search = stats::load_average();
    let mut sets = bench_search(&p, a.rounds).await?;
    let load_after_search = stats::load_average();

    eprintln!("== the supply list again, into the full catalogue");
    let cpu = stats::cpu_time();
    let (big_import, big_report) = import_supply_list(&p, &fixtures).await?;
    let big_cpu = cpu_since(cpu);

    // The same words through civitas, to compare what each engine finds.
    let mut civitas_counts = Vec::new();
    for w in ["停車", "臺灣", "台灣"] {
        let r = p
            .catalog()
            .search(&caller(), &search_query(Some(w), &[], false))
            .await
            .map_err(err)?;
        civitas_counts.push((w, r.total));
    }
    let mut pg_note = String::from("not measured (run with --postgres DB)");
    if let Some(db) = &a.postgres {
        match postgres::version(db) {
            Ok(version) => {
                eprintln!("== PostgreSQL: loading the same {total} datasets");
                let datasets = p.stores.catalog.active_datasets().await.map_err(err)?;
                let load = postgres::load(db, &datasets)?;
                bench_postgres(db, &mut sets, a.rounds)?;
                let check: Vec<String> = civitas_counts
                    .iter()
                    .map(|(w, n)| -> anyhow::Result<String> {
                        Ok(format!(
                            "{w}: civitas {n}, pg_trgm {}, PostgreSQL FTS {}",
                            postgres::count(db, postgres::Method::Trigram, w)?,
                            postgres::count(db, postgres::Method::FullText, w)?
                        ))
                    })
                    .collect::<anyhow::Result<_>>()?;
                pg_note = format!(
                    "{version}; loaded and indexed in {}; matches — {}",
                    ms(load),
                    check.join("; ")
                );
            }
            Err(e) => pg_note = format!("not reachable: {e}"),
        }
    }

    let db_size = std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0);

    // ---- the report ----
    println!("### Catalogue: {total} active datasets, {agency_count} agencies");
    println!();
    println!(
        "Generated from {} real descriptions ({} from the Taoyuan supply list, {} from data.gov.tw) plus the 1,429 real ones; SQLite file {:.0} MiB; stored in {} ({:.0} datasets/s, one audit entry each).",
        templates.records.len(),
        templates.taoyuan,
        templates.datagovtw,
        db_size as f64 / 1_048_576.0,
        ms(load_time),
        generated as f64 / load_time.as_secs_f64().max(1e-9)
    );
    println!();
    println!("#### Search (`CatalogService::search`, first page of 50 with all 8 facet counts)");
    println!();
    println!(
        "| queries | runs | matches (median) | p50 | p95 | p99 | max | CPU per search (mean) | PostgreSQL pg_trgm p50 / p95 | PostgreSQL FTS on civitas tokens p50 / p95 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let pg = |l: &Option<Latencies>| match l {
        Some(l) => format!("{} / {}", ms(l.median()), ms(l.percentile(95.0))),
        None => "—".to_string(),
    };
    for s in &sets {
        println!(
            "| {} | {} × {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.name,
            s.queries,
            s.civitas.len() / s.queries.max(1),
            median_u64(&s.totals),
            ms(s.civitas.median()),
            ms(s.civitas.percentile(95.0)),
            ms(s.civitas.percentile(99.0)),
            ms(s.civitas.max()),
            ms(s.cpu_per_query),
            pg(&s.trigram),
            pg(&s.fulltext),
        );
    }
    println!();
    let memory = match (rss_before, rss_after) {
        (Some(before), Some(after)) => {
            format!("heap {before:.0} MiB before and {after:.0} MiB after")
        }
        _ => "resident memory not readable".into(),
    };
    println!(
        "The first search after start (or after changes to more than a quarter of the catalogue) builds the in-memory index: {} ({memory}); later searches only apply the datasets changed since.",
        ms(index_build)
    );
    println!();
    println!(
        "One client, queries one after another; 1-minute load average {load_before_search} before and {load_after_search} after (2 cores shared with other work)."
    );
    println!();
    println!("PostgreSQL: {pg_note}");
    println!();
    println!("#### Freshness (`CatalogService::recompute_freshness`, all {total} datasets)");
    println!();
    println!("| run | changed state | wall time | CPU time (process) |");
    println!("|---|---|---|---|");
    println!(
        "| first assessment after loading | {} | {} | {} |",
        first.changed,
        ms(first_time),
        ms(first_cpu)
    );
    println!(
        "| again at the same hour (the hourly job, nothing new), median of 3 | {} | {} | {} |",
        steady_changed,
        ms(steady.median()),
        ms(steady_cpu.median())
    );
    println!(
        "| 35 days later (states move, notices queued: {}) | {} | {} | {} |",
        month.notified.notifications,
        month.changed,
        ms(month_time),
        ms(month_cpu)
    );
    println!();
    println!("1-minute load average before: {load_before_freshness}.");
    println!();
    println!("#### Importing the Taoyuan supply list (`CatalogService::import`)");
    println!();
    println!(
        "| run | received | created | updated | unchanged | rejected | median | max | CPU time (median) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    if let Some(r) = &import.first_report {
        println!(
            "| fresh store (agencies CSV loaded first), {} runs | {} | {} | {} | {} | {} | {} | {} | {} |",
            import.first.len(),
            r.received,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected.len(),
            ms(import.first.median()),
            ms(import.first.max()),
            ms(import.first_cpu.median())
        );
    }
    if let Some(r) = &import.second_report {
        println!(
            "| same file again (idempotent), {} runs | {} | {} | {} | {} | {} | {} | {} | {} |",
            import.second.len(),
            r.received,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected.len(),
            ms(import.second.median()),
            ms(import.second.max()),
            ms(import.second_cpu.median())
        );
    }
    println!(
        "| again, into the {total}-dataset catalogue (includes its freshness recompute), 1 run | {} | {} | {} | {} | {} | {} | {} | {} |",
        big_report.received,
        big_report.created,
        big_report.updated,
        big_report.unchanged,
        big_report.rejected.len(),
        ms(big_import),
        ms(big_import),
        ms(big_cpu)
    );
    Ok(())
}
