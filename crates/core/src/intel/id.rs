//! STIX identifiers (`type--UUID`, STIX 2.1 §2.9) and the deterministic ids civitas gives the
//! objects it writes, so that producing the same sighting twice yields the same id.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::text::Text;

/// A STIX identifier: an object type and an RFC 4122 UUID, e.g.
/// `indicator--53fe3b22-0201-47cf-85d0-97c02164528d`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StixId(String);

impl StixId {
    /// Accepts what the STIX 2.1 JSON schema accepts: a type of 3–250 characters from
    /// `[a-z0-9-]` (no leading or trailing hyphen, no `--`), then `--` and a UUID with version
    /// 1–5 and the RFC 4122 variant.
    pub fn parse(text: &str) -> Result<Self, Text> {
        let Some((object_type, uuid)) = text.split_once("--") else {
            return Err(Text::new(
                format!("識別碼「{text}」不是「類型--UUID」格式"),
                format!("id '{text}' is not of the form type--UUID"),
            ));
        };
        if !valid_type(object_type) {
            return Err(Text::new(
                format!("識別碼「{text}」的類型不符 STIX 規定（小寫英數與連字號，3 至 250 字元）"),
                format!(
                    "id '{text}' has an invalid type (lower-case letters, digits and hyphens, 3 to 250 characters)"
                ),
            ));
        }
        if !valid_uuid(uuid) {
            return Err(Text::new(
                format!("識別碼「{text}」的 UUID 不符 RFC 4122（版本 1–5）"),
                format!("id '{text}' does not end in an RFC 4122 UUID (version 1 to 5)"),
            ));
        }
        Ok(StixId(text.to_ascii_lowercase()))
    }

    /// A deterministic id for an object civitas writes: the UUID is the first 128 bits of
    /// SHA-256 over the type and the parts (each followed by a 0x1F separator), with the
    /// version nibble set to 5 and the RFC 4122 variant bits. It is shaped like a UUIDv5
    /// (name-based) but hashed with SHA-256, because SHA-1 is not among our dependencies;
    /// like any name-based UUID, the same parts always give the same id. It never uses the
    /// STIX SCO namespace, so it cannot collide with a standard observable id.
    pub fn derived(object_type: &str, parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"civitas-stix-id\x1f");
        hasher.update(object_type.as_bytes());
        hasher.update([0x1f]);
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0x1f]);
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        for (out, byte) in bytes.iter_mut().zip(digest.iter()) {
            *out = *byte;
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x50;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex::encode(bytes);
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            hex.get(0..8).unwrap_or_default(),
            hex.get(8..12).unwrap_or_default(),
            hex.get(12..16).unwrap_or_default(),
            hex.get(16..20).unwrap_or_default(),
            hex.get(20..32).unwrap_or_default(),
        );
        StixId(format!("{object_type}--{uuid}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `--`, e.g. `indicator`.
    pub fn object_type(&self) -> &str {
        self.0.split_once("--").map(|(t, _)| t).unwrap_or(&self.0)
    }
}

fn valid_type(object_type: &str) -> bool {
    let bytes = object_type.as_bytes();
    (3..=250).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !object_type.starts_with('-')
        && !object_type.ends_with('-')
        && !object_type.contains("--")
}

fn valid_uuid(uuid: &str) -> bool {
    let groups: Vec<&str> = uuid.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8usize, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !shape_ok {
        return false;
    }
    let version = groups.get(2).and_then(|g| g.chars().next());
    let variant = groups.get(3).and_then(|g| g.chars().next());
    matches!(version, Some('1'..='5')) && matches!(variant, Some('8' | '9' | 'a' | 'b' | 'A' | 'B'))
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for StixId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StixId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        StixId::parse(&text).map_err(|why| serde::de::Error::custom(why.en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_indicator_id_is_read_with_its_type() {
        let id = StixId::parse("indicator--53fe3b22-0201-47cf-85d0-97c02164528d").unwrap();
        assert_eq!(id.object_type(), "indicator");
    }

    #[test]
    fn ids_that_are_not_type_dash_dash_uuid_are_refused_with_a_reason() {
        for bad in [
            "indicator-53fe3b22-0201-47cf-85d0-97c02164528d",
            "Indicator--53fe3b22-0201-47cf-85d0-97c02164528d",
            "indicator--53fe3b22-0201-47cf-85d0",
            "indicator--53fe3b22-0201-07cf-85d0-97c02164528d",
            "indicator--53fe3b22-0201-47cf-c5d0-97c02164528d",
            "in--53fe3b22-0201-47cf-85d0-97c02164528d",
        ] {
            let why = StixId::parse(bad).unwrap_err();
            assert!(why.en.contains(bad), "{bad}: {}", why.en);
        }
    }

    #[test]
    fn the_same_sighting_parts_always_give_the_same_uuid_shaped_id() {
        let a = StixId::derived("sighting", &["indicator--x", "group-1"]);
        let b = StixId::derived("sighting", &["indicator--x", "group-1"]);
        let c = StixId::derived("sighting", &["indicator--x", "group-2"]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(StixId::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().chars().nth("sighting--".len() + 14), Some('5'));
    }
}
