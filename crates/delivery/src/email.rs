//! E-mail through the city's SMTP server: plain text, UTF-8, base64 so that Chinese survives
//! every relay; STARTTLS or implicit TLS verified against the system's trust store.

use std::fmt;
use std::time::Duration;

use civitas_core::notify::{Delivery, EmailMessage};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same machine or a trusted network.
    None,
    /// Upgrade with STARTTLS, refusing servers that do not offer it (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl SmtpSecurity {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    /// `civitas <civitas@tycg.gov.tw>` or a bare address.
    pub from: String,
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .field("from", &self.from)
            .finish()
    }
}

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        crate::install_tls_provider();
        let from: Mailbox = settings.from.parse().map_err(|e| {
            format!(
                "notify.from_address '{}' is not an e-mail address: {e}",
                settings.from
            )
        })?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_string())
                .map_err(|e| format!("TLS for {host} cannot be set up: {e}"))
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(settings.timeout));
        builder = match settings.security {
            SmtpSecurity::None => builder.tls(Tls::None),
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls(&settings.host)?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls(&settings.host)?)),
        };
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.clone(),
            ));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from,
        })
    }

    pub async fn send(&self, delivery: &Delivery) -> Result<(), String> {
        let message: EmailMessage = serde_json::from_str(&delivery.payload)
            .map_err(|e| format!("the queued e-mail cannot be read: {e}"))?;
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e| format!("'{}' is not an e-mail address: {e}", message.to))?;
        let domain = self.from.email.domain().to_string();
        let body = Body::new_with_encoding(message.body, ContentTransferEncoding::Base64)
            .map_err(|_| "the e-mail body cannot be encoded".to_string())?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            // The same id on every retry, so a server that did receive it can drop the copy.
            .message_id(Some(format!(
                "<civitas.{}.{}@{domain}>",
                delivery.id,
                delivery.created_at.as_millis()
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("the e-mail cannot be built: {e}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
