//! Which agency an alert concerns: the monitored host's agent name, its host name, or the address
//! ranges each agency holds (IPv4 and IPv6, longest prefix wins). The target decides: the
//! destination of inbound traffic; the city-side source only when the destination is not the city's.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::alerts::model::Alert;
use crate::text::Text;

/// An address range such as `10.20.0.0/16` or `2001:db8:1::/48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Self, Text> {
        let bad = || {
            Text::new(
                format!("「{text}」不是位址範圍（例如 10.20.0.0/16 或 2001:db8::/48）"),
                format!("\"{text}\" is not an address range (e.g. 10.20.0.0/16 or 2001:db8::/48)"),
            )
        };
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let network: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        if mask(network, prefix) != network {
            return Err(Text::new(
                format!(
                    "「{text}」的主機位元不為零：請寫成 {}/{prefix}",
                    mask(network, prefix)
                ),
                format!(
                    "\"{text}\" has host bits set: write it as {}/{prefix}",
                    mask(network, prefix)
                ),
            ));
        }
        Ok(Cidr { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The address with every bit after `prefix` cleared.
pub(crate) fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let keep = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4((bits & keep).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let keep = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6((bits & keep).into())
        }
    }
}

/// How an alert was placed, for the analyst who asks why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum ResolvedBy {
    AgentName { agent: String },
    HostName { host: String, pattern: String },
    DestinationAddress { ip: IpAddr, range: String },
    SourceAddress { ip: IpAddr, range: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyResolution {
    pub agency: Option<AgencyCode>,
    pub via: Option<ResolvedBy>,
    pub reason: Text,
}

/// One agency's entries as an administrator writes them in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyEntry {
    pub agency: String,
    #[serde(default)]
    pub ranges: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub agents: Vec<String>,
}

/// The configured map from ranges, host-name patterns and agent names to agencies.
#[derive(Debug, Clone, Default)]
pub struct AgencyDirectory {
    ranges: Vec<(Cidr, AgencyCode)>,
    hosts: Vec<(String, AgencyCode)>,
    agents: HashMap<String, AgencyCode>,
}

impl AgencyDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the directory from configuration; an error names the agency and the entry.
    pub fn from_entries(entries: &[AgencyEntry]) -> Result<Self, Text> {
        let mut directory = AgencyDirectory::new();
        for entry in entries {
            let code = AgencyCode::parse(&entry.agency).map_err(|_| {
                Text::new(
                    format!("「{}」不是機關代碼", entry.agency),
                    format!("\"{}\" is not an agency code", entry.agency),
                )
            })?;
            for range in &entry.ranges {
                directory.add_range(range, code.clone()).map_err(|why| {
                    Text::new(
                        format!("機關 {}：{}", entry.agency, why.zh),
                        format!("agency {}: {}", entry.agency, why.en),
                    )
                })?;
            }
            for host in &entry.hosts {
                directory.add_host_pattern(host, code.clone());
            }
            for agent in &entry.agents {
                directory.add_agent(agent, code.clone());
            }
        }
        Ok(directory)
    }

    /// A range may belong to one agency only; a narrower range inside it may belong to another.
    pub fn add_range(&mut self, cidr: &str, agency: AgencyCode) -> Result<(), Text> {
        let cidr = Cidr::parse(cidr)?;
        if let Some((_, other)) = self.ranges.iter().find(|(c, a)| *c == cidr && *a != agency) {
            return Err(Text::new(
                format!("範圍 {cidr} 已屬於 {}", other.as_str()),
                format!("the range {cidr} already belongs to {}", other.as_str()),
            ));
        }
        self.ranges.push((cidr, agency));
        Ok(())
    }

    /// `web-01.culture.example`, `*.culture.example`, `cul-*`: `*` stands for any characters.
    pub fn add_host_pattern(&mut self, pattern: &str, agency: AgencyCode) {
        self.hosts.push((pattern.trim().to_lowercase(), agency));
    }

    pub fn add_agent(&mut self, agent: &str, agency: AgencyCode) {
        self.agents.insert(agent.trim().to_lowercase(), agency);
    }

    fn by_address(&self, ip: IpAddr) -> Option<(&Cidr, &AgencyCode)> {
        self.ranges
            .iter()
            .filter(|(c, _)| c.contains(ip))
            .max_by_key(|(c, _)| c.prefix)
            .map(|(c, a)| (c, a))
    }

    fn by_host(&self, host: &str) -> Option<(&str, &AgencyCode)> {
        let host = host.to_lowercase();
        // The most specific pattern (fewest wildcards, then longest) wins.
        self.hosts
            .iter()
            .filter(|(p, _)| glob(p, &host))
            .max_by_key(|(p, _)| (usize::MAX - p.matches('*').count(), p.len()))
            .map(|(p, a)| (p.as_str(), a))
    }

    pub fn resolve(&self, alert: &Alert) -> AgencyResolution {
        let found =
            |agency: &AgencyCode, via: ResolvedBy, zh: String, en: String| AgencyResolution {
                agency: Some(agency.clone()),
                via: Some(via),
                reason: Text::new(zh, en),
            };
        if let Some(agent) = &alert.agent_name
            && let Some(a) = self.agents.get(&agent.to_lowercase())
        {
            return found(
                a,
                ResolvedBy::AgentName {
                    agent: agent.clone(),
                },
                format!("代理程式 {agent} 屬於 {}", a.as_str()),
                format!("agent {agent} belongs to {}", a.as_str()),
            );
        }
        for host in [&alert.host_name, &alert.destination.host]
            .into_iter()
            .flatten()
        {
            if let Some((pattern, a)) = self.by_host(host) {
                return found(
                    a,
                    ResolvedBy::HostName {
                        host: host.clone(),
                        pattern: pattern.to_string(),
                    },
                    format!("主機 {host} 符合 {pattern}，屬於 {}", a.as_str()),
                    format!(
                        "host {host} matches {pattern}, which belongs to {}",
                        a.as_str()
                    ),
                );
            }
        }
        if let Some(ip) = alert.destination.ip
            && let Some((range, a)) = self.by_address(ip)
        {
            return found(
                a,
                ResolvedBy::DestinationAddress {
                    ip,
                    range: range.to_string(),
                },
                format!("目的位址 {ip} 在 {range}（{}）", a.as_str()),
                format!("destination {ip} is in {range} ({})", a.as_str()),
            );
        }
        if let Some(ip) = alert.source.ip
            && let Some((range, a)) = self.by_address(ip)
        {
            return found(
                a,
                ResolvedBy::SourceAddress {
                    ip,
                    range: range.to_string(),
                },
                format!(
                    "目的位址不屬本市；來源位址 {ip} 在 {range}（{}），為對外連線",
                    a.as_str()
                ),
                format!(
                    "the destination is not the city's; source {ip} is in {range} ({}): outbound traffic",
                    a.as_str()
                ),
            );
        }
        let tried = [
            alert.agent_name.as_ref().map(|a| format!("agent {a}")),
            alert.host_name.as_ref().map(|h| format!("host {h}")),
            alert.destination.ip.map(|ip| format!("destination {ip}")),
            alert.source.ip.map(|ip| format!("source {ip}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let tried = if tried.is_empty() {
            "—".to_string()
        } else {
            tried
        };
        AgencyResolution {
            agency: None,
            via: None,
            reason: Text::new(
                format!("無法判定機關：{tried} 都不在已設定的範圍、主機名稱或代理程式中"),
                format!(
                    "no agency: none of {tried} is in a configured range, host pattern or agent list"
                ),
            ),
        }
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(x) => x,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = remaining.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::fingerprint::Fingerprint;
    use crate::alerts::model::SourceKind;
    use crate::time::Timestamp;

    fn code(c: &str) -> AgencyCode {
        AgencyCode::parse(c).unwrap()
    }

    fn alert(src: &str, dst: &str) -> Alert {
        let mut a = Alert::new(
            SourceKind::Suricata,
            "s",
            Timestamp::from_millis(0).unwrap(),
            "0".into(),
            Fingerprint::of_text("s", "x"),
            String::new(),
        );
        a.source.ip = src.parse().ok();
        a.destination.ip = dst.parse().ok();
        a
    }

    fn directory() -> AgencyDirectory {
        let mut d = AgencyDirectory::new();
        d.add_range("10.20.0.0/16", code("CITY-IT")).unwrap();
        d.add_range("10.20.30.0/24", code("CULTURE")).unwrap();
        d.add_range("2001:db8:30::/48", code("CULTURE")).unwrap();
        d.add_host_pattern("*.culture.example", code("CULTURE"));
        d.add_host_pattern("www.police.example", code("POLICE"));
        d.add_agent("web-01", code("HEALTH"));
        d
    }

    #[test]
    fn inbound_traffic_belongs_to_the_agency_of_its_destination_longest_prefix_first() {
        let r = directory().resolve(&alert("203.0.113.9", "10.20.30.40"));
        assert_eq!(r.agency, Some(code("CULTURE")));
        assert!(matches!(r.via, Some(ResolvedBy::DestinationAddress { .. })));
        assert!(r.reason.en.contains("10.20.30.0/24"));
        let wider = directory().resolve(&alert("203.0.113.9", "10.20.99.1"));
        assert_eq!(wider.agency, Some(code("CITY-IT")));
    }

    #[test]
    fn outbound_traffic_belongs_to_the_agency_of_its_city_source() {
        let r = directory().resolve(&alert("10.20.30.40", "198.51.100.7"));
        assert_eq!(r.agency, Some(code("CULTURE")));
        assert!(matches!(r.via, Some(ResolvedBy::SourceAddress { .. })));
        assert!(r.reason.en.contains("outbound"));
    }

    #[test]
    fn ipv6_ranges_and_ipv4_mapped_addresses_resolve() {
        let r = directory().resolve(&alert("2001:db8:ffff::1", "2001:db8:30:1::5"));
        assert_eq!(r.agency, Some(code("CULTURE")));
        let mapped = directory().resolve(&alert("203.0.113.9", "::ffff:10.20.30.1"));
        assert_eq!(mapped.agency, Some(code("CULTURE")));
    }

    #[test]
    fn an_agent_name_beats_addresses_and_host_patterns_match_case_blind() {
        let mut a = alert("203.0.113.9", "10.20.30.40");
        a.agent_name = Some("WEB-01".into());
        assert_eq!(directory().resolve(&a).agency, Some(code("HEALTH")));
        let mut b = alert("203.0.113.9", "192.0.2.1");
        b.host_name = Some("Intranet.Culture.Example".into());
        let r = directory().resolve(&b);
        assert_eq!(r.agency, Some(code("CULTURE")));
        assert!(matches!(r.via, Some(ResolvedBy::HostName { .. })));
    }

    #[test]
    fn an_alert_outside_every_range_stays_unresolved_and_says_what_was_tried() {
        let r = directory().resolve(&alert("203.0.113.9", "198.51.100.7"));
        assert_eq!(r.agency, None);
        assert!(r.reason.en.contains("destination 198.51.100.7"));
        assert!(r.reason.zh.contains("無法判定機關"));
    }

    #[test]
    fn ranges_are_checked_when_configured() {
        let mut d = AgencyDirectory::new();
        assert!(
            d.add_range("10.20.0.1/16", code("A1"))
                .unwrap_err()
                .en
                .contains("10.20.0.0/16")
        );
        assert!(d.add_range("10.0.0.0/33", code("A1")).is_err());
        assert!(d.add_range("ten/8", code("A1")).is_err());
        d.add_range("10.0.0.0/8", code("A1")).unwrap();
        assert!(d.add_range("10.0.0.0/8", code("B2")).is_err());
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            !Cidr::parse("10.0.0.0/8")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
    }

    #[test]
    fn the_directory_is_built_from_configuration_and_names_the_entry_at_fault() {
        let entries: Vec<AgencyEntry> = serde_json::from_value(serde_json::json!([
            {"agency": "CULTURE", "ranges": ["10.20.30.0/24"], "hosts": ["*.culture.example"]},
            {"agency": "HEALTH", "agents": ["web-01"]}
        ]))
        .unwrap();
        let d = AgencyDirectory::from_entries(&entries).unwrap();
        assert_eq!(
            d.resolve(&alert("1.2.3.4", "10.20.30.9")).agency,
            Some(code("CULTURE"))
        );
        let bad = vec![AgencyEntry {
            agency: "POLICE".into(),
            ranges: vec!["10.1.2.3/8".into()],
            ..AgencyEntry::default()
        }];
        let err = AgencyDirectory::from_entries(&bad).unwrap_err();
        assert!(err.en.starts_with("agency POLICE:"), "{err:?}");
        let not_code = vec![AgencyEntry {
            agency: "警察局".into(),
            ..AgencyEntry::default()
        }];
        assert!(AgencyDirectory::from_entries(&not_code).is_err());
    }

    #[test]
    fn host_patterns_use_star_for_any_run_of_characters() {
        assert!(glob("*.culture.example", "a.b.culture.example"));
        assert!(!glob("*.culture.example", "culture.example"));
        assert!(glob("cul-*-web", "cul-01-web"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("*", "anything"));
    }
}
