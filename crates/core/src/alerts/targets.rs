//! How critical an alert's target is: the systems an administrator names in the configuration
//! (`[[alerts.targets]]`: a name, address ranges and host-name patterns, and `core` for a
//! 核心資通系統 or `critical` for critical infrastructure or a system holding secrets). The
//! severity score adds points for such a target and names the system in its reason. When the
//! asset register exists it will feed the same directory.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::alerts::agency::{Cidr, glob};
use crate::alerts::model::Alert;
use crate::alerts::severity::Criticality;
use crate::text::Text;

/// One `[[alerts.targets]]` entry as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    /// What people call the system: 市府公文系統, 自來水監控系統.
    pub name: String,
    /// `core` or `critical`.
    pub criticality: String,
    #[serde(default)]
    pub ranges: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// A target the directory found: how critical it is and which system it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownTarget {
    pub criticality: Criticality,
    /// The system's name and the address or host that matched: `市府公文系統 (10.30.0.5)`.
    pub label: String,
}

#[derive(Debug, Clone)]
struct Target {
    name: String,
    criticality: Criticality,
    ranges: Vec<Cidr>,
    hosts: Vec<String>,
}

/// The configured critical systems.
#[derive(Debug, Clone, Default)]
pub struct TargetDirectory {
    targets: Vec<Target>,
}

fn parse_criticality(text: &str) -> Option<Criticality> {
    match text.trim() {
        "core" => Some(Criticality::Core),
        "critical" => Some(Criticality::Critical),
        _ => None,
    }
}

impl TargetDirectory {
    /// Builds the directory from configuration; an error names the entry and what is wrong.
    pub fn from_entries(entries: &[TargetEntry]) -> Result<Self, Text> {
        let mut targets = Vec::new();
        for entry in entries {
            let name = entry.name.trim();
            if name.is_empty() {
                return Err(Text::new(
                    "每個重要系統都需要名稱（name）",
                    "every target needs a name",
                ));
            }
            let criticality = parse_criticality(&entry.criticality).ok_or_else(|| {
                Text::new(
                    format!(
                        "系統「{name}」的重要性「{}」無法辨識：請填 core（核心資通系統）或 critical（關鍵基礎設施或機密系統）",
                        entry.criticality
                    ),
                    format!(
                        "target \"{name}\": criticality \"{}\" is not core or critical",
                        entry.criticality
                    ),
                )
            })?;
            if entry.ranges.is_empty() && entry.hosts.is_empty() {
                return Err(Text::new(
                    format!("系統「{name}」沒有任何位址範圍或主機名稱"),
                    format!("target \"{name}\" has no ranges and no hosts"),
                ));
            }
            let ranges = entry
                .ranges
                .iter()
                .map(|r| {
                    Cidr::parse(r).map_err(|why| {
                        Text::new(
                            format!("系統「{name}」：{}", why.zh),
                            format!("target \"{name}\": {}", why.en),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            targets.push(Target {
                name: name.to_string(),
                criticality,
                ranges,
                hosts: entry
                    .hosts
                    .iter()
                    .map(|h| h.trim().to_lowercase())
                    .collect(),
            });
        }
        Ok(TargetDirectory { targets })
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn by_address(&self, ip: IpAddr) -> Option<&Target> {
        self.targets
            .iter()
            .filter(|t| t.ranges.iter().any(|c| c.contains(ip)))
            .max_by_key(|t| t.criticality as u8)
    }

    fn by_host(&self, host: &str) -> Option<&Target> {
        let host = host.to_lowercase();
        self.targets
            .iter()
            .filter(|t| t.hosts.iter().any(|p| glob(p, &host)))
            .max_by_key(|t| t.criticality as u8)
    }

    /// The most critical configured system the alert is aimed at: its destination address,
    /// its destination host, or the host that reported it (an EDR or HIDS alert is about the
    /// host it runs on). `None`: an ordinary target.
    pub fn resolve(&self, alert: &Alert) -> Option<KnownTarget> {
        if self.targets.is_empty() {
            return None;
        }
        let mut found: Vec<(&Target, String)> = Vec::new();
        if let Some(ip) = alert.destination.ip
            && let Some(t) = self.by_address(ip)
        {
            found.push((t, ip.to_string()));
        }
        for host in [&alert.destination.host, &alert.host_name]
            .into_iter()
            .flatten()
        {
            if let Some(t) = self.by_host(host) {
                found.push((t, host.clone()));
            }
        }
        found
            .into_iter()
            .max_by_key(|(t, _)| t.criticality as u8)
            .map(|(t, matched)| KnownTarget {
                criticality: t.criticality,
                label: format!("{} ({matched})", t.name),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::fingerprint::Fingerprint;
    use crate::alerts::model::{Endpoint, SourceKind};
    use crate::time::Timestamp;

    fn alert(dest: Option<&str>, host: Option<&str>) -> Alert {
        let mut a = Alert::new(
            SourceKind::Suricata,
            "ids",
            Timestamp::parse_rfc3339("2024-05-01T00:00:00Z").unwrap(),
            "2024-05-01T08:00:00+0800".into(),
            Fingerprint::of_text("ids", "x"),
            "{}".into(),
        );
        a.destination = Endpoint {
            ip: dest.map(|d| d.parse().unwrap()),
            ..Endpoint::default()
        };
        a.host_name = host.map(str::to_string);
        a
    }

    fn directory() -> TargetDirectory {
        TargetDirectory::from_entries(&[
            TargetEntry {
                name: "市府公文系統".into(),
                criticality: "core".into(),
                ranges: vec!["10.30.0.0/24".into()],
                hosts: vec!["doc-*.city.example".into()],
            },
            TargetEntry {
                name: "自來水監控系統".into(),
                criticality: "critical".into(),
                ranges: vec!["10.30.0.128/25".into()],
                hosts: vec![],
            },
        ])
        .unwrap()
    }

    #[test]
    fn the_most_critical_matching_system_wins_and_is_named() {
        let d = directory();
        assert_eq!(d.resolve(&alert(Some("10.31.0.5"), None)), None);
        let core = d.resolve(&alert(Some("10.30.0.5"), None)).unwrap();
        assert_eq!(core.criticality, Criticality::Core);
        assert_eq!(core.label, "市府公文系統 (10.30.0.5)");
        let critical = d.resolve(&alert(Some("10.30.0.200"), None)).unwrap();
        assert_eq!(critical.criticality, Criticality::Critical);
        assert_eq!(critical.label, "自來水監控系統 (10.30.0.200)");
        let by_host = d
            .resolve(&alert(None, Some("DOC-01.city.example")))
            .unwrap();
        assert_eq!(by_host.label, "市府公文系統 (DOC-01.city.example)");
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let bad = |e: TargetEntry| TargetDirectory::from_entries(&[e]).unwrap_err().en;
        let base = TargetEntry {
            name: "x".into(),
            criticality: "core".into(),
            ranges: vec!["10.0.0.0/8".into()],
            hosts: vec![],
        };
        assert!(
            bad(TargetEntry {
                criticality: "vital".into(),
                ..base.clone()
            })
            .contains("not core or critical")
        );
        assert!(
            bad(TargetEntry {
                ranges: vec!["10.0.0.0/40".into()],
                ..base.clone()
            })
            .contains("target \"x\"")
        );
        assert!(
            bad(TargetEntry {
                ranges: vec![],
                ..base.clone()
            })
            .contains("no ranges")
        );
        assert!(
            bad(TargetEntry {
                name: " ".into(),
                ..base
            })
            .contains("needs a name")
        );
    }
}
