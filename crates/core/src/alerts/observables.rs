//! The things in an alert that threat intelligence can match: addresses, domains, URLs and
//! file hashes, named after the STIX 2.1 cyber-observable they correspond to.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObservableKind {
    /// STIX `ipv4-addr:value`.
    Ipv4Addr,
    /// STIX `ipv6-addr:value`.
    Ipv6Addr,
    /// STIX `domain-name:value`.
    DomainName,
    /// STIX `url:value`.
    Url,
    /// STIX `file:hashes.MD5`.
    FileMd5,
    /// STIX `file:hashes.'SHA-1'`.
    FileSha1,
    /// STIX `file:hashes.'SHA-256'`.
    FileSha256,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Observable {
    pub kind: ObservableKind,
    /// Addresses in canonical form, domains and hashes in lower case, URLs as sent.
    pub value: String,
}

impl Observable {
    pub fn ip(ip: IpAddr) -> Self {
        let kind = match ip {
            IpAddr::V4(_) => ObservableKind::Ipv4Addr,
            IpAddr::V6(_) => ObservableKind::Ipv6Addr,
        };
        Observable {
            kind,
            value: ip.to_string(),
        }
    }

    /// A host name that looks like a domain (has a dot, is not an address).
    pub fn domain(name: &str) -> Option<Self> {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = name.contains('.')
            && name.parse::<IpAddr>().is_err()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
        valid.then_some(Observable {
            kind: ObservableKind::DomainName,
            value: name,
        })
    }

    pub fn url(url: &str) -> Option<Self> {
        let url = url.trim();
        (!url.is_empty()).then(|| Observable {
            kind: ObservableKind::Url,
            value: url.to_string(),
        })
    }

    /// A file hash, its algorithm told by its length (32, 40 or 64 hex digits).
    pub fn hash(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let kind = match text.len() {
            32 => ObservableKind::FileMd5,
            40 => ObservableKind::FileSha1,
            64 => ObservableKind::FileSha256,
            _ => return None,
        };
        Some(Observable { kind, value: text })
    }
}

/// Sorted and without repeats, so equal alerts compare equal.
pub(crate) fn dedupe(list: &mut Vec<Observable>) {
    list.sort();
    list.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_told_apart_by_length_and_refused_when_not_hex() {
        let md5 = Observable::hash("D41D8CD98F00B204E9800998ECF8427E").unwrap();
        assert_eq!(md5.kind, ObservableKind::FileMd5);
        assert_eq!(md5.value, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            Observable::hash(&"a".repeat(64)).unwrap().kind,
            ObservableKind::FileSha256
        );
        assert!(Observable::hash("xyz").is_none());
        assert!(Observable::hash(&"a".repeat(33)).is_none());
    }

    #[test]
    fn a_domain_needs_a_dot_and_is_never_an_address() {
        assert_eq!(
            Observable::domain("WWW.Example.com.").unwrap().value,
            "www.example.com"
        );
        assert!(Observable::domain("10.0.0.1").is_none());
        assert!(Observable::domain("localhost").is_none());
    }
}
