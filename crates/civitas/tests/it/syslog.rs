//! Syslog listeners started by `civitas serve`: the real CEF and syslog samples sent over UDP,
//! TCP (both RFC 6587 framings) and TLS land once, bad messages are refused with their reason
//! and place, and stopping the server stores the last batch.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{civitas, stderr};

fn fixture(name: &str) -> String {
    let path = format!("{}/../../fixtures/soc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// The four Metron CEF samples, one line each.
fn cef_lines() -> Vec<String> {
    ["adallom", "cyberark", "palo", "waf"]
        .iter()
        .map(|n| fixture(&format!("metron-cef-{n}.cef")).trim().to_string())
        .collect()
}

fn lines(name: &str) -> Vec<String> {
    fixture(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

const SOURCES: &str = r#"
[[alerts.sources]]
name = "fw-cef"
kind = "cef"

[[alerts.sources]]
name = "cloud"
kind = "syslog5424"

[[alerts.sources]]
name = "asa"
kind = "syslog3164"
zone = "+08:00"
"#;

struct Server {
    child: Child,
    /// "source protocol" → bound address, as announced on standard output.
    listeners: BTreeMap<String, SocketAddr>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Server {
    fn at(&self, source: &str, protocol: &str) -> SocketAddr {
        self.listeners[&format!("{source} {protocol}")]
    }
}

/// `civitas serve` with this configuration, once it has announced its listeners and its
/// web address; its log goes to `log`.
fn serve(dir: &Path, config: &str, log: &Path) -> Server {
    let path = dir.join("civitas.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = civitas(dir)
        .arg("--config")
        .arg(&path)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut listeners = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        // "syslog 接收器 / syslog listener: fw-cef (cef) udp://127.0.0.1:40000"
        if let Some(rest) = line.split("syslog listener: ").nth(1) {
            let mut words = rest.split_whitespace();
            let name = words.next().unwrap();
            let (protocol, addr) = words.nth(1).unwrap().split_once("://").unwrap();
            listeners.insert(format!("{name} {protocol}"), addr.parse().unwrap());
        }
        if line.contains("http://") {
            return Server { child, listeners };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "the server did not start: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

// Polls a child process of our own; nothing else runs on this test thread meanwhile.
#[allow(clippy::disallowed_methods)]
fn stop(mut server: Server) {
    let pid = server.child.id();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.child.try_wait() {
            assert!(status.success(), "the server stopped with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server did not stop on SIGTERM");
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        dir.join("civitas.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

fn stored(dir: &Path, source: &str) -> i64 {
    db(dir)
        .query_row(
            "SELECT count(*) FROM alerts WHERE source_name = ?1",
            [source],
            |r| r.get(0),
        )
        .unwrap()
}

/// Import runs of the listeners: (label, received, created, duplicates, rejected).
fn runs(dir: &Path) -> Vec<(String, i64, i64, i64, i64)> {
    let db = db(dir);
    let mut q = db
        .prepare(
            "SELECT source, received, created, duplicates, rejected FROM import_runs
             WHERE kind = 'alerts' AND source LIKE 'syslog %' ORDER BY id",
        )
        .unwrap();
    q.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Rejected lines of the listeners' runs: (run label, line, reason in English).
fn rejects(dir: &Path) -> Vec<(String, i64, String)> {
    let db = db(dir);
    let mut q = db
        .prepare(
            "SELECT r.source, x.line, x.reason_en FROM import_rejects x
             JOIN import_runs r ON r.id = x.run_id ORDER BY x.run_id, x.line",
        )
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

// Waits for the server's batches (flushed every 200 ms in these tests).
#[allow(clippy::disallowed_methods)]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting until {what}");
}

/// RFC 6587 octet counting: "LEN MSG".
fn counted(message: &str) -> Vec<u8> {
    format!("{} {message}", message.len()).into_bytes()
}

/// A self-signed certificate for localhost, written as PEM; returns its DER for the client.
fn certificate(dir: &Path) -> (String, String, Vec<u8>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.join("syslog.crt");
    let key = dir.join("syslog.key");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (
        cert.display().to_string(),
        key.display().to_string(),
        made.cert.der().to_vec(),
    )
}

/// Send `bytes` over TLS, trusting only `ca`.
async fn send_tls(addr: SocketAddr, ca: &[u8], bytes: &[u8]) {
    use tokio::io::AsyncWriteExt;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(bytes).await.unwrap();
    tls.flush().await.unwrap();
    tls.shutdown().await.unwrap();
}

fn send_tcp(addr: SocketAddr, bytes: &[u8]) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(bytes).unwrap();
    tcp.flush().unwrap();
}

#[tokio::test]
async fn cef_and_syslog_samples_arrive_over_udp_tcp_and_tls_and_a_resend_stores_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = certificate(dir.path());
    let config = format!(
        r#"{SOURCES}
[[alerts.listeners]]
source = "fw-cef"
protocol = "udp"
bind = "127.0.0.1:0"
flush_interval_ms = 200

[[alerts.listeners]]
source = "fw-cef"
protocol = "tcp"
bind = "127.0.0.1:0"
flush_interval_ms = 200

[[alerts.listeners]]
source = "cloud"
protocol = "tcp"
bind = "127.0.0.1:0"
flush_interval_ms = 200

[[alerts.listeners]]
source = "asa"
protocol = "tls"
bind = "127.0.0.1:0"
cert_file = "{cert}"
key_file = "{key}"
flush_interval_ms = 200
"#
    );
    let log = dir.path().join("server.log");
    let server = serve(dir.path(), &config, &log);

    // CEF over UDP, one message a datagram (as a firewall sends them, with a trailing LF).
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for line in cef_lines() {
        udp.send_to(format!("{line}\n").as_bytes(), server.at("fw-cef", "udp"))
            .unwrap();
    }
    wait_until("the four CEF alerts are stored", || {
        stored(dir.path(), "fw-cef") == 4
    });

    // The same four again over TCP with octet counting: all duplicates.
    let mut stream = Vec::new();
    for line in cef_lines() {
        stream.extend(counted(&line));
    }
    send_tcp(server.at("fw-cef", "tcp"), &stream);
    wait_until("the resent CEF lines are counted as duplicates", || {
        runs(dir.path())
            .iter()
            .filter(|r| r.0.contains("syslog tcp"))
            .map(|r| r.3)
            .sum::<i64>()
            == 4
    });
    assert_eq!(stored(dir.path(), "fw-cef"), 4);

    // RFC 5424 over TCP, one message a line.
    let cloud = lines("metron-syslog5424-raw.log");
    assert_eq!(cloud.len(), 3);
    send_tcp(
        server.at("cloud", "tcp"),
        format!("{}\n", cloud.join("\n")).as_bytes(),
    );

    // RFC 3164 over TLS, framings mixed message by message; the file repeats one line.
    let asa = lines("metron-syslog3164-raw.log");
    assert_eq!(asa.len(), 100);
    let mut stream = Vec::new();
    for (i, line) in asa.iter().enumerate() {
        if i % 2 == 0 {
            stream.extend(counted(line));
        } else {
            stream.extend(format!("{line}\r\n").into_bytes());
        }
    }
    send_tls(server.at("asa", "tls"), &ca, &stream).await;

    wait_until("the syslog samples are stored", || {
        stored(dir.path(), "cloud") == 3 && stored(dir.path(), "asa") == 99
    });
    let all = runs(dir.path());
    let total = |f: fn(&(String, i64, i64, i64, i64)) -> i64| all.iter().map(f).sum::<i64>();
    assert_eq!(total(|r| r.1), 4 + 4 + 3 + 100, "{all:?}");
    assert_eq!(total(|r| r.2), 4 + 3 + 99, "{all:?}");
    assert_eq!(total(|r| r.3), 4 + 1, "{all:?}");
    assert_eq!(total(|r| r.4), 0, "{:?}", rejects(dir.path()));
    // Each run names where its messages came from.
    assert!(all.iter().any(|r| r.0.starts_with("syslog udp 127.0.0.1:")));
    assert!(
        all.iter()
            .any(|r| r.0.starts_with("syslog tls 127.0.0.1:") && r.0.contains("lines 1-"))
    );
    stop(server);
}

#[test]
fn garbage_and_an_oversized_line_are_refused_with_reasons_and_the_next_line_still_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"{SOURCES}
[[alerts.listeners]]
source = "fw-cef"
protocol = "tcp"
bind = "127.0.0.1:0"
flush_interval_ms = 200
max_message_bytes = 4096
"#
    );
    let log = dir.path().join("server.log");
    let server = serve(dir.path(), &config, &log);
    let cef = cef_lines();
    let huge = format!("{} cs9={}", cef[2], "A".repeat(10_000));
    let stream = format!(
        "{}\nthis is not CEF at all\n{huge}\n{}\n\u{0}\u{1}\u{2}binary\n",
        cef[0], cef[1]
    );
    send_tcp(server.at("fw-cef", "tcp"), stream.as_bytes());
    wait_until("the two good lines are stored and the rest refused", || {
        stored(dir.path(), "fw-cef") == 2 && rejects(dir.path()).len() == 3
    });
    let refused = rejects(dir.path());
    // Lines 2 and 5 reached the CEF parser; line 3 was refused by its size before that.
    let by_line: BTreeMap<i64, &(String, i64, String)> = refused.iter().map(|r| (r.1, r)).collect();
    assert_eq!(
        by_line.keys().copied().collect::<Vec<_>>(),
        [2, 3, 5],
        "{refused:?}"
    );
    assert!(
        by_line[&3]
            .2
            .contains("over this listener's limit of 4096 bytes"),
        "{refused:?}"
    );
    assert!(
        by_line[&3].0.contains("refused before parsing"),
        "{refused:?}"
    );
    for line in [2, 5] {
        assert!(!by_line[&line].2.is_empty());
        assert!(
            by_line[&line].0.starts_with("syslog tcp 127.0.0.1:"),
            "{refused:?}"
        );
        assert!(by_line[&line].0.contains("lines 1-5"), "{refused:?}");
    }
    // Every message is accounted for: received = stored + duplicates + rejected.
    let all = runs(dir.path());
    let received: i64 = all.iter().map(|r| r.1).sum();
    let accounted: i64 = all.iter().map(|r| r.2 + r.3 + r.4).sum();
    assert_eq!((received, accounted), (5, 5), "{all:?}");
    stop(server);
}

/// The Prometheus counter for one listener, read from the metrics listener.
async fn counter(metrics: &str, name: &str, source: &str) -> Option<u64> {
    let body = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    body.lines()
        .find(|l| l.starts_with(name) && l.contains(&format!("source=\"{source}\"")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn stopping_the_server_stores_the_batch_still_waiting() {
    civitas_delivery::install_tls_provider();
    let dir = tempfile::tempdir().unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    // Nothing would be stored for ten minutes but for the stop.
    let config = format!(
        r#"metrics_listen = "{metrics}"
{SOURCES}
[[alerts.listeners]]
source = "asa"
protocol = "tcp"
bind = "127.0.0.1:0"
flush_interval_ms = 600000
batch_messages = 100000
"#
    );
    let log = dir.path().join("server.log");
    let server = serve(dir.path(), &config, &log);
    let asa = lines("metron-syslog3164-raw.log");
    send_tcp(
        server.at("asa", "tcp"),
        format!("{}\n", asa.join("\n")).as_bytes(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = counter(&metrics, "civitas_syslog_messages_received_total", "asa").await;
        if got == Some(100) {
            break;
        }
        assert!(Instant::now() < deadline, "received {got:?} of 100");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stored(dir.path(), "asa"),
        0,
        "nothing is flushed before the stop"
    );
    stop(server);
    assert_eq!(stored(dir.path(), "asa"), 99);
    let all = runs(dir.path());
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!((all[0].1, all[0].2, all[0].3), (100, 99, 1));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("its last batch is stored"), "{text}");
}

#[tokio::test]
async fn a_udp_flood_beyond_the_queue_is_dropped_and_counted_never_silently() {
    civitas_delivery::install_tls_provider();
    let dir = tempfile::tempdir().unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    // A queue of one message and an import per message: a burst must overflow it.
    let config = format!(
        r#"metrics_listen = "{metrics}"
{SOURCES}
[[alerts.listeners]]
source = "asa"
protocol = "udp"
bind = "127.0.0.1:0"
queue_messages = 1
batch_messages = 1
flush_interval_ms = 200
"#
    );
    let log = dir.path().join("server.log");
    let server = serve(dir.path(), &config, &log);
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let asa = lines("metron-syslog3164-raw.log");
    for _ in 0..5 {
        for line in &asa {
            udp.send_to(line.as_bytes(), server.at("asa", "udp"))
                .unwrap();
        }
    }
    // Read the counters once the burst has been taken in (unchanged for a second).
    let mut last = (None, None);
    let mut still = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && still < 4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = (
            counter(&metrics, "civitas_syslog_messages_received_total", "asa").await,
            counter(&metrics, "civitas_syslog_messages_dropped_total", "asa").await,
        );
        still = if now == last && now.0.is_some() {
            still + 1
        } else {
            0
        };
        last = now;
    }
    let received = last.0.expect("a received count");
    let dropped = last.1.expect("a dropped count");
    assert!(
        dropped > 0 && dropped <= received,
        "{dropped} of {received}"
    );
    stop(server);
    // What was not dropped was imported: every received message is in a run or counted.
    let imported: i64 = runs(dir.path()).iter().map(|r| r.1).sum();
    assert_eq!(imported as u64 + dropped, received);
    let text = std::fs::read_to_string(&log).unwrap();
    let warning = text
        .lines()
        .find(|l| l.contains("syslog messages dropped"))
        .unwrap_or_else(|| panic!("no warning in {text}"));
    assert!(warning.contains("\"dropped\":"), "{warning}");
}

#[test]
fn a_listener_with_an_unknown_source_a_taken_port_or_no_certificate_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let start = |listener: &str| {
        let path = dir.path().join("civitas.toml");
        std::fs::write(
            &path,
            format!("{SOURCES}\n[[alerts.listeners]]\n{listener}"),
        )
        .unwrap();
        let out = civitas(dir.path())
            .arg("--config")
            .arg(&path)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        stderr(&out)
    };
    let err = start("source = \"ids\"\nprotocol = \"udp\"\nbind = \"127.0.0.1:0\"\n");
    assert!(err.contains("\"ids\" is not configured"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = start(&format!(
        "source = \"fw-cef\"\nprotocol = \"tcp\"\nbind = \"127.0.0.1:{port}\"\n"
    ));
    assert!(
        err.contains(&format!("cannot listen on tcp 127.0.0.1:{port}")),
        "{err}"
    );
    let err = start(
        "source = \"fw-cef\"\nprotocol = \"tls\"\nbind = \"127.0.0.1:0\"\ncert_file = \"/nonexistent/syslog.crt\"\nkey_file = \"/nonexistent/syslog.key\"\n",
    );
    assert!(
        err.contains("cannot read cert_file /nonexistent/syslog.crt"),
        "{err}"
    );
}

#[test]
fn the_listener_keys_are_documented_in_the_printed_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let text = crate::run_ok(dir.path(), &["config", "print-default"]);
    for key in [
        "[[alerts.listeners]]",
        "protocol",
        "bind",
        "cert_file",
        "key_file",
        "max_message_bytes",
        "batch_messages",
        "flush_interval_ms",
        "queue_messages",
        "civitas_syslog_messages_dropped_total",
    ] {
        assert!(text.contains(key), "{key} is documented");
    }
}
