//! Reading fields out of JSON records by dotted path, tolerant of the ways sensors write them:
//! nested (`{"source":{"ip":…}}`) or flat (`{"source.ip":…}`), numbers as numbers or strings.

use std::net::IpAddr;

use serde_json::Value;

use crate::alerts::model::TechniqueId;

/// The value at `a.b.c`, trying nested objects first and then keys that contain dots.
pub(crate) fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(value);
    }
    let map = value.as_object()?;
    if let Some(v) = map.get(path) {
        return Some(v);
    }
    // Try every split point, shortest key first: "source.ip" under "source", then flat.
    let mut from = 0;
    while let Some(dot) = path.get(from..).and_then(|rest| rest.find('.')) {
        let split = from + dot;
        let (head, tail) = (path.get(..split)?, path.get(split + 1..)?);
        if let Some(found) = map.get(head).and_then(|inner| at(inner, tail)) {
            return Some(found);
        }
        from = split + 1;
    }
    None
}

/// A string or a number, as text; empty strings count as absent.
pub(crate) fn text(value: &Value, path: &str) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative integer, exactly: JSON numbers read as u64 (never through f64), or digits.
pub(crate) fn unsigned(value: &Value, path: &str) -> Option<u64> {
    match at(value, path)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn port(value: &Value, path: &str) -> Option<u16> {
    unsigned(value, path).and_then(|n| u16::try_from(n).ok())
}

pub(crate) fn ip(value: &Value, path: &str) -> Option<IpAddr> {
    text(value, path).and_then(|s| s.trim().parse().ok())
}

/// A list of strings from an array or a single string.
pub(crate) fn strings(value: &Value, path: &str) -> Vec<String> {
    match at(value, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// ATT&CK technique ids from any of the paths; values that are not ids are ignored.
pub(crate) fn techniques(value: &Value, paths: &[&str]) -> Vec<TechniqueId> {
    let mut out: Vec<TechniqueId> = paths
        .iter()
        .flat_map(|p| strings(value, p))
        .filter_map(|s| TechniqueId::parse(&s))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_nested_or_written_flat_with_dots() {
        let nested: Value = serde_json::json!({"source": {"ip": "10.0.0.1", "port": 80}});
        let flat: Value = serde_json::json!({"source.ip": "10.0.0.1", "source.port": "80"});
        let mixed: Value = serde_json::json!({"event": {"src.ip": "10.0.0.1"}});
        assert_eq!(ip(&nested, "source.ip"), ip(&flat, "source.ip"));
        assert_eq!(port(&nested, "source.port"), Some(80));
        assert_eq!(port(&flat, "source.port"), Some(80));
        assert_eq!(text(&mixed, "event.src.ip").as_deref(), Some("10.0.0.1"));
        assert_eq!(at(&nested, "source.nothing"), None);
    }

    #[test]
    fn large_integers_stay_exact() {
        let v: Value =
            serde_json::from_str(r#"{"flow_id": 2245442837924223, "big": 18446744073709551615}"#)
                .unwrap();
        assert_eq!(unsigned(&v, "flow_id"), Some(2_245_442_837_924_223));
        assert_eq!(unsigned(&v, "big"), Some(u64::MAX));
    }
}
