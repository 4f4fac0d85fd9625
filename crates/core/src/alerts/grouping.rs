//! Raw alerts grouped into notifications (警訊通報): alerts with the same configured key in the
//! same time window are one notification with a count and first/last seen. Windows are aligned to
//! Taipei midnight, so grouping depends only on the alerts, never on the order they arrive in;
//! fingerprints make feeding the same alerts twice change nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::agencies::AgencyCode;
use crate::alerts::agency::mask;
use crate::alerts::fingerprint::Fingerprint;
use crate::alerts::model::Alert;
use crate::alerts::rules::Category;
use crate::text::Text;
use crate::time::{TAIPEI, Timestamp};

/// What makes two alerts the same notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupField {
    Agency,
    /// The vendor rule: its name, else its id.
    Signature,
    Category,
    /// The source address's network: /24 for IPv4, /64 for IPv6.
    SourceNetwork,
    SourceIp,
    /// The destination address.
    Target,
    SourceName,
}

impl GroupField {
    pub fn as_str(&self) -> &'static str {
        match self {
            GroupField::Agency => "agency",
            GroupField::Signature => "signature",
            GroupField::Category => "category",
            GroupField::SourceNetwork => "source-network",
            GroupField::SourceIp => "source-ip",
            GroupField::Target => "target",
            GroupField::SourceName => "source-name",
        }
    }
}

/// Built only through [`GroupingPolicy::new`], so its window is always sensible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupingPolicy {
    fields: Vec<GroupField>,
    window_minutes: i64,
}

impl GroupingPolicy {
    /// A window from 1 minute to 31 days, and at least one field.
    pub fn new(fields: Vec<GroupField>, window: Duration) -> Result<Self, Text> {
        let minutes = window.whole_minutes();
        if fields.is_empty() {
            return Err(Text::new(
                "分組鍵至少要有一個欄位",
                "a grouping key needs at least one field",
            ));
        }
        if !(1..=31 * 24 * 60).contains(&minutes) {
            return Err(Text::new(
                "分組時間窗須介於 1 分鐘與 31 天之間",
                "the grouping window must be between 1 minute and 31 days",
            ));
        }
        let mut fields = fields;
        fields.dedup();
        Ok(GroupingPolicy {
            fields,
            window_minutes: minutes,
        })
    }

    pub fn fields(&self) -> &[GroupField] {
        &self.fields
    }

    pub fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }

    /// agency + signature + source /24, one hour: the SOC's usual notification.
    pub fn standard() -> Self {
        GroupingPolicy {
            fields: vec![
                GroupField::Agency,
                GroupField::Signature,
                GroupField::SourceNetwork,
            ],
            window_minutes: 60,
        }
    }

    /// The key and window of one alert, given its agency and category as decided elsewhere.
    pub fn member(
        &self,
        alert: &Alert,
        agency: Option<&AgencyCode>,
        category: Option<Category>,
    ) -> GroupMember {
        let parts = self
            .fields
            .iter()
            .map(|field| {
                let value = match field {
                    GroupField::Agency => agency.map(|a| a.as_str().to_string()),
                    GroupField::Signature => {
                        Some(alert.signature().to_string()).filter(|s| !s.is_empty())
                    }
                    GroupField::Category => category.map(|c| c.as_str().to_string()),
                    GroupField::SourceNetwork => alert.source.ip.map(network),
                    GroupField::SourceIp => alert.source.ip.map(|ip| ip.to_canonical().to_string()),
                    GroupField::Target => {
                        alert.destination.ip.map(|ip| ip.to_canonical().to_string())
                    }
                    GroupField::SourceName => Some(alert.source_name.clone()),
                };
                (
                    field.as_str().to_string(),
                    value.unwrap_or_else(|| "-".into()),
                )
            })
            .collect();
        GroupMember {
            fingerprint: alert.fingerprint,
            observed_at: alert.observed_at,
            key: GroupKey(parts),
            window_start: self.window_start(alert.observed_at),
        }
    }

    /// Windows start at Taipei midnight and repeat every `window`.
    fn window_start(&self, at: Timestamp) -> Timestamp {
        let window_ms = self.window_minutes.saturating_mul(60_000).max(1);
        let shift = i64::from(TAIPEI.whole_seconds()) * 1000;
        let local = at.as_millis().saturating_add(shift);
        let start = local.div_euclid(window_ms) * window_ms - shift;
        Timestamp::from_millis(start).unwrap_or(at)
    }
}

fn network(ip: IpAddr) -> String {
    let ip = ip.to_canonical();
    let prefix = if ip.is_ipv4() { 24 } else { 64 };
    format!("{}/{prefix}", mask(ip, prefix))
}

/// The key's fields and values in the policy's order, e.g. agency=CULTURE, signature=ET SCAN ….
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupKey(pub Vec<(String, String)>);

impl GroupKey {
    /// One string for storage and look-ups: the pairs as JSON, in the policy's field order.
    pub fn canonical(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub fingerprint: Fingerprint,
    pub observed_at: Timestamp,
    pub key: GroupKey,
    pub window_start: Timestamp,
}

/// One notification: a key in a window, with what fell into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertGroup {
    pub key: GroupKey,
    pub window_start: Timestamp,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    /// The alerts in the group, by fingerprint: what makes feeding them again a no-op.
    pub members: BTreeSet<Fingerprint>,
}

/// A group that is new or grew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupUpdate {
    pub group: AlertGroup,
    pub created: bool,
    pub added: u64,
}

/// Adds new alerts to the groups open so far. Returns only the groups that are new or grew, in a
/// fixed order (window, then key), whatever order the alerts came in.
pub fn group_alerts(existing: &[AlertGroup], new: &[GroupMember]) -> Vec<GroupUpdate> {
    let mut groups: BTreeMap<(Timestamp, GroupKey), AlertGroup> = existing
        .iter()
        .map(|g| ((g.window_start, g.key.clone()), g.clone()))
        .collect();
    let mut touched: BTreeMap<(Timestamp, GroupKey), (bool, u64)> = BTreeMap::new();
    let mut sorted: Vec<&GroupMember> = new.iter().collect();
    sorted.sort_by_key(|m| (m.observed_at, m.fingerprint));
    for member in sorted {
        let id = (member.window_start, member.key.clone());
        let is_new = !groups.contains_key(&id);
        let group = groups.entry(id.clone()).or_insert_with(|| AlertGroup {
            key: member.key.clone(),
            window_start: member.window_start,
            first_seen: member.observed_at,
            last_seen: member.observed_at,
            count: 0,
            members: BTreeSet::new(),
        });
        if !group.members.insert(member.fingerprint) {
            continue;
        }
        group.count += 1;
        group.first_seen = group.first_seen.min(member.observed_at);
        group.last_seen = group.last_seen.max(member.observed_at);
        let entry = touched.entry(id).or_insert((is_new, 0));
        entry.1 += 1;
    }
    touched
        .into_iter()
        .filter_map(|(id, (created, added))| {
            groups.get(&id).map(|g| GroupUpdate {
                group: g.clone(),
                created,
                added,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::SourceKind;

    fn alert(at: &str, src: &str, signature: &str, raw: &str) -> Alert {
        let mut a = Alert::new(
            SourceKind::Suricata,
            "eve",
            Timestamp::parse_rfc3339(at).unwrap(),
            at.to_string(),
            Fingerprint::of_text("eve", raw),
            raw.to_string(),
        );
        a.source.ip = src.parse().ok();
        a.destination.ip = "10.20.30.40".parse().ok();
        a.rule.name = Some(signature.to_string());
        a
    }

    fn culture() -> AgencyCode {
        AgencyCode::parse("CULTURE").unwrap()
    }

    fn members(policy: &GroupingPolicy, alerts: &[Alert]) -> Vec<GroupMember> {
        alerts
            .iter()
            .map(|a| policy.member(a, Some(&culture()), Some(Category::InformationGathering)))
            .collect()
    }

    fn scan_burst() -> Vec<Alert> {
        vec![
            alert(
                "2026-03-01T02:05:00Z",
                "203.0.113.7",
                "ET SCAN Potential SSH Scan",
                "1",
            ),
            alert(
                "2026-03-01T02:15:00Z",
                "203.0.113.99",
                "ET SCAN Potential SSH Scan",
                "2",
            ),
            alert(
                "2026-03-01T02:55:00Z",
                "203.0.113.7",
                "ET SCAN Potential SSH Scan",
                "3",
            ),
            alert(
                "2026-03-01T03:05:00Z",
                "203.0.113.7",
                "ET SCAN Potential SSH Scan",
                "4",
            ),
            alert(
                "2026-03-01T02:20:00Z",
                "198.51.100.1",
                "ET SCAN Potential SSH Scan",
                "5",
            ),
            alert(
                "2026-03-01T02:30:00Z",
                "203.0.113.7",
                "ET CINS Active Threat Intelligence",
                "6",
            ),
        ]
    }

    #[test]
    fn a_scan_from_one_network_within_the_hour_is_one_notification_with_its_count() {
        let policy = GroupingPolicy::standard();
        let updates = group_alerts(&[], &members(&policy, &scan_burst()));
        assert_eq!(updates.len(), 4);
        let ssh = updates
            .iter()
            .find(|u| u.group.count == 3)
            .expect("the /24 burst in the 02:00 hour");
        assert_eq!(ssh.group.first_seen.to_rfc3339(), "2026-03-01T02:05:00Z");
        assert_eq!(ssh.group.last_seen.to_rfc3339(), "2026-03-01T02:55:00Z");
        assert_eq!(ssh.group.window_start.to_rfc3339(), "2026-03-01T02:00:00Z");
        assert!(ssh.created);
        assert!(ssh.group.key.canonical().contains("203.0.113.0/24"));
        assert!(ssh.group.key.canonical().contains("CULTURE"));
    }

    #[test]
    fn feeding_the_same_alerts_again_changes_nothing() {
        let policy = GroupingPolicy::standard();
        let input = members(&policy, &scan_burst());
        let first = group_alerts(&[], &input);
        let groups: Vec<AlertGroup> = first.iter().map(|u| u.group.clone()).collect();
        assert!(group_alerts(&groups, &input).is_empty());
        // Within one batch, a repeated alert counts once.
        let doubled: Vec<GroupMember> = input.iter().chain(input.iter()).cloned().collect();
        let once = group_alerts(&[], &doubled);
        assert_eq!(once, first);
    }

    #[test]
    fn the_order_alerts_arrive_in_does_not_change_the_groups() {
        let policy = GroupingPolicy::standard();
        let input = members(&policy, &scan_burst());
        let mut reversed = input.clone();
        reversed.reverse();
        assert_eq!(group_alerts(&[], &input), group_alerts(&[], &reversed));
        // Split over two batches, the end state is the same as one batch.
        let (a, b) = input.split_at(3);
        let step1 = group_alerts(&[], b);
        let open: Vec<AlertGroup> = step1.iter().map(|u| u.group.clone()).collect();
        let step2 = group_alerts(&open, a);
        let mut merged: BTreeMap<String, AlertGroup> = BTreeMap::new();
        for u in step1.into_iter().chain(step2) {
            merged.insert(
                format!("{}{}", u.group.window_start, u.group.key.canonical()),
                u.group,
            );
        }
        let whole: Vec<AlertGroup> = group_alerts(&[], &input)
            .into_iter()
            .map(|u| u.group)
            .collect();
        assert_eq!(merged.into_values().collect::<Vec<_>>(), whole);
    }

    #[test]
    fn a_later_alert_extends_an_open_group_and_reports_what_it_added() {
        let policy = GroupingPolicy::standard();
        let burst = scan_burst();
        let first = group_alerts(&[], &members(&policy, &burst[..1]));
        let open: Vec<AlertGroup> = first.iter().map(|u| u.group.clone()).collect();
        let second = group_alerts(&open, &members(&policy, &burst[1..3]));
        assert_eq!(second.len(), 1);
        assert!(!second[0].created);
        assert_eq!(second[0].added, 2);
        assert_eq!(second[0].group.count, 3);
    }

    #[test]
    fn day_windows_start_at_taipei_midnight() {
        let policy = GroupingPolicy::new(
            vec![GroupField::Agency, GroupField::Category],
            Duration::days(1),
        )
        .unwrap();
        // 15:59 UTC is 23:59 in Taipei; 16:01 UTC is the next Taipei day.
        let a = alert("2026-03-01T15:59:00Z", "203.0.113.7", "x", "a");
        let b = alert("2026-03-01T16:01:00Z", "203.0.113.7", "x", "b");
        let updates = group_alerts(&[], &members(&policy, &[a, b]));
        assert_eq!(updates.len(), 2);
        assert_eq!(
            updates[0].group.window_start.to_rfc3339(),
            "2026-02-28T16:00:00Z"
        );
        assert_eq!(
            updates[1].group.window_start.to_rfc3339(),
            "2026-03-01T16:00:00Z"
        );
    }

    #[test]
    fn a_policy_needs_a_field_and_a_sensible_window() {
        assert!(GroupingPolicy::new(vec![], Duration::hours(1)).is_err());
        assert!(GroupingPolicy::new(vec![GroupField::Target], Duration::seconds(10)).is_err());
        assert!(GroupingPolicy::new(vec![GroupField::Target], Duration::days(40)).is_err());
        assert!(GroupingPolicy::new(vec![GroupField::Target], Duration::hours(6)).is_ok());
    }
}
