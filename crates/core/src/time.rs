//! The one date type, `Timestamp` (an instant, stored as Unix milliseconds), and how the
//! city writes dates: the ROC calendar (民國113年1月1日) in Taipei time, or ISO 8601.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// Taiwan has kept UTC+8 without daylight saving since 1979.
pub const TAIPEI: UtcOffset = time::macros::offset!(+8);

/// The ROC calendar counts years from 1912 (民國元年).
pub const ROC_YEAR_OFFSET: i32 = 1911;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn from_offset(at: OffsetDateTime) -> Self {
        Self(at.to_offset(UtcOffset::UTC))
    }

    /// Milliseconds since the Unix epoch; `None` when out of range.
    pub fn from_millis(ms: i64) -> Option<Self> {
        let nanos = i128::from(ms) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Self)
    }

    pub fn as_millis(&self) -> i64 {
        let ms = self.0.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms).unwrap_or(i64::MAX)
    }

    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(Self::from_offset)
    }

    pub fn to_rfc3339(&self) -> String {
        // Formatting a valid UTC instant as RFC 3339 cannot fail for years 0..=9999.
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.as_millis().to_string())
    }

    pub fn add(&self, by: Duration) -> Self {
        self.0.checked_add(by).map(Self).unwrap_or(*self)
    }

    pub fn sub(&self, by: Duration) -> Self {
        self.0.checked_sub(by).map(Self).unwrap_or(*self)
    }

    pub fn since(&self, earlier: Timestamp) -> Duration {
        self.0 - earlier.0
    }

    pub fn inner(&self) -> OffsetDateTime {
        self.0
    }

    pub fn in_taipei(&self) -> OffsetDateTime {
        self.0.to_offset(TAIPEI)
    }

    /// The calendar date in Taipei, e.g. for grouping activity by day.
    /// The instant a Taipei calendar day begins.
    pub fn taipei_midnight(date: time::Date) -> Self {
        Timestamp(
            date.midnight()
                .assume_offset(TAIPEI)
                .to_offset(UtcOffset::UTC),
        )
    }

    pub fn taipei_date(&self) -> time::Date {
        self.in_taipei().date()
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 date-time"))
    }
}

/// How a person wants dates written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 民國113年1月1日 — what officials write.
    #[default]
    Roc,
    /// 2024-01-01.
    Iso,
}

impl DateStyle {
    pub fn as_str(&self) -> &'static str {
        match self {
            DateStyle::Roc => "roc",
            DateStyle::Iso => "iso",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "roc" => Some(DateStyle::Roc),
            "iso" => Some(DateStyle::Iso),
            _ => None,
        }
    }
}

/// Language of the person reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn as_str(&self) -> &'static str {
        match self {
            Language::ZhTw => "zh-TW",
            Language::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "zh-TW" | "zh" | "zh-Hant" | "zh-hant" | "zh-tw" => Some(Language::ZhTw),
            "en" | "en-US" | "en-GB" => Some(Language::En),
            _ => None,
        }
    }
}

/// A date in the ROC calendar. Years before 民國元年 are written 民國前N年.
pub fn roc_date(date: time::Date, lang: Language) -> String {
    let year = date.year() - ROC_YEAR_OFFSET;
    let month = u8::from(date.month());
    let day = date.day();
    match lang {
        Language::ZhTw if year >= 1 => format!("民國{year}年{month}月{day}日"),
        Language::ZhTw => format!("民國前{}年{month}月{day}日", 1 - year),
        Language::En if year >= 1 => format!("ROC {year}-{month:02}-{day:02}"),
        Language::En => format!("{}-{month:02}-{day:02}", date.year()),
    }
}

/// A `YYYY-MM-DD` date.
pub fn parse_iso_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).ok()
}

pub fn iso_date(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A date as the reader wants it, in Taipei time.
pub fn format_date(at: Timestamp, style: DateStyle, lang: Language) -> String {
    let date = at.taipei_date();
    match style {
        DateStyle::Roc => roc_date(date, lang),
        DateStyle::Iso => iso_date(date),
    }
}

/// A date and time (to the minute) as the reader wants it, in Taipei time.
pub fn format_datetime(at: Timestamp, style: DateStyle, lang: Language) -> String {
    let local = at.in_taipei();
    format!(
        "{} {:02}:{:02}",
        format_date(at, style, lang),
        local.hour(),
        local.minute()
    )
}

/// Parse a relative duration as people type it: `30d`, `12h`, `90m`, `2w`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    if n <= 0 {
        return None;
    }
    match unit {
        "m" | "min" => Some(Duration::minutes(n)),
        "h" => Some(Duration::hours(n)),
        "d" => Some(Duration::days(n)),
        "w" => Some(Duration::weeks(n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn an_official_reads_dates_in_the_roc_calendar() {
        assert_eq!(
            roc_date(date!(2024 - 01 - 01), Language::ZhTw),
            "民國113年1月1日"
        );
        assert_eq!(
            roc_date(date!(1912 - 01 - 01), Language::ZhTw),
            "民國1年1月1日"
        );
        assert_eq!(
            roc_date(date!(1911 - 10 - 10), Language::ZhTw),
            "民國前1年10月10日"
        );
        assert_eq!(
            roc_date(date!(2022 - 10 - 31), Language::En),
            "ROC 111-10-31"
        );
    }

    #[test]
    fn dates_are_taipei_dates_not_utc_dates() {
        // 2023-12-31 17:00 UTC is already New Year's Day in Taoyuan.
        let at = Timestamp::from_offset(datetime!(2023-12-31 17:00 UTC));
        assert_eq!(
            format_date(at, DateStyle::Roc, Language::ZhTw),
            "民國113年1月1日"
        );
        assert_eq!(
            format_date(at, DateStyle::Iso, Language::ZhTw),
            "2024-01-01"
        );
        assert_eq!(
            format_datetime(at, DateStyle::Iso, Language::En),
            "2024-01-01 01:00"
        );
    }

    #[test]
    fn timestamps_survive_millisecond_storage() {
        let at = Timestamp::from_offset(datetime!(2024-05-06 07:08:09.123 +08:00));
        let back = Timestamp::from_millis(at.as_millis()).unwrap();
        assert_eq!(at, back);
        assert_eq!(back.to_rfc3339(), "2024-05-05T23:08:09.123Z");
    }

    #[test]
    fn durations_are_typed_the_way_people_say_them() {
        assert_eq!(parse_duration("30d"), Some(Duration::days(30)));
        assert_eq!(parse_duration("12h"), Some(Duration::hours(12)));
        assert_eq!(parse_duration("2w"), Some(Duration::weeks(2)));
        assert_eq!(parse_duration("0d"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("5y"), None);
    }
}
