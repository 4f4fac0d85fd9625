//! `civitas-bench syslog`: the syslog listener's throughput (issue 4 asks for 20,000
//! messages/s over TCP without loss). Sends N distinct CEF messages over one TCP connection
//! to a running `civitas serve` listener (`bench/syslog.sh` starts one), then watches the
//! store until they are all there or nothing more arrives, and reports messages/s and losses.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufWriter};

const USAGE: &str =
    "civitas-bench syslog --target HOST:PORT --data-dir DIR [--messages N] [--octet-counting]";

/// Give up waiting when the store has not grown for this long.
const STALL: Duration = Duration::from_secs(15);

struct Args {
    target: String,
    data_dir: PathBuf,
    messages: u64,
    octet_counting: bool,
}

fn args(rest: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut a = Args {
        target: String::new(),
        data_dir: PathBuf::new(),
        messages: 200_000,
        octet_counting: false,
    };
    let mut it = rest;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--target" => a.target = value()?,
            "--data-dir" => a.data_dir = PathBuf::from(value()?),
            "--messages" => a.messages = value()?.parse()?,
            "--octet-counting" => a.octet_counting = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    anyhow::ensure!(
        !a.target.is_empty() && !a.data_dir.as_os_str().is_empty(),
        "--target and --data-dir are required\n{USAGE}"
    );
    Ok(a)
}

/// The `i`-th message: a firewall's threat log in CEF behind a BSD syslog header, distinct
/// in time, addresses and session id so that every one is a new alert.
fn message(i: u64) -> String {
    // 2025-06-01T00:00:00Z, one message every 10 ms: all in the past.
    let rt = 1_748_736_000_000 + i * 10;
    let (a, b, c) = ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    let signatures = [
        (30_001, "SSH brute force attempt", 7),
        (30_002, "HTTP SQL injection attempt", 8),
        (30_003, "TCP port scan", 4),
        (30_004, "DNS tunnelling suspected", 6),
    ];
    let (sid, name, severity) = signatures
        .get((i % 4) as usize)
        .copied()
        .unwrap_or((30_000, "unknown", 5));
    format!(
        "<12>Jun  1 08:00:00 fw-bench CEF:0|Palo Alto Networks|PAN-OS|10.1.0|{sid}|{name}|{severity}|rt={rt} src=10.{a}.{b}.{c} spt={} dst=203.0.113.{} dpt=443 proto=TCP act=alert cs1Label=Rule cs1=bench cn1Label=SessionID cn1={i}",
        1024 + i % 60_000,
        i % 250 + 1
    )
}

/// What the listener's import runs after `after_run` account for:
/// (received, stored, duplicates, rejected).
fn accounted(data_dir: &Path, after_run: i64) -> anyhow::Result<(u64, u64, u64, u64)> {
    let db = rusqlite::Connection::open_with_flags(
        data_dir.join("civitas.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let row: (i64, i64, i64, i64) = db.query_row(
        "SELECT coalesce(sum(received), 0), coalesce(sum(created), 0),
                coalesce(sum(duplicates), 0), coalesce(sum(rejected), 0)
         FROM import_runs WHERE kind = 'alerts' AND source LIKE 'syslog %' AND id > ?1",
        [after_run],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok((row.0 as u64, row.1 as u64, row.2 as u64, row.3 as u64))
}

fn last_run(data_dir: &Path) -> anyhow::Result<i64> {
    let db = rusqlite::Connection::open_with_flags(
        data_dir.join("civitas.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    Ok(
        db.query_row("SELECT coalesce(max(id), 0) FROM import_runs", [], |r| {
            r.get(0)
        })?,
    )
}

pub async fn run(rest: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let a = args(rest)?;
    let after_run = last_run(&a.data_dir)?;
    // Numbered after the runs so far, so that a second round sends new alerts.
    let first = after_run as u64 * 1_000_000;
    let lines: Vec<Vec<u8>> = (0..a.messages)
        .map(|i| {
            let m = message(first + i);
            if a.octet_counting {
                format!("{} {m}", m.len()).into_bytes()
            } else {
                format!("{m}\n").into_bytes()
            }
        })
        .collect();
    let bytes: usize = lines.iter().map(Vec::len).sum();
    eprintln!(
        "== sending {} CEF messages ({:.1} MiB) to {} over TCP",
        a.messages,
        bytes as f64 / 1_048_576.0,
        a.target
    );
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(&a.target).await?;
    stream.set_nodelay(true)?;
    let mut out = BufWriter::with_capacity(256 * 1024, stream);
    for line in &lines {
        out.write_all(line).await?;
    }
    out.flush().await?;
    out.shutdown().await?;
    let sent_in = started.elapsed();
    let mut last = (0, 0, 0, 0);
    let mut last_change = Instant::now();
    let mut done_at = sent_in;
    loop {
        let now = accounted(&a.data_dir, after_run)?;
        if now != last {
            last = now;
            last_change = Instant::now();
            done_at = started.elapsed();
        }
        if now.0 >= a.messages || last_change.elapsed() > STALL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (received, created, duplicates, rejected) = last;
    let lost = a.messages.saturating_sub(received);
    let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!("| measurement | value |");
    println!("|---|---|");
    println!(
        "| messages sent (one TCP connection, {}) | {} |",
        if a.octet_counting {
            "octet counting"
        } else {
            "LF framing"
        },
        a.messages
    );
    println!(
        "| sent in | {:.2} s ({:.0} messages/s) |",
        sent_in.as_secs_f64(),
        rate(a.messages, sent_in)
    );
    println!(
        "| stored in (first byte sent → last alert stored) | {:.2} s |",
        done_at.as_secs_f64()
    );
    println!(
        "| **end-to-end rate** | **{:.0} messages/s** |",
        rate(received, done_at)
    );
    println!(
        "| received = stored + duplicates + rejected | {received} = {created} + {duplicates} + {rejected} |"
    );
    println!("| lost | {lost} |");
    Ok(())
}
