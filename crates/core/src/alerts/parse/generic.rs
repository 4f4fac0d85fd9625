//! Generic JSON/NDJSON: a source's mapping names where each field sits (see `GenericMapping`).
//! Only the time is required; everything else is taken when the mapping names it.

use serde_json::Value;

use super::{Context, bad_time, json, missing};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Action, Alert, NativeSeverity, SourceKind, TechniqueId};
use crate::alerts::observables::Observable;
use crate::alerts::source::GenericMapping;
use crate::text::Text;

pub(super) fn parse(
    ctx: &Context<'_>,
    map: &GenericMapping,
    value: &Value,
    raw: &str,
) -> Result<Option<Alert>, Text> {
    let get = |path: &Option<String>| path.as_deref().and_then(|p| json::text(value, p));
    let original = json::text(value, &map.time).ok_or_else(|| missing(&map.time))?;
    let year = ctx
        .received_at
        .inner()
        .to_offset(ctx.source.default_offset)
        .year();
    let at = event_time::parse_any(&original, ctx.source.default_offset, year)
        .ok_or_else(|| bad_time(&map.time, &original))?;
    let at = ctx.accept_time(at, &original)?;
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::GenericJson,
        name,
        at,
        original,
        Fingerprint::of_json(name, value),
        raw.to_string(),
    );
    let ip = |path: &Option<String>| path.as_deref().and_then(|p| json::ip(value, p));
    let port = |path: &Option<String>| path.as_deref().and_then(|p| json::port(value, p));
    alert.source.ip = ip(&map.source_ip);
    alert.source.port = port(&map.source_port);
    alert.destination.ip = ip(&map.destination_ip);
    alert.destination.port = port(&map.destination_port);
    alert.transport = get(&map.transport).map(|t| t.to_ascii_lowercase());
    alert.app_protocol = get(&map.app_protocol).map(|t| t.to_ascii_lowercase());
    alert.rule.id = get(&map.rule_id);
    alert.rule.name = get(&map.rule_name);
    alert.rule.category = get(&map.category);
    alert.native_severity = match (get(&map.severity), map.severity_scale) {
        (Some(raw), Some(scale)) => Some(NativeSeverity::new(scale, raw)),
        _ => None,
    };
    alert.action = get(&map.action).map_or(Action::Unknown, |a| Action::from_word(&a));
    alert.host_name = get(&map.host_name);
    alert.agent_name = get(&map.agent_name);
    alert.observer.name = get(&map.sensor);
    alert.message = get(&map.message);
    alert.source_ref = get(&map.source_ref);
    if let Some(path) = &map.technique {
        alert.techniques = json::strings(value, path)
            .iter()
            .filter_map(|t| TechniqueId::parse(t))
            .collect();
    }
    if let Some(url) = get(&map.url) {
        alert.observables.extend(Observable::url(&url));
    }
    if let Some(domain) = get(&map.domain) {
        alert.observables.extend(Observable::domain(&domain));
    }
    if let Some(hash) = get(&map.file_hash) {
        alert.observables.extend(Observable::hash(&hash));
    }
    alert.finish_observables();
    Ok(Some(alert))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::SeverityScale;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    /// A WAF that writes its own JSON, mapped by an administrator.
    fn waf() -> SourceConfig {
        let mapping: GenericMapping = serde_json::from_value(serde_json::json!({
            "time": "ts",
            "source_ip": "client.addr",
            "destination_ip": "server.addr",
            "destination_port": "server.port",
            "rule_id": "rule.id",
            "rule_name": "rule.msg",
            "category": "attack_class",
            "severity": "sev",
            "severity_scale": "cef",
            "action": "verdict",
            "technique": "attack",
            "url": "request.url",
        }))
        .unwrap();
        SourceConfig::new(
            SourceName::parse("waf-city").unwrap(),
            SourceFormat::GenericJson(Box::new(mapping)),
        )
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn a_mapped_waf_record_fills_the_alert_from_its_own_field_names() {
        let line = r#"{"ts":1767139200,"client":{"addr":"198.51.100.4"},"server":{"addr":"10.30.0.8","port":"443"},"rule":{"id":"942100","msg":"SQL Injection Attack Detected via libinjection"},"attack_class":"sqli","sev":"8","verdict":"blocked","attack":["T1190"],"request":{"url":"https://www.example.gov.tw/search?q=1%27"}}"#;
        let batch = parse_batch(&waf(), line.as_bytes(), now());
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        let a = &batch.alerts[0];
        assert_eq!(a.observed_at.to_rfc3339(), "2025-12-31T00:00:00Z");
        assert_eq!(a.rule.id.as_deref(), Some("942100"));
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::Cef, "8"))
        );
        assert_eq!(a.action, Action::Blocked);
        assert_eq!(a.techniques[0].as_str(), "T1190");
        assert_eq!(a.destination.port, Some(443));
        assert_eq!(a.observables.len(), 3);
    }

    #[test]
    fn a_record_without_the_mapped_time_is_rejected_naming_the_path() {
        let batch = parse_batch(&waf(), br#"{"rule":{"id":"1"}}"#, now());
        assert!(batch.rejected[0].reason.en.contains("ts"));
    }

    #[test]
    fn an_unknown_key_in_a_mapping_is_refused_when_the_mapping_is_read() {
        let err =
            serde_json::from_value::<GenericMapping>(serde_json::json!({"time": "t", "src": "x"}));
        assert!(err.unwrap_err().to_string().contains("src"));
    }
}
