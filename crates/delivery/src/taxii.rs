//! TAXII 2.1 over HTTPS for the intel pull (the domain's `TaxiiTransport` port): the request
//! the domain built, optional HTTP Basic credentials, a size limit checked while the body
//! arrives, and the response headers back (TAXII pages by `X-TAXII-Date-Added-Last`).

use async_trait::async_trait;
use civitas_core::intel::{TaxiiRequest, TaxiiResponse, TaxiiTransport};
use civitas_core::text::Text;

use crate::fetch::{FetchSettings, USER_AGENT};

pub struct TaxiiHttp {
    client: reqwest::Client,
    max_bytes: u64,
    /// (user, password) for HTTP Basic, as most TAXII servers ask.
    credentials: Option<(String, String)>,
}

impl TaxiiHttp {
    pub fn new(
        settings: FetchSettings,
        credentials: Option<(String, String)>,
    ) -> Result<Self, String> {
        crate::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("the HTTP client cannot be set up: {e}"))?;
        Ok(TaxiiHttp {
            client,
            max_bytes: settings.max_bytes,
            credentials,
        })
    }
}

fn failed(zh: String, en: String) -> Text {
    Text::new(zh, en)
}

#[async_trait]
impl TaxiiTransport for TaxiiHttp {
    async fn get(&self, request: &TaxiiRequest) -> Result<TaxiiResponse, Text> {
        let mut call = self.client.get(&request.url);
        for (name, value) in &request.headers {
            call = call.header(*name, value);
        }
        if let Some((user, password)) = &self.credentials {
            call = call.basic_auth(user, Some(password));
        }
        let mut response = call.send().await.map_err(|e| {
            let e = e.without_url();
            failed(format!("連線失敗：{e}"), format!("the request failed: {e}"))
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(
                format!("伺服器回應 HTTP {status}"),
                format!("the server answered HTTP {status}"),
            ));
        }
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            let e = e.without_url();
            failed(
                format!("讀取回應失敗：{e}"),
                format!("reading the answer failed: {e}"),
            )
        })? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > self.max_bytes {
                return Err(failed(
                    format!("回應超過上限 {} 位元組，已拒收", self.max_bytes),
                    format!(
                        "the answer is over the limit of {} bytes and was refused",
                        self.max_bytes
                    ),
                ));
            }
        }
        Ok(TaxiiResponse { body, headers })
    }
}
