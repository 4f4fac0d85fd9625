//! `civitas-bench alerts`: issue 4's import and dashboard goals, run by `bench/alerts.sh`.
//!
//! 1. Writes N distinct Suricata EVE alerts as NDJSON (about 700 bytes each, like real EVE:
//!    twelve months of a city's traffic, a few hundred signatures' worth of templates, sources
//!    that come back, flow ids above 2^53).
//! 2. Comparators measured in the same run on the same file: serde_json alone (parse every line
//!    into a `Value`, one core), and SQLite alone (store every line verbatim under a unique
//!    SHA-256 key, batched transactions) — the floor any import that keeps the raw record pays.
//! 3. civitas: `AlertService::import_file`, the call `civitas alerts import` makes (parse,
//!    normalise, classify, group, store, rollups, audit), then the same file again (every
//!    alert a duplicate; nothing added).
//! 4. The dashboard over what was stored: each analysis panel (`AlertService::analysis`, the
//!    call `/alerts` makes), the summary, and a filtered first page of the alert list, timed
//!    over several rounds (p50/p95).
//!
//! Prints Markdown for BENCHMARKS.md.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{
    AgencyDirectory, AlertFilter, AlertSettings, Category, Severity, SourceConfig, SourceFormat,
    SourceName,
};
use civitas_core::authz::Principal;
use civitas_core::clock::ManualClock;
use civitas_core::page::PageRequest;
use civitas_core::time::{TAIPEI, Timestamp};
use civitas_core::{Caller, Platform, SecurityPolicy};
use civitas_store_sqlite::{OpenOptions, SqliteStore};

use crate::stats::{Latencies, cpu_time, ms};

const USAGE: &str = "civitas-bench alerts [--alerts N] [--rounds N] [--data-dir DIR] [--no-sqlite-baseline] [--dashboards-only]";

struct Args {
    alerts: u64,
    rounds: usize,
    data_dir: Option<PathBuf>,
    /// Leave out "SQLite alone" (at 10M alerts it takes a quarter of an hour and 10 GB).
    sqlite_baseline: bool,
    /// Measure only the dashboards, over the store an earlier run left in `--data-dir`.
    dashboards_only: bool,
}

fn args(rest: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        alerts: 1_000_000,
        rounds: 20,
        data_dir: None,
        sqlite_baseline: true,
        dashboards_only: false,
    };
    let mut it = rest;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--alerts" => a.alerts = value()?.parse()?,
            "--rounds" => a.rounds = value()?.parse()?,
            "--data-dir" => a.data_dir = Some(PathBuf::from(value()?)),
            "--no-sqlite-baseline" => a.sqlite_baseline = false,
            "--dashboards-only" => a.dashboards_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(a)
}

/// "Now" for the run: the generated year ends the day before.
fn now() -> Timestamp {
    Timestamp::from_offset(time::macros::datetime!(2026-11-28 12:00).assume_offset(TAIPEI))
}

/// (signature, sid, classtype description, priority, port, app_proto)
const TEMPLATES: &[(&str, u32, &str, u8, u16, &str)] = &[
    (
        "ET SCAN Suspicious inbound to MSSQL port 1433",
        2_010_935,
        "Potentially Bad Traffic",
        2,
        1433,
        "failed",
    ),
    (
        "ET SCAN Potential SSH Scan",
        2_001_219,
        "Attempted Information Leak",
        2,
        22,
        "ssh",
    ),
    (
        "ET SCAN NMAP -sS window 1024",
        2_009_582,
        "Attempted Information Leak",
        2,
        443,
        "failed",
    ),
    (
        "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",
        2_034_647,
        "Attempted Administrator Privilege Gain",
        1,
        80,
        "http",
    ),
    (
        "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
        2_006_446,
        "Web Application Attack",
        1,
        80,
        "http",
    ),
    (
        "ET WEB_SERVER WebShell Generic - wget http - POST",
        2_016_683,
        "Web Application Attack",
        1,
        443,
        "http",
    ),
    (
        "ET POLICY Possible Kali Linux hostname in DHCP Request Packet",
        2_022_973,
        "Potential Corporate Privacy Violation",
        1,
        67,
        "dhcp",
    ),
    (
        "ET POLICY curl User-Agent Outbound",
        2_013_028,
        "Attempted Information Leak",
        2,
        80,
        "http",
    ),
    (
        "ET INFO Observed DNS Query to .top TLD",
        2_027_758,
        "Potentially Bad Traffic",
        2,
        53,
        "dns",
    ),
    (
        "ET MALWARE Win32/Emotet CnC Activity (POST) M10",
        2_035_113,
        "A Network Trojan was detected",
        1,
        8080,
        "http",
    ),
    (
        "ET DOS Possible NTP DDoS Inbound Frequent Un-Authed MON_LIST Requests",
        2_017_919,
        "Attempted Denial of Service",
        2,
        123,
        "ntp",
    ),
    (
        "ET SCAN Possible RDP Brute Force Login Attempt",
        2_027_270,
        "Potentially Bad Traffic",
        2,
        3389,
        "rdp",
    ),
    (
        "GPL ATTACK_RESPONSE id check returned root",
        2_100_498,
        "Potentially Bad Traffic",
        2,
        80,
        "http",
    ),
    (
        "SURICATA STREAM ESTABLISHED packet out of window",
        2_210_020,
        "Generic Protocol Command Decode",
        3,
        443,
        "tls",
    ),
    (
        "ET TOR Known Tor Exit Node Traffic group 12",
        2_520_022,
        "Misc Attack",
        2,
        443,
        "tls",
    ),
];

/// Agencies (code, the second octet of their 10.x.0.0/16).
const AGENCIES: &[(&str, u8)] = &[
    ("380330000E", 30),
    ("380040000E", 40),
    ("380130000C", 13),
    ("380140000I", 14),
    ("380260000D", 26),
    ("380290000H", 29),
    ("380020000A", 20),
    ("380320000A", 32),
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// The `i`-th alert, one EVE line with the fields a real sensor writes.
fn eve_line(i: u64, n: u64, rng: &mut Lcg, start_ms: i64, span_ms: i64) -> String {
    let (signature, sid, class, priority, port, app) = TEMPLATES
        .get(rng.below(TEMPLATES.len() as u64) as usize)
        .copied()
        .unwrap_or(("ET INFO", 1, "Misc activity", 3, 80, "http"));
    let octet = AGENCIES
        .get(rng.below(AGENCIES.len() as u64) as usize)
        .map(|a| a.1)
        .unwrap_or(30);
    // Strictly increasing with i, so every alert is distinct; spread evenly over the year.
    let at_ms = start_ms + (i128::from(i) * i128::from(span_ms) / i128::from(n.max(1))) as i64;
    let at = Timestamp::from_millis(at_ms).unwrap_or_else(now);
    let local = at.in_taipei();
    // A third of the traffic comes from 2,000 sources that keep coming back.
    let src = if rng.below(3) == 0 {
        let n = rng.below(2_000);
        format!("45.{}.{}.{}", 10 + n / 250, n % 250 + 1, 7)
    } else {
        format!(
            "{}.{}.{}.{}",
            [61, 89, 103, 118, 141, 176, 185, 194, 211, 222]
                .get(rng.below(10) as usize)
                .copied()
                .unwrap_or(61),
            rng.below(254) + 1,
            rng.below(254) + 1,
            rng.below(254) + 1
        )
    };
    let flow = 1_000_000_000_000_000_000u64 + i * 7_919;
    serde_json::json!({
        "timestamp": format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+0800",
            local.year(), u8::from(local.month()), local.day(),
            local.hour(), local.minute(), local.second(), local.microsecond()
        ),
        "flow_id": flow,
        "in_iface": "eth1",
        "event_type": "alert",
        "src_ip": src,
        "src_port": 1_024 + rng.below(60_000),
        "dest_ip": format!("10.{octet}.{}.{}", rng.below(8) + 1, rng.below(250) + 2),
        "dest_port": port,
        "proto": if port == 53 || port == 123 || port == 67 { "UDP" } else { "TCP" },
        "community_id": format!("1:{:x}{:x}=", rng.next(), rng.next()),
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": sid,
            "rev": 3 + rng.below(5),
            "signature": signature,
            "category": class,
            "severity": priority,
            "metadata": {
                "created_at": ["2019_07_26"],
                "updated_at": ["2024_03_05"],
                "signature_severity": ["Major"],
            },
        },
        "app_proto": app,
        "flow": {
            "pkts_toserver": 1 + rng.below(40),
            "pkts_toclient": rng.below(40),
            "bytes_toserver": 60 + rng.below(20_000),
            "bytes_toclient": rng.below(40_000),
            "start": format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000000+0800",
                local.year(), u8::from(local.month()), local.day(),
                local.hour(), local.minute(), local.second()
            ),
        },
        "host": "ids-dmz-01",
    })
    .to_string()
}

/// Writes the file; returns its size in bytes.
fn generate(path: &Path, n: u64) -> anyhow::Result<u64> {
    let end = now().as_millis() - 86_400_000;
    let span = 365 * 86_400_000i64;
    let mut rng = Lcg(4_611);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut bytes = 0u64;
    for i in 0..n {
        let line = eve_line(i, n, &mut rng, end - span, span);
        bytes += line.len() as u64 + 1;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(bytes)
}

fn settings() -> anyhow::Result<AlertSettings> {
    let mut agencies = AgencyDirectory::new();
    for (code, octet) in AGENCIES {
        if let Ok(code) = AgencyCode::parse(code) {
            let _ = agencies.add_range(&format!("10.{octet}.0.0/16"), code);
        }
    }
    Ok(AlertSettings {
        sources: vec![source()?],
        agencies,
        ..AlertSettings::default()
    })
}

fn source() -> anyhow::Result<SourceConfig> {
    let name = SourceName::parse("bench-eve").map_err(|e| anyhow::anyhow!("{}", e.en))?;
    Ok(SourceConfig::new(name, SourceFormat::Suricata))
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64().max(1e-9))
}

fn mib_s(bytes: u64, d: Duration) -> String {
    format!(
        "{:.1}",
        bytes as f64 / 1_048_576.0 / d.as_secs_f64().max(1e-9)
    )
}

/// serde_json alone: every line into a `Value`.
fn serde_only(path: &Path) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut n = 0;
    for line in file.split(b'\n') {
        let line = line?;
        let v: serde_json::Value = serde_json::from_slice(&line)?;
        if v.get("event_type").is_some() {
            n += 1;
        }
    }
    Ok((n, started.elapsed()))
}

/// SQLite alone: each line verbatim under its SHA-256, 10,000 a transaction, WAL, the same
/// pragmas civitas uses.
fn sqlite_only(path: &Path, dir: &Path) -> anyhow::Result<(u64, Duration)> {
    use sha2::{Digest, Sha256};
    let db = dir.join("verbatim.db");
    let _ = std::fs::remove_file(&db);
    let mut conn = rusqlite::Connection::open(&db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE raw (key BLOB PRIMARY KEY, line TEXT NOT NULL) WITHOUT ROWID;",
    )?;
    let started = Instant::now();
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut lines = file.split(b'\n');
    let mut n = 0;
    loop {
        let tx = conn.transaction()?;
        let mut wrote = 0;
        {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO raw (key, line) VALUES (?1, ?2)")?;
            for line in lines.by_ref().take(10_000) {
                let line = line?;
                let key = Sha256::digest(&line);
                insert.execute(rusqlite::params![
                    key.as_slice(),
                    String::from_utf8_lossy(&line)
                ])?;
                wrote += 1;
            }
        }
        tx.commit()?;
        n += wrote;
        if wrote == 0 {
            break;
        }
    }
    Ok((n, started.elapsed()))
}

pub async fn run(rest: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let a = args(rest)?;
    let tmp = tempfile::tempdir()?;
    let dir = a
        .data_dir
        .clone()
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    if a.dashboards_only {
        anyhow::ensure!(a.data_dir.is_some(), "--dashboards-only needs --data-dir");
        return dashboards_of_kept_store(&a, &dir).await;
    }
    let file = dir.join("eve.ndjson");
    let started = Instant::now();
    let bytes = generate(&file, a.alerts)?;
    println!(
        "Generated {} EVE alerts, {:.1} MiB ({} bytes an alert) in {}",
        a.alerts,
        bytes as f64 / 1_048_576.0,
        bytes / a.alerts.max(1),
        ms(started.elapsed())
    );
    println!();
    println!(
        "| Import of {} EVE alerts from one file | alerts/s | MiB/s | wall | CPU |",
        a.alerts
    );
    println!("|---|---:|---:|---:|---:|");
    let cpu0 = cpu_time();
    let (n, took) = serde_only(&file)?;
    let cpu = cpu_time()
        .zip(cpu0)
        .map(|(b, a)| ms(b - a))
        .unwrap_or_default();
    println!(
        "| serde_json alone (parse each line into a Value; one core) | {} | {} | {} | {cpu} |",
        rate(n, took),
        mib_s(bytes, took),
        ms(took)
    );
    if a.sqlite_baseline {
        let cpu0 = cpu_time();
        let (n, took) = sqlite_only(&file, &dir)?;
        let cpu = cpu_time()
            .zip(cpu0)
            .map(|(b, a)| ms(b - a))
            .unwrap_or_default();
        println!(
            "| SQLite alone (each line verbatim under its SHA-256; no parsing) | {} | {} | {} | {cpu} |",
            rate(n, took),
            mib_s(bytes, took),
            ms(took)
        );
        let _ = std::fs::remove_file(dir.join("verbatim.db"));
    }

    let data = dir.join("civitas");
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data)?;
    let store =
        SqliteStore::open_in(&data, OpenOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let clock = Arc::new(ManualClock::new(now()));
    let platform =
        Platform::new(store.stores(), clock, SecurityPolicy::default()).with_alerts(settings()?);
    let caller = Caller::new(Principal::operator("bench"), None);
    // As on a running platform, the default period's top-values window exists while alerts
    // arrive, so the import pays for keeping it.
    {
        use civitas_core::alerts::analysis::{month_of, months_back};
        let to = month_of(platform.now());
        let from = months_back(&to, 11).unwrap_or_else(|| to.clone());
        platform
            .stores
            .alerts
            .refresh_alert_value_window(&from, &to)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let source = source()?;
    let input = std::fs::read(&file)?;
    for (label, expect_new) in [
        (
            "civitas `alerts import` (parse, normalise, classify, group, store, rollups)",
            true,
        ),
        ("the same file again (every alert a duplicate)", false),
    ] {
        let cpu0 = cpu_time();
        let started = Instant::now();
        let done = platform
            .alerts()
            .import_file(&caller, &source, &input, "eve.ndjson", &mut |_, _| {})
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let took = started.elapsed();
        let cpu = cpu_time()
            .zip(cpu0)
            .map(|(b, a)| ms(b - a))
            .unwrap_or_default();
        let r = &done.report;
        anyhow::ensure!(
            r.rejected.is_empty() && r.reconciles(),
            "the generated file imports cleanly"
        );
        anyhow::ensure!(
            (r.created == a.alerts) == expect_new,
            "created {} of {}",
            r.created,
            a.alerts
        );
        println!(
            "| {label} | {} | {} | {} | {cpu} |",
            rate(r.received, took),
            mib_s(bytes, took),
            ms(took)
        );
    }
    let size: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!();
    println!(
        "Store after import: {:.1} MiB ({} bytes an alert)",
        size as f64 / 1_048_576.0,
        size / a.alerts.max(1)
    );

    // Delete the input before the dashboards: at 10M alerts it is 7 GB.
    drop(input);
    let _ = std::fs::remove_file(&file);
    dashboards(&platform, &caller, &a).await
}

/// Open the store an earlier run imported into and left in `--data-dir`.
async fn dashboards_of_kept_store(a: &Args, dir: &Path) -> anyhow::Result<()> {
    let store = SqliteStore::open_in(&dir.join("civitas"), OpenOptions::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let clock = Arc::new(ManualClock::new(now()));
    let platform =
        Platform::new(store.stores(), clock, SecurityPolicy::default()).with_alerts(settings()?);
    let caller = Caller::new(Principal::operator("bench"), None);
    dashboards(&platform, &caller, a).await
}

/// Every dashboard panel and two filtered alert lists over what is stored, `a.rounds` times.
async fn dashboards(platform: &Platform, caller: &Caller, a: &Args) -> anyhow::Result<()> {
    use civitas_core::alerts::analysis::{Dimension, month_of, months_back};
    let store = &platform.stores.alerts;
    let to_month = month_of(platform.now());
    let from_month = months_back(&to_month, 11).unwrap_or_else(|| to_month.clone());
    let trend_from = months_back(&to_month, 23).unwrap_or_else(|| to_month.clone());
    // The default period's top values are kept at ingest once their window is there; the
    // first dashboard of a month moves it (rebuilt from the monthly counts).
    let t = Instant::now();
    let moved = store
        .refresh_alert_value_window(&from_month, &to_month)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "\nTop-values window {from_month}..{to_month}: {} in {}\n",
        if moved { "built" } else { "already kept" },
        ms(t.elapsed())
    );
    // The dashboard over what was stored.
    println!(
        "| Dashboard panel over {} stored alerts ({} rounds) | p50 | p95 | max |",
        a.alerts, a.rounds
    );
    println!("|---|---:|---:|---:|");
    let alerts = platform.alerts();
    let mut analysis = Latencies::default();
    let mut summary = Latencies::default();
    let mut list = Latencies::default();
    let mut agency_list = Latencies::default();
    let filtered = AlertFilter {
        category: Some(Category::IntrusionAttempt),
        severity: Some(Severity::Medium),
        ..AlertFilter::default()
    };
    let one_agency = AlertFilter {
        agency: AgencyCode::parse("380330000E").ok(),
        ..AlertFilter::default()
    };
    for _ in 0..a.rounds {
        let t = Instant::now();
        alerts
            .analysis(caller, &AlertFilter::default(), None, None, 10)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        analysis.push(t.elapsed());
        let t = Instant::now();
        alerts
            .summary(caller, &AlertFilter::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        summary.push(t.elapsed());
        let t = Instant::now();
        alerts
            .list(caller, &filtered, PageRequest::new(Some(1), Some(50)))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        list.push(t.elapsed());
        let t = Instant::now();
        alerts
            .list(caller, &one_agency, PageRequest::new(Some(3), Some(50)))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        agency_list.push(t.elapsed());
    }
    // Each panel of that page on its own, as the analysis reads it from the store: the daily
    // rollups (shares, 24-month trend, agencies and sources), each top-values list, the spike
    // test's notification counts, and the notes.
    let everything = AlertFilter::default();
    let mut panels: Vec<(String, Latencies)> = Vec::new();
    let mut time_panel =
        |label: String, took: Duration| match panels.iter_mut().find(|(l, _)| *l == label) {
            Some((_, l)) => l.push(took),
            None => {
                let mut l = Latencies::default();
                l.push(took);
                panels.push((label, l));
            }
        };
    let fail = |e: civitas_core::DomainError| anyhow::anyhow!("{e}");
    for _ in 0..a.rounds {
        let t = Instant::now();
        store
            .alert_rollup_months(&everything, &trend_from, &to_month)
            .await
            .map_err(fail)?;
        time_panel(
            "panel: monthly rollups of 24 months (shares, trend, agencies, sources)".into(),
            t.elapsed(),
        );
        for dimension in Dimension::ALL {
            let t = Instant::now();
            store
                .alert_values(&everything, dimension, &from_month, &to_month, 10)
                .await
                .map_err(fail)?;
            time_panel(
                format!("panel: top 10 of 12 months, {}", dimension.label().en),
                t.elapsed(),
            );
        }
        let (from, to) = (platform.now().sub(time::Duration::days(58)), platform.now());
        let t = Instant::now();
        store
            .alert_group_days(&everything, from, to)
            .await
            .map_err(fail)?;
        time_panel(
            "panel: spikes (notifications per agency and day, 58 days)".into(),
            t.elapsed(),
        );
        let t = Instant::now();
        store
            .alert_notes(&everything, None, 50)
            .await
            .map_err(fail)?;
        time_panel("panel: pattern notes".into(), t.elapsed());
    }
    for (label, l) in &panels {
        println!(
            "| {label} | {} | {} | {} |",
            ms(l.median()),
            ms(l.percentile(95.0)),
            ms(l.max())
        );
    }
    for (label, l) in [
        (
            "the whole analysis page (`/alerts`: shares, 13-month trend, agencies, sources, top values, spikes, notes)",
            &analysis,
        ),
        ("summary (category and severity shares)", &summary),
        (
            "alert list, intrusion attempts of medium severity, first page of 50",
            &list,
        ),
        ("alert list, one agency, third page of 50", &agency_list),
    ] {
        println!(
            "| {label} | {} | {} | {} |",
            ms(l.median()),
            ms(l.percentile(95.0)),
            ms(l.max())
        );
    }
    Ok(())
}
