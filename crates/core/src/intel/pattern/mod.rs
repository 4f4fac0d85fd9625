//! STIX patterning (STIX 2.1 §9): a hand-written recursive-descent parser for the whole
//! grammar, and the step that turns the part civitas can match — equality, IN and ISSUBSET on
//! addresses, domains, URLs, e-mail addresses and file hashes, joined by AND/OR inside one
//! observation and by OR between observations — into a [`MatchPlan`]. Everything else parses
//! but is reported as not supported for matching, so its indicator is stored, never dropped.

mod lexer;
mod parser;
mod plan;

use crate::text::Text;

pub use plan::{MatchPlan, Matchability, Test};

/// A parsed pattern (observation expressions and their qualifiers).
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Observation(Comparison),
    Or(Vec<Pattern>),
    And(Vec<Pattern>),
    FollowedBy(Vec<Pattern>),
    Qualified(Box<Pattern>, Qualifier),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    Within(String),
    Repeats(String),
    StartStop(String, String),
}

/// The comparison expression inside `[ … ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Or(Vec<Comparison>),
    And(Vec<Comparison>),
    Test(PropertyTest),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyTest {
    pub path: ObjectPath,
    pub negated: bool,
    pub operator: Operator,
    /// `None` only for `EXISTS`.
    pub value: Option<Literal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
    Exists,
}

impl Operator {
    fn as_str(&self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::NotEqual => "!=",
            Operator::Greater => ">",
            Operator::Less => "<",
            Operator::GreaterOrEqual => ">=",
            Operator::LessOrEqual => "<=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
            Operator::Matches => "MATCHES",
            Operator::IsSubset => "ISSUBSET",
            Operator::IsSuperset => "ISSUPERSET",
            Operator::Exists => "EXISTS",
        }
    }
}

/// `file:hashes.'SHA-256'` is `file` with steps `hashes`, `SHA-256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Property(String),
    /// `[n]`, or `[*]` as `None`.
    Index(Option<i64>),
}

impl ObjectPath {
    fn render(&self) -> String {
        let mut out = format!("{}:", self.object_type);
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Property(name) if i == 0 => out.push_str(name),
                PathStep::Property(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                PathStep::Index(Some(n)) => out.push_str(&format!("[{n}]")),
                PathStep::Index(None) => out.push_str("[*]"),
            }
        }
        out
    }

    /// The property names, when the path has no list index.
    fn names(&self) -> Option<Vec<&str>> {
        self.steps
            .iter()
            .map(|s| match s {
                PathStep::Property(name) => Some(name.as_str()),
                PathStep::Index(_) => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// Integers and floats, as written.
    Number(String),
    Bool(bool),
    Timestamp(String),
    Hex(String),
    Binary(String),
    Set(Vec<Literal>),
}

/// Why a pattern could not be read, with the character offset where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub offset: usize,
    pub reason: Text,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        parser::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::intel::observable::{HashAlgorithm, MatchKey};

    fn plan(text: &str) -> Vec<Vec<Test>> {
        match Pattern::parse(text).unwrap().match_plan() {
            Matchability::Matchable(plan) => plan.alternatives,
            Matchability::Unsupported(why) => panic!("{text}: {}", why.en),
        }
    }

    fn why_unsupported(text: &str) -> String {
        match Pattern::parse(text).unwrap().match_plan() {
            Matchability::Matchable(plan) => panic!("{text} matched as {plan:?}"),
            Matchability::Unsupported(why) => why.en,
        }
    }

    fn v4(text: &str) -> MatchKey {
        MatchKey::Ipv4(text.parse::<Ipv4Addr>().unwrap().into())
    }

    #[test]
    fn the_c2_bundles_address_and_hash_patterns_become_exact_tests() {
        assert_eq!(
            plan("[ipv4-addr:value = '10.0.0.0']"),
            vec![vec![Test::Equals(v4("10.0.0.0"))]]
        );
        let sha = "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c";
        assert_eq!(
            plan(&format!("[file:hashes.'SHA-256' = '{sha}']")),
            vec![vec![Test::Equals(MatchKey::Hash(
                HashAlgorithm::Sha256,
                sha.into()
            ))]]
        );
        assert_eq!(
            plan("[file:hashes.MD5 = '1717B7FFF97D37A1E1A0029D83492DE1']"),
            vec![vec![Test::Equals(MatchKey::Hash(
                HashAlgorithm::Md5,
                "1717b7fff97d37a1e1a0029d83492de1".into()
            ))]]
        );
    }

    #[test]
    fn an_issubset_block_becomes_a_network_test() {
        assert_eq!(
            plan("[ipv4-addr:value ISSUBSET '198.51.100.7/24']"),
            vec![vec![Test::InIpv4Network {
                network: u32::from(Ipv4Addr::new(198, 51, 100, 0)),
                prefix: 24
            }]]
        );
        assert_eq!(plan("[ipv6-addr:value ISSUBSET '2001:db8::/32']").len(), 1);
    }

    #[test]
    fn or_and_and_inside_an_observation_and_or_between_observations_multiply_out() {
        let alternatives = plan(
            "[domain-name:value = 'a.example' OR (url:value = 'http://b.example/' AND email-addr:value = 'x@C.example')] OR [ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]",
        );
        assert_eq!(alternatives.len(), 4);
        assert_eq!(alternatives[1].len(), 2);
        assert_eq!(
            alternatives[1][1],
            Test::Equals(MatchKey::Email("x@c.example".into()))
        );
    }

    #[test]
    fn quotes_and_backslashes_can_be_escaped_in_values() {
        let pattern = Pattern::parse(r"[url:value = 'http://x.example/it\'s\\here']").unwrap();
        let Pattern::Observation(Comparison::Test(test)) = pattern else {
            panic!("{pattern:?}")
        };
        assert_eq!(
            test.value,
            Some(Literal::String(r"http://x.example/it's\here".into()))
        );
        let bad = Pattern::parse(r"[url:value = 'a\nb']").unwrap_err();
        assert!(bad.reason.en.contains("backslash"), "{}", bad.reason.en);
    }

    #[test]
    fn temporal_and_fuzzy_patterns_parse_but_are_not_matched() {
        for (text, expected) in [
            (
                "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
                "FOLLOWEDBY",
            ),
            (
                "[ipv4-addr:value = '192.0.2.1'] REPEATS 5 TIMES WITHIN 180 SECONDS",
                "qualifier",
            ),
            (r"[file:name MATCHES '^Final Report.+\\.exe$']", "file:name"),
            ("[domain-name:value LIKE '%.example']", "LIKE"),
            ("[url:value MATCHES '^http://']", "MATCHES"),
            (
                "[ipv4-addr:value = '192.0.2.1'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
                "START/STOP",
            ),
            ("[ipv4-addr:value NOT = '192.0.2.1']", "NOT"),
            (
                "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'a.example']",
                "AND",
            ),
            (
                "[network-traffic:dst_port = 443]",
                "network-traffic:dst_port",
            ),
            ("[file:hashes.SSDEEP = '3:abc:def']", "file:hashes.SSDEEP"),
            ("[ipv4-addr:value = '300.1.1.1']", "not a valid"),
            (
                "[email-message:from_ref.value = 'a@b.example']",
                "from_ref.value",
            ),
        ] {
            let why = why_unsupported(text);
            assert!(why.contains(expected), "{text}: {why}");
            assert!(why.starts_with("not supported for matching"), "{why}");
        }
    }

    #[test]
    fn broken_patterns_say_where_they_broke() {
        for (text, offset) in [
            ("[ipv4-addr:value = '10.0.0.0'", 29),
            ("ipv4-addr:value = '10.0.0.0'", 0),
            ("[ipv4-addr:value = '10.0.0.0]", 19),
            ("[ipv4-addr:value ~ '10.0.0.0']", 17),
            ("[ipv4-addr:value = '10.0.0.0'] OR", 33),
            ("[ipv4-addr:value =]", 18),
        ] {
            let error = Pattern::parse(text).unwrap_err();
            assert_eq!(error.offset, offset, "{text}: {}", error.reason.en);
        }
    }

    #[test]
    fn absurdly_nested_patterns_are_refused_not_overflowing_the_stack() {
        let text = format!(
            "{}[ipv4-addr:value = '10.0.0.1']{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let error = Pattern::parse(&text).unwrap_err();
        assert!(error.reason.en.contains("nested"), "{}", error.reason.en);
    }
}
