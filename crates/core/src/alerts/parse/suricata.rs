//! Suricata EVE JSON: `alert` events become alerts; every other event type (`flow`, `dns`,
//! `stats`, `anomaly`…) is counted and skipped. Field names: docs.suricata.io, eve-json-format.

use serde_json::Value;

use super::{Context, bad_time, json, missing};
use crate::alerts::event_time;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::{Action, Alert, NativeSeverity, SeverityScale, SourceKind};
use crate::alerts::observables::Observable;
use crate::text::Text;

pub(super) fn parse(ctx: &Context<'_>, value: &Value, raw: &str) -> Result<Option<Alert>, Text> {
    let event_type = json::text(value, "event_type").ok_or_else(|| missing("event_type"))?;
    if event_type != "alert" {
        return Ok(None);
    }
    let original = json::text(value, "timestamp").ok_or_else(|| missing("timestamp"))?;
    let at = event_time::parse_iso(&original, ctx.source.default_offset)
        .ok_or_else(|| bad_time("timestamp", &original))?;
    let at = ctx.accept_time(at, &original)?;
    if json::at(value, "alert").is_none_or(|a| !a.is_object()) {
        return Err(missing("alert"));
    }
    let name = ctx.source.name.as_str();
    let mut alert = Alert::new(
        SourceKind::Suricata,
        name,
        at,
        original,
        Fingerprint::of_json(name, value),
        raw.to_string(),
    );
    alert.flow_id = json::unsigned(value, "flow_id");
    alert.observer.name = json::text(value, "host");
    alert.observer.vendor = Some("OISF".into());
    alert.observer.product = Some("Suricata".into());
    alert.source.ip = json::ip(value, "src_ip");
    alert.source.port = json::port(value, "src_port");
    alert.destination.ip = json::ip(value, "dest_ip");
    alert.destination.port = json::port(value, "dest_port");
    alert.transport = json::text(value, "proto").map(|p| p.to_ascii_lowercase());
    alert.app_protocol = json::text(value, "app_proto")
        .filter(|p| p != "failed")
        .map(|p| p.to_ascii_lowercase());

    alert.rule.id = json::text(value, "alert.signature_id");
    alert.rule.rev = json::unsigned(value, "alert.rev").and_then(|r| u32::try_from(r).ok());
    alert.rule.name = json::text(value, "alert.signature");
    alert.rule.category = json::text(value, "alert.category");
    alert.rule.signature_severity = json::strings(value, "alert.metadata.signature_severity")
        .into_iter()
        .next();
    alert.native_severity = json::text(value, "alert.severity")
        .map(|s| NativeSeverity::new(SeverityScale::SuricataPriority, s));
    alert.action =
        json::text(value, "alert.action").map_or(Action::Unknown, |a| Action::from_word(&a));
    alert.techniques = json::techniques(value, &["alert.metadata.mitre_technique_id"]);

    add_context_observables(&mut alert, value);
    alert.finish_observables();
    Ok(Some(alert))
}

/// Domains, URLs and hashes from the http, tls, dns and file blocks EVE attaches to alerts.
fn add_context_observables(alert: &mut Alert, value: &Value) {
    let hostname = json::text(value, "http.hostname");
    if let Some(host) = &hostname {
        alert.destination.host = Some(host.clone());
        alert.observables.extend(Observable::domain(host));
    }
    if let Some(url) = json::text(value, "http.url") {
        let full = match &hostname {
            Some(host) if url.starts_with('/') => format!("http://{host}{url}"),
            _ => url,
        };
        alert.observables.extend(Observable::url(&full));
    }
    for path in ["tls.sni", "dns.rrname", "dns.query.rrname"] {
        if let Some(name) = json::text(value, path) {
            alert.observables.extend(Observable::domain(&name));
        }
    }
    let mut file_blocks: Vec<&Value> = Vec::new();
    if let Some(Value::Array(files)) = json::at(value, "files") {
        file_blocks.extend(files.iter());
    }
    file_blocks.extend(json::at(value, "fileinfo"));
    for file in file_blocks {
        for algo in ["md5", "sha1", "sha256"] {
            if let Some(hash) = json::text(file, algo) {
                alert.observables.extend(Observable::hash(&hash));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::alerts::observables::ObservableKind;
    use crate::alerts::parse::parse_batch;
    use crate::alerts::source::{SourceConfig, SourceFormat, SourceName};
    use crate::time::Timestamp;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/soc/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn eve() -> SourceConfig {
        SourceConfig::new(
            SourceName::parse("suricata-dmz").unwrap(),
            SourceFormat::Suricata,
        )
    }

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn the_three_real_eve_exports_parse_completely() {
        for (file, expected) in [
            ("suricata-eve-alerts-honeypot-2018.json", 44),
            ("suricata-eve-alerts-wrccdc-2018.json", 207),
            ("suricata-eve-alerts-first-org-conf-2015.json", 136),
        ] {
            let batch = parse_batch(&eve(), &fixture(file), now());
            assert!(batch.rejected.is_empty(), "{file}: {:?}", batch.rejected);
            assert_eq!(batch.alerts.len(), expected, "{file}");
            assert_eq!(batch.received, expected as u64);
            assert_eq!(batch.duplicates, 0);
            assert!(batch.reconciles());
            assert!(batch.alerts.iter().all(|a| a.rule.id.is_some()
                && a.native_severity.is_some()
                && a.flow_id.is_some()
                && a.source.ip.is_some()));
        }
    }

    #[test]
    fn an_offset_without_a_colon_and_a_missing_offset_both_give_the_right_instant() {
        let wrccdc = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-wrccdc-2018.json"),
            now(),
        );
        let first = &wrccdc.alerts[0];
        assert_eq!(first.original_time, "2018-03-24T14:37:19.037299-0600");
        assert_eq!(
            first.observed_at.to_rfc3339(),
            "2018-03-24T20:37:19.037299Z"
        );

        // The honeypot export writes no offset; its sensor ran on UTC, as its source says.
        let utc = eve().with_offset(time::UtcOffset::UTC);
        let honeypot = parse_batch(
            &utc,
            &fixture("suricata-eve-alerts-honeypot-2018.json"),
            now(),
        );
        assert_eq!(
            honeypot.alerts[0].original_time,
            "2019-01-02T03:50:11.315110"
        );
        assert_eq!(
            honeypot.alerts[0].observed_at.to_rfc3339(),
            "2019-01-02T03:50:11.31511Z"
        );
        // Configured for Taipei, the same text is eight hours earlier.
        let taipei = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-honeypot-2018.json"),
            now(),
        );
        assert_eq!(
            taipei.alerts[0].observed_at.to_rfc3339(),
            "2019-01-01T19:50:11.31511Z"
        );
    }

    #[test]
    fn flow_ids_larger_than_a_double_holds_stay_exact() {
        let batch = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-wrccdc-2018.json"),
            now(),
        );
        let max = batch.alerts.iter().filter_map(|a| a.flow_id).max().unwrap();
        assert_eq!(max, 2_245_442_837_924_223);
        // 2^53 + 1 is the first integer a float loses.
        let line = br#"{"timestamp":"2020-01-01T00:00:00Z","flow_id":9007199254740993,"event_type":"alert","src_ip":"1.2.3.4","dest_ip":"10.0.0.1","proto":"TCP","alert":{"signature_id":1,"signature":"x","severity":3}}"#;
        let one = parse_batch(&eve(), line, now());
        assert_eq!(one.alerts[0].flow_id, Some(9_007_199_254_740_993));
    }

    #[test]
    fn an_alert_keeps_its_rule_severity_action_and_the_record_verbatim() {
        let batch = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-honeypot-2018.json"),
            now(),
        );
        let a = &batch.alerts[0];
        assert_eq!(a.rule.id.as_deref(), Some("2001219"));
        assert_eq!(a.rule.rev, Some(19));
        assert_eq!(a.signature(), "ET SCAN Potential SSH Scan");
        assert_eq!(
            a.rule.category.as_deref(),
            Some("Attempted Information Leak")
        );
        assert_eq!(
            a.native_severity,
            Some(NativeSeverity::new(SeverityScale::SuricataPriority, "2"))
        );
        assert_eq!(a.action, Action::Allowed);
        assert_eq!(a.transport.as_deref(), Some("tcp"));
        assert_eq!(a.destination.port, Some(22));
        assert!(
            a.raw
                .starts_with("{\n    \"timestamp\": \"2019-01-02T03:50:11.315110\"")
        );
        assert!(a.raw.ends_with('}'));
        let value: Value = serde_json::from_str(&a.raw).unwrap();
        assert_eq!(Fingerprint::of_json("suricata-dmz", &value), a.fingerprint);
    }

    #[test]
    fn http_alerts_expose_the_domain_and_url_for_intel_matching() {
        let batch = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-first-org-conf-2015.json"),
            now(),
        );
        let with_url = batch
            .alerts
            .iter()
            .find(|a| a.observables.iter().any(|o| o.kind == ObservableKind::Url))
            .unwrap();
        assert!(
            with_url
                .observables
                .iter()
                .any(|o| o.kind == ObservableKind::DomainName)
        );
        assert!(
            with_url
                .observables
                .iter()
                .any(|o| o.kind == ObservableKind::Ipv4Addr)
        );
    }

    #[test]
    fn non_alert_events_are_counted_and_skipped_not_rejected() {
        let lines = concat!(
            r#"{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"event_type":"alert","src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2018358,"rev":10,"signature":"ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1","category":"Potentially Bad Traffic","severity":2,"metadata":{"signature_severity":["Major"],"mitre_technique_id":["T1071"]}},"app_proto":"http","http":{"hostname":"209.53.113.5","url":"/x.php","fileinfo":{}}}"#,
            "\n",
            r#"{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"event_type":"flow","src_ip":"192.168.2.14"}"#,
            "\r\n\n",
            r#"{"timestamp":"2017-04-07T22:24:38+0100","event_type":"stats","stats":{}}"#,
            "\n"
        );
        let batch = parse_batch(&eve(), lines.as_bytes(), now());
        assert_eq!(batch.alerts.len(), 1);
        assert_eq!(batch.skipped_other_events, 2);
        assert!(batch.rejected.is_empty());
        assert_eq!(batch.received, 3);
        assert!(batch.reconciles());
        let a = &batch.alerts[0];
        assert_eq!(a.techniques[0].as_str(), "T1071");
        assert_eq!(a.rule.signature_severity.as_deref(), Some("Major"));
        assert_eq!(a.observed_at.to_rfc3339(), "2017-04-07T21:24:37.251547Z");
    }

    #[test]
    fn an_eve_array_and_the_same_alerts_as_ndjson_have_the_same_fingerprints() {
        let array = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-honeypot-2018.json"),
            now(),
        );
        let values: Vec<Value> =
            serde_json::from_slice(&fixture("suricata-eve-alerts-honeypot-2018.json")).unwrap();
        let ndjson: String = values.iter().map(|v| format!("{v}\n")).collect();
        let lines = parse_batch(&eve(), ndjson.as_bytes(), now());
        let a: Vec<_> = array.alerts.iter().map(|a| a.fingerprint).collect();
        let b: Vec<_> = lines.alerts.iter().map(|a| a.fingerprint).collect();
        assert_eq!(a, b);
        // Feeding the file twice in one batch: every second copy is a duplicate.
        let twice = format!("{ndjson}{ndjson}");
        let again = parse_batch(&eve(), twice.as_bytes(), now());
        assert_eq!(again.alerts.len(), 44);
        assert_eq!(again.duplicates, 44);
        assert!(again.reconciles());
    }

    #[test]
    fn array_elements_are_reported_on_the_line_they_start() {
        let batch = parse_batch(
            &eve(),
            &fixture("suricata-eve-alerts-honeypot-2018.json"),
            now(),
        );
        // Rejected lines name the line; check through a record that fails: a truncated copy.
        let bytes = fixture("suricata-eve-alerts-honeypot-2018.json");
        let cut = &bytes[..bytes.len() / 2];
        let partial = parse_batch(&eve(), cut, now());
        assert!(!partial.alerts.is_empty());
        assert!(partial.alerts.len() < batch.alerts.len());
        assert_eq!(partial.rejected.len(), 1);
        assert!(partial.rejected[0].line > 1);
        assert!(
            partial.rejected[0].reason.en.contains("truncated"),
            "{:?}",
            partial.rejected[0]
        );
        assert!(partial.reconciles());
    }

    #[test]
    fn the_signature_mix_of_the_samples_is_what_the_golden_table_expects() {
        let mut prefixes: BTreeMap<String, usize> = BTreeMap::new();
        for file in [
            "suricata-eve-alerts-honeypot-2018.json",
            "suricata-eve-alerts-wrccdc-2018.json",
            "suricata-eve-alerts-first-org-conf-2015.json",
        ] {
            for a in parse_batch(&eve(), &fixture(file), now()).alerts {
                let words: Vec<&str> = a.signature().split_whitespace().take(2).collect();
                *prefixes.entry(words.join(" ")).or_default() += 1;
            }
        }
        assert_eq!(prefixes["ET TOR"], 52);
        assert_eq!(prefixes["ET CINS"], 33);
        assert_eq!(prefixes["SURICATA HTTP"], 29);
    }
}
