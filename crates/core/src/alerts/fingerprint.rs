//! The identity of one raw event: SHA-256 over the source's name and the record, with JSON
//! records written in a canonical form (sorted keys, no spaces) so that re-serialising a file
//! does not make old alerts look new.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// For text records (CEF, syslog): the line as received, without its line ending.
    pub fn of_text(source_name: &str, record: &str) -> Self {
        Self::digest(source_name, record.as_bytes())
    }

    /// For JSON records: the canonical form of the value.
    pub fn of_json(source_name: &str, record: &serde_json::Value) -> Self {
        let mut canonical = Vec::with_capacity(1024);
        write_canonical(record, &mut canonical);
        Self::digest(source_name, &canonical)
    }

    fn digest(source_name: &str, record: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(source_name.as_bytes());
        // A separator that cannot occur in a source name keeps "ab"+"c" apart from "a"+"bc".
        hasher.update([0u8]);
        hasher.update(record);
        Fingerprint(hasher.finalize().into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok().map(Fingerprint)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Fingerprint::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// Keys sorted by byte order at every level, whatever map order serde_json was built with;
/// compact, with serde_json's own escaping of strings and printing of numbers.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing a string into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, key);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_json_event_reformatted_has_the_same_fingerprint() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str("{\n  \"a\": {\"x\": \"s\", \"y\": [1, 2]},\n  \"b\": 1\n}")
                .unwrap();
        assert_eq!(
            Fingerprint::of_json("eve", &a),
            Fingerprint::of_json("eve", &b)
        );
    }

    #[test]
    fn the_same_event_from_two_sources_is_two_events() {
        assert_ne!(
            Fingerprint::of_text("fw-1", "<14>hello"),
            Fingerprint::of_text("fw-2", "<14>hello")
        );
        assert_ne!(
            Fingerprint::of_text("ab", "c"),
            Fingerprint::of_text("a", "bc")
        );
    }

    #[test]
    fn a_fingerprint_survives_its_hex_form() {
        let f = Fingerprint::of_text("s", "x");
        assert_eq!(Fingerprint::from_hex(&f.to_hex()), Some(f));
        assert_eq!(Fingerprint::from_hex("abc"), None);
    }
}
