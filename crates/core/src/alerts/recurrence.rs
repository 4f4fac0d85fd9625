//! "The same source came back": for each new alert, how many alerts came from its source
//! address in the [`RECURRENCE_WINDOW_DAYS`] up to it — the stored ones and the others in the
//! same batch — this one included. The severity score weighs it and says so.

use std::collections::HashMap;

use time::Duration;

use crate::alerts::model::Alert;
use crate::alerts::severity::RECURRENCE_WINDOW_DAYS;
use crate::time::Timestamp;

fn window() -> Duration {
    Duration::days(RECURRENCE_WINDOW_DAYS)
}

/// The distinct source addresses of the batch and the span of stored history that matters to
/// them (`from..=to`); `None` when no alert has a source address.
pub fn lookup(alerts: &[&Alert]) -> Option<(Vec<String>, Timestamp, Timestamp)> {
    let mut addresses: Vec<String> = alerts
        .iter()
        .filter_map(|a| a.source.ip.map(|ip| ip.to_string()))
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    let times = alerts
        .iter()
        .filter(|a| a.source.ip.is_some())
        .map(|a| a.observed_at);
    let from = times.clone().min()?;
    let to = times.max()?;
    Some((addresses, from.sub(window()), to))
}

/// Each alert's recurrence count (0 for an alert without a source address), given the stored
/// sightings `AlertStore::source_sightings` returned for [`lookup`]'s addresses.
pub fn counts(alerts: &[&Alert], stored: &HashMap<String, Vec<i64>>) -> Vec<u32> {
    let mut sightings: HashMap<String, Vec<i64>> = HashMap::new();
    for alert in alerts {
        if let Some(ip) = alert.source.ip {
            sightings
                .entry(ip.to_string())
                .or_default()
                .push(alert.observed_at.as_millis());
        }
    }
    for (address, times) in sightings.iter_mut() {
        if let Some(earlier) = stored.get(address) {
            times.extend_from_slice(earlier);
        }
        times.sort_unstable();
    }
    let span = window().whole_milliseconds() as i64;
    alerts
        .iter()
        .map(|alert| {
            let Some(ip) = alert.source.ip else {
                return 0;
            };
            let Some(times) = sightings.get(&ip.to_string()) else {
                return 0;
            };
            let at = alert.observed_at.as_millis();
            let start = times.partition_point(|t| *t < at - span);
            let end = times.partition_point(|t| *t <= at);
            u32::try_from(end.saturating_sub(start)).unwrap_or(u32::MAX)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::fingerprint::Fingerprint;
    use crate::alerts::model::{Endpoint, SourceKind};

    fn alert(src: Option<&str>, at: &str) -> Alert {
        let mut a = Alert::new(
            SourceKind::Suricata,
            "ids",
            Timestamp::parse_rfc3339(at).unwrap(),
            at.into(),
            Fingerprint::of_text("ids", &format!("{src:?}{at}")),
            "{}".into(),
        );
        a.source = Endpoint {
            ip: src.map(|s| s.parse().unwrap()),
            ..Endpoint::default()
        };
        a
    }

    #[test]
    fn counts_the_window_up_to_each_alert_across_store_and_batch() {
        let batch = [
            alert(Some("185.220.101.34"), "2024-06-30T00:00:00Z"),
            alert(Some("185.220.101.34"), "2024-06-01T00:00:00Z"),
            alert(Some("45.155.205.233"), "2024-06-30T00:00:00Z"),
            alert(None, "2024-06-30T00:00:00Z"),
        ];
        let refs: Vec<&Alert> = batch.iter().collect();
        let (addresses, from, to) = lookup(&refs).unwrap();
        assert_eq!(addresses, ["185.220.101.34", "45.155.205.233"]);
        assert_eq!(from.to_rfc3339(), "2024-05-02T00:00:00Z");
        assert_eq!(to.to_rfc3339(), "2024-06-30T00:00:00Z");
        let ms = |t: &str| Timestamp::parse_rfc3339(t).unwrap().as_millis();
        let stored = HashMap::from([(
            "185.220.101.34".to_string(),
            vec![
                ms("2024-05-03T00:00:00Z"), // within 30 days of June 1 only
                ms("2024-06-15T00:00:00Z"), // within 30 days of both
            ],
        )]);
        // June 30: June 1 (batch), June 15 (stored) and itself; May 3 is too old.
        // June 1: May 3 (stored) and itself.
        assert_eq!(counts(&refs, &stored), [3, 2, 1, 0]);
        assert!(lookup(&[&batch[3]]).is_none());
    }
}
