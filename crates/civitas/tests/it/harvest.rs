//! `civitas catalog harvest` against a CKAN portal run inside the test (a plain-thread HTTP
//! server answering with data.gov.uk's real package_search results, two a page).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::{run, run_ok, stderr, stdout};

const AGENCIES: &str = "code,name_zh,name_en,short_name_zh,parent_code,kind\n\
    380000000A,桃園市政府,Taoyuan City Government,市政府,,city_government\n\
    380290000H,桃園市政府交通局,Department of Transportation,交通局,380000000A,bureau\n\
    380330000E,桃園市政府文化局,Department of Cultural Affairs,文化局,380000000A,bureau\n";

/// Serves package_search from the fixture; page 2 answers 503 while `fail_page_2` is set.
fn portal(fail_page_2: Arc<AtomicBool>) -> String {
    let doc: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ckan/package_search.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let packages = doc["result"]["results"].as_array().unwrap().clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
            }
            let query = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.split_once('?'))
                .map(|(_, q)| q.to_string())
                .unwrap_or_default();
            let param = |name: &str| -> usize {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            let (rows, start) = (param("rows").max(1), param("start"));
            let (status, body) = if start > 0 && fail_page_2.load(Ordering::SeqCst) {
                ("503 Service Unavailable", "busy".to_string())
            } else {
                let page: Vec<&Value> = packages.iter().skip(start).take(rows).collect();
                (
                    "200 OK",
                    serde_json::json!({"success": true, "result": {"count": packages.len(), "results": page}})
                        .to_string(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_configured_ckan_source_is_harvested_from_the_command_line_and_a_failed_page_is_finished_by_the_next_run()
 {
    let dir = tempfile::tempdir().unwrap();
    let agencies = dir.path().join("agencies.csv");
    std::fs::write(&agencies, AGENCIES).unwrap();
    run_ok(
        dir.path(),
        &["agency", "import", agencies.to_str().unwrap()],
    );
    let fail = Arc::new(AtomicBool::new(true));
    let url = portal(fail.clone());
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[catalog]
fetch_retries = 0
fetch_timeout_seconds = 5

[[catalog.sources]]
name = "datagovuk"
kind = "ckan"
url = "{url}"
interval = "1d"
rows = 2
aliases = {{ "eidc" = "380330000E", "centre-for-environment-fisheries-aquaculture-science" = "380290000H" }}
"#
        ),
    )
    .unwrap();
    let harvest = |args: &[&str]| {
        let mut all = vec!["--config", config.to_str().unwrap(), "catalog", "harvest"];
        all.extend_from_slice(args);
        run(dir.path(), &all)
    };

    let cut = harvest(&["--source", "datagovuk", "--json"]);
    assert_eq!(cut.status.code(), Some(3), "{}", stderr(&cut));
    let r: Value = serde_json::from_str(&stdout(&cut)).unwrap();
    assert_eq!(r["complete"], false);
    assert_eq!(r["pages_read"], 1);
    assert_eq!(
        (r["received"].as_u64(), r["created"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r["withdrawn"], 0);
    let why = r["error"]["en"].as_str().unwrap();
    assert!(
        why.contains("page 2 (start=2)") && why.contains("HTTP 503"),
        "{why}"
    );
    assert!(
        stderr(&cut).contains("harvesting datagovuk"),
        "progress per page: {}",
        stderr(&cut)
    );

    fail.store(false, Ordering::SeqCst);
    let done = harvest(&["--source", "datagovuk", "--json"]);
    assert_eq!(done.status.code(), Some(2), "one record is rejected");
    let r: Value = serde_json::from_str(&stdout(&done)).unwrap();
    assert_eq!(r["complete"], true);
    assert_eq!(r["pages_read"], 2);
    assert_eq!(
        (
            r["received"].as_u64(),
            r["created"].as_u64(),
            r["unchanged"].as_u64(),
            r["rejected"].as_u64(),
            r["withdrawn"].as_u64()
        ),
        (Some(4), Some(2), Some(1), Some(1), Some(0))
    );
    assert!(
        r["rejected_records"][0]["reason"]["en"]
            .as_str()
            .unwrap()
            .contains("Colchester Borough Council")
    );

    // A one-off portal URL with an alias given on the command line: its own source.
    let once = harvest(&["--ckan", &url, "--rows", "3", "--alias", "eidc=380330000E"]);
    assert_eq!(once.status.code(), Some(2));
    let text = stdout(&once);
    assert!(
        text.contains("收到 received 4 = 新增 created 2"),
        "a summary line: {text}"
    );

    let unknown = harvest(&["--source", "nowhere"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("configured: datagovuk"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn the_default_configuration_documents_every_harvest_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = run_ok(dir.path(), &["config", "print-default"]);
    for key in [
        "[catalog]",
        "fetch_connect_timeout_seconds",
        "fetch_timeout_seconds",
        "fetch_max_bytes",
        "fetch_retries",
        "[[catalog.sources]]",
        "name ",
        "kind ",
        "url ",
        "interval ",
        "rows ",
        "agency ",
        "aliases ",
        "link_check_interval",
    ] {
        assert!(text.contains(key), "{key} is documented");
    }
}

#[test]
fn the_server_refuses_an_unreadable_link_check_interval_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::civitas(dir.path())
        .env("CIVITAS_CATALOG__LINK_CHECK_INTERVAL", "sometimes")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = crate::stderr(&out);
    assert!(
        err.contains("catalog.link_check_interval") && err.contains("sometimes"),
        "{err}"
    );
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// Polls the server's database while it harvests; nothing else runs on this test thread.
#[allow(clippy::disallowed_methods)]
#[test]
fn the_server_harvests_a_configured_source_on_its_schedule_and_records_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let agencies = dir.path().join("agencies.csv");
    std::fs::write(&agencies, AGENCIES).unwrap();
    run_ok(
        dir.path(),
        &["agency", "import", agencies.to_str().unwrap()],
    );
    let url = portal(Arc::new(AtomicBool::new(false)));
    let config = dir.path().join("civitas.toml");
    std::fs::write(
        &config,
        format!(
            "[[catalog.sources]]\nname = \"datagovuk\"\nkind = \"ckan\"\nurl = \"{url}\"\ninterval = \"1d\"\nrows = 3\naliases = {{ \"eidc\" = \"380330000E\" }}\n"
        ),
    )
    .unwrap();
    let mut c = crate::civitas(dir.path());
    c.args([
        "--config",
        config.to_str().unwrap(),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let _server = Killed(c.spawn().unwrap());
    let db = dir.path().join("civitas.sqlite3");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let run = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no finished harvest run within 90 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
        let Ok(conn) =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        else {
            continue;
        };
        let row = conn.query_row(
            "SELECT trigger, received, created, rejected, complete FROM harvest_runs
             WHERE finished_at IS NOT NULL ORDER BY id LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        );
        if let Ok(row) = row {
            break row;
        }
    };
    assert_eq!(run, ("schedule".to_string(), 4, 2, 2, 1));
}
