//! What an alert import hands the store: each new alert with its agency, classification and
//! notification, the notifications' growth and the day's counts (rollups), all decided here so
//! that the store only adds them up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::alerts::analysis::{Dimension, ValueDelta, ValueKey, month_of};
use crate::alerts::model::Alert;
use crate::alerts::rules::{Category, Classification, Severity, SubBucket};
use crate::text::Text;
use crate::time::{Timestamp, iso_date};

/// One new alert, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifiedAlert {
    pub alert: Alert,
    pub agency: Option<AgencyCode>,
    /// How the agency was found, or why none was.
    pub agency_reason: Text,
    pub classification: Classification,
    /// What the score knew (so that re-applied rules score on the same facts).
    pub context: crate::alerts::severity::ScoreContext,
    /// The notification it belongs to: its key (canonical JSON) and window.
    pub group_key: String,
    pub window_start: Timestamp,
}

/// How one notification grows with this import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDelta {
    pub key: String,
    pub window_start: Timestamp,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub added: u64,
    /// The highest severity among the new members.
    pub severity: Severity,
    /// Category and agency of the earliest new member: a notification that already holds an
    /// earlier alert keeps its own.
    pub category: Category,
    pub agency: Option<AgencyCode>,
}

/// One cell of the counts dashboards read instead of scanning alerts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RollupKey {
    /// The Taipei calendar day, ISO (`2024-03-15`).
    pub day: String,
    pub agency: Option<AgencyCode>,
    pub category: Category,
    pub sub_bucket: Option<SubBucket>,
    pub severity: Severity,
    /// The configured source name.
    pub source: String,
}

/// Everything one import writes, besides its report and audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertWrite {
    pub alerts: Vec<ClassifiedAlert>,
    pub groups: Vec<GroupDelta>,
    pub rollups: Vec<(RollupKey, u64)>,
    /// Per month: the signatures, addresses and techniques analysts rank.
    pub values: Vec<(ValueKey, ValueDelta)>,
}

impl AlertWrite {
    /// Groups and counts for alerts that are new to the store (the caller has left out those
    /// it already holds, so every alert here counts once).
    pub fn new(alerts: Vec<ClassifiedAlert>) -> Self {
        let mut groups: BTreeMap<(Timestamp, &str), GroupDelta> = BTreeMap::new();
        let mut rollups: BTreeMap<RollupKey, u64> = BTreeMap::new();
        let mut values: BTreeMap<ValueKey, ValueDelta> = BTreeMap::new();
        for c in &alerts {
            *rollups.entry(rollup_key(c)).or_insert(0) += 1;
            add_values(&mut values, c);
            let at = c.alert.observed_at;
            let class = &c.classification;
            let group = groups
                .entry((c.window_start, c.group_key.as_str()))
                .or_insert_with(|| GroupDelta {
                    key: c.group_key.clone(),
                    window_start: c.window_start,
                    first_seen: at,
                    last_seen: at,
                    added: 0,
                    severity: class.severity,
                    category: class.category,
                    agency: c.agency.clone(),
                });
            group.added += 1;
            group.severity = group.severity.max(class.severity);
            group.last_seen = group.last_seen.max(at);
            if at < group.first_seen {
                group.first_seen = at;
                group.category = class.category;
                group.agency = c.agency.clone();
            }
        }
        let groups = groups.into_values().collect();
        AlertWrite {
            alerts,
            groups,
            rollups: rollups.into_iter().collect(),
            values: values.into_iter().collect(),
        }
    }
}

fn add_values(values: &mut BTreeMap<ValueKey, ValueDelta>, c: &ClassifiedAlert) {
    let a = &c.alert;
    let month = month_of(a.observed_at);
    let mut add = |dimension: Dimension, value: String| {
        let key = ValueKey {
            month: month.clone(),
            dimension,
            agency: c.agency.clone(),
            value,
        };
        values
            .entry(key)
            .or_insert_with(|| ValueDelta::new(a.observed_at))
            .add(a.observed_at);
    };
    add(Dimension::Signature, a.signature().to_string());
    if let Some(ip) = a.source.ip {
        add(Dimension::SourceIp, ip.to_string());
    }
    if let Some(ip) = a.destination.ip {
        add(Dimension::DestinationIp, ip.to_string());
    }
    for t in &a.techniques {
        add(Dimension::Technique, t.as_str().to_string());
    }
}

fn rollup_key(c: &ClassifiedAlert) -> RollupKey {
    RollupKey {
        day: iso_date(c.alert.observed_at.taipei_date()),
        agency: c.agency.clone(),
        category: c.classification.category,
        sub_bucket: c.classification.sub_bucket,
        severity: c.classification.severity,
        source: c.alert.source_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::grouping::{GroupKey, GroupMember, group_alerts};
    use crate::alerts::{Fingerprint, RuleSet, ScoreContext, SourceKind};

    fn classified(at: &str, raw: &str, key: &str, agency: Option<&str>) -> ClassifiedAlert {
        let observed = Timestamp::parse_rfc3339(at).unwrap();
        let mut alert = Alert::new(
            SourceKind::Suricata,
            "eve",
            observed,
            at.into(),
            Fingerprint::of_text("eve", raw),
            raw.into(),
        );
        alert.rule.name = Some(format!("ET SCAN {raw}"));
        let classification = RuleSet::default_rules()
            .unwrap()
            .classify(&alert, &ScoreContext::default());
        ClassifiedAlert {
            alert,
            agency: agency.map(|a| AgencyCode::parse(a).unwrap()),
            agency_reason: Text::new("-", "-"),
            classification,
            context: ScoreContext::default(),
            group_key: key.into(),
            window_start: Timestamp::parse_rfc3339("2024-03-14T16:00:00Z").unwrap(),
        }
    }

    #[test]
    fn a_notification_grows_by_its_new_members_and_takes_the_earliest_ones_agency() {
        let mut high = classified("2024-03-15T02:00:00Z", "c", "k1", Some("POLICE"));
        high.classification.severity = Severity::High;
        let alerts = vec![
            classified("2024-03-15T03:00:00Z", "a", "k1", Some("CULTURE")),
            classified("2024-03-15T01:00:00Z", "b", "k1", Some("CULTURE")),
            high,
            classified("2024-03-15T05:00:00Z", "d", "k2", None),
        ];
        let members: Vec<GroupMember> = alerts
            .iter()
            .map(|c| GroupMember {
                fingerprint: c.alert.fingerprint,
                observed_at: c.alert.observed_at,
                key: GroupKey(vec![("key".into(), c.group_key.clone())]),
                window_start: c.window_start,
            })
            .collect();
        let reference = group_alerts(&[], &members);
        let write = AlertWrite::new(alerts);
        assert_eq!(write.groups.len(), reference.len());
        for (delta, update) in write.groups.iter().zip(&reference) {
            assert_eq!(delta.added, update.added);
            assert_eq!(delta.first_seen, update.group.first_seen);
            assert_eq!(delta.last_seen, update.group.last_seen);
        }
        let k1 = &write.groups[0];
        assert_eq!((k1.key.as_str(), k1.added), ("k1", 3));
        assert_eq!(k1.severity, Severity::High, "the worst member decides");
        assert_eq!(k1.agency.as_ref().unwrap().as_str(), "CULTURE");
        assert_eq!(write.groups[1].agency, None);
    }

    #[test]
    fn rollups_count_each_alert_once_under_its_taipei_day() {
        // 16:30 UTC on the 14th is already the 15th in Taipei.
        let alerts = vec![
            classified("2024-03-14T16:30:00Z", "a", "k", None),
            classified("2024-03-15T10:00:00Z", "b", "k", None),
            classified("2024-03-14T15:59:00Z", "c", "k", None),
        ];
        let write = AlertWrite::new(alerts);
        let days: Vec<(&str, u64)> = write
            .rollups
            .iter()
            .map(|(k, n)| (k.day.as_str(), *n))
            .collect();
        assert_eq!(days, [("2024-03-14", 1), ("2024-03-15", 2)]);
    }

    #[test]
    fn values_count_each_alerts_signature_and_addresses_under_its_taipei_month() {
        let mut a = classified("2024-03-31T16:30:00Z", "a", "k", Some("CULTURE"));
        a.alert.source.ip = "203.0.113.9".parse().ok();
        a.alert.techniques = vec![crate::alerts::TechniqueId::parse("T1190").unwrap()];
        let mut b = classified("2024-04-02T01:00:00Z", "a", "k", Some("CULTURE"));
        b.alert.source.ip = "203.0.113.9".parse().ok();
        let write = AlertWrite::new(vec![a, b]);
        let source: Vec<(&str, u64)> = write
            .values
            .iter()
            .filter(|(k, _)| k.dimension == Dimension::SourceIp)
            .map(|(k, d)| (k.month.as_str(), d.count))
            .collect();
        assert_eq!(
            source,
            [("2024-04", 2)],
            "16:30 UTC on 31 March is April in Taipei"
        );
        let technique = write
            .values
            .iter()
            .find(|(k, _)| k.dimension == Dimension::Technique)
            .unwrap();
        assert_eq!(
            (technique.0.value.as_str(), technique.1.count),
            ("T1190", 1)
        );
        let signatures = write
            .values
            .iter()
            .filter(|(k, _)| k.dimension == Dimension::Signature)
            .count();
        assert_eq!(signatures, 1, "both alerts carry the same rule name");
    }
}
