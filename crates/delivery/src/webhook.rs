//! Webhook calls: the JSON body as queued, signed with HMAC-SHA256 over the exact bytes sent
//! so that the receiver can check it came from civitas and was not altered.

use std::error::Error as _;
use std::time::Duration;

use civitas_core::notify::Delivery;
use hmac::{Hmac, Mac};
use reqwest::header::CONTENT_TYPE;
use sha2::Sha256;

/// `sha256=<hex HMAC-SHA256 of the body with the shared secret>`.
pub const SIGNATURE_HEADER: &str = "X-Civitas-Signature";
/// The event name, e.g. `dataset.freshness`.
pub const EVENT_HEADER: &str = "X-Civitas-Event";
/// The same on every retry of one call: receivers can ignore repeats.
pub const DELIVERY_HEADER: &str = "X-Civitas-Delivery";

/// The signature header's value for `body`.
pub fn signature(secret: &[u8], body: &[u8]) -> Result<String, String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .map_err(|e| format!("the webhook secret cannot be used: {e}"))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

pub struct WebhookSender {
    client: reqwest::Client,
    secret: Vec<u8>,
}

impl WebhookSender {
    pub fn new(secret: &str, timeout: Duration) -> Result<Self, String> {
        crate::install_tls_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // A signed body goes only where it was addressed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("civitas/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the webhook client cannot be set up: {e}"))?;
        Ok(WebhookSender {
            client,
            secret: secret.as_bytes().to_vec(),
        })
    }

    pub async fn send(&self, delivery: &Delivery) -> Result<(), String> {
        let event = serde_json::from_str::<serde_json::Value>(&delivery.payload)
            .ok()
            .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_default();
        let response = self
            .client
            .post(&delivery.target)
            .header(CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                signature(&self.secret, delivery.payload.as_bytes())?,
            )
            .header(EVENT_HEADER, event)
            .header(DELIVERY_HEADER, delivery.id.to_string())
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {status}"))
        }
    }
}

/// The error and its causes, without the URL (which may carry a token).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
