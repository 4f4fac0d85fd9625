//! The `[notify]` settings: which channels carry stewards' notices beyond the platform, the
//! senders built from them, and the job that drains the outbox every 30 seconds.

use std::time::Duration;

use anyhow::bail;
use civitas_core::notify::NotifyPolicy;
use civitas_delivery::{Channels, SmtpSecurity, SmtpSender, SmtpSettings, WebhookSender};
use civitas_web::AppState;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Secret, Settings};

/// How often the outbox is looked at, and how much is sent in one go: few enough that a
/// round with slow servers (30 s each at worst) ends before its 10-minute lease does.
const EVERY: Duration = Duration::from_secs(30);
const BATCH: u32 = 20;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurityKey {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// Empty: no e-mail.
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurityKey,
    pub smtp_username: String,
    pub smtp_password: Secret,
    pub from_address: String,
    /// Empty: no webhook.
    pub webhook_url: String,
    pub webhook_secret: Secret,
    pub due_soon_notices: bool,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_security: SmtpSecurityKey::Starttls,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            from_address: String::new(),
            webhook_url: String::new(),
            webhook_secret: Secret::default(),
            due_soon_notices: true,
        }
    }
}

impl NotifySettings {
    fn email_on(&self) -> bool {
        !self.smtp_host.trim().is_empty()
    }

    fn webhook_on(&self) -> bool {
        !self.webhook_url.trim().is_empty()
    }

    /// What the domain queues: only for channels that are configured.
    pub fn policy(&self, public_base: &str) -> NotifyPolicy {
        NotifyPolicy {
            email: self.email_on(),
            webhook_url: (self.webhook_on() && !self.webhook_secret.is_empty())
                .then(|| self.webhook_url.trim().to_string()),
            due_soon_notices: self.due_soon_notices,
            public_base: public_base.to_string(),
        }
    }

    /// The senders, or why the settings cannot work (checked before the server starts).
    pub fn channels(&self) -> anyhow::Result<Channels> {
        let mut channels = Channels::default();
        if self.email_on() {
            if self.from_address.trim().is_empty() {
                bail!(
                    "notify.smtp_host is set but notify.from_address is empty: say who e-mails come from"
                );
            }
            let settings = SmtpSettings {
                host: self.smtp_host.trim().to_string(),
                port: self.smtp_port,
                security: match self.smtp_security {
                    SmtpSecurityKey::None => SmtpSecurity::None,
                    SmtpSecurityKey::Starttls => SmtpSecurity::StartTls,
                    SmtpSecurityKey::Tls => SmtpSecurity::Tls,
                },
                username: self.smtp_username.clone(),
                password: self.smtp_password.expose().to_string(),
                from: self.from_address.trim().to_string(),
                timeout: Duration::from_secs(30),
            };
            channels.email = Some(SmtpSender::new(&settings).map_err(anyhow::Error::msg)?);
        }
        if self.webhook_on() {
            let url = self.webhook_url.trim();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("notify.webhook_url must start with https:// (or http://)");
            }
            if self.webhook_secret.is_empty() {
                bail!(
                    "notify.webhook_url is set but notify.webhook_secret is empty: calls are signed with it"
                );
            }
            channels.webhook = Some(
                WebhookSender::new(self.webhook_secret.expose(), Duration::from_secs(15))
                    .map_err(anyhow::Error::msg)?,
            );
        }
        Ok(channels)
    }
}

/// The public address used in links, as the web layer computes it.
pub fn policy(settings: &Settings) -> NotifyPolicy {
    settings.notify.policy(&settings.web().public_base)
}

/// Every 30 seconds, send what is due; failures wait their turn (1, 5, 30 minutes).
pub fn start_delivery_job(
    state: &AppState,
    channels: Channels,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) {
    let state = state.clone();
    let cancel = cancel.clone();
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {
                    match civitas_delivery::deliver_due(&state.platform, &channels, BATCH).await {
                        Ok(r) if r.attempted() > 0 => tracing::info!(
                            sent = r.sent, retrying = r.retrying, failed = r.failed,
                            "notices delivered"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "delivering notices failed"),
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        serde_json::from_value(serde_json::json!(text)).unwrap()
    }

    #[test]
    fn nothing_leaves_the_platform_unless_configured() {
        let s = NotifySettings::default();
        let p = s.policy("https://civitas.example");
        assert!(!p.email);
        assert_eq!(p.webhook_url, None);
        assert!(p.due_soon_notices);
        let c = s.channels().unwrap();
        assert!(c.email.is_none() && c.webhook.is_none());
    }

    #[test]
    fn half_configured_channels_are_refused_with_the_key_to_fix() {
        let s = NotifySettings {
            smtp_host: "mail.tycg.gov.tw".into(),
            ..NotifySettings::default()
        };
        let err = s.channels().err().unwrap().to_string();
        assert!(err.contains("from_address"), "{err}");
        let s = NotifySettings {
            webhook_url: "https://hooks.tycg.gov.tw/civitas".into(),
            ..NotifySettings::default()
        };
        let err = s.channels().err().unwrap().to_string();
        assert!(err.contains("webhook_secret"), "{err}");
        assert_eq!(s.policy("").webhook_url, None, "never queued unsigned");
        let s = NotifySettings {
            webhook_url: "ftp://hooks".into(),
            webhook_secret: secret("s3cret"),
            ..NotifySettings::default()
        };
        assert!(s.channels().is_err());
    }

    #[test]
    fn a_complete_configuration_builds_both_senders() {
        let s = NotifySettings {
            smtp_host: "mail.tycg.gov.tw".into(),
            smtp_security: SmtpSecurityKey::Tls,
            smtp_port: 465,
            smtp_username: "civitas".into(),
            smtp_password: secret("mail pass"),
            from_address: "civitas <civitas@tycg.gov.tw>".into(),
            webhook_url: "https://hooks.tycg.gov.tw/civitas".into(),
            webhook_secret: secret("s3cret"),
            due_soon_notices: false,
        };
        let c = s.channels().unwrap();
        assert!(c.email.is_some() && c.webhook.is_some());
        let p = s.policy("https://civitas.tycg.gov.tw");
        assert!(p.email && !p.due_soon_notices);
        assert_eq!(
            p.webhook_url.as_deref(),
            Some("https://hooks.tycg.gov.tw/civitas")
        );
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("mail pass") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
