//! A configured alert source: its name (part of every fingerprint), its format, and the zone its
//! clocks write in when a time carries no offset.

use serde::{Deserialize, Serialize};
use time::UtcOffset;

use crate::alerts::model::{SeverityScale, SourceKind};
use crate::text::Text;
use crate::time::TAIPEI;

/// `suricata-dmz`, `wazuh-city-hall`: 1–64 of a–z, 0–9, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SourceName(String);

impl SourceName {
    pub fn parse(text: &str) -> Result<Self, Text> {
        let ok = (1..=64).contains(&text.len())
            && text.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
            });
        if ok {
            Ok(SourceName(text.to_string()))
        } else {
            Err(Text::new(
                format!("來源名稱「{text}」須為 1 至 64 個小寫英數字或 - _ . 符號"),
                format!(
                    "source name \"{text}\" must be 1–64 lower-case letters, digits, '-', '_' or '.'"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        SourceName::parse(&value).map_err(|t| t.en)
    }
}

impl From<SourceName> for String {
    fn from(value: SourceName) -> Self {
        value.0
    }
}

/// Where, in a generic JSON record, each alert field is found. Paths are dotted
/// (`event.src.ip`); a key that itself contains dots (`source.ip` written flat) is found too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericMapping {
    pub time: String,
    pub source_ip: Option<String>,
    pub source_port: Option<String>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<String>,
    pub transport: Option<String>,
    pub app_protocol: Option<String>,
    pub rule_id: Option<String>,
    pub rule_name: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    /// How to read the severity; without it the value is kept but not scored.
    pub severity_scale: Option<SeverityScale>,
    pub action: Option<String>,
    pub host_name: Option<String>,
    pub agent_name: Option<String>,
    pub sensor: Option<String>,
    pub technique: Option<String>,
    pub message: Option<String>,
    pub source_ref: Option<String>,
    pub url: Option<String>,
    pub domain: Option<String>,
    pub file_hash: Option<String>,
}

/// The format, with what that format needs to be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFormat {
    Suricata,
    Wazuh,
    WazuhEcs,
    Cef,
    Syslog5424,
    Syslog3164,
    GenericJson(Box<GenericMapping>),
}

impl SourceFormat {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceFormat::Suricata => SourceKind::Suricata,
            SourceFormat::Wazuh => SourceKind::Wazuh,
            SourceFormat::WazuhEcs => SourceKind::WazuhEcs,
            SourceFormat::Cef => SourceKind::Cef,
            SourceFormat::Syslog5424 => SourceKind::Syslog5424,
            SourceFormat::Syslog3164 => SourceKind::Syslog3164,
            SourceFormat::GenericJson(_) => SourceKind::GenericJson,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    pub name: SourceName,
    pub format: SourceFormat,
    /// The zone for times written without an offset (Suricata without `-0600`, BSD syslog).
    /// Taipei unless configured: a fixed +08:00, Taiwan has no daylight saving.
    pub default_offset: UtcOffset,
}

impl SourceConfig {
    pub fn new(name: SourceName, format: SourceFormat) -> Self {
        SourceConfig {
            name,
            format,
            default_offset: TAIPEI,
        }
    }

    pub fn with_offset(mut self, offset: UtcOffset) -> Self {
        self.default_offset = offset;
        self
    }

    pub fn kind(&self) -> SourceKind {
        self.format.kind()
    }
}
