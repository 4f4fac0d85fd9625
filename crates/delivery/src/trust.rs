//! The exchange gateway's trust services over HTTP (the domain's `TrustTransport` port): one
//! `POST` of a DER request to a time-stamping authority or an OCSP responder, within a timeout,
//! no redirects, the answer checked for status 200 and its content type and read up to a small
//! limit (tokens and OCSP responses are a few kilobytes).

use std::time::Duration;

use async_trait::async_trait;
use civitas_core::exchange::trust::TrustTransport;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use crate::fetch::USER_AGENT;

/// Largest answer read: far above any token or OCSP response.
pub const TRUST_MAX_BYTES: usize = 1024 * 1024;

pub struct TrustHttp {
    client: reqwest::Client,
}

impl TrustHttp {
    pub fn new(timeout: Duration) -> Result<Self, String> {
        crate::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| format!("the HTTP client cannot be set up: {e}"))?;
        Ok(TrustHttp { client })
    }
}

#[async_trait]
impl TrustTransport for TrustHttp {
    async fn post(
        &self,
        url: &str,
        content_type: &str,
        accept: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let mut response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, content_type)
            .header(ACCEPT, accept)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "no answer in time".to_string()
                } else {
                    format!("the request failed: {}", e.without_url())
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the server answered HTTP {status}"));
        }
        let got = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let essence = got.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case(accept) {
            return Err(format!(
                "the answer is {got:?}, not {accept} (is this the right address?)"
            ));
        }
        if response
            .content_length()
            .is_some_and(|n| n > TRUST_MAX_BYTES as u64)
        {
            return Err(format!("the answer is larger than {TRUST_MAX_BYTES} bytes"));
        }
        let mut out = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("reading the answer failed: {}", e.without_url()))?
        {
            if out.len() + chunk.len() > TRUST_MAX_BYTES {
                return Err(format!("the answer is larger than {TRUST_MAX_BYTES} bytes"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}
