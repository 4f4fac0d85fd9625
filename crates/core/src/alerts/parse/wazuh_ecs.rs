//! Wazuh 5.x findings in the Wazuh Common Schema, which keeps ECS field names: `@timestamp`,
//! `event.*`, `rule.*`, `source.*`, `destination.*`, `network.*`, `threat.technique.id`,
//! `agent.*`, `host.*`. Rules are Sigma-style with a level word (informational … critical).
//! Also reads any ECS-shaped alert (nested or flat dotted keys).

use serde_json::Value;

use super::{Context, bad_time, json, missing};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Action, Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::alerts::observables::Observable;
use crate::text::Text;

/// ECS `event.kind` values that are not detections: counted and skipped.
const NOT_ALERTS: [&str; 5] = ["event", "metric", "state", "pipeline_error", "asset"];

pub(super) fn parse(ctx: &Context<'_>, value: &Value, raw: &str) -> Result<Option<Alert>, Text> {
    if json::text(value, "event.kind").is_some_and(|k| NOT_ALERTS.contains(&k.as_str())) {
        return Ok(None);
    }
    let original = json::text(value, "@timestamp").ok_or_else(|| missing("@timestamp"))?;
    let at = event_time::parse_iso(&original, ctx.source.default_offset)
        .or_else(|| event_time::parse_epoch(&original))
        .ok_or_else(|| bad_time("@timestamp", &original))?;
    let at = ctx.accept_time(at, &original)?;
    let rule_id = json::text(value, "rule.id").ok_or_else(|| missing("rule.id"))?;
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::WazuhEcs,
        name,
        at,
        original,
        Fingerprint::of_json(name, value),
        raw.to_string(),
    );
    alert.source_ref = json::text(value, "event.id");
    alert.observer.name =
        json::text(value, "observer.name").or_else(|| json::text(value, "wazuh.cluster.node"));
    alert.observer.vendor = json::text(value, "observer.vendor").or_else(|| Some("Wazuh".into()));
    alert.observer.product = json::text(value, "observer.product").or_else(|| Some("Wazuh".into()));
    alert.agent_name = json::text(value, "agent.name");
    alert.host_name = json::text(value, "host.name").or_else(|| json::text(value, "host.hostname"));
    alert.message = json::text(value, "message");

    alert.rule.id = Some(rule_id);
    alert.rule.name =
        json::text(value, "rule.name").or_else(|| json::text(value, "rule.description"));
    alert.rule.category = json::text(value, "rule.category");
    let mut groups = json::strings(value, "event.category");
    groups.extend(json::strings(value, "wazuh.rule.groups"));
    groups.extend(json::strings(value, "tags"));
    alert.rule.groups = groups;
    alert.native_severity = ["rule.level", "wazuh.rule.level"]
        .iter()
        .find_map(|p| json::text(value, p))
        .map(|level| match level.parse::<u32>() {
            Ok(_) => NativeSeverity::new(SeverityScale::WazuhLevel, level),
            Err(_) => NativeSeverity::new(SeverityScale::SigmaLevel, level),
        });
    alert.techniques = json::techniques(
        value,
        &["threat.technique.id", "threat.technique.subtechnique.id"],
    );
    alert.action = action(value);

    alert.source.ip = json::ip(value, "source.ip");
    alert.source.port = json::port(value, "source.port");
    alert.source.user = json::text(value, "source.user.name");
    alert.destination.ip = json::ip(value, "destination.ip");
    alert.destination.port = json::port(value, "destination.port");
    alert.destination.host = json::text(value, "destination.domain");
    alert.destination.user = json::text(value, "user.name");
    alert.transport = json::text(value, "network.transport").map(|t| t.to_ascii_lowercase());
    alert.app_protocol = json::text(value, "network.protocol").map(|t| t.to_ascii_lowercase());

    for path in ["url.full", "url.original"] {
        if let Some(url) = json::text(value, path) {
            alert.observables.extend(Observable::url(&url));
        }
    }
    for path in ["url.domain", "destination.domain", "dns.question.name"] {
        if let Some(domain) = json::text(value, path) {
            alert.observables.extend(Observable::domain(&domain));
        }
    }
    for path in ["file.hash.md5", "file.hash.sha1", "file.hash.sha256"] {
        if let Some(hash) = json::text(value, path) {
            alert.observables.extend(Observable::hash(&hash));
        }
    }
    alert.finish_observables();
    Ok(Some(alert))
}

/// ECS says `event.type` holds `allowed`/`denied`; `event.action` and `event.outcome` vary.
fn action(value: &Value) -> Action {
    let types = json::strings(value, "event.type");
    if types.iter().any(|t| t == "denied") {
        return Action::Blocked;
    }
    if types.iter().any(|t| t == "allowed") {
        return Action::Allowed;
    }
    json::text(value, "event.action").map_or(Action::Unknown, |a| Action::from_word(&a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::parse::wazuh_samples::SSH_BRUTE_FORCE_FINDING;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    fn ecs() -> SourceConfig {
        SourceConfig::new(SourceName::parse("wazuh5").unwrap(), SourceFormat::WazuhEcs)
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-03-01T00:00:00Z").unwrap()
    }

    #[test]
    fn a_wazuh_5_finding_is_read_through_its_ecs_field_names() {
        let batch = parse_batch(&ecs(), SSH_BRUTE_FORCE_FINDING.as_bytes(), now());
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        let a = &batch.alerts[0];
        assert_eq!(a.observed_at.to_rfc3339(), "2026-02-10T03:15:22.481Z");
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::SigmaLevel, "high"))
        );
        let t: Vec<_> = a.techniques.iter().map(|t| t.as_str()).collect();
        assert_eq!(t, ["T1110", "T1110.001"]);
        assert_eq!(a.agent_name.as_deref(), Some("web-01"));
        assert_eq!(a.destination.port, Some(22));
        assert!(
            a.rule
                .groups
                .contains(&"authentication_failures".to_string())
        );
        assert_eq!(a.source_ref.as_deref(), Some("f3c1e0d2"));
        assert_eq!(a.app_protocol.as_deref(), Some("ssh"));
    }

    #[test]
    fn flat_dotted_ecs_keys_read_the_same_as_nested_objects() {
        let flat = r#"{"@timestamp":"2026-02-10T03:15:22Z","rule.id":"r1","rule.level":"low","source.ip":"198.51.100.2","destination.ip":"10.0.0.5","event.type":["denied"]}"#;
        let batch = parse_batch(&ecs(), flat.as_bytes(), now());
        let a = &batch.alerts[0];
        assert_eq!(a.source.ip, Some("198.51.100.2".parse().unwrap()));
        assert_eq!(a.action, Action::Blocked);
    }

    #[test]
    fn ecs_events_that_are_not_alerts_are_skipped() {
        let event =
            r#"{"@timestamp":"2026-02-10T03:15:22Z","event":{"kind":"event"},"rule":{"id":"x"}}"#;
        let batch = parse_batch(&ecs(), event.as_bytes(), now());
        assert_eq!(batch.skipped_other_events, 1);
        assert!(batch.alerts.is_empty() && batch.rejected.is_empty());
    }
}
