//! STIX timestamps (STIX 2.1 §3.2): RFC 3339 in UTC with a capital `Z`, any fractional
//! precision. The text is kept as received so an object re-exported is byte-for-byte the same.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Text;
use crate::time::Timestamp;

#[derive(Clone)]
pub struct StixTimestamp {
    at: Timestamp,
    text: String,
}

impl StixTimestamp {
    pub fn parse(text: &str) -> Result<Self, Text> {
        let shape_ok = text.len() >= 20
            && text.ends_with('Z')
            && text.as_bytes().get(10) == Some(&b'T')
            && !text.contains('+');
        let at = if shape_ok {
            Timestamp::parse_rfc3339(text)
        } else {
            None
        };
        match at {
            Some(at) => Ok(StixTimestamp {
                at,
                text: text.to_string(),
            }),
            None => Err(Text::new(
                format!(
                    "時間「{text}」不是以 Z 結尾的 RFC 3339 UTC 時間（例：2024-01-31T08:00:00.000Z）"
                ),
                format!(
                    "'{text}' is not an RFC 3339 UTC timestamp ending in Z (e.g. 2024-01-31T08:00:00.000Z)"
                ),
            )),
        }
    }

    /// The way civitas writes its own timestamps: UTC, millisecond precision, as STIX asks of
    /// `created` and `modified`.
    pub fn from_timestamp(at: Timestamp) -> Self {
        let utc = at.inner();
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute(),
            utc.second(),
            utc.millisecond()
        );
        // Truncate to what the text says, so that parsing the text gives an equal value.
        let at = Timestamp::parse_rfc3339(&text).unwrap_or(at);
        StixTimestamp { at, text }
    }

    pub fn at(&self) -> Timestamp {
        self.at
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for StixTimestamp {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for StixTimestamp {}

impl PartialOrd for StixTimestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StixTimestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

impl fmt::Debug for StixTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for StixTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for StixTimestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for StixTimestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        StixTimestamp::parse(&text).map_err(|why| serde::de::Error::custom(why.en))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_timestamps_keep_their_precision_and_text() {
        let a = StixTimestamp::parse("2023-04-07T20:00:00.0002Z").unwrap();
        let b = StixTimestamp::parse("2023-04-07T20:00:00.0001Z").unwrap();
        assert!(a > b);
        assert_eq!(a.as_str(), "2023-04-07T20:00:00.0002Z");
        assert_eq!(
            StixTimestamp::parse("2014-05-08T09:00:00.000000Z").unwrap(),
            StixTimestamp::parse("2014-05-08T09:00:00Z").unwrap()
        );
    }

    #[test]
    fn timestamps_with_an_offset_or_without_z_are_refused() {
        for bad in [
            "2017-01-27T13:49:53.997+08:00",
            "2017-01-27T13:49:53.997",
            "2017-01-27 13:49:53.997Z",
            "2017-01-27T13:49:53.997z",
            "2017-01-27",
        ] {
            assert!(StixTimestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn civitas_writes_millisecond_utc_timestamps() {
        let at = Timestamp::parse_rfc3339("2024-03-01T08:30:00.123456+08:00").unwrap();
        let stix = StixTimestamp::from_timestamp(at);
        assert_eq!(stix.as_str(), "2024-03-01T00:30:00.123Z");
        assert_eq!(StixTimestamp::parse(stix.as_str()).unwrap(), stix);
    }
}
