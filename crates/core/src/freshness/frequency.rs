//! The declared update frequency (更新頻率) as agencies write it, parsed into a calendar
//! period. Text we cannot read is kept verbatim as `Unknown`, never rejected, so no record is
//! lost on import and the agency can be asked to fix it.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::calendar;
use crate::text::Text;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// A regular update period: `count` × `unit`, e.g. 每3個月 is 3 × month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub count: u32,
    pub unit: PeriodUnit,
}

impl Period {
    pub const HOURLY: Period = Period::new(1, PeriodUnit::Hour);
    pub const DAILY: Period = Period::new(1, PeriodUnit::Day);
    pub const WEEKLY: Period = Period::new(1, PeriodUnit::Week);
    pub const MONTHLY: Period = Period::new(1, PeriodUnit::Month);
    pub const QUARTERLY: Period = Period::new(3, PeriodUnit::Month);
    pub const HALF_YEARLY: Period = Period::new(6, PeriodUnit::Month);
    pub const YEARLY: Period = Period::new(1, PeriodUnit::Year);

    pub const fn new(count: u32, unit: PeriodUnit) -> Self {
        Period { count, unit }
    }

    /// Twelve months are written as one year so that 每12個月 and 每年 are the same period.
    fn normalised(self) -> Self {
        match self.unit {
            PeriodUnit::Month if self.count.is_multiple_of(12) => {
                Period::new(self.count / 12, PeriodUnit::Year)
            }
            _ => self,
        }
    }

    /// The instant one period after `at`, by the calendar in Taipei: a month after 31 January
    /// is the last day of February, not 30 days later.
    pub fn after(&self, at: Timestamp) -> Timestamp {
        calendar::add_period(at, *self)
    }

    /// A nominal length (a month counts as 30 days, a year as 365) for rules that scale with
    /// the period, such as grace and notice; due dates always use [`Period::after`].
    pub fn nominal(&self) -> Duration {
        let n = i64::from(self.count);
        match self.unit {
            PeriodUnit::Minute => Duration::minutes(n),
            PeriodUnit::Hour => Duration::hours(n),
            PeriodUnit::Day => Duration::days(n),
            PeriodUnit::Week => Duration::weeks(n),
            PeriodUnit::Month => Duration::days(30 * n),
            PeriodUnit::Year => Duration::days(365 * n),
        }
    }

    /// Shorter than a day: deadlines must be shown with the time, not just the date.
    pub fn is_sub_daily(&self) -> bool {
        self.nominal() < Duration::days(1)
    }

    pub fn label(&self) -> Text {
        let n = self.count;
        match (self.unit, n) {
            (PeriodUnit::Minute, 1) => Text::new("每分鐘", "every minute"),
            (PeriodUnit::Hour, 1) => Text::new("每小時", "hourly"),
            (PeriodUnit::Day, 1) => Text::new("每日", "daily"),
            (PeriodUnit::Week, 1) => Text::new("每週", "weekly"),
            (PeriodUnit::Month, 1) => Text::new("每月", "monthly"),
            (PeriodUnit::Month, 3) => Text::new("每季", "quarterly"),
            (PeriodUnit::Month, 6) => Text::new("每半年", "every six months"),
            (PeriodUnit::Year, 1) => Text::new("每年", "yearly"),
            (PeriodUnit::Minute, _) => {
                Text::new(format!("每{n}分鐘"), format!("every {n} minutes"))
            }
            (PeriodUnit::Hour, _) => Text::new(format!("每{n}小時"), format!("every {n} hours")),
            (PeriodUnit::Day, _) => Text::new(format!("每{n}日"), format!("every {n} days")),
            (PeriodUnit::Week, _) => Text::new(format!("每{n}週"), format!("every {n} weeks")),
            (PeriodUnit::Month, _) => Text::new(format!("每{n}個月"), format!("every {n} months")),
            (PeriodUnit::Year, _) => Text::new(format!("每{n}年"), format!("every {n} years")),
        }
    }
}

/// What an agency declared about how often a dataset changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum UpdateFrequency {
    /// 即時: a live feed.
    Continuous,
    /// 每日, 每月, 每3個月, 每10日 …
    Regular(Period),
    /// 不定期: changes when something happens; never "overdue", only due for review.
    Irregular,
    /// 不更新: published once and kept as is.
    Never,
    /// The field was empty or absent.
    Missing,
    /// Text we could not read, kept as written.
    Unknown(String),
}

impl UpdateFrequency {
    /// Reads every form seen in Taiwan's catalogues. Never fails: unreadable text becomes
    /// `Unknown` so that the record is kept and the agency can be asked to fix it.
    pub fn parse(raw: &str) -> Self {
        let text = normalise(raw);
        if text.is_empty() {
            return UpdateFrequency::Missing;
        }
        let core = strip_suffixes(&text);
        if let Some(keyword) = keyword(core) {
            return keyword;
        }
        match count_and_unit(core) {
            Some(period) => UpdateFrequency::Regular(period.normalised()),
            None => super::vocabulary::from_eu_code(raw.trim())
                .unwrap_or_else(|| UpdateFrequency::Unknown(raw.trim().to_string())),
        }
    }

    /// For sources where the field may be absent altogether.
    pub fn parse_optional(raw: Option<&str>) -> Self {
        raw.map_or(UpdateFrequency::Missing, UpdateFrequency::parse)
    }

    pub fn period(&self) -> Option<Period> {
        match self {
            UpdateFrequency::Regular(period) => Some(*period),
            _ => None,
        }
    }

    pub fn label(&self) -> Text {
        match self {
            UpdateFrequency::Continuous => Text::new("即時", "real-time"),
            UpdateFrequency::Regular(period) => period.label(),
            UpdateFrequency::Irregular => Text::new("不定期", "irregular"),
            UpdateFrequency::Never => Text::new("不更新", "never updated"),
            UpdateFrequency::Missing => Text::new("未填寫", "not declared"),
            UpdateFrequency::Unknown(raw) => Text::new(
                format!("無法辨識（{raw}）"),
                format!("unrecognised ({raw})"),
            ),
        }
    }
}

/// Drops every kind of space (including the full-width U+3000) and turns full-width digits
/// into ASCII, so "每 10 日" and "每１０日" read as "每10日".
fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            '周' => '週',
            _ => c,
        })
        .collect()
}

/// "每月更新", "每年一次" and "每年1次" say no more than "每月" and "每年".
fn strip_suffixes(mut text: &str) -> &str {
    while let Some(shorter) = ["更新", "一次", "1次"]
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix))
    {
        text = shorter;
    }
    text
}

fn keyword(text: &str) -> Option<UpdateFrequency> {
    Some(match text {
        "即時" | "實時" | "連續" | "即時性" => UpdateFrequency::Continuous,
        "不定期" | "不定時" | "視需要" | "依需要" | "有異動時" => {
            UpdateFrequency::Irregular
        }
        "不" | "不再" | "停止" | "無須" | "不需" | "不需要" | "已停止" => {
            UpdateFrequency::Never
        }
        "每季" | "季" => UpdateFrequency::Regular(Period::QUARTERLY),
        "每半年" | "半年" => UpdateFrequency::Regular(Period::HALF_YEARLY),
        "每旬" => UpdateFrequency::Regular(Period::new(10, PeriodUnit::Day)),
        _ => return None,
    })
}

/// "每2年", "每3個月", "每1日", "1日", "每小時", "每兩週": an optional 每, an optional count
/// (Arabic or Chinese numerals; 每 alone means one), an optional 個, then a unit.
fn count_and_unit(text: &str) -> Option<Period> {
    let (every, rest) = match text.strip_prefix('每') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let number_end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || chinese_digit(*c).is_some() || *c == '十'))
        .map_or(rest.len(), |(i, _)| i);
    let (number, unit) = rest.split_at(number_end);
    let count = if number.is_empty() {
        // A bare unit ("月") is not a frequency; "每月" is.
        if !every {
            return None;
        }
        1
    } else {
        parse_count(number)?
    };
    let unit = unit.strip_prefix('個').unwrap_or(unit);
    let (unit, multiplier) = match unit {
        "分鐘" | "分" => (PeriodUnit::Minute, 1),
        "小時" | "時" | "鐘頭" => (PeriodUnit::Hour, 1),
        "日" | "天" => (PeriodUnit::Day, 1),
        "週" | "星期" | "禮拜" => (PeriodUnit::Week, 1),
        "月" => (PeriodUnit::Month, 1),
        "季" => (PeriodUnit::Month, 3),
        "年" => (PeriodUnit::Year, 1),
        _ => return None,
    };
    let count = count.checked_mul(multiplier).filter(|n| *n > 0)?;
    Some(Period::new(count, unit))
}

fn parse_count(number: &str) -> Option<u32> {
    if number.chars().all(|c| c.is_ascii_digit()) {
        return number.parse().ok();
    }
    // Chinese numerals up to 99: 三, 十, 十二, 二十, 二十四.
    match number.split_once('十') {
        None => {
            let mut chars = number.chars();
            let digit = chinese_digit(chars.next()?)?;
            chars.next().is_none().then_some(digit)
        }
        Some((tens, ones)) => {
            let tens = if tens.is_empty() {
                1
            } else {
                single_chinese_digit(tens)?
            };
            let ones = if ones.is_empty() {
                0
            } else {
                single_chinese_digit(ones)?
            };
            Some(tens * 10 + ones)
        }
    }
}

fn single_chinese_digit(text: &str) -> Option<u32> {
    let mut chars = text.chars();
    let digit = chinese_digit(chars.next()?)?;
    chars.next().is_none().then_some(digit)
}

fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '一' => 1,
        '二' | '兩' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regular(count: u32, unit: PeriodUnit) -> UpdateFrequency {
        UpdateFrequency::Regular(Period::new(count, unit))
    }

    #[test]
    fn every_frequency_in_taoyuans_and_data_gov_tws_catalogues_is_understood() {
        let cases = [
            ("即時", UpdateFrequency::Continuous),
            ("每小時", regular(1, PeriodUnit::Hour)),
            ("每日", regular(1, PeriodUnit::Day)),
            ("每週", regular(1, PeriodUnit::Week)),
            ("每周", regular(1, PeriodUnit::Week)),
            ("每月", regular(1, PeriodUnit::Month)),
            ("每季", regular(3, PeriodUnit::Month)),
            ("每半年", regular(6, PeriodUnit::Month)),
            ("每年", regular(1, PeriodUnit::Year)),
            ("每10日", regular(10, PeriodUnit::Day)),
            ("每10年", regular(10, PeriodUnit::Year)),
            ("不定期", UpdateFrequency::Irregular),
            ("不更新", UpdateFrequency::Never),
            ("", UpdateFrequency::Missing),
        ];
        for (raw, expected) in cases {
            assert_eq!(UpdateFrequency::parse(raw), expected, "{raw:?}");
        }
        assert_eq!(
            UpdateFrequency::parse_optional(None),
            UpdateFrequency::Missing
        );
    }

    #[test]
    fn counts_and_units_are_read_however_they_are_written() {
        let cases = [
            ("每2年", regular(2, PeriodUnit::Year)),
            ("每3個月", regular(3, PeriodUnit::Month)),
            ("每1日", regular(1, PeriodUnit::Day)),
            ("1日", regular(1, PeriodUnit::Day)),
            ("每 10 分鐘", regular(10, PeriodUnit::Minute)),
            ("每１０日", regular(10, PeriodUnit::Day)),
            ("每兩週", regular(2, PeriodUnit::Week)),
            ("每十二個月", regular(1, PeriodUnit::Year)),
            ("每2季", regular(6, PeriodUnit::Month)),
            ("每月更新", regular(1, PeriodUnit::Month)),
            ("每年一次", regular(1, PeriodUnit::Year)),
            ("每月更新一次", regular(1, PeriodUnit::Month)),
            ("  每日 ", regular(1, PeriodUnit::Day)),
        ];
        for (raw, expected) in cases {
            assert_eq!(UpdateFrequency::parse(raw), expected, "{raw:?}");
        }
        // Three months are a quarter, whichever way they were declared.
        assert_eq!(
            UpdateFrequency::parse("每3個月"),
            UpdateFrequency::parse("每季")
        );
    }

    #[test]
    fn text_that_is_not_a_frequency_is_kept_as_written_not_rejected() {
        for raw in ["每15日或每2月", "月", "每0日", "隨便", "每月20日前", "每"] {
            assert_eq!(
                UpdateFrequency::parse(raw),
                UpdateFrequency::Unknown(raw.to_string()),
                "{raw:?}"
            );
        }
        assert_eq!(
            UpdateFrequency::parse("  \u{3000}"),
            UpdateFrequency::Missing
        );
    }

    #[test]
    fn a_steward_reads_the_frequency_in_their_own_words() {
        assert_eq!(
            UpdateFrequency::parse("每3個月").label(),
            Text::new("每季", "quarterly")
        );
        assert_eq!(UpdateFrequency::parse("每周").label().zh, "每週");
        assert_eq!(UpdateFrequency::parse("每10日").label().en, "every 10 days");
        assert_eq!(
            UpdateFrequency::parse("亂寫").label().zh,
            "無法辨識（亂寫）"
        );
    }
}
