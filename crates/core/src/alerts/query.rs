//! Reading stored alerts back: the list filter, the rows a list shows, and the audit's table
//! (counts and shares by category and severity) made from the rollups.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::alerts::rules::{Category, Severity, SubBucket};
use crate::text::Text;
use crate::time::Timestamp;

/// Which alerts (or which counts) to read. `visible` is set by the service from the caller's
/// grants: `None` is the whole city (alerts without an agency included), `Some` only those
/// agencies' alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub visible: Option<Vec<AgencyCode>>,
    pub agency: Option<AgencyCode>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    /// Observed at or after.
    pub from: Option<Timestamp>,
    /// Observed before.
    pub to: Option<Timestamp>,
    /// The alerts of one notification.
    pub group_id: Option<i64>,
    /// For `other`: one sub-bucket.
    pub sub_bucket: Option<SubBucket>,
    /// One configured source.
    pub source: Option<String>,
    /// One value of a ranked dimension (a signature, an address, a technique): the drill-down
    /// from the analysis' top lists.
    pub value: Option<(crate::alerts::analysis::Dimension, String)>,
    /// Words every matching alert contains, in any of the fields [`search_text`] indexes
    /// (`log4j 10.47.2.2`, `CVE-2021-44228`): whole words, case- and accent-insensitive.
    pub text: Option<String>,
}

/// What the alert list's full-text search finds an alert by: its signature and rule, its
/// addresses, hosts, users and agent, the message, the protocol, the threat observables (domains,
/// URLs, file hashes) and the ATT&CK techniques. One line of words, indexed at import.
pub fn search_text(alert: &crate::alerts::Alert) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut push = |v: Option<&str>| {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty())
            && !words.iter().any(|w| w == v)
        {
            words.push(v.to_string());
        }
    };
    push(Some(alert.signature()));
    push(alert.rule.name.as_deref());
    push(alert.rule.id.as_deref());
    push(alert.rule.category.as_deref());
    for group in &alert.rule.groups {
        push(Some(group));
    }
    for end in [&alert.source, &alert.destination] {
        push(end.ip.map(|ip| ip.to_string()).as_deref());
        push(end.host.as_deref());
        push(end.user.as_deref());
    }
    push(alert.host_name.as_deref());
    push(alert.agent_name.as_deref());
    push(alert.observer.name.as_deref());
    push(alert.app_protocol.as_deref());
    push(alert.message.as_deref());
    for o in &alert.observables {
        push(Some(&o.value));
    }
    for t in &alert.techniques {
        push(Some(t.as_str()));
    }
    words.join(" ")
}

/// One stored alert as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub fingerprint: String,
    pub source_name: String,
    pub source_kind: String,
    pub observed_at: Timestamp,
    pub agency: Option<AgencyCode>,
    pub category: Category,
    pub sub_bucket: Option<SubBucket>,
    pub severity: Severity,
    pub score: i32,
    pub rsit: String,
    pub rule_set_version: String,
    pub matched_rule_id: Option<String>,
    pub signature: String,
    pub source_ip: Option<String>,
    pub source_port: Option<u16>,
    pub destination_ip: Option<String>,
    pub destination_port: Option<u16>,
    /// The notification it belongs to.
    pub group_id: i64,
    /// Why it got its category and severity.
    pub reasons: Vec<Text>,
}

/// One notification (警訊通報) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertGroupRow {
    pub id: i64,
    /// The grouping key as canonical JSON pairs.
    pub key: String,
    pub window_start: Timestamp,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub category: Category,
    pub severity: Severity,
    pub agency: Option<AgencyCode>,
}

/// One rollup cell with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupRow {
    pub day: String,
    pub agency: Option<AgencyCode>,
    pub category: Category,
    pub sub_bucket: Option<SubBucket>,
    pub severity: Severity,
    pub source: String,
    pub count: u64,
}

/// A count with its share of the total, in percent with two decimals (48.51).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub count: u64,
    pub share_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLine {
    pub category: Category,
    pub label: Text,
    #[serde(flatten)]
    pub share: Share,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityLine {
    pub severity: Severity,
    pub label: Text,
    #[serde(flatten)]
    pub share: Share,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubBucketLine {
    pub sub_bucket: SubBucket,
    pub label: Text,
    #[serde(flatten)]
    pub share: Share,
}

/// One cell of the category × severity table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryCell {
    pub category: Category,
    pub severity: Severity,
    #[serde(flatten)]
    pub share: Share,
}

/// The audit's table: category, count, share; the same by severity; and the cross table.
/// Shares are of the total, so each list sums to 100 (give or take rounding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSummary {
    pub total: u64,
    pub by_category: Vec<CategoryLine>,
    pub by_severity: Vec<SeverityLine>,
    /// 其他 split into its sub-buckets, so that "other" is never a black box.
    pub other_by_sub_bucket: Vec<SubBucketLine>,
    pub cells: Vec<SummaryCell>,
}

const SEVERITIES: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

pub(crate) fn share(count: u64, total: u64) -> Share {
    // Basis points in integers, rounded half up, so 2,237 of 4,611 reads 48.51 exactly.
    let basis_points = if total == 0 {
        0
    } else {
        (u128::from(count) * 10_000 + u128::from(total) / 2) / u128::from(total)
    };
    Share {
        count,
        share_percent: basis_points as f64 / 100.0,
    }
}

impl AlertSummary {
    /// Adds up rollup rows. Every category and severity is listed, zeros included, in the
    /// order the city reports them.
    pub fn from_rollups(rows: &[RollupRow]) -> Self {
        let mut by_category: BTreeMap<Category, u64> = BTreeMap::new();
        let mut by_severity: BTreeMap<Severity, u64> = BTreeMap::new();
        let mut by_sub: BTreeMap<SubBucket, u64> = BTreeMap::new();
        let mut cells: BTreeMap<(Category, Severity), u64> = BTreeMap::new();
        let mut total = 0;
        for row in rows {
            total += row.count;
            *by_category.entry(row.category).or_insert(0) += row.count;
            *by_severity.entry(row.severity).or_insert(0) += row.count;
            *cells.entry((row.category, row.severity)).or_insert(0) += row.count;
            if row.category == Category::Other {
                let sub = row.sub_bucket.unwrap_or(SubBucket::Unclassified);
                *by_sub.entry(sub).or_insert(0) += row.count;
            }
        }
        let count = |n: Option<&u64>| n.copied().unwrap_or(0);
        AlertSummary {
            total,
            by_category: Category::ALL
                .iter()
                .map(|c| CategoryLine {
                    category: *c,
                    label: c.label(),
                    share: share(count(by_category.get(c)), total),
                })
                .collect(),
            by_severity: SEVERITIES
                .iter()
                .map(|s| SeverityLine {
                    severity: *s,
                    label: s.label(),
                    share: share(count(by_severity.get(s)), total),
                })
                .collect(),
            other_by_sub_bucket: SubBucket::ALL
                .iter()
                .map(|b| SubBucketLine {
                    sub_bucket: *b,
                    label: b.label(),
                    share: share(count(by_sub.get(b)), total),
                })
                .collect(),
            cells: Category::ALL
                .iter()
                .flat_map(|c| SEVERITIES.iter().map(move |s| (*c, *s)))
                .map(|(c, s)| SummaryCell {
                    category: c,
                    severity: s,
                    share: share(count(cells.get(&(c, s))), total),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(category: Category, severity: Severity, count: u64) -> RollupRow {
        RollupRow {
            day: "2024-12-31".into(),
            agency: None,
            category,
            sub_bucket: (category == Category::Other).then_some(SubBucket::Policy),
            severity,
            source: "eve".into(),
            count,
        }
    }

    #[test]
    fn the_audits_table_of_2024_is_reproduced_with_its_percentages() {
        // The audit's 4,611 notifications: intrusion attempts 2,237, other 844,
        // information gathering 583, the rest elsewhere; high 75, medium 4,301.
        let rows = [
            row(Category::IntrusionAttempt, Severity::Medium, 2_162),
            row(Category::IntrusionAttempt, Severity::High, 75),
            row(Category::Other, Severity::Medium, 844),
            row(Category::InformationGathering, Severity::Medium, 583),
            row(Category::WebAttack, Severity::Medium, 712),
            row(Category::Malware, Severity::Low, 235),
        ];
        let s = AlertSummary::from_rollups(&rows);
        assert_eq!(s.total, 4_611);
        let cat = |c: Category| {
            let line = s.by_category.iter().find(|l| l.category == c).unwrap();
            (line.share.count, line.share.share_percent)
        };
        assert_eq!(cat(Category::IntrusionAttempt), (2_237, 48.51));
        assert_eq!(cat(Category::Other), (844, 18.30));
        assert_eq!(cat(Category::InformationGathering), (583, 12.64));
        assert_eq!(cat(Category::Dos), (0, 0.0));
        let sev = |v: Severity| {
            let line = s.by_severity.iter().find(|l| l.severity == v).unwrap();
            (line.share.count, line.share.share_percent)
        };
        assert_eq!(sev(Severity::High), (75, 1.63));
        assert_eq!(sev(Severity::Medium), (4_301, 93.28));
        assert_eq!(s.other_by_sub_bucket[0].share.count, 844);
        assert_eq!(s.cells.len(), 21);
        assert_eq!(s.cells.iter().map(|c| c.share.count).sum::<u64>(), 4_611);
    }

    #[test]
    fn an_empty_period_reads_zero_everywhere_without_dividing_by_zero() {
        let s = AlertSummary::from_rollups(&[]);
        assert_eq!(s.total, 0);
        assert!(s.by_category.iter().all(|l| l.share.share_percent == 0.0));
    }
}
