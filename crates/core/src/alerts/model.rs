//! One alert, whatever sent it: the fields follow the Elastic Common Schema (source.*,
//! destination.*, rule.*, observer.*, threat.technique.id) so that exports and analysts' habits fit.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::observables::Observable;
use crate::time::Timestamp;

/// The format an alert arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Suricata,
    /// Wazuh 4.x `alerts.json`.
    Wazuh,
    /// Wazuh 5.x alerts in the ECS-based Wazuh Common Schema.
    WazuhEcs,
    Cef,
    Syslog5424,
    Syslog3164,
    GenericJson,
}

impl SourceKind {
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Suricata,
        SourceKind::Wazuh,
        SourceKind::WazuhEcs,
        SourceKind::Cef,
        SourceKind::Syslog5424,
        SourceKind::Syslog3164,
        SourceKind::GenericJson,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            SourceKind::Suricata => "suricata",
            SourceKind::Wazuh => "wazuh",
            SourceKind::WazuhEcs => "wazuh-ecs",
            SourceKind::Cef => "cef",
            SourceKind::Syslog5424 => "syslog5424",
            SourceKind::Syslog3164 => "syslog3164",
            SourceKind::GenericJson => "generic-json",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the sensor did with the traffic (ECS `event.type` allowed/denied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Allowed,
    Blocked,
    #[default]
    Unknown,
}

impl Action {
    /// Reads the words sensors use: Suricata `allowed`/`blocked`, CEF `act=` values, firewall verbs.
    pub fn from_word(word: &str) -> Self {
        let w = word.trim().to_ascii_lowercase();
        const BLOCKED: [&str; 10] = [
            "blocked",
            "block",
            "deny",
            "denied",
            "drop",
            "dropped",
            "reject",
            "rejected",
            "prevented",
            "quarantined",
        ];
        const ALLOWED: [&str; 7] = [
            "allowed",
            "allow",
            "accept",
            "accepted",
            "permit",
            "permitted",
            "pass",
        ];
        if BLOCKED.contains(&w.as_str()) {
            Action::Blocked
        } else if ALLOWED.contains(&w.as_str()) {
            Action::Allowed
        } else {
            Action::Unknown
        }
    }
}

/// How a source's own severity number or word is to be read; the raw value is kept as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityScale {
    /// Suricata/Snort classtype priority: 1 is the most severe, 4 the least.
    SuricataPriority,
    /// Wazuh 4.x rule level 0–16.
    WazuhLevel,
    /// Sigma-style words (Wazuh 5.x): informational, low, medium, high, critical.
    SigmaLevel,
    /// CEF: 0–10 or Unknown/Low/Medium/High/Very-High.
    Cef,
    /// Syslog severity 0 (emergency) – 7 (debug).
    Syslog,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NativeSeverity {
    pub scale: SeverityScale,
    /// Exactly what the source said, e.g. `"2"`, `"High"`, `"12"`.
    pub raw: String,
}

impl NativeSeverity {
    pub fn new(scale: SeverityScale, raw: impl Into<String>) -> Self {
        NativeSeverity {
            scale,
            raw: raw.into(),
        }
    }
}

/// A MITRE ATT&CK technique or sub-technique id, e.g. `T1110` or `T1110.001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TechniqueId(String);

impl TryFrom<String> for TechniqueId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TechniqueId::parse(&value)
            .ok_or_else(|| format!("\"{value}\" is not an ATT&CK technique id"))
    }
}

impl From<TechniqueId> for String {
    fn from(value: TechniqueId) -> Self {
        value.0
    }
}

impl TechniqueId {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        let (main, sub) = match text.split_once('.') {
            Some((m, s)) => (m, Some(s)),
            None => (text.as_str(), None),
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let main_ok = main.strip_prefix('T').is_some_and(|d| digits(d, 4));
        let sub_ok = sub.is_none_or(|s| digits(s, 3));
        (main_ok && sub_ok).then_some(TechniqueId(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sensor or system that reported the alert (ECS `observer.*`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Observer {
    /// Sensor or manager name (Suricata `host`, Wazuh manager, CEF `dvchost`).
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub address: Option<IpAddr>,
}

/// One end of the connection (ECS `source.*` / `destination.*`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Endpoint {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    pub host: Option<String>,
    pub user: Option<String>,
}

/// The vendor's own rule, kept as the vendor names it (ECS `rule.*`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VendorRule {
    /// Suricata sid, Wazuh rule id, CEF Device Event Class ID.
    pub id: Option<String>,
    pub rev: Option<u32>,
    /// Suricata signature, Wazuh description, CEF Name.
    pub name: Option<String>,
    /// Suricata classtype description, CEF `cat`, ECS `rule.category`.
    pub category: Option<String>,
    /// Wazuh `rule.groups`, or ECS `event.category` values.
    pub groups: Vec<String>,
    /// ET metadata `signature_severity` (Informational/Minor/Major/Critical) where present.
    pub signature_severity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Same raw event from the same source ⇒ same fingerprint; re-imports add nothing.
    pub fingerprint: Fingerprint,
    pub source_kind: SourceKind,
    /// The configured source this came from, e.g. `suricata-dmz`.
    pub source_name: String,
    pub observed_at: Timestamp,
    /// The time exactly as the source wrote it.
    pub original_time: String,
    /// The source's own id for the event (Wazuh `id`, CEF `externalId`).
    pub source_ref: Option<String>,
    pub observer: Observer,
    pub source: Endpoint,
    pub destination: Endpoint,
    /// ECS `network.transport`, lower case (`tcp`, `udp`, `icmp`).
    pub transport: Option<String>,
    /// ECS `network.protocol` (`http`, `tls`, `dns`…).
    pub app_protocol: Option<String>,
    pub rule: VendorRule,
    pub native_severity: Option<NativeSeverity>,
    pub action: Action,
    /// ATT&CK techniques the record itself names.
    pub techniques: Vec<TechniqueId>,
    /// The monitored host the event is about (Wazuh agent's host, ECS `host.name`).
    pub host_name: Option<String>,
    /// The endpoint agent that reported it (Wazuh `agent.name`).
    pub agent_name: Option<String>,
    /// Suricata's flow id, exact (it is 64-bit and does not survive a float).
    pub flow_id: Option<u64>,
    pub message: Option<String>,
    /// Addresses, domains, URLs and file hashes that threat intelligence can match.
    pub observables: Vec<Observable>,
    /// The record exactly as received.
    pub raw: String,
}

impl Alert {
    /// A blank alert for a parser to fill; fingerprint and time are required up front.
    pub fn new(
        source_kind: SourceKind,
        source_name: &str,
        observed_at: Timestamp,
        original_time: String,
        fingerprint: Fingerprint,
        raw: String,
    ) -> Self {
        Alert {
            fingerprint,
            source_kind,
            source_name: source_name.to_string(),
            observed_at,
            original_time,
            source_ref: None,
            observer: Observer::default(),
            source: Endpoint::default(),
            destination: Endpoint::default(),
            transport: None,
            app_protocol: None,
            rule: VendorRule::default(),
            native_severity: None,
            action: Action::Unknown,
            techniques: Vec::new(),
            host_name: None,
            agent_name: None,
            flow_id: None,
            message: None,
            observables: Vec::new(),
            raw,
        }
    }

    /// The signature's name, else its id: what a person recognises the alert by.
    pub fn signature(&self) -> &str {
        self.rule
            .name
            .as_deref()
            .or(self.rule.id.as_deref())
            .unwrap_or("")
    }

    /// Adds the endpoints' addresses to the observables; parsers call it last.
    pub(crate) fn finish_observables(&mut self) {
        let ips = [self.source.ip, self.destination.ip];
        for ip in ips.into_iter().flatten() {
            self.observables.push(Observable::ip(ip));
        }
        crate::alerts::observables::dedupe(&mut self.observables);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_accepted_only_in_attack_shape() {
        assert_eq!(TechniqueId::parse("T1110").unwrap().as_str(), "T1110");
        assert_eq!(
            TechniqueId::parse("t1110.001").unwrap().as_str(),
            "T1110.001"
        );
        assert!(TechniqueId::parse("T111").is_none());
        assert!(TechniqueId::parse("TA0001").is_none());
        assert!(TechniqueId::parse("T1110.1").is_none());
        let read: Result<TechniqueId, _> = serde_json::from_str("\"T9\"");
        assert!(read.is_err());
    }

    #[test]
    fn sensor_action_words_read_as_allowed_blocked_or_unknown() {
        assert_eq!(Action::from_word("allowed"), Action::Allowed);
        assert_eq!(Action::from_word("Blocked"), Action::Blocked);
        assert_eq!(Action::from_word("deny"), Action::Blocked);
        assert_eq!(Action::from_word("Retrieve password"), Action::Unknown);
    }

    #[test]
    fn source_kinds_round_trip_through_their_names() {
        for kind in SourceKind::ALL {
            assert_eq!(SourceKind::parse(kind.as_str()), Some(kind));
        }
    }
}
