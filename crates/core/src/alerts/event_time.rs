//! Event times in every form sensors really write: RFC 3339, offsets without a colon (`+0100`),
//! no offset at all (the source's zone applies), fractions of any length, epoch seconds or
//! milliseconds, BSD syslog `Mmm dd hh:mm:ss` (no year) and CEF's `rt` forms.

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::time::Timestamp;

/// Epoch numbers at or above this are milliseconds (10^11 s is the year 5138).
const EPOCH_MILLIS_FROM: f64 = 1e11;

/// `2018-03-24T14:37:19.037299-0600`, `2019-01-02T03:50:11.315110`, `2014-06-20T09:14:07+00:00`,
/// `2024-03-15 14:23:45Z`. Without an offset the source's zone applies.
pub fn parse_iso(text: &str, default_offset: UtcOffset) -> Option<Timestamp> {
    let text = text.trim();
    let b = text.as_bytes();
    let date = date_from(text.get(0..10)?)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let rest = text.get(11..)?;
    let (clock, zone) = split_zone(rest);
    let time = clock_from(clock)?;
    let offset = match zone {
        Some(z) => offset_from(z)?,
        None => default_offset,
    };
    Some(at(date, time, offset))
}

/// Seconds (with an optional fraction) or milliseconds since 1970, e.g. `1459517280810`.
pub fn parse_epoch(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    let millis = if number >= EPOCH_MILLIS_FROM {
        number
    } else {
        number * 1000.0
    };
    if !millis.is_finite() || millis > 253_402_300_799_000.0 {
        return None;
    }
    // Bounded above, non-negative by construction: the cast cannot wrap.
    #[allow(clippy::cast_possible_truncation)]
    Timestamp::from_millis(millis.round() as i64)
}

/// BSD syslog `Jan  5 08:52:35` (RFC 3164): no year and no zone, so both come from the caller.
/// Returns the time and how many bytes it took.
pub fn parse_bsd(text: &str, year: i32, offset: UtcOffset) -> Option<(Timestamp, usize)> {
    let month = month_from(text.get(0..3)?)?;
    let rest = text.get(3..)?;
    let rest_trimmed = rest.trim_start_matches(' ');
    let spaces = rest.len() - rest_trimmed.len();
    if spaces == 0 {
        return None;
    }
    let day_len = rest_trimmed
        .bytes()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let day: u8 = rest_trimmed.get(..day_len)?.parse().ok()?;
    let after_day = rest_trimmed.get(day_len..)?;
    let clock_text = after_day.strip_prefix(' ')?;
    let clock_len = clock_text
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b':' || *b == b'.')
        .count();
    let time = clock_from(clock_text.get(..clock_len)?)?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let used = 3 + spaces + day_len + 1 + clock_len;
    Some((at(date, time, offset), used))
}

/// CEF `rt`/`start`/`end` and similar: epoch milliseconds, `MMM dd yyyy HH:mm:ss[.SSS][ zone]`,
/// `dd MMMM yyyy HH:mm:ss` (seen from Imperva), `MMM dd HH:mm:ss`, or any ISO form.
pub fn parse_loose(text: &str, default_offset: UtcOffset, year: i32) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(t) = parse_epoch(text).or_else(|| parse_iso(text, default_offset)) {
        return Some(t);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let (date, clock, zone) = match words.as_slice() {
        [m, d, y, c, rest @ ..] if month_from(m).is_some() && is_year(y) => {
            (day_month_year(d, m, y)?, *c, rest.first().copied())
        }
        [d, m, y, c, rest @ ..] if month_from(m).is_some() && is_year(y) => {
            (day_month_year(d, m, y)?, *c, rest.first().copied())
        }
        [m, d, c, rest @ ..] if month_from(m).is_some() => {
            let date = Date::from_calendar_date(year, month_from(m)?, d.parse().ok()?).ok()?;
            (date, *c, rest.first().copied())
        }
        _ => return None,
    };
    let time = clock_from(clock)?;
    let offset = match zone {
        None => default_offset,
        Some(z) => zone_name_offset(z)?,
    };
    Some(at(date, time, offset))
}

/// Any of the forms above; what the generic JSON mapping uses when it was not told the form.
pub fn parse_any(text: &str, default_offset: UtcOffset, year: i32) -> Option<Timestamp> {
    parse_loose(text, default_offset, year)
}

fn is_year(text: &str) -> bool {
    text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit())
}

fn day_month_year(day: &str, month: &str, year: &str) -> Option<Date> {
    Date::from_calendar_date(year.parse().ok()?, month_from(month)?, day.parse().ok()?).ok()
}

fn at(date: Date, time: Time, offset: UtcOffset) -> Timestamp {
    Timestamp::from_offset(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn date_from(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let year: i32 = digits(text.get(0..4)?)?.try_into().ok()?;
    let month: u8 = digits(text.get(5..7)?)?.try_into().ok()?;
    let day: u8 = digits(text.get(8..10)?)?.try_into().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// `hh:mm[:ss[.fraction]]`; fractions longer than nanoseconds are cut, not refused.
fn clock_from(text: &str) -> Option<Time> {
    let (hms, fraction) = match text.split_once(['.', ',']) {
        Some((h, f)) => (h, Some(f)),
        None => (text, None),
    };
    let mut parts = hms.split(':');
    let hour: u8 = two_digits(parts.next()?)?;
    let minute: u8 = two_digits(parts.next()?)?;
    let second: u8 = match parts.next() {
        Some(s) => two_digits(s)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let nine: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            nine.parse().ok()?
        }
        Some(_) => return None,
    };
    // A leap second (:60) is folded into :59.999… rather than refused.
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    Time::from_hms_nano(hour, minute, second, nanos).ok()
}

fn split_zone(rest: &str) -> (&str, Option<&str>) {
    if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        return (clock, Some("Z"));
    }
    match rest.rfind(['+', '-']) {
        Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i..)),
        None => (rest, None),
    }
}

/// `Z`, `+08:00`, `+0800`, `+08`.
pub(crate) fn offset_from(zone: &str) -> Option<UtcOffset> {
    if zone == "Z" {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body: String = zone.get(1..)?.chars().filter(|c| *c != ':').collect();
    let (h, m) = match body.len() {
        2 => (body.as_str(), "00"),
        4 => (body.get(0..2)?, body.get(2..4)?),
        _ => return None,
    };
    let hours: i8 = two_digits(h)?;
    let minutes: i8 = two_digits(m)?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// Zone names in CEF dates: only the unambiguous ones; anything else is refused, not guessed.
fn zone_name_offset(zone: &str) -> Option<UtcOffset> {
    match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UTC" | "UT" | "Z" => Some(UtcOffset::UTC),
        "CST" | "TST" | "TPE" => None,
        other => offset_from(other),
    }
}

fn month_from(text: &str) -> Option<Month> {
    let lower = text.to_ascii_lowercase();
    let prefix = lower.get(0..3)?;
    const NAMES: [(&str, &str, Month); 12] = [
        ("jan", "january", Month::January),
        ("feb", "february", Month::February),
        ("mar", "march", Month::March),
        ("apr", "april", Month::April),
        ("may", "may", Month::May),
        ("jun", "june", Month::June),
        ("jul", "july", Month::July),
        ("aug", "august", Month::August),
        ("sep", "september", Month::September),
        ("oct", "october", Month::October),
        ("nov", "november", Month::November),
        ("dec", "december", Month::December),
    ];
    NAMES
        .iter()
        .find(|(short, long, _)| {
            *short == prefix && (lower.len() == 3 || lower == *long || lower == "sept")
        })
        .map(|(_, _, m)| *m)
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn two_digits<T: TryFrom<u32>>(text: &str) -> Option<T> {
    if text.len() != 2 {
        return None;
    }
    T::try_from(digits(text)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::TAIPEI;

    fn iso(text: &str) -> String {
        parse_iso(text, TAIPEI).unwrap().to_rfc3339()
    }

    #[test]
    fn suricata_offsets_without_a_colon_are_read_as_offsets() {
        assert_eq!(
            iso("2018-03-24T14:37:19.037299-0600"),
            "2018-03-24T20:37:19.037299Z"
        );
        assert_eq!(
            iso("2017-04-07T22:24:37.251547+0100"),
            "2017-04-07T21:24:37.251547Z"
        );
    }

    #[test]
    fn a_time_without_an_offset_is_in_the_sources_zone() {
        assert_eq!(
            iso("2019-01-02T03:50:11.315110"),
            "2019-01-01T19:50:11.31511Z"
        );
        let utc = parse_iso("2019-01-02T03:50:11", UtcOffset::UTC).unwrap();
        assert_eq!(utc.to_rfc3339(), "2019-01-02T03:50:11Z");
    }

    #[test]
    fn rfc3339_zulu_colon_offsets_and_fractions_of_any_length_are_read() {
        assert_eq!(iso("2014-06-20T09:14:07+00:00"), "2014-06-20T09:14:07Z");
        assert_eq!(iso("2024-03-15 14:23:45Z"), "2024-03-15T14:23:45Z");
        assert_eq!(iso("2024-03-15T14:23:45.1+08"), "2024-03-15T06:23:45.1Z");
        assert_eq!(
            iso("2024-03-15T14:23:45.123456789123Z"),
            "2024-03-15T14:23:45.123456789Z"
        );
    }

    #[test]
    fn nonsense_times_are_refused() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-03-15T25:00:00Z",
            "2024-03-15T14:23:45.Z",
            "2024-03-15T14:23:45+0",
            "2024-03-15X14:23:45Z",
        ] {
            assert!(parse_iso(bad, TAIPEI).is_none(), "{bad}");
        }
    }

    #[test]
    fn epoch_seconds_and_milliseconds_are_both_read() {
        assert_eq!(
            parse_epoch("1459517280810").unwrap().to_rfc3339(),
            "2016-04-01T13:28:00.81Z"
        );
        assert_eq!(
            parse_epoch("1403255647").unwrap().to_rfc3339(),
            "2014-06-20T09:14:07Z"
        );
        assert_eq!(
            parse_epoch("1403255647.5").unwrap().to_rfc3339(),
            "2014-06-20T09:14:07.5Z"
        );
        assert!(parse_epoch("-5").is_none());
        assert!(parse_epoch("1e9").is_none());
    }

    #[test]
    fn bsd_syslog_dates_take_the_callers_year_and_zone() {
        let (t, used) = parse_bsd("Jan  5 08:52:35 host x", 2018, UtcOffset::UTC).unwrap();
        assert_eq!(t.as_millis(), 1_515_142_355_000);
        assert_eq!(used, 15);
        let (t, _) = parse_bsd("Mar 21 14:05:02 HHHPVATN1", 2016, UtcOffset::UTC).unwrap();
        assert_eq!(t.as_millis(), 1_458_569_102_000);
        assert!(parse_bsd("Foo  5 08:52:35", 2018, UtcOffset::UTC).is_none());
        assert!(parse_bsd("Feb 30 08:52:35", 2018, UtcOffset::UTC).is_none());
    }

    #[test]
    fn cef_receipt_times_in_vendor_forms_are_read() {
        let utc = UtcOffset::UTC;
        assert_eq!(
            parse_loose("Apr 07 2017 00:10:10 GMT", TAIPEI, 2000)
                .unwrap()
                .to_rfc3339(),
            "2017-04-07T00:10:10Z"
        );
        assert_eq!(
            parse_loose("31 March 2016 13:04:55", utc, 2000)
                .unwrap()
                .to_rfc3339(),
            "2016-03-31T13:04:55Z"
        );
        assert_eq!(
            parse_loose("Mar 21 14:05:02", utc, 2016)
                .unwrap()
                .as_millis(),
            1_458_569_102_000
        );
        assert!(parse_loose("Apr 07 2017 00:10:10 CST", TAIPEI, 2000).is_none());
    }
}
