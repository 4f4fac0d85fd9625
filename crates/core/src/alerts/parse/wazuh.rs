//! Wazuh 4.x `alerts.json` lines: `rule{id,level,description,groups,mitre}`, `agent`, `manager`,
//! the decoded `data`, `syscheck`. Suricata alerts forwarded through Wazuh all arrive as rule
//! 86601 level 3, so for those the Suricata rule and priority inside `data.alert` are used.

use serde_json::Value;

use super::{Context, bad_time, json, missing};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Action, Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::alerts::observables::Observable;
use crate::text::Text;

pub(super) fn parse(ctx: &Context<'_>, value: &Value, raw: &str) -> Result<Option<Alert>, Text> {
    let original = json::text(value, "timestamp").ok_or_else(|| missing("timestamp"))?;
    let at = event_time::parse_iso(&original, ctx.source.default_offset)
        .ok_or_else(|| bad_time("timestamp", &original))?;
    let at = ctx.accept_time(at, &original)?;
    let rule_id = json::text(value, "rule.id").ok_or_else(|| missing("rule.id"))?;
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::Wazuh,
        name,
        at,
        original,
        Fingerprint::of_json(name, value),
        raw.to_string(),
    );
    alert.source_ref = json::text(value, "id");
    alert.observer.name = json::text(value, "manager.name");
    alert.observer.vendor = Some("Wazuh".into());
    alert.observer.product = Some("Wazuh".into());
    alert.agent_name = json::text(value, "agent.name");
    alert.host_name = json::text(value, "predecoder.hostname").or_else(|| alert.agent_name.clone());
    alert.message = json::text(value, "full_log");
    alert.rule.groups = json::strings(value, "rule.groups");
    alert.techniques = json::techniques(
        value,
        &["rule.mitre.id", "data.alert.metadata.mitre_technique_id"],
    );

    let data = json::at(value, "data").cloned().unwrap_or(Value::Null);
    let forwarded_ids = json::text(&data, "alert.signature_id").is_some();
    if forwarded_ids {
        alert.rule.id = json::text(&data, "alert.signature_id");
        alert.rule.rev = json::unsigned(&data, "alert.rev").and_then(|r| u32::try_from(r).ok());
        alert.rule.name = json::text(&data, "alert.signature");
        alert.rule.category = json::text(&data, "alert.category");
        alert.native_severity = json::text(&data, "alert.severity")
            .map(|s| NativeSeverity::new(SeverityScale::SuricataPriority, s));
        alert.action =
            json::text(&data, "alert.action").map_or(Action::Unknown, |a| Action::from_word(&a));
        alert.flow_id = json::unsigned(&data, "flow_id");
        alert.observer.product = Some("Suricata via Wazuh".into());
    } else {
        alert.rule.id = Some(rule_id);
        alert.rule.name = json::text(value, "rule.description");
        alert.native_severity = json::text(value, "rule.level")
            .map(|s| NativeSeverity::new(SeverityScale::WazuhLevel, s));
        alert.action =
            json::text(&data, "action").map_or(Action::Unknown, |a| Action::from_word(&a));
    }
    alert.source.ip = first_ip(&data, &["srcip", "src_ip"]);
    alert.source.port = first_port(&data, &["srcport", "src_port"]);
    alert.source.user = json::text(&data, "srcuser");
    alert.destination.ip = first_ip(&data, &["dstip", "dest_ip"]);
    alert.destination.port = first_port(&data, &["dstport", "dest_port"]);
    alert.destination.user = json::text(&data, "dstuser");
    alert.transport = json::text(&data, "protocol")
        .or_else(|| json::text(&data, "proto"))
        .map(|p| p.to_ascii_lowercase());
    alert.app_protocol = json::text(&data, "app_proto");

    if let Some(url) = json::text(&data, "url") {
        alert.observables.extend(Observable::url(&url));
    }
    for path in ["hostname", "http.hostname", "dns.rrname", "tls.sni"] {
        if let Some(domain) = json::text(&data, path) {
            alert.observables.extend(Observable::domain(&domain));
        }
    }
    for path in [
        "syscheck.md5_after",
        "syscheck.sha1_after",
        "syscheck.sha256_after",
    ] {
        if let Some(hash) = json::text(value, path) {
            alert.observables.extend(Observable::hash(&hash));
        }
    }
    alert.finish_observables();
    Ok(Some(alert))
}

fn first_ip(data: &Value, paths: &[&str]) -> Option<std::net::IpAddr> {
    paths.iter().find_map(|p| json::ip(data, p))
}

fn first_port(data: &Value, paths: &[&str]) -> Option<u16> {
    paths.iter().find_map(|p| json::port(data, p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::observables::ObservableKind;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::parse::wazuh_samples::{
        SSHD_BRUTE_FORCE, SURICATA_FORWARDED, SYSCHECK_WEB_ROOT,
    };
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    fn wazuh() -> SourceConfig {
        SourceConfig::new(
            SourceName::parse("wazuh-city").unwrap(),
            SourceFormat::Wazuh,
        )
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn an_sshd_brute_force_alert_keeps_level_groups_agent_and_attack_technique() {
        let batch = parse_batch(&wazuh(), SSHD_BRUTE_FORCE.as_bytes(), now());
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        let a = &batch.alerts[0];
        assert_eq!(a.observed_at.to_rfc3339(), "2024-03-15T06:23:45.123Z");
        assert_eq!(a.rule.id.as_deref(), Some("5712"));
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::WazuhLevel, "10"))
        );
        assert_eq!(a.rule.groups, ["syslog", "sshd", "authentication_failures"]);
        assert_eq!(a.techniques[0].as_str(), "T1110");
        assert_eq!(a.agent_name.as_deref(), Some("web-01.tycg.example"));
        assert_eq!(a.host_name.as_deref(), Some("web-01"));
        assert_eq!(a.source.ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(a.source.user.as_deref(), Some("admin"));
        assert_eq!(a.source_ref.as_deref(), Some("1710483825.99481500"));
    }

    #[test]
    fn suricata_forwarded_through_wazuh_keeps_the_suricata_rule_not_rule_86601() {
        let batch = parse_batch(&wazuh(), SURICATA_FORWARDED.as_bytes(), now());
        let a = &batch.alerts[0];
        assert_eq!(a.rule.id.as_deref(), Some("2001219"));
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::SuricataPriority, "2"))
        );
        assert_eq!(a.flow_id, Some(1_234_567_890_123_456_789));
        assert_eq!(a.destination.ip, Some("10.20.1.15".parse().unwrap()));
        assert_eq!(a.destination.port, Some(22));
        assert_eq!(a.action, Action::Allowed);
    }

    #[test]
    fn a_changed_web_page_exposes_its_new_hashes() {
        let batch = parse_batch(&wazuh(), SYSCHECK_WEB_ROOT.as_bytes(), now());
        let a = &batch.alerts[0];
        let kinds: Vec<_> = a.observables.iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [
                ObservableKind::FileMd5,
                ObservableKind::FileSha1,
                ObservableKind::FileSha256
            ]
        );
    }

    #[test]
    fn a_wazuh_line_without_a_rule_is_rejected_naming_the_field() {
        let batch = parse_batch(
            &wazuh(),
            br#"{"timestamp":"2024-03-15T14:23:45.123+0800"}"#,
            now(),
        );
        assert_eq!(batch.rejected.len(), 1);
        assert!(batch.rejected[0].reason.en.contains("rule.id"));
        assert!(batch.rejected[0].reason.zh.contains("rule.id"));
    }
}
