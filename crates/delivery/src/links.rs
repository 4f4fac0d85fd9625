//! Conditional HTTP requests for the catalogue's link checks: If-None-Match and
//! If-Modified-Since from the last check, the body hashed as it streams (up to a limit), and
//! every failure turned into a reason a steward can act on.

use std::time::Duration;

use async_trait::async_trait;
use civitas_core::catalog::links::{LinkProbe, Probe};
use civitas_core::text::Text;
use civitas_core::time::Timestamp;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, USER_AGENT};
use sha2::{Digest, Sha256};

pub struct HttpProbe {
    client: reqwest::Client,
    /// Bodies beyond this are not hashed (their Last-Modified and ETag still count).
    max_bytes: u64,
}

impl HttpProbe {
    pub fn new(timeout: Duration, max_bytes: u64) -> Result<Self, String> {
        crate::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpProbe { client, max_bytes })
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate) → an instant.
pub fn http_date(text: &str) -> Option<Timestamp> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| Timestamp::from_offset(t.assume_utc()))
}

fn failed(status: Option<u16>, zh: String, en: String) -> Probe {
    Probe::Failed {
        status,
        reason: Text::new(zh, en),
    }
}

#[async_trait]
impl LinkProbe for HttpProbe {
    async fn probe(&self, url: &str, etag: Option<&str>, last_modified: Option<&str>) -> Probe {
        let mut request = self.client.get(url).header(
            USER_AGENT,
            concat!("civitas-linkcheck/", env!("CARGO_PKG_VERSION")),
        );
        if let Some(tag) = etag {
            request = request.header(IF_NONE_MATCH, tag);
        }
        if let Some(lm) = last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return failed(
                    None,
                    "連線逾時，伺服器沒有回應".into(),
                    "timed out: the server did not answer".into(),
                );
            }
            Err(e) if e.is_connect() => {
                return failed(
                    None,
                    format!("無法連線到伺服器（{e}）"),
                    format!("cannot connect to the server ({e})"),
                );
            }
            Err(e) => {
                return failed(
                    None,
                    format!("請求失敗（{e}）"),
                    format!("the request failed ({e})"),
                );
            }
        };
        let status = response.status().as_u16();
        if status == 304 {
            return Probe::NotModified { status };
        }
        if !response.status().is_success() {
            return failed(
                Some(status),
                format!("伺服器回應 HTTP {status}，資料無法下載"),
                format!("the server answered HTTP {status}; the data cannot be downloaded"),
            );
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let new_etag = header(ETAG);
        let new_lm = header(LAST_MODIFIED);
        let mut hasher = Sha256::new();
        let mut bytes: u64 = 0;
        let mut too_big = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    bytes += chunk.len() as u64;
                    if bytes > self.max_bytes {
                        too_big = true;
                        break;
                    }
                    hasher.update(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return failed(
                        Some(status),
                        format!("下載中斷（{e}）"),
                        format!("the download broke off ({e})"),
                    );
                }
            }
        }
        Probe::Fetched {
            status,
            etag: new_etag,
            last_modified_at: new_lm.as_deref().and_then(http_date),
            last_modified: new_lm,
            sha256: (!too_big).then(|| hex::encode(hasher.finalize())),
            bytes,
        }
    }
}
