//! What crosses the intel store port: indicators as lists show them, each pattern test as a
//! (kind, value) row the store indexes and the matcher reloads without reading JSON, alert
//! matches and the sightings made from them.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::alerts::{Fingerprint, Observable as AlertObservable, ObservableKind as AlertKind};
use crate::text::Text;
use crate::time::Timestamp;

use super::id::StixId;
use super::observable::{HashAlgorithm, MatchKey};
use super::pattern::Test;

/// One test of an indicator's match plan as stored: the STIX object type or hash it compares
/// (`ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr`, `file:hashes.SHA-256`…) and
/// the value in normal form; an address block is written `network/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TestRow {
    pub kind: String,
    pub value: String,
}

impl TestRow {
    pub fn of(test: &Test) -> Self {
        let row = |kind: &str, value: String| TestRow {
            kind: kind.to_string(),
            value,
        };
        match test {
            Test::Equals(key) => match key {
                MatchKey::Ipv4(a) => row("ipv4-addr", Ipv4Addr::from(*a).to_string()),
                MatchKey::Ipv6(a) => row("ipv6-addr", Ipv6Addr::from(*a).to_string()),
                MatchKey::Domain(d) => row("domain-name", d.clone()),
                MatchKey::Url(u) => row("url", u.clone()),
                MatchKey::Email(e) => row("email-addr", e.clone()),
                MatchKey::Hash(algorithm, hex) => row(
                    &format!("file:hashes.{}", algorithm.stix_name()),
                    hex.clone(),
                ),
            },
            Test::InIpv4Network { network, prefix } => row(
                "ipv4-addr",
                format!("{}/{prefix}", Ipv4Addr::from(*network)),
            ),
            Test::InIpv6Network { network, prefix } => row(
                "ipv6-addr",
                format!("{}/{prefix}", Ipv6Addr::from(*network)),
            ),
        }
    }

    /// The test again; `None` for a row civitas did not write.
    pub fn test(&self) -> Option<Test> {
        let value = self.value.as_str();
        match self.kind.as_str() {
            "ipv4-addr" => match value.split_once('/') {
                Some((network, prefix)) => Some(Test::InIpv4Network {
                    network: network.parse::<Ipv4Addr>().ok()?.into(),
                    prefix: prefix.parse().ok().filter(|p| *p <= 32)?,
                }),
                None => Some(Test::Equals(MatchKey::Ipv4(
                    value.parse::<Ipv4Addr>().ok()?.into(),
                ))),
            },
            "ipv6-addr" => match value.split_once('/') {
                Some((network, prefix)) => Some(Test::InIpv6Network {
                    network: network.parse::<Ipv6Addr>().ok()?.into(),
                    prefix: prefix.parse().ok().filter(|p| *p <= 128)?,
                }),
                None => Some(Test::Equals(MatchKey::Ipv6(
                    value.parse::<Ipv6Addr>().ok()?.into(),
                ))),
            },
            "domain-name" => Some(Test::Equals(MatchKey::Domain(value.to_string()))),
            "url" => Some(Test::Equals(MatchKey::Url(value.to_string()))),
            "email-addr" => Some(Test::Equals(MatchKey::Email(value.to_string()))),
            other => {
                let algorithm = HashAlgorithm::parse(other.strip_prefix("file:hashes.")?)?;
                Some(Test::Equals(MatchKey::Hash(algorithm, value.to_string())))
            }
        }
    }
}

/// An indicator as the matcher loads it: not revoked, with a pattern civitas matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedIndicator {
    pub id: StixId,
    pub name: Option<String>,
    pub valid_from: Timestamp,
    pub valid_until: Option<Timestamp>,
    /// (alternative, tests) in the order they were written.
    pub alternatives: Vec<Vec<TestRow>>,
}

/// An indicator as a list shows it (its newest version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorRow {
    pub id: StixId,
    pub name: Option<String>,
    pub pattern: String,
    pub pattern_type: String,
    pub valid_from: Timestamp,
    pub valid_until: Option<Timestamp>,
    pub revoked: bool,
    /// Why civitas cannot match the pattern; `None` when it can.
    pub not_matchable: Option<Text>,
    pub created_by_ref: Option<StixId>,
    /// The version stored (`modified`).
    pub modified: String,
    /// How many versions of it are kept.
    pub versions: u64,
    /// The values the pattern compares, as stored for look-up.
    pub tests: Vec<TestRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    /// Only indicators comparing this value (exact, in normal form as [`TestRow`] writes it).
    pub value: Option<String>,
    /// Only those that can match now: not revoked, matchable, valid at `active_at`.
    pub active_at: Option<Timestamp>,
}

/// An alert's observables, for matching what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertObservables {
    pub id: i64,
    pub fingerprint: Fingerprint,
    pub observed_at: Timestamp,
    pub observables: Vec<AlertObservable>,
}

/// An alert matched an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertMatch {
    pub fingerprint: Fingerprint,
    pub indicator: StixId,
}

/// What the stored matches of one indicator in one notification add up to, with the
/// sighting already stored for them, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingTally {
    pub indicator: StixId,
    pub group_id: i64,
    /// The notification's window start and key: the sighting's stable group key.
    pub group_key: String,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub count: u64,
    pub stored: Option<super::sighting::CitySighting>,
}

/// A sighting as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SightingRow {
    pub sighting: super::sighting::CitySighting,
    pub group_id: i64,
    pub agency: Option<AgencyCode>,
    pub indicator_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SightingFilter {
    /// The agencies the caller reads; `None` is the whole city.
    pub visible: Option<Vec<AgencyCode>>,
    pub indicator: Option<StixId>,
}

/// The key an alert observable is matched by.
pub fn alert_key(observable: &AlertObservable) -> Option<MatchKey> {
    use super::observable::ObservableKind as Kind;
    let kind = match observable.kind {
        AlertKind::Ipv4Addr => Kind::Ipv4,
        AlertKind::Ipv6Addr => Kind::Ipv6,
        AlertKind::DomainName => Kind::Domain,
        AlertKind::Url => Kind::Url,
        AlertKind::FileMd5 => Kind::FileHash(HashAlgorithm::Md5),
        AlertKind::FileSha1 => Kind::FileHash(HashAlgorithm::Sha1),
        AlertKind::FileSha256 => Kind::FileHash(HashAlgorithm::Sha256),
    };
    MatchKey::new(kind, &observable.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::pattern::{Matchability, Pattern};

    #[test]
    fn every_kind_of_test_is_written_as_a_row_and_read_back_the_same() {
        let pattern = "[ipv4-addr:value = '198.51.100.1'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24'] \
             OR [ipv6-addr:value = '2001:DB8::1'] OR [ipv6-addr:value ISSUBSET '2001:db8:abcd::/48'] \
             OR [domain-name:value = 'Evil.Example.'] OR [url:value = 'HTTP://X4Z9ARB.CN/4712/'] \
             OR [email-addr:value = 'Boss@Evil.Example'] \
             OR [file:hashes.'SHA-256' = 'EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C'] \
             OR [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']";
        let Matchability::Matchable(plan) = Pattern::parse(pattern).unwrap().match_plan() else {
            panic!()
        };
        let rows: Vec<TestRow> = plan
            .alternatives
            .iter()
            .flatten()
            .map(TestRow::of)
            .collect();
        let shown: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.kind, r.value))
            .collect();
        assert_eq!(
            shown,
            [
                "ipv4-addr 198.51.100.1",
                "ipv4-addr 203.0.113.0/24",
                "ipv6-addr 2001:db8::1",
                "ipv6-addr 2001:db8:abcd::/48",
                "domain-name evil.example",
                "url http://x4z9arb.cn/4712/",
                "email-addr boss@evil.example",
                "file:hashes.SHA-256 ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c",
                "file:hashes.MD5 d41d8cd98f00b204e9800998ecf8427e",
            ]
        );
        for (row, test) in rows.iter().zip(plan.alternatives.iter().flatten()) {
            assert_eq!(row.test().as_ref(), Some(test), "{row:?}");
        }
        let unknown = TestRow {
            kind: "mutex".into(),
            value: "x".into(),
        };
        assert_eq!(unknown.test(), None);
    }

    #[test]
    fn alert_observables_meet_indicator_values_in_the_same_normal_form() {
        let ip = AlertObservable::ip("10.0.0.0".parse().unwrap());
        assert_eq!(alert_key(&ip), Some(MatchKey::Ipv4(0x0a00_0000)));
        let url = AlertObservable::url("http://X4Z9ARB.cn:80/4712/").unwrap();
        assert_eq!(
            alert_key(&url),
            Some(MatchKey::Url("http://x4z9arb.cn/4712/".into()))
        );
        let hash = AlertObservable::hash(&"A".repeat(40)).unwrap();
        assert_eq!(
            alert_key(&hash),
            Some(MatchKey::Hash(HashAlgorithm::Sha1, "a".repeat(40)))
        );
    }
}
