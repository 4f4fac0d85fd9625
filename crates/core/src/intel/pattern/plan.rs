//! From a parsed pattern to what the matcher needs: OR of ANDs of tests on normalised values,
//! or the reason civitas cannot match the pattern.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::text::Text;

use super::super::observable::{HashAlgorithm, MatchKey, ObservableKind};
use super::{Comparison, Literal, ObjectPath, Operator, Pattern, PropertyTest, Qualifier};

/// A plan is OR of ANDs; a pattern that multiplies out to more is not matched.
const MAX_ALTERNATIVES: usize = 256;
const MAX_TESTS_PER_ALTERNATIVE: usize = 64;

/// One condition on the observables of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Test {
    Equals(MatchKey),
    InIpv4Network { network: u32, prefix: u8 },
    InIpv6Network { network: u128, prefix: u8 },
}

/// What an indicator matches: any one alternative, each satisfied when every one of its tests
/// is met by some observable of the alert. (STIX asks that the tests of one observation hold
/// for one observed-data; an alert is treated as that one observation.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPlan {
    pub alternatives: Vec<Vec<Test>>,
}

/// Whether an indicator can take part in matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matchability {
    Matchable(MatchPlan),
    /// Stored, shown, exported, but never matched; the reason says what civitas cannot match.
    Unsupported(Text),
}

impl Pattern {
    pub fn match_plan(&self) -> Matchability {
        match plan_pattern(self) {
            Ok(alternatives) => Matchability::Matchable(MatchPlan { alternatives }),
            Err(why) => Matchability::Unsupported(why),
        }
    }
}

fn unsupported(zh: impl Into<String>, en: impl Into<String>) -> Text {
    let (zh, en) = (zh.into(), en.into());
    Text::new(
        format!("不支援比對：{zh}"),
        format!("not supported for matching: {en}"),
    )
}

fn plan_pattern(pattern: &Pattern) -> Result<Vec<Vec<Test>>, Text> {
    match pattern {
        Pattern::Observation(comparison) => plan_comparison(comparison),
        Pattern::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(plan_pattern(part)?);
                check_size(&all)?;
            }
            Ok(all)
        }
        Pattern::And(_) => Err(unsupported(
            "多個觀察式以 AND 連接",
            "observation expressions joined by AND",
        )),
        Pattern::FollowedBy(_) => Err(unsupported("FOLLOWEDBY", "FOLLOWEDBY")),
        Pattern::Qualified(_, qualifier) => {
            let name = match qualifier {
                Qualifier::Within(_) => "WITHIN",
                Qualifier::Repeats(_) => "REPEATS",
                Qualifier::StartStop(..) => "START/STOP",
            };
            Err(unsupported(
                format!("限定詞 {name}"),
                format!("the {name} qualifier"),
            ))
        }
    }
}

fn check_size(alternatives: &[Vec<Test>]) -> Result<(), Text> {
    let too_many = alternatives.len() > MAX_ALTERNATIVES
        || alternatives
            .iter()
            .any(|a| a.len() > MAX_TESTS_PER_ALTERNATIVE);
    if too_many {
        return Err(unsupported(
            format!(
                "展開後超過 {MAX_ALTERNATIVES} 種組合或每組 {MAX_TESTS_PER_ALTERNATIVE} 個條件"
            ),
            format!(
                "the pattern expands to more than {MAX_ALTERNATIVES} alternatives or {MAX_TESTS_PER_ALTERNATIVE} tests in one"
            ),
        ));
    }
    Ok(())
}

fn plan_comparison(comparison: &Comparison) -> Result<Vec<Vec<Test>>, Text> {
    match comparison {
        Comparison::Test(test) => plan_test(test),
        Comparison::Or(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(plan_comparison(part)?);
                check_size(&all)?;
            }
            Ok(all)
        }
        Comparison::And(parts) => {
            let mut product: Vec<Vec<Test>> = vec![Vec::new()];
            for part in parts {
                let choices = plan_comparison(part)?;
                let mut next = Vec::with_capacity(product.len() * choices.len());
                for left in &product {
                    for right in &choices {
                        let mut both = left.clone();
                        both.extend(right.iter().cloned());
                        next.push(both);
                    }
                    check_size(&next)?;
                }
                product = next;
            }
            Ok(product)
        }
    }
}

/// What a path compares: the observable kind, or `None` when civitas does not match on it.
fn path_kind(path: &ObjectPath) -> Option<ObservableKind> {
    let names = path.names()?;
    match (path.object_type.as_str(), names.as_slice()) {
        ("ipv4-addr", ["value"]) => Some(ObservableKind::Ipv4),
        ("ipv6-addr", ["value"]) => Some(ObservableKind::Ipv6),
        ("domain-name", ["value"]) => Some(ObservableKind::Domain),
        ("url", ["value"]) => Some(ObservableKind::Url),
        ("email-addr", ["value"]) => Some(ObservableKind::Email),
        ("file", ["hashes", algorithm]) => {
            HashAlgorithm::parse(algorithm).map(ObservableKind::FileHash)
        }
        _ => None,
    }
}

fn plan_test(test: &PropertyTest) -> Result<Vec<Vec<Test>>, Text> {
    let path = test.path.render();
    let Some(kind) = path_kind(&test.path) else {
        return Err(unsupported(
            format!("屬性 {path}（civitas 比對 IP、網域、URL、電子郵件與檔案雜湊）"),
            format!(
                "the property {path} (civitas matches addresses, domains, URLs, e-mail addresses and file hashes)"
            ),
        ));
    };
    if test.negated {
        return Err(unsupported(
            format!("{path} 的 NOT"),
            format!("NOT on {path}"),
        ));
    }
    let values: Vec<&Literal> = match (&test.operator, &test.value) {
        (Operator::Equal | Operator::IsSubset, Some(value)) => vec![value],
        (Operator::In, Some(Literal::Set(values))) => values.iter().collect(),
        (op, _) => {
            let op = op.as_str();
            return Err(unsupported(
                format!("{path} 的運算子 {op}"),
                format!("the operator {op} on {path}"),
            ));
        }
    };
    let subset = test.operator == Operator::IsSubset;
    if subset && !matches!(kind, ObservableKind::Ipv4 | ObservableKind::Ipv6) {
        return Err(unsupported(
            format!("{path} 的 ISSUBSET（僅適用於 IP 位址）"),
            format!("ISSUBSET on {path} (only for IP addresses)"),
        ));
    }
    let mut alternatives = Vec::with_capacity(values.len());
    for value in values {
        let Literal::String(text) = value else {
            return Err(unsupported(
                format!("{path} 與非字串值比較"),
                format!("{path} compared with a value that is not a string"),
            ));
        };
        let Some(test) = value_test(kind, text) else {
            return Err(unsupported(
                format!("「{text}」不是有效的 {path}"),
                format!("'{text}' is not a valid {path}"),
            ));
        };
        alternatives.push(vec![test]);
    }
    check_size(&alternatives)?;
    Ok(alternatives)
}

/// An address value may be a CIDR block (STIX allows it for ipv4-addr and ipv6-addr values);
/// `=` with a block and `ISSUBSET` both mean "inside the block". A full-length block is an
/// exact address.
fn value_test(kind: ObservableKind, text: &str) -> Option<Test> {
    match kind {
        ObservableKind::Ipv4 => {
            let (address, prefix) = split_cidr(text, 32)?;
            let address: u32 = address.parse::<Ipv4Addr>().ok()?.into();
            if prefix == 32 {
                return Some(Test::Equals(MatchKey::Ipv4(address)));
            }
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            Some(Test::InIpv4Network {
                network: address & mask,
                prefix,
            })
        }
        ObservableKind::Ipv6 => {
            let (address, prefix) = split_cidr(text, 128)?;
            let address: u128 = address.parse::<Ipv6Addr>().ok()?.into();
            if prefix == 128 {
                return Some(Test::Equals(MatchKey::Ipv6(address)));
            }
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            Some(Test::InIpv6Network {
                network: address & mask,
                prefix,
            })
        }
        other => MatchKey::new(other, text).map(Test::Equals),
    }
}

fn split_cidr(text: &str, full: u8) -> Option<(&str, u8)> {
    match text.split_once('/') {
        None => Some((text, full)),
        Some((address, prefix)) => {
            let prefix: u8 = prefix.parse().ok()?;
            (prefix <= full).then_some((address, prefix))
        }
    }
}
