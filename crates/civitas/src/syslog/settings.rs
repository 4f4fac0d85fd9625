//! `[[alerts.listeners]]`: which source a listener feeds, over which protocol and address,
//! with its limits; checked when the configuration is read, the certificate when it is bound.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use civitas_core::alerts::{SourceConfig, SourceKind};
use serde::{Deserialize, Serialize};

use crate::alerts::AlertsSettings;

/// One `[[alerts.listeners]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ListenerSettings {
    /// The `[[alerts.sources]]` whose format the messages are in.
    pub source: String,
    /// udp, tcp or tls.
    pub protocol: String,
    pub bind: String,
    /// For tls: the certificate chain and the private key, PEM.
    pub cert_file: String,
    pub key_file: String,
    /// Longer messages are refused with the reason.
    pub max_message_bytes: usize,
    /// A batch is imported when it holds this many messages, or after `flush_interval_ms`.
    pub batch_messages: usize,
    pub flush_interval_ms: u64,
    /// Messages waiting for the importer; when full, UDP drops (and counts) and TCP waits.
    pub queue_messages: usize,
}

impl Default for ListenerSettings {
    fn default() -> Self {
        ListenerSettings {
            source: String::new(),
            protocol: String::new(),
            bind: String::new(),
            cert_file: String::new(),
            key_file: String::new(),
            max_message_bytes: 64 * 1024,
            batch_messages: 5_000,
            flush_interval_ms: 1_000,
            queue_messages: 20_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Udp,
    Tcp,
    Tls,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
        }
    }
}

/// A listener as configured and checked: everything but the socket.
#[derive(Debug, Clone)]
pub struct ListenerPlan {
    pub source: SourceConfig,
    pub protocol: Protocol,
    pub bind: SocketAddr,
    /// Certificate and key files, for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub max_message_bytes: usize,
    pub batch_messages: usize,
    pub flush_interval: Duration,
    pub queue_messages: usize,
}

/// The formats a listener carries: one record a line.
const LINE_KINDS: [SourceKind; 3] = [
    SourceKind::Cef,
    SourceKind::Syslog5424,
    SourceKind::Syslog3164,
];

impl ListenerSettings {
    fn plan(&self, index: usize, sources: &[SourceConfig]) -> Result<ListenerPlan, String> {
        let at = format!("alerts.listeners[{index}]");
        let name = self.source.trim();
        let source = sources
            .iter()
            .find(|s| s.name.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
                format!(
                    "{at}: the source \"{name}\" is not configured under [[alerts.sources]] (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })?;
        if !LINE_KINDS.contains(&source.kind()) {
            return Err(format!(
                "{at}: the source \"{name}\" is {}; a syslog listener carries cef, syslog5424 or syslog3164 sources",
                source.kind()
            ));
        }
        let protocol = match self.protocol.trim() {
            "udp" => Protocol::Udp,
            "tcp" => Protocol::Tcp,
            "tls" => Protocol::Tls,
            other => {
                return Err(format!(
                    "{at}: protocol \"{other}\" is not \"udp\", \"tcp\" or \"tls\""
                ));
            }
        };
        let bind: SocketAddr = self.bind.trim().parse().map_err(|_| {
            format!(
                "{at}: bind \"{}\" is not an address with a port such as \"0.0.0.0:514\" or \"[::]:6514\"",
                self.bind
            )
        })?;
        let cert = self.cert_file.trim();
        let key = self.key_file.trim();
        let tls = match protocol {
            Protocol::Tls if cert.is_empty() || key.is_empty() => {
                return Err(format!(
                    "{at}: protocol \"tls\" needs cert_file and key_file (PEM)"
                ));
            }
            Protocol::Tls => Some((PathBuf::from(cert), PathBuf::from(key))),
            _ if !cert.is_empty() || !key.is_empty() => {
                return Err(format!(
                    "{at}: cert_file and key_file are only for protocol \"tls\", not \"{}\"",
                    protocol.as_str()
                ));
            }
            _ => None,
        };
        if self.max_message_bytes < 480 {
            // RFC 5424 §6.1: every receiver takes messages of 480 octets.
            return Err(format!(
                "{at}: max_message_bytes {} is below the 480 bytes every syslog receiver must accept",
                self.max_message_bytes
            ));
        }
        if self.max_message_bytes > civitas_core::alerts::MAX_RECORD_BYTES {
            return Err(format!(
                "{at}: max_message_bytes {} is over the {}-byte limit of one alert record",
                self.max_message_bytes,
                civitas_core::alerts::MAX_RECORD_BYTES
            ));
        }
        if self.batch_messages == 0 || self.queue_messages == 0 || self.flush_interval_ms == 0 {
            return Err(format!(
                "{at}: batch_messages, queue_messages and flush_interval_ms must be above 0"
            ));
        }
        Ok(ListenerPlan {
            source: source.clone(),
            protocol,
            bind,
            tls,
            max_message_bytes: self.max_message_bytes,
            batch_messages: self.batch_messages,
            flush_interval: Duration::from_millis(self.flush_interval_ms),
            queue_messages: self.queue_messages,
        })
    }
}

/// Every configured listener, checked against the sources; two on one address and protocol
/// are refused here rather than by the second bind.
pub fn plans(alerts: &AlertsSettings) -> Result<Vec<ListenerPlan>, String> {
    if alerts.listeners.is_empty() {
        return Ok(Vec::new());
    }
    let sources = alerts.domain()?.sources;
    let mut out: Vec<ListenerPlan> = Vec::new();
    for (index, entry) in alerts.listeners.iter().enumerate() {
        let plan = entry.plan(index, &sources)?;
        let udp = plan.protocol == Protocol::Udp;
        // Port 0 (any free port, for tests) never clashes.
        if plan.bind.port() != 0
            && out
                .iter()
                .any(|o| o.bind == plan.bind && (o.protocol == Protocol::Udp) == udp)
        {
            return Err(format!(
                "alerts.listeners[{index}]: {} {} is already used by another listener",
                if udp { "udp" } else { "tcp" },
                plan.bind
            ));
        }
        out.push(plan);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::AlertSourceSettings;

    fn alerts(listener: ListenerSettings) -> AlertsSettings {
        AlertsSettings {
            sources: vec![
                AlertSourceSettings {
                    name: "fw-cef".into(),
                    kind: "cef".into(),
                    ..AlertSourceSettings::default()
                },
                AlertSourceSettings {
                    name: "ids".into(),
                    kind: "suricata".into(),
                    ..AlertSourceSettings::default()
                },
            ],
            listeners: vec![listener],
            ..AlertsSettings::default()
        }
    }

    fn listener(source: &str, protocol: &str, bind: &str) -> ListenerSettings {
        ListenerSettings {
            source: source.into(),
            protocol: protocol.into(),
            bind: bind.into(),
            ..ListenerSettings::default()
        }
    }

    #[test]
    fn a_listener_names_a_configured_line_source_a_protocol_and_an_address() {
        let plan = plans(&alerts(listener("fw-cef", "udp", "127.0.0.1:5514"))).unwrap();
        assert_eq!(plan[0].protocol, Protocol::Udp);
        assert_eq!(plan[0].max_message_bytes, 65_536);
        let err = plans(&alerts(listener("nowhere", "udp", "127.0.0.1:5514"))).unwrap_err();
        assert!(
            err.contains("\"nowhere\" is not configured") && err.contains("fw-cef"),
            "{err}"
        );
        let err = plans(&alerts(listener("ids", "tcp", "127.0.0.1:5514"))).unwrap_err();
        assert!(err.contains("suricata"), "{err}");
        let err = plans(&alerts(listener("fw-cef", "http", "127.0.0.1:5514"))).unwrap_err();
        assert!(err.contains("\"http\""), "{err}");
        let err = plans(&alerts(listener("fw-cef", "tcp", "localhost"))).unwrap_err();
        assert!(err.contains("with a port"), "{err}");
    }

    #[test]
    fn tls_needs_its_certificate_and_key_and_only_tls_takes_them() {
        let err = plans(&alerts(listener("fw-cef", "tls", "127.0.0.1:6514"))).unwrap_err();
        assert!(err.contains("cert_file and key_file"), "{err}");
        let mut udp = listener("fw-cef", "udp", "127.0.0.1:514");
        udp.cert_file = "/etc/civitas/cert.pem".into();
        let err = plans(&alerts(udp)).unwrap_err();
        assert!(err.contains("only for protocol \"tls\""), "{err}");
    }

    #[test]
    fn two_listeners_on_one_port_are_refused_but_udp_and_tcp_may_share_it() {
        let mut settings = alerts(listener("fw-cef", "udp", "127.0.0.1:5514"));
        settings
            .listeners
            .push(listener("fw-cef", "tcp", "127.0.0.1:5514"));
        assert_eq!(plans(&settings).unwrap().len(), 2);
        let mut tls = listener("fw-cef", "tls", "127.0.0.1:5514");
        tls.cert_file = "cert.pem".into();
        tls.key_file = "key.pem".into();
        settings.listeners.push(tls);
        let err = plans(&settings).unwrap_err();
        assert!(
            err.contains("listeners[2]") && err.contains("already used"),
            "{err}"
        );
    }
}
