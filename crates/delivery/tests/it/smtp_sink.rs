//! A mail server that accepts everything and keeps it: enough SMTP (EHLO, MAIL, RCPT, DATA,
//! QUIT) for lettre to hand over a message.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, store.clone()));
            }
        });
        SmtpSink { port, messages }
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }
}

async fn session(socket: tokio::net::TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let mut current = Received::default();
    write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-sink.test\r\n250 8BITMIME\r\n",
            "MAIL" => {
                current.mail_from = command[10..].trim().to_string();
                b"250 OK\r\n"
            }
            "RCPT" => {
                current.rcpt_to.push(command[8..].trim().to_string());
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await.unwrap();
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                current.data = data;
                store.lock().unwrap().push(std::mem::take(&mut current));
                b"250 OK queued\r\n"
            }
            "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await.unwrap();
    }
}

/// A header's value, unfolded, with RFC 2047 base64 words decoded.
pub fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let raw = unfolded
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))?[prefix.len()..]
        .trim()
        .to_string();
    // Whitespace between two encoded words is dropped; any other is one space.
    let mut out = String::new();
    let mut last_encoded = false;
    for word in raw.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let encoded = lower.starts_with("=?utf-8?b?") && word.ends_with("?=");
        let joined = encoded && last_encoded;
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        if encoded {
            out.push_str(&decode_base64(&word[10..word.len() - 2]));
        } else {
            out.push_str(word);
        }
        last_encoded = encoded;
    }
    Some(out)
}

/// The body of a base64-encoded single-part message.
pub fn body(data: &str) -> String {
    let (_, body) = data.split_once("\r\n\r\n").unwrap();
    decode_base64(&body.replace("\r\n", ""))
}

fn decode_base64(text: &str) -> String {
    use base64::Engine;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .unwrap(),
    )
    .unwrap()
}
