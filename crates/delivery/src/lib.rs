//! Sends what the notification outbox holds: e-mail through an SMTP server and JSON webhook
//! calls signed with HMAC-SHA256. Who is told and how often to retry are the domain's rules
//! (`civitas_core::notify`); this crate only speaks SMTP and HTTP. The server's worker calls
//! [`deliver_due`] every 30 seconds. It also reads other catalogues for harvests
//! ([`HttpFetcher`], the domain's `Fetcher` port).

mod email;
mod fetch;
mod links;
mod taxii;
mod trust;
mod webhook;

use civitas_core::Platform;
use civitas_core::error::DomainResult;
use civitas_core::notify::{Channel, Delivery, DeliveryStatus};

pub use email::{SmtpSecurity, SmtpSender, SmtpSettings};
pub use fetch::{FetchSettings, HttpFetcher, USER_AGENT};
pub use links::{HttpProbe, http_date};
pub use taxii::TaxiiHttp;
pub use trust::{TRUST_MAX_BYTES, TrustHttp};
pub use webhook::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, WebhookSender, signature};

/// The senders the operator configured; a channel left out fails its deliveries plainly.
#[derive(Default)]
pub struct Channels {
    pub email: Option<SmtpSender>,
    pub webhook: Option<WebhookSender>,
}

/// What one round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Failed this time; tried again later.
    pub retrying: u64,
    /// Failed for the last time.
    pub failed: u64,
}

impl DeliveryReport {
    pub fn attempted(&self) -> u64 {
        self.sent + self.retrying + self.failed
    }
}

/// Make ring the process's TLS provider: reqwest and lettre both use rustls and neither
/// brings a provider of its own here. Harmless when one is installed already.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Send up to `limit` deliveries that are due, one after another, and record each outcome.
pub async fn deliver_due(
    platform: &Platform,
    channels: &Channels,
    limit: u32,
) -> DomainResult<DeliveryReport> {
    let due = platform.notifications().claim_due(limit).await?;
    let mut report = DeliveryReport::default();
    for delivery in due {
        let outcome = send(channels, &delivery).await;
        if let Err(error) = &outcome {
            tracing::warn!(
                delivery = delivery.id,
                channel = delivery.channel.code(),
                to = %recipient(&delivery),
                attempt = delivery.attempts + 1,
                %error,
                "notice not delivered"
            );
        }
        let after = platform
            .notifications()
            .record_attempt(&delivery, outcome)
            .await?;
        match after.status {
            DeliveryStatus::Sent => {
                tracing::info!(
                    delivery = delivery.id,
                    channel = delivery.channel.code(),
                    to = %recipient(&delivery),
                    "notice delivered"
                );
                report.sent += 1;
            }
            DeliveryStatus::Pending => report.retrying += 1,
            DeliveryStatus::Failed => report.failed += 1,
        }
    }
    Ok(report)
}

async fn send(channels: &Channels, delivery: &Delivery) -> Result<(), String> {
    match delivery.channel {
        Channel::Email => match &channels.email {
            Some(smtp) => smtp.send(delivery).await,
            None => Err("no SMTP server is configured (notify.smtp_host)".into()),
        },
        Channel::Webhook => match &channels.webhook {
            Some(hook) => hook.send(delivery).await,
            None => Err("no webhook is configured (notify.webhook_url, webhook_secret)".into()),
        },
    }
}

/// Who a delivery goes to, fit for a log line: the address, or only the webhook's host (its
/// URL may carry a token).
fn recipient(delivery: &Delivery) -> String {
    match delivery.channel {
        Channel::Email => delivery.target.clone(),
        Channel::Webhook => reqwest::Url::parse(&delivery.target)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "(invalid URL)".into()),
    }
}
