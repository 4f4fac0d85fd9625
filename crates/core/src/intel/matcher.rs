//! Which indicators an alert's observables match. The index holds every matchable indicator
//! that is not revoked, with its validity; a lookup at time t keeps those active then
//! (valid_from ≤ t < valid_until), so the index need not be rebuilt as time passes. Exact
//! values are found through one hash map, address blocks through one table per prefix length
//! in use.

use std::collections::HashMap;

use crate::time::Timestamp;

use super::id::StixId;
use super::object::StixObject;
use super::observable::{MatchKey, Observable};
use super::pattern::{MatchPlan, Matchability, Test};

/// An indicator ready for the index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorEntry {
    pub id: StixId,
    pub valid_from: Timestamp,
    pub valid_until: Option<Timestamp>,
    pub plan: MatchPlan,
}

impl IndicatorEntry {
    /// `None` for objects that are not indicators, revoked indicators and indicators whose
    /// pattern civitas cannot match.
    pub fn of(object: &StixObject) -> Option<Self> {
        let indicator = object.as_indicator()?;
        if object.revoked {
            return None;
        }
        let Matchability::Matchable(plan) = &indicator.matchability else {
            return None;
        };
        Some(IndicatorEntry {
            id: object.id.clone(),
            valid_from: indicator.valid_from.at(),
            valid_until: indicator.valid_until.as_ref().map(|u| u.at()),
            plan: plan.clone(),
        })
    }

    fn active_at(&self, at: Timestamp) -> bool {
        self.valid_from <= at && self.valid_until.is_none_or(|until| at < until)
    }
}

/// One indicator matched, with the observables (positions in the caller's list) that met its
/// tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorMatch {
    pub indicator: StixId,
    pub observables: Vec<usize>,
}

/// Where a value leads: test `test` of alternative `alternative`.
#[derive(Debug, Clone, Copy)]
struct Hit {
    alternative: u32,
    test: u8,
}

#[derive(Debug, Clone, Copy)]
struct Alternative {
    indicator: u32,
    /// How many tests must all be met.
    tests: u8,
}

/// How many indicators an index holds and how many were left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexSummary {
    pub indexed: u64,
    pub revoked: u64,
    pub not_matchable: u64,
}

#[derive(Debug, Default)]
pub struct IndicatorIndex {
    indicators: Vec<IndicatorEntry>,
    alternatives: Vec<Alternative>,
    exact: HashMap<MatchKey, Vec<Hit>>,
    /// Sorted by prefix length; only lengths that occur.
    ipv4_networks: Vec<(u8, HashMap<u32, Vec<Hit>>)>,
    ipv6_networks: Vec<(u8, HashMap<u128, Vec<Hit>>)>,
    summary: IndexSummary,
}

impl IndicatorIndex {
    /// Indexes the indicators among `objects`; other objects are ignored.
    pub fn build<'a>(objects: impl IntoIterator<Item = &'a StixObject>) -> Self {
        let mut index = IndicatorIndex::default();
        for object in objects {
            let Some(indicator) = object.as_indicator() else {
                continue;
            };
            match IndicatorEntry::of(object) {
                Some(entry) => index.add(entry),
                None if object.revoked => index.summary.revoked += 1,
                None if matches!(indicator.matchability, Matchability::Unsupported(_)) => {
                    index.summary.not_matchable += 1
                }
                None => {}
            }
        }
        index
    }

    pub fn from_entries(entries: impl IntoIterator<Item = IndicatorEntry>) -> Self {
        let mut index = IndicatorIndex::default();
        for entry in entries {
            index.add(entry);
        }
        index
    }

    pub fn summary(&self) -> IndexSummary {
        self.summary
    }

    pub fn add(&mut self, entry: IndicatorEntry) {
        let Ok(indicator) = u32::try_from(self.indicators.len()) else {
            return;
        };
        for tests in &entry.plan.alternatives {
            let (Ok(alternative), Ok(count)) = (
                u32::try_from(self.alternatives.len()),
                u8::try_from(tests.len()),
            ) else {
                continue;
            };
            if count == 0 {
                continue;
            }
            self.alternatives.push(Alternative {
                indicator,
                tests: count,
            });
            for (position, test) in tests.iter().enumerate() {
                let hit = Hit {
                    alternative,
                    test: u8::try_from(position).unwrap_or(u8::MAX),
                };
                match test {
                    Test::Equals(key) => self.exact.entry(key.clone()).or_default().push(hit),
                    Test::InIpv4Network { network, prefix } => {
                        if let Some(networks) = table(&mut self.ipv4_networks, *prefix) {
                            networks.entry(*network).or_default().push(hit);
                        }
                    }
                    Test::InIpv6Network { network, prefix } => {
                        if let Some(networks) = table(&mut self.ipv6_networks, *prefix) {
                            networks.entry(*network).or_default().push(hit);
                        }
                    }
                }
            }
        }
        self.indicators.push(entry);
        self.summary.indexed += 1;
    }

    /// The indicators active at `at` that the observables match, in id order.
    pub fn matches(&self, observables: &[Observable], at: Timestamp) -> Vec<IndicatorMatch> {
        let keys: Vec<Option<MatchKey>> = observables.iter().map(Observable::key).collect();
        self.matches_keys(&keys, at)
    }

    /// As [`IndicatorIndex::matches`], for values already in normal form (a `None` is an
    /// observable that did not parse and matches nothing).
    pub fn matches_keys(&self, keys: &[Option<MatchKey>], at: Timestamp) -> Vec<IndicatorMatch> {
        // (alternative, tests met as bits, observables that met them)
        let mut partial: Vec<(u32, u64, Vec<usize>)> = Vec::new();
        let mut met: Vec<(u32, Vec<usize>)> = Vec::new();
        for (position, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            self.for_each_hit(key, |hit| {
                let Some(alternative) = self.alternatives.get(hit.alternative as usize) else {
                    return;
                };
                if alternative.tests == 1 {
                    met.push((alternative.indicator, vec![position]));
                    return;
                }
                let slot = match partial.iter_mut().position(|p| p.0 == hit.alternative) {
                    Some(slot) => slot,
                    None => {
                        partial.push((hit.alternative, 0, Vec::new()));
                        partial.len() - 1
                    }
                };
                if let Some((_, bits, seen)) = partial.get_mut(slot) {
                    *bits |= 1u64 << u32::from(hit.test.min(63));
                    seen.push(position);
                    let all = if alternative.tests >= 64 {
                        u64::MAX
                    } else {
                        (1u64 << alternative.tests) - 1
                    };
                    if *bits == all {
                        met.push((alternative.indicator, seen.clone()));
                    }
                }
            });
        }
        if met.is_empty() {
            return Vec::new();
        }
        let mut by_indicator: HashMap<u32, Vec<usize>> = HashMap::new();
        for (indicator, positions) in met {
            let active = self
                .indicators
                .get(indicator as usize)
                .is_some_and(|entry| entry.active_at(at));
            if active {
                by_indicator.entry(indicator).or_default().extend(positions);
            }
        }
        let mut out: Vec<IndicatorMatch> = by_indicator
            .into_iter()
            .filter_map(|(indicator, mut positions)| {
                positions.sort_unstable();
                positions.dedup();
                let entry = self.indicators.get(indicator as usize)?;
                Some(IndicatorMatch {
                    indicator: entry.id.clone(),
                    observables: positions,
                })
            })
            .collect();
        out.sort_by(|a, b| a.indicator.cmp(&b.indicator));
        out
    }

    fn for_each_hit(&self, key: &MatchKey, mut visit: impl FnMut(Hit)) {
        if let Some(hits) = self.exact.get(key) {
            hits.iter().copied().for_each(&mut visit);
        }
        match key {
            MatchKey::Ipv4(address) => {
                for (prefix, networks) in &self.ipv4_networks {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                    if let Some(hits) = networks.get(&(address & mask)) {
                        hits.iter().copied().for_each(&mut visit);
                    }
                }
            }
            MatchKey::Ipv6(address) => {
                for (prefix, networks) in &self.ipv6_networks {
                    let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                    if let Some(hits) = networks.get(&(address & mask)) {
                        hits.iter().copied().for_each(&mut visit);
                    }
                }
            }
            _ => {}
        }
    }
}

fn table<T>(
    tables: &mut Vec<(u8, HashMap<T, Vec<Hit>>)>,
    prefix: u8,
) -> Option<&mut HashMap<T, Vec<Hit>>> {
    let at = match tables.binary_search_by_key(&prefix, |(p, _)| *p) {
        Ok(at) => at,
        Err(at) => {
            tables.insert(at, (prefix, HashMap::new()));
            at
        }
    };
    tables.get_mut(at).map(|(_, networks)| networks)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::intel::bundle::{NothingStored, import_bundle};
    use crate::intel::observable::ObservableKind;
    use crate::intel::test_support::fixture;

    const C2_IP: &str = "indicator--53fe3b22-0201-47cf-85d0-97c02164528d";
    const C2_HASH: &str = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";
    const POISON_IVY: &str = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c";

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn c2_index() -> IndicatorIndex {
        let file = "stix21-indicators-for-C2-with-COA.json";
        let import = import_bundle(&fixture(file), file, &NothingStored);
        IndicatorIndex::build(import.to_store.iter().map(|p| &p.object))
    }

    fn indicator(n: u32, pattern: &str, extra: serde_json::Value) -> StixObject {
        let mut json = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--{n:08x}-0000-4000-8000-000000000000"),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"
        });
        for (key, value) in extra.as_object().unwrap() {
            json[key] = value.clone();
        }
        StixObject::from_json(json).unwrap()
    }

    fn ids(matches: &[IndicatorMatch]) -> Vec<&str> {
        matches.iter().map(|m| m.indicator.as_str()).collect()
    }

    #[test]
    fn the_c2_bundles_address_and_poison_ivy_hash_match_alert_observables_and_others_do_not() {
        let index = c2_index();
        assert_eq!(index.summary().indexed, 2);
        let now = at("2024-06-01T00:00:00Z");
        let alert = [
            Observable::new(ObservableKind::Ipv4, "192.0.2.10"),
            Observable::new(ObservableKind::Ipv4, "10.0.0.0"),
            Observable::new(
                ObservableKind::FileHash(crate::intel::HashAlgorithm::Sha256),
                POISON_IVY.to_uppercase(),
            ),
        ];
        let found = index.matches(&alert, now);
        assert_eq!(ids(&found), [C2_IP, C2_HASH]);
        assert_eq!(found[0].observables, [1]);
        assert_eq!(found[1].observables, [2]);
        let innocent = [
            Observable::new(ObservableKind::Ipv4, "10.0.0.1"),
            Observable::new(ObservableKind::Domain, "10.0.0.0"),
            Observable::new(
                ObservableKind::FileHash(crate::intel::HashAlgorithm::Sha256),
                POISON_IVY.replace('e', "f"),
            ),
            Observable::new(ObservableKind::Ipv4, "not an address"),
        ];
        assert!(index.matches(&innocent, now).is_empty());
        // Before the indicators were valid, nothing matches.
        assert!(index.matches(&alert, at("2014-05-08T08:59:59Z")).is_empty());
    }

    #[test]
    fn an_issubset_block_matches_every_address_inside_it_only() {
        let index = IndicatorIndex::build(&[
            indicator(
                1,
                "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
                serde_json::json!({}),
            ),
            indicator(
                2,
                "[ipv4-addr:value = '198.51.0.0/16']",
                serde_json::json!({}),
            ),
            indicator(
                3,
                "[ipv6-addr:value ISSUBSET '2001:db8:abcd::/48']",
                serde_json::json!({}),
            ),
            indicator(
                4,
                "[ipv4-addr:value ISSUBSET '0.0.0.0/0']",
                serde_json::json!({"valid_from": "2030-01-01T00:00:00Z"}),
            ),
        ]);
        let now = at("2024-06-01T00:00:00Z");
        let one = |kind, value: &str| index.matches(&[Observable::new(kind, value)], now);
        assert_eq!(one(ObservableKind::Ipv4, "198.51.100.77").len(), 2);
        assert_eq!(one(ObservableKind::Ipv4, "198.51.101.1").len(), 1);
        assert!(one(ObservableKind::Ipv4, "198.52.100.77").is_empty());
        assert_eq!(one(ObservableKind::Ipv6, "2001:db8:abcd:12::1").len(), 1);
        assert!(one(ObservableKind::Ipv6, "2001:db8:abce::1").is_empty());
    }

    #[test]
    fn revoked_expired_and_not_yet_valid_indicators_do_not_match() {
        let pattern = "[domain-name:value = 'evil.example']";
        let index = IndicatorIndex::build(&[
            indicator(1, pattern, serde_json::json!({"revoked": true})),
            indicator(
                2,
                pattern,
                serde_json::json!({"valid_until": "2024-03-01T00:00:00Z"}),
            ),
            indicator(
                3,
                pattern,
                serde_json::json!({"valid_from": "2024-05-01T00:00:00Z"}),
            ),
            indicator(4, "[file:name = 'x.exe']", serde_json::json!({})),
        ]);
        assert_eq!(
            index.summary(),
            IndexSummary {
                indexed: 2,
                revoked: 1,
                not_matchable: 1
            }
        );
        let seen = [Observable::new(ObservableKind::Domain, "EVIL.example.")];
        assert_eq!(
            ids(&index.matches(&seen, at("2024-02-01T00:00:00Z"))),
            ["indicator--00000002-0000-4000-8000-000000000000"]
        );
        // valid_until is exclusive.
        assert!(index.matches(&seen, at("2024-03-01T00:00:00Z")).is_empty());
        assert!(index.matches(&seen, at("2024-04-01T00:00:00Z")).is_empty());
        assert_eq!(index.matches(&seen, at("2024-05-01T00:00:00Z")).len(), 1);
    }

    #[test]
    fn an_and_pattern_needs_every_part_seen_in_the_same_alert() {
        let index = IndicatorIndex::build(&[indicator(
            1,
            "[url:value = 'http://x4z9arb.cn/4712/' AND ipv4-addr:value = '203.0.113.9'] OR [email-addr:value = 'boss@evil.example']",
            serde_json::json!({}),
        )]);
        let now = at("2024-06-01T00:00:00Z");
        let url = Observable::new(ObservableKind::Url, "HTTP://X4Z9ARB.CN/4712/");
        let ip = Observable::new(ObservableKind::Ipv4, "203.0.113.9");
        assert!(index.matches(std::slice::from_ref(&url), now).is_empty());
        assert!(index.matches(std::slice::from_ref(&ip), now).is_empty());
        let both = index.matches(
            &[ip, Observable::new(ObservableKind::Domain, "x"), url],
            now,
        );
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].observables, [0, 2]);
        let mail = Observable::new(ObservableKind::Email, "Boss@Evil.Example");
        assert_eq!(index.matches(&[mail], now).len(), 1);
    }

    /// The index at the size the city expects from the regional exchange: 100,000 indicators
    /// (exact addresses, /24 blocks, domains, hashes). `CIVITAS_INTEL_LOOKUPS` raises the number
    /// of lookups for a release-mode measurement; the default keeps the test quick.
    #[test]
    fn a_hundred_thousand_indicators_answer_lookups_correctly() {
        let lookups: u32 = std::env::var("CIVITAS_INTEL_LOOKUPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let from = at("2024-01-01T00:00:00Z");
        let entry = |n: u32, test: Test| IndicatorEntry {
            id: StixId::derived("indicator", &[&n.to_string()]),
            valid_from: from,
            valid_until: None,
            plan: MatchPlan {
                alternatives: vec![vec![test]],
            },
        };
        let index = IndicatorIndex::from_entries((0..100_000u32).map(|n| match n % 4 {
            // Exact addresses in 10.0.0.0/8, every fourth one.
            0 => entry(n, Test::Equals(MatchKey::Ipv4(0x0a00_0000 | n))),
            // /24 blocks in 172.16.0.0/12.
            1 => entry(
                n,
                Test::InIpv4Network {
                    network: 0xac10_0000 | (n << 8 & 0x000f_ff00),
                    prefix: 24,
                },
            ),
            2 => entry(n, Test::Equals(MatchKey::Domain(format!("bad{n}.example")))),
            _ => entry(
                n,
                Test::Equals(MatchKey::Hash(
                    crate::intel::HashAlgorithm::Sha256,
                    format!("{n:064x}"),
                )),
            ),
        }));
        assert_eq!(index.summary().indexed, 100_000);
        let now = at("2024-06-01T00:00:00Z");
        let mut found = 0u32;
        for i in 0..lookups {
            let n = i % 100_000;
            let keys = [
                Some(MatchKey::Ipv4(0x0a00_0000 | n)),
                Some(MatchKey::Ipv4(u32::from(Ipv4Addr::new(
                    192,
                    0,
                    2,
                    (i % 250) as u8,
                )))),
            ];
            let matches = index.matches_keys(&keys, now);
            let expected = usize::from(n % 4 == 0);
            assert_eq!(matches.len(), expected, "lookup {i}");
            found += matches.len() as u32;
        }
        assert_eq!(found, lookups.div_ceil(4).min(lookups));
        // A block and a domain from the far end of the index.
        let block = index.matches_keys(
            &[Some(MatchKey::Ipv4(
                0xac10_0000 | (99_997 << 8 & 0x000f_ff00) | 42,
            ))],
            now,
        );
        assert!(!block.is_empty());
        let domain = index.matches(
            &[Observable::new(ObservableKind::Domain, "BAD99998.example")],
            now,
        );
        assert_eq!(domain.len(), 1);
    }
}
