//! What alerts are matched on: a typed value (address, domain, URL, file hash, e-mail) and its
//! normal form, shared by indicator patterns and alert observables so both sides compare equal.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// File hash algorithms named as in the STIX hash-algorithm-ov vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HashAlgorithm {
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA-1")]
    Sha1,
    #[serde(rename = "SHA-256")]
    Sha256,
    #[serde(rename = "SHA-512")]
    Sha512,
}

impl HashAlgorithm {
    /// Reads the names STIX uses (`MD5`, `SHA-1`, `SHA-256`, `SHA-512`) and the common
    /// spellings without a hyphen that other tools write.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MD5" => Some(Self::Md5),
            "SHA-1" | "SHA1" => Some(Self::Sha1),
            "SHA-256" | "SHA256" => Some(Self::Sha256),
            "SHA-512" | "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub fn stix_name(&self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }

    fn hex_len(&self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "algorithm", rename_all = "snake_case")]
pub enum ObservableKind {
    Ipv4,
    Ipv6,
    Domain,
    Url,
    FileHash(HashAlgorithm),
    Email,
}

/// A value seen in an alert, as the integrator extracts it (source address, requested host,
/// URL, file hash, sender).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Observable {
    pub kind: ObservableKind,
    pub value: String,
}

impl Observable {
    pub fn new(kind: ObservableKind, value: impl Into<String>) -> Self {
        Observable {
            kind,
            value: value.into(),
        }
    }

    /// The normal form used for matching; `None` when the value is not what its kind says
    /// (an address that does not parse, a hash of the wrong length).
    pub fn key(&self) -> Option<MatchKey> {
        MatchKey::new(self.kind, &self.value)
    }
}

/// A value in normal form. Indicators are indexed by these keys and observables looked up by
/// them, so every rule of equality lives here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    Ipv4(u32),
    Ipv6(u128),
    /// Lower case, without a trailing dot.
    Domain(String),
    /// See [`normalise_url`].
    Url(String),
    /// Lower-case hex.
    Hash(HashAlgorithm, String),
    /// Lower case: mail systems treat the local part case-insensitively in practice.
    Email(String),
}

impl MatchKey {
    pub fn new(kind: ObservableKind, value: &str) -> Option<Self> {
        let value = value.trim();
        match kind {
            ObservableKind::Ipv4 => value.parse::<Ipv4Addr>().ok().map(|a| Self::Ipv4(a.into())),
            ObservableKind::Ipv6 => value.parse::<Ipv6Addr>().ok().map(|a| Self::Ipv6(a.into())),
            ObservableKind::Domain => normalise_domain(value).map(Self::Domain),
            ObservableKind::Url => normalise_url(value).map(Self::Url),
            ObservableKind::FileHash(algorithm) => {
                let ok = value.len() == algorithm.hex_len()
                    && value.bytes().all(|b| b.is_ascii_hexdigit());
                ok.then(|| Self::Hash(algorithm, value.to_ascii_lowercase()))
            }
            ObservableKind::Email => {
                let (local, domain) = value.rsplit_once('@')?;
                let domain = normalise_domain(domain)?;
                (!local.is_empty())
                    .then(|| Self::Email(format!("{}@{domain}", local.to_lowercase())))
            }
        }
    }
}

/// Lower case, trailing dot removed; `None` for an empty name or one with spaces or slashes.
pub fn normalise_domain(value: &str) -> Option<String> {
    let name = value.strip_suffix('.').unwrap_or(value);
    let ok = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | '@' | ':' | '?' | '#'));
    ok.then(|| name.to_lowercase())
}

/// Compares URLs the way RFC 3986 §6.2.2–6.2.3 allows without knowing the server: scheme and
/// host in lower case, the host's trailing dot dropped, the scheme's default port dropped, and
/// an empty path written `/`. Path, query and fragment stay as they are (they are
/// case-sensitive). `None` without a `scheme://host`.
pub fn normalise_url(value: &str) -> Option<String> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, hp)) => (Some(user), hp),
        None => (None, authority),
    };
    let (host, port) = split_port(host_port);
    let host = host.strip_suffix('.').unwrap_or(host).to_lowercase();
    if host.is_empty() {
        return None;
    }
    let default_port = match scheme.as_str() {
        "http" | "ws" => Some("80"),
        "https" | "wss" => Some("443"),
        "ftp" => Some("21"),
        _ => None,
    };
    let port = port.filter(|p| !p.is_empty() && Some(*p) != default_port);
    let mut out = format!("{scheme}://");
    if let Some(user) = userinfo {
        out.push_str(user);
        out.push('@');
    }
    out.push_str(&host);
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    if !tail.starts_with('/') {
        out.push('/');
    }
    out.push_str(tail);
    Some(out)
}

/// Splits `host:port`, minding IPv6 literals in brackets.
fn split_port(host_port: &str) -> (&str, Option<&str>) {
    if host_port.starts_with('[') {
        return match host_port.find(']') {
            Some(end) => {
                let (host, after) = host_port.split_at(end + 1);
                (host, after.strip_prefix(':'))
            }
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host, Some(port)),
        _ => (host_port, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_differing_only_in_case_of_scheme_and_host_or_default_port_are_the_same() {
        let a = normalise_url("HTTP://Paypa1.Banking.COM.:80").unwrap();
        let b = normalise_url("http://paypa1.banking.com/").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, "http://paypa1.banking.com/");
        // The path keeps its case: /A and /a are different resources.
        assert_ne!(
            normalise_url("http://x4z9arb.cn/4712/A"),
            normalise_url("http://x4z9arb.cn/4712/a")
        );
        assert_eq!(
            normalise_url("https://[2001:DB8::1]:8443/x?q=1").unwrap(),
            "https://[2001:db8::1]:8443/x?q=1"
        );
        assert_eq!(normalise_url("not a url"), None);
    }

    #[test]
    fn domains_match_whatever_their_case_or_trailing_dot() {
        assert_eq!(
            MatchKey::new(ObservableKind::Domain, "Evil.Example.COM."),
            MatchKey::new(ObservableKind::Domain, "evil.example.com")
        );
        assert_eq!(MatchKey::new(ObservableKind::Domain, "http://x"), None);
    }

    #[test]
    fn hashes_compare_in_lower_case_and_must_have_their_algorithms_length() {
        let upper = "EF537F25C895BFA782526529A9B63D97AA631564D5D789C2B765448C8635FB6C";
        let key = MatchKey::new(ObservableKind::FileHash(HashAlgorithm::Sha256), upper).unwrap();
        assert_eq!(
            key,
            MatchKey::Hash(HashAlgorithm::Sha256, upper.to_ascii_lowercase())
        );
        assert_eq!(
            MatchKey::new(ObservableKind::FileHash(HashAlgorithm::Md5), upper),
            None
        );
    }

    #[test]
    fn addresses_are_compared_as_numbers() {
        assert_eq!(
            MatchKey::new(ObservableKind::Ipv6, "2001:DB8:0:0::1"),
            MatchKey::new(ObservableKind::Ipv6, "2001:db8::1")
        );
        assert_eq!(MatchKey::new(ObservableKind::Ipv4, "10.0.0.256"), None);
    }
}
