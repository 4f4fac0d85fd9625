//! Notices leave the running server: the `[notify]` settings, their secrets, and the worker
//! that hands a steward's e-mail to the city's mail server.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::{civitas, run, run_ok, seeded, stderr, stdout, with_stdin};

const PARKING: &str = "資料名稱,資料集提供機關,更新頻率,資料連結網址,最後更新時間,檔案格式,資料集描述,主要欄位說明,分類及編號\n\
    桃園市公有停車場資訊,380290000H 【交通局】,每月,https://data.tycg.gov.tw/opendata/datalist/datasetMeta?oid=aaaaaaaa-0000-0000-0000-000000000001,2024-02-01 09:00:00,CSV,公有停車場位置與車位數,name(名稱),交通及通訊 (117)\n";

#[test]
fn the_notify_keys_are_documented_and_their_secrets_never_print() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(&run(dir.path(), &["config", "print-default"]));
    for key in [
        "[notify]",
        "smtp_host",
        "smtp_port = 587",
        "smtp_security = \"starttls\"",
        "smtp_password",
        "from_address",
        "webhook_url",
        "webhook_secret",
        "due_soon_notices = true",
    ] {
        assert!(text.contains(key), "{key} missing");
    }
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "mail server pass phrase\n").unwrap();
    let out = civitas(dir.path())
        .env("CIVITAS_NOTIFY__SMTP_HOST", "mail.tycg.gov.tw")
        .env("CIVITAS_NOTIFY__SMTP_PASSWORD_FILE", &password)
        .env("CIVITAS_NOTIFY__WEBHOOK_SECRET", "webhook shared secret")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains("mail.tycg.gov.tw"), "{shown}");
    assert!(!shown.contains("mail server pass phrase"), "{shown}");
    assert!(!shown.contains("webhook shared secret"), "{shown}");
    let out = civitas(dir.path())
        .env("CIVITAS_NOTIFY__SMTP_SECURITY", "ssl")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(
        !out.status.success() && stderr(&out).to_lowercase().contains("smtp_security"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_server_refuses_to_start_with_half_configured_email() {
    let dir = seeded();
    let out = civitas(dir.path())
        .env("CIVITAS_NOTIFY__SMTP_HOST", "mail.tycg.gov.tw")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("from_address"), "{}", stderr(&out));
}

/// A mail server on a thread: answers just enough SMTP and passes on (recipient, message).
fn smtp_sink() -> (u16, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut out = stream.try_clone().unwrap();
            let mut lines = BufReader::new(stream);
            let mut rcpt = String::new();
            let _ = out.write_all(b"220 sink ESMTP\r\n");
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                    b"250 sink\r\n"
                } else if upper.starts_with("RCPT") {
                    rcpt = line.trim_end().to_string();
                    b"250 OK\r\n"
                } else if upper.starts_with("DATA") {
                    let _ = out.write_all(b"354 go ahead\r\n");
                    let mut data = String::new();
                    let mut l = String::new();
                    while lines.read_line(&mut l).unwrap_or(0) > 0 && l != ".\r\n" {
                        data.push_str(&l);
                        l.clear();
                    }
                    let _ = tx.send((rcpt.clone(), data));
                    b"250 OK\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = out.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 OK\r\n"
                };
                let _ = out.write_all(reply);
                line.clear();
            }
        }
    });
    (port, rx)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_running_server_emails_a_steward_whose_dataset_falls_due() {
    let (port, mail) = smtp_sink();
    let port = port.to_string();
    let env = [
        ("CIVITAS_NOTIFY__SMTP_HOST", "127.0.0.1"),
        ("CIVITAS_NOTIFY__SMTP_PORT", port.as_str()),
        ("CIVITAS_NOTIFY__SMTP_SECURITY", "none"),
        (
            "CIVITAS_NOTIFY__FROM_ADDRESS",
            "civitas <civitas@tycg.gov.tw>",
        ),
    ];
    let dir = seeded();
    let list = dir.path().join("parking.csv");
    std::fs::write(&list, PARKING).unwrap();
    run_ok(dir.path(), &["catalog", "import", list.to_str().unwrap()]);
    let out = with_stdin(
        dir.path(),
        &[
            "user",
            "add",
            "traffic",
            "--role",
            "data_steward",
            "--agency",
            "380290000H",
            "--email",
            "traffic.steward@tycg.gov.tw",
            "--password-stdin",
        ],
        "parking lots every month",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Reassessed as of 民國113年2月27日: the dataset falls due on 3月1日; the notice is queued.
    let mut c = civitas(dir.path());
    c.args(["catalog", "freshness", "--as-of", "2024-02-27"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let mut c = civitas(dir.path());
    c.args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let _server = Killed(c.spawn().unwrap());
    // The delivery job runs as the server starts (then every 30 seconds).
    let mut seen = Vec::new();
    while let Ok((rcpt, data)) = mail.recv_timeout(Duration::from_secs(60)) {
        let due_soon = data.contains("Subject: [civitas]");
        seen.push((rcpt, data));
        if due_soon
            && seen
                .iter()
                .any(|(_, d)| d.contains("Message-ID: <civitas.1."))
        {
            break;
        }
    }
    let (rcpt, data) = seen
        .iter()
        .find(|(_, d)| d.contains("Message-ID: <civitas.1."))
        .unwrap_or_else(|| panic!("the first notice was not e-mailed: {seen:?}"));
    assert_eq!(rcpt, "RCPT TO:<traffic.steward@tycg.gov.tw>");
    assert!(data.contains("To: traffic.steward@tycg.gov.tw"), "{data}");
    assert!(data.contains("Content-Transfer-Encoding: base64"), "{data}");
}
