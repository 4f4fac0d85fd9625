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

    /// From configuration text: a name, a kind (`suricata`, `wazuh`, `wazuh-ecs`, `cef`,
    /// `syslog5424`, `syslog3164`, `generic-json`), an optional zone (`+08:00`, `-0600`, `UTC`;
    /// Taipei when absent) and, for generic JSON only, the field mapping.
    pub fn from_settings(
        name: &str,
        kind: &str,
        zone: Option<&str>,
        mapping: Option<GenericMapping>,
    ) -> Result<Self, Text> {
        let name = SourceName::parse(name)?;
        let kind = SourceKind::parse(kind).ok_or_else(|| {
            let known = SourceKind::ALL.map(|k| k.as_str()).join(", ");
            Text::new(
                format!(
                    "來源「{}」的格式「{kind}」不明；可用：{known}",
                    name.as_str()
                ),
                format!(
                    "source \"{}\": unknown format \"{kind}\"; use one of {known}",
                    name.as_str()
                ),
            )
        })?;
        let format = match (kind, mapping) {
            (SourceKind::GenericJson, Some(m)) => SourceFormat::GenericJson(Box::new(m)),
            (SourceKind::GenericJson, None) => {
                return Err(Text::new(
                    format!(
                        "來源「{}」為 generic-json，須設定欄位對應（至少 time）",
                        name.as_str()
                    ),
                    format!(
                        "source \"{}\" is generic-json and needs a field mapping (at least time)",
                        name.as_str()
                    ),
                ));
            }
            (_, Some(_)) => {
                return Err(Text::new(
                    format!(
                        "來源「{}」不是 generic-json，不可設定欄位對應",
                        name.as_str()
                    ),
                    format!(
                        "source \"{}\" is not generic-json: a field mapping does not apply",
                        name.as_str()
                    ),
                ));
            }
            (SourceKind::Suricata, None) => SourceFormat::Suricata,
            (SourceKind::Wazuh, None) => SourceFormat::Wazuh,
            (SourceKind::WazuhEcs, None) => SourceFormat::WazuhEcs,
            (SourceKind::Cef, None) => SourceFormat::Cef,
            (SourceKind::Syslog5424, None) => SourceFormat::Syslog5424,
            (SourceKind::Syslog3164, None) => SourceFormat::Syslog3164,
        };
        let offset = match zone {
            None => TAIPEI,
            Some(z) => parse_zone(z).ok_or_else(|| {
                Text::new(
                    format!(
                        "來源「{}」的時區「{z}」無法辨識：請寫 +08:00、-0600 或 UTC",
                        name.as_str()
                    ),
                    format!(
                        "source \"{}\": zone \"{z}\" not understood; write +08:00, -0600 or UTC",
                        name.as_str()
                    ),
                )
            })?,
        };
        Ok(SourceConfig::new(name, format).with_offset(offset))
    }
}

/// `UTC`, `Z`, `+08:00`, `+0800`, `-06`. Named zones other than UTC are refused: civitas carries
/// no zone database, and Taiwan's own zone is a fixed +08:00.
fn parse_zone(text: &str) -> Option<UtcOffset> {
    let t = text.trim();
    if ["utc", "z", "gmt"].contains(&t.to_ascii_lowercase().as_str()) {
        return Some(UtcOffset::UTC);
    }
    if t.eq_ignore_ascii_case("Asia/Taipei") {
        return Some(TAIPEI);
    }
    crate::alerts::event_time::offset_from(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_configured_from_text_with_its_zone() {
        let s = SourceConfig::from_settings("ids-dmz", "suricata", Some("-0600"), None).unwrap();
        assert_eq!(s.kind(), SourceKind::Suricata);
        assert_eq!(s.default_offset, UtcOffset::from_hms(-6, 0, 0).unwrap());
        let t = SourceConfig::from_settings("fw", "syslog3164", None, None).unwrap();
        assert_eq!(t.default_offset, TAIPEI);
        for (zone, hours) in [("UTC", 0), ("+08:00", 8), ("Asia/Taipei", 8), ("+0530", 5)] {
            let s = SourceConfig::from_settings("x", "cef", Some(zone), None).unwrap();
            assert_eq!(s.default_offset.whole_hours(), hours, "{zone}");
        }
    }

    #[test]
    fn a_bad_source_setting_is_refused_saying_which_source_and_why() {
        let err = |r: Result<SourceConfig, Text>| r.unwrap_err().en;
        assert!(
            err(SourceConfig::from_settings("Bad Name", "cef", None, None)).contains("lower-case")
        );
        assert!(
            err(SourceConfig::from_settings("x", "snort", None, None)).contains("unknown format")
        );
        assert!(
            err(SourceConfig::from_settings("x", "generic-json", None, None)).contains("mapping")
        );
        let mapping = GenericMapping {
            time: "t".into(),
            ..GenericMapping::default()
        };
        assert!(
            err(SourceConfig::from_settings("x", "cef", None, Some(mapping)))
                .contains("does not apply")
        );
        assert!(
            err(SourceConfig::from_settings(
                "x",
                "cef",
                Some("Europe/Paris"),
                None
            ))
            .contains("zone")
        );
    }
}
