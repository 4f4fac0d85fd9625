//! Reading other catalogues over HTTP(S) for harvests: connect and total timeouts, a size
//! limit checked while the body arrives (a huge answer is refused, not buffered), a few retries
//! with doubling waits for what may pass (timeouts, broken connections, 5xx, 429), and a
//! User-Agent that says who is asking. Errors are sentences an operator can act on.

use std::error::Error as _;
use std::time::Duration;

use async_trait::async_trait;
use civitas_core::catalog::harvest::{Fetched, Fetcher};
use civitas_core::text::Text;
use reqwest::header::CONTENT_TYPE;

pub const USER_AGENT: &str = concat!(
    "civitas/",
    env!("CARGO_PKG_VERSION"),
    " (catalogue harvester; Taoyuan City Government)"
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchSettings {
    pub connect_timeout: Duration,
    /// For the whole response, body included.
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Tries after the first.
    pub retries: u32,
    /// The wait before the first retry; doubled for each one after.
    pub backoff: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_bytes: 64 * 1024 * 1024,
            retries: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

pub struct HttpFetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

/// One try's failure, and whether another try may succeed.
struct Failure {
    why: Text,
    transient: bool,
}

impl HttpFetcher {
    pub fn new(settings: FetchSettings) -> Result<Self, String> {
        crate::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("the HTTP client cannot be set up: {e}"))?;
        Ok(HttpFetcher { client, settings })
    }

    async fn once(&self, url: &str) -> Result<Fetched, Failure> {
        let s = &self.settings;
        let mut response = self
            .client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/json, application/ld+json, text/csv;q=0.9, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| self.failure(e))?;
        let status = response.status();
        if !status.is_success() {
            let transient = status.is_server_error() || status.as_u16() == 429;
            return Err(Failure {
                why: Text::new(
                    format!("來源回應 HTTP {status}"),
                    format!("the source answered HTTP {status}"),
                ),
                transient,
            });
        }
        let too_big = |size: u64| Failure {
            why: Text::new(
                format!(
                    "回應大小 {size} 位元組超過上限 {} 位元組（catalog.fetch_max_bytes），已拒收",
                    s.max_bytes
                ),
                format!(
                    "the response ({size} bytes) is over the limit of {} bytes (catalog.fetch_max_bytes) and was refused",
                    s.max_bytes
                ),
            ),
            transient: false,
        };
        if let Some(size) = response.content_length().filter(|n| *n > s.max_bytes) {
            return Err(too_big(size));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(e))? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > s.max_bytes {
                return Err(too_big(body.len() as u64));
            }
        }
        Ok(Fetched { body, content_type })
    }

    fn failure(&self, e: reqwest::Error) -> Failure {
        let e = e.without_url();
        if e.is_timeout() {
            let secs = self.settings.timeout.as_secs_f64();
            return Failure {
                why: Text::new(
                    format!("來源在 {secs} 秒內沒有完整回應（逾時）"),
                    format!("the source did not answer in full within {secs} s (timed out)"),
                ),
                transient: true,
            };
        }
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        let connect = e.is_connect();
        Failure {
            why: if connect {
                Text::new(
                    format!("無法連線到來源：{text}"),
                    format!("cannot connect to the source: {text}"),
                )
            } else {
                Text::new(
                    format!("讀取來源時發生錯誤：{text}"),
                    format!("reading the source failed: {text}"),
                )
            },
            // A connection refused or reset, or a body cut off, may pass; a bad URL will not.
            transient: connect || e.is_request() || e.is_body() || e.is_decode(),
        }
    }
}

#[async_trait]
impl Fetcher for HttpFetcher {
    async fn get(&self, url: &str) -> Result<Fetched, Text> {
        let mut wait = self.settings.backoff;
        let mut tries = 1u32;
        loop {
            match self.once(url).await {
                Ok(fetched) => return Ok(fetched),
                Err(f) if f.transient && tries <= self.settings.retries => {
                    tracing::warn!(attempt = tries, reason = %f.why.en, "harvest fetch failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                    tries += 1;
                }
                Err(f) if tries > 1 => {
                    return Err(Text::new(
                        format!("{}（共試 {tries} 次）", f.why.zh),
                        format!("{} (after {tries} tries)", f.why.en),
                    ));
                }
                Err(f) => return Err(f.why),
            }
        }
    }
}
