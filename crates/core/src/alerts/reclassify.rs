//! Re-applying classification rules to stored alerts: what a changed rule file would do to the
//! last 30 days (the preview an administrator sees before saving), and the record of a re-run
//! over history. Each alert is classified again from its stored record and the score facts it
//! had when it arrived, so only the rules change the outcome.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alerts::model::Alert;
use crate::alerts::rules::{Category, Classification, RuleSet, Severity, SubBucket};
use crate::alerts::severity::ScoreContext;
use crate::text::Text;
use crate::time::Timestamp;

/// A stored alert with its current class, as re-classification reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredClass {
    pub id: i64,
    pub group_id: i64,
    pub observed_at: Timestamp,
    pub category: Category,
    pub sub_bucket: Option<SubBucket>,
    pub severity: Severity,
    pub rule_set_version: String,
    pub context: ScoreContext,
    pub alert: Alert,
}

/// How many alerts moved from one class to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from_category: Category,
    pub from_severity: Severity,
    pub to_category: Category,
    pub to_severity: Severity,
    pub count: u64,
}

impl Transition {
    pub fn explain(&self) -> Text {
        let (fc, tc) = (self.from_category.label(), self.to_category.label());
        let (fs, ts) = (self.from_severity.label(), self.to_severity.label());
        Text::new(
            format!(
                "{}（{}）→ {}（{}）：{} 筆",
                fc.zh, fs.zh, tc.zh, ts.zh, self.count
            ),
            format!(
                "{} ({}) → {} ({}): {}",
                fc.en, fs.en, tc.en, ts.en, self.count
            ),
        )
    }
}

/// What re-applying a rule set did, or would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclassification {
    pub rule_set_version: String,
    pub examined: u64,
    /// Alerts whose category, sub-bucket or severity changes.
    pub changed: u64,
    /// Alerts that only take the new version (same class).
    pub restamped: u64,
    /// The moves, largest first.
    pub transitions: Vec<Transition>,
    /// Counts by category before and after, in the city's order.
    pub before: Vec<(Category, u64)>,
    pub after: Vec<(Category, u64)>,
}

/// Adds alerts up as they are classified again.
#[derive(Debug, Default)]
pub struct Tally {
    examined: u64,
    changed: u64,
    restamped: u64,
    moves: BTreeMap<(Category, Severity, Category, Severity), u64>,
    before: BTreeMap<Category, u64>,
    after: BTreeMap<Category, u64>,
}

/// Whether an alert's class moves (category, sub-bucket or severity) under `new`.
pub fn class_changes(stored: &StoredClass, new: &Classification) -> bool {
    stored.category != new.category
        || stored.sub_bucket != new.sub_bucket
        || stored.severity != new.severity
}

impl Tally {
    /// Classifies one stored alert with `rules`, counts it, and returns the new class when
    /// anything stored about it would change (its class or only the version that decided it).
    pub fn classify(&mut self, stored: &StoredClass, rules: &RuleSet) -> Option<Classification> {
        let new = rules.classify(&stored.alert, &stored.context);
        self.examined += 1;
        *self.before.entry(stored.category).or_insert(0) += 1;
        *self.after.entry(new.category).or_insert(0) += 1;
        if class_changes(stored, &new) {
            self.changed += 1;
            *self
                .moves
                .entry((stored.category, stored.severity, new.category, new.severity))
                .or_insert(0) += 1;
            Some(new)
        } else if stored.rule_set_version != new.rule_set_version {
            self.restamped += 1;
            Some(new)
        } else {
            None
        }
    }

    pub fn finish(self, rule_set_version: &str) -> Reclassification {
        let mut transitions: Vec<Transition> = self
            .moves
            .into_iter()
            .map(|((fc, fs, tc, ts), count)| Transition {
                from_category: fc,
                from_severity: fs,
                to_category: tc,
                to_severity: ts,
                count,
            })
            .collect();
        transitions.sort_by_key(|t| std::cmp::Reverse(t.count));
        let list = |m: &BTreeMap<Category, u64>| {
            Category::ALL
                .iter()
                .map(|c| (*c, m.get(c).copied().unwrap_or(0)))
                .collect()
        };
        Reclassification {
            rule_set_version: rule_set_version.to_string(),
            examined: self.examined,
            changed: self.changed,
            restamped: self.restamped,
            before: list(&self.before),
            after: list(&self.after),
            transitions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Fingerprint, SourceKind};

    fn stored(name: &str, category: Category, severity: Severity) -> StoredClass {
        let at = Timestamp::parse_rfc3339("2024-03-15T02:00:00Z").unwrap();
        let mut alert = Alert::new(
            SourceKind::Suricata,
            "eve",
            at,
            "2024-03-15T10:00:00+08:00".into(),
            Fingerprint::of_text("eve", name),
            name.into(),
        );
        alert.rule.name = Some(name.into());
        StoredClass {
            id: 1,
            group_id: 1,
            observed_at: at,
            category,
            sub_bucket: None,
            severity,
            rule_set_version: "default-2026.1".into(),
            context: ScoreContext::default(),
            alert,
        }
    }

    #[test]
    fn a_changed_rule_moves_the_alerts_it_now_matches_and_counts_the_moves() {
        let rules = RuleSet::default_rules().unwrap();
        let mut tally = Tally::default();
        let scan = stored(
            "ET SCAN Nmap Scripting Engine",
            Category::Malware,
            Severity::High,
        );
        let current = rules.classify(&scan.alert, &scan.context);
        assert_eq!(current.category, Category::InformationGathering);
        // Classified as the rules in force do: nothing moves, nothing to write.
        let same = StoredClass {
            category: current.category,
            sub_bucket: current.sub_bucket,
            severity: current.severity,
            ..scan.clone()
        };
        assert!(tally.classify(&same, &rules).is_none());
        // Stored as malware (an older rule said so): it moves, and the move is counted.
        let moved = tally.classify(&scan, &rules).unwrap();
        assert_eq!(moved.category, Category::InformationGathering);
        let r = tally.finish(rules.version());
        assert_eq!((r.examined, r.changed, r.restamped), (2, 1, 0));
        assert_eq!(r.transitions.len(), 1);
        let t = &r.transitions[0];
        assert_eq!(
            (t.from_category, t.from_severity),
            (Category::Malware, Severity::High)
        );
        assert_eq!(t.to_category, Category::InformationGathering);
        assert!(
            t.explain().zh.starts_with("惡意程式（高）→ 資訊蒐集"),
            "{}",
            t.explain().zh
        );
        let count = |list: &[(Category, u64)], c: Category| {
            list.iter().find(|(k, _)| *k == c).map(|(_, n)| *n).unwrap()
        };
        assert_eq!(count(&r.before, Category::Malware), 1);
        assert_eq!(count(&r.after, Category::Malware), 0);
        assert_eq!(count(&r.after, Category::InformationGathering), 2);
    }

    #[test]
    fn an_alert_of_an_older_version_with_the_same_class_is_restamped_not_moved() {
        let rules = RuleSet::default_rules().unwrap();
        let scan = stored(
            "ET SCAN Nmap Scripting Engine",
            Category::Other,
            Severity::Low,
        );
        let current = rules.classify(&scan.alert, &scan.context);
        let old = StoredClass {
            category: current.category,
            sub_bucket: current.sub_bucket,
            severity: current.severity,
            rule_set_version: "city-2025.9".into(),
            ..scan
        };
        let mut tally = Tally::default();
        assert!(tally.classify(&old, &rules).is_some());
        let r = tally.finish(rules.version());
        assert_eq!((r.changed, r.restamped), (0, 1));
        assert!(r.transitions.is_empty());
    }
}
