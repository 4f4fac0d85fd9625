//! Alert analysis (issue 4, point 5): monthly trends with month-over-month and year-over-year
//! change, breakdowns by agency and source system, the values analysts rank (signatures,
//! addresses, ATT&CK techniques) with how often they come back, and spikes in an agency's
//! daily notifications found with a Poisson test, because a city sees about a dozen
//! notifications a day and a z-score on counts that small cries wolf.
//!
//! Everything here is computed from rollups kept at ingest time, never from the alerts.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::alerts::query::{RollupRow, Share, share};
use crate::alerts::rules::Severity;
use crate::text::Text;
use crate::time::{Timestamp, iso_date, parse_iso_date};

/// What an analyst ranks and follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Signature,
    SourceIp,
    DestinationIp,
    Technique,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [
        Dimension::Signature,
        Dimension::SourceIp,
        Dimension::DestinationIp,
        Dimension::Technique,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Dimension::Signature => "signature",
            Dimension::SourceIp => "source_ip",
            Dimension::DestinationIp => "destination_ip",
            Dimension::Technique => "technique",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }

    pub fn label(&self) -> Text {
        match self {
            Dimension::Signature => Text::new("特徵（規則）", "signature"),
            Dimension::SourceIp => Text::new("來源位址", "source address"),
            Dimension::DestinationIp => Text::new("目的位址（受攻擊主機）", "target address"),
            Dimension::Technique => Text::new("ATT&CK 技術", "ATT&CK technique"),
        }
    }
}

/// One cell of the per-month value counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValueKey {
    /// The Taipei month, `2024-03`.
    pub month: String,
    pub dimension: Dimension,
    pub agency: Option<AgencyCode>,
    pub value: String,
}

/// How a value's month grows with one import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueDelta {
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

impl ValueDelta {
    pub fn new(at: Timestamp) -> Self {
        ValueDelta {
            count: 0,
            first_seen: at,
            last_seen: at,
        }
    }

    pub fn add(&mut self, at: Timestamp) {
        self.count += 1;
        self.first_seen = self.first_seen.min(at);
        self.last_seen = self.last_seen.max(at);
    }
}

/// The Taipei month of an instant, `2024-03`.
pub fn month_of(at: Timestamp) -> String {
    let date = at.taipei_date();
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// A value's standing over a period, as the store adds it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
    /// In how many months of the period it was seen.
    pub months_seen: u32,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// A ranked value with its share and whether it keeps coming back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopValue {
    pub value: String,
    #[serde(flatten)]
    pub share: Share,
    pub months_seen: u32,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Seen in more than one month of the period.
    pub recurring: bool,
}

/// The top values of a dimension, with their share of all alerts in the period.
pub fn top_values(rows: Vec<ValueCount>, total: u64) -> Vec<TopValue> {
    rows.into_iter()
        .map(|r| TopValue {
            share: share(r.count, total),
            recurring: r.months_seen > 1,
            value: r.value,
            months_seen: r.months_seen,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
        })
        .collect()
}

/// A change from one count to the next; `percent` is absent when the earlier count is zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub previous: u64,
    pub current: u64,
    pub percent: Option<f64>,
}

impl Change {
    pub fn new(previous: u64, current: u64) -> Self {
        let percent = (previous > 0).then(|| {
            let p = (current as f64 - previous as f64) * 100.0 / previous as f64;
            (p * 10.0).round() / 10.0
        });
        Change {
            previous,
            current,
            percent,
        }
    }

    /// "較上月增加 12.5%" / "up 12.5% on the month before".
    pub fn explain(&self, against: &Text) -> Text {
        match self.percent {
            None => Text::new(
                format!("{}：前期為 0，本期 {} 件", against.zh, self.current),
                format!("{}: none before, {} now", against.en, self.current),
            ),
            Some(p) if p > 0.0 => Text::new(
                format!("較{}增加 {p}%", against.zh),
                format!("up {p}% on {}", against.en),
            ),
            Some(p) if p < 0.0 => Text::new(
                format!("較{}減少 {}%", against.zh, -p),
                format!("down {}% on {}", -p, against.en),
            ),
            Some(_) => Text::new(
                format!("與{}持平", against.zh),
                format!("level with {}", against.en),
            ),
        }
    }
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthPoint {
    pub month: String,
    pub total: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

/// Months in order with every month present, and the last month's change on the month before
/// and on the same month a year earlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub months: Vec<MonthPoint>,
    pub month_over_month: Option<Change>,
    pub year_over_year: Option<Change>,
}

/// The month after, `2024-12` → `2025-01`.
pub fn next_month(month: &str) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    Some(if m >= 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", m + 1)
    })
}

/// The month `n` months before.
pub fn months_back(month: &str, n: u32) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, i32) = (y.parse().ok()?, m.parse().ok()?);
    let index = y * 12 + (m - 1) - n as i32;
    Some(format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    ))
}

impl Trend {
    /// From rollup rows, every month from `first` to `last` (both `YYYY-MM`) listed.
    pub fn from_rollups(rows: &[RollupRow], first: &str, last: &str) -> Self {
        let mut by_month: BTreeMap<&str, MonthPoint> = BTreeMap::new();
        for row in rows {
            let Some(month) = row.day.get(..7) else {
                continue;
            };
            let point = by_month.entry(month).or_insert_with(|| MonthPoint {
                month: month.to_string(),
                total: 0,
                high: 0,
                medium: 0,
                low: 0,
            });
            point.total += row.count;
            match row.severity {
                Severity::High => point.high += row.count,
                Severity::Medium => point.medium += row.count,
                Severity::Low => point.low += row.count,
            }
        }
        let mut months = Vec::new();
        let mut month = first.to_string();
        while month.as_str() <= last && months.len() < 1200 {
            months.push(by_month.remove(month.as_str()).unwrap_or(MonthPoint {
                month: month.clone(),
                total: 0,
                high: 0,
                medium: 0,
                low: 0,
            }));
            match next_month(&month) {
                Some(next) => month = next,
                None => break,
            }
        }
        let total_of = |m: &str| months.iter().find(|p| p.month == m).map(|p| p.total);
        let change = |back: u32| {
            let current = months.last()?;
            let earlier = months_back(&current.month, back)?;
            Some(Change::new(total_of(&earlier)?, current.total))
        };
        Trend {
            month_over_month: change(1),
            year_over_year: change(12),
            months,
        }
    }
}

/// A count under a name (an agency, a source system) with its share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The agency code or source name; `None` for alerts no configured range placed.
    pub key: Option<String>,
    #[serde(flatten)]
    pub share: Share,
    pub high: u64,
}

/// Counts by agency and by source, largest first.
pub fn breakdowns(rows: &[RollupRow]) -> (Vec<Breakdown>, Vec<Breakdown>) {
    let mut agencies: BTreeMap<Option<String>, (u64, u64)> = BTreeMap::new();
    let mut sources: BTreeMap<Option<String>, (u64, u64)> = BTreeMap::new();
    let mut total = 0;
    for row in rows {
        total += row.count;
        let high = if row.severity == Severity::High {
            row.count
        } else {
            0
        };
        let a = agencies
            .entry(row.agency.as_ref().map(|a| a.as_str().to_string()))
            .or_default();
        a.0 += row.count;
        a.1 += high;
        let s = sources.entry(Some(row.source.clone())).or_default();
        s.0 += row.count;
        s.1 += high;
    }
    let list = |map: BTreeMap<Option<String>, (u64, u64)>| {
        let mut lines: Vec<Breakdown> = map
            .into_iter()
            .map(|(key, (count, high))| Breakdown {
                key,
                share: share(count, total),
                high,
            })
            .collect();
        lines.sort_by(|a, b| b.share.count.cmp(&a.share.count).then(a.key.cmp(&b.key)));
        lines
    };
    (list(agencies), list(sources))
}

/// The analyst's note on a pattern: the cause found and the countermeasure taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertNote {
    pub id: i64,
    /// `category` or one of the [`Dimension`]s.
    pub dimension: String,
    pub value: String,
    /// The agency the note is about; `None` for the whole city.
    pub agency: Option<AgencyCode>,
    pub cause: String,
    pub countermeasure: String,
    pub author: String,
    pub created_at: Timestamp,
}

/// A note to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAlertNote {
    pub dimension: String,
    pub value: String,
    pub agency: Option<AgencyCode>,
    pub cause: String,
    pub countermeasure: String,
}

/// The ranked values of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopList {
    pub dimension: Dimension,
    pub label: Text,
    pub values: Vec<TopValue>,
}

/// Everything the analysis page shows for a period of whole Taipei months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertAnalysis {
    /// First and last month of the period, `YYYY-MM`.
    pub from_month: String,
    pub to_month: String,
    pub summary: crate::alerts::query::AlertSummary,
    /// The 24 months up to `to_month`, so that the last month has a year-over-year change.
    pub trend: Trend,
    pub by_agency: Vec<Breakdown>,
    pub by_source: Vec<Breakdown>,
    pub top: Vec<TopList>,
    /// Spikes in the 30 days up to the end of the period (or today, if sooner).
    pub spikes: Vec<Spike>,
    pub notes: Vec<AlertNote>,
}

/// Notifications an agency received on one Taipei day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    pub agency: Option<AgencyCode>,
    /// ISO date.
    pub day: String,
    pub count: u64,
}

/// P(X ≥ k) for X ~ Poisson(λ), summed from k upwards in log space so that tiny tails keep
/// their precision.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    if (k as f64) <= lambda {
        // Not in the upper tail: one minus the lower sum is accurate enough here.
        let mut term = (-lambda).exp();
        let mut below = 0.0;
        for i in 0..k {
            below += term;
            term *= lambda / (i + 1) as f64;
        }
        return (1.0 - below).clamp(0.0, 1.0);
    }
    let ln_factorial_k: f64 = (2..=k).map(|j| (j as f64).ln()).sum();
    let mut log_term = -lambda + k as f64 * lambda.ln() - ln_factorial_k;
    let mut sum = 0.0;
    let mut i = k;
    for _ in 0..100_000 {
        let term = log_term.exp();
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
        i += 1;
        log_term += lambda.ln() - (i as f64).ln();
    }
    sum.clamp(0.0, 1.0)
}

/// How spikes are tested.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikePolicy {
    /// Days before the tested day whose mean is the expected rate.
    pub baseline_days: u32,
    /// A day is a spike when so many notifications or more would happen by chance less often
    /// than this.
    pub p_value: f64,
    /// Fewer notifications than this are never a spike, whatever the baseline.
    pub min_count: u64,
}

impl Default for SpikePolicy {
    fn default() -> Self {
        SpikePolicy {
            baseline_days: 28,
            p_value: 0.001,
            min_count: 3,
        }
    }
}

/// An agency's day with far more notifications than its recent rate explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    pub agency: Option<AgencyCode>,
    pub day: String,
    pub observed: u64,
    /// Mean notifications a day over the baseline days.
    pub expected: f64,
    pub p_value: f64,
    pub explanation: Text,
}

/// Tests each of `days` (ISO dates) for each agency in `counts` against the mean of the
/// `baseline_days` before it (days without notifications count as zero). Spikes come out
/// most significant first.
pub fn spikes(counts: &[DayCount], days: &[String], policy: SpikePolicy) -> Vec<Spike> {
    let mut by_agency: BTreeMap<Option<&AgencyCode>, BTreeMap<&str, u64>> = BTreeMap::new();
    for c in counts {
        *by_agency
            .entry(c.agency.as_ref())
            .or_default()
            .entry(c.day.as_str())
            .or_insert(0) += c.count;
    }
    let mut found = Vec::new();
    let tested: BTreeSet<&String> = days.iter().collect();
    for (agency, per_day) in &by_agency {
        for day in &tested {
            let observed = per_day.get(day.as_str()).copied().unwrap_or(0);
            if observed < policy.min_count {
                continue;
            }
            let Some(date) = parse_iso_date(day) else {
                continue;
            };
            let baseline: u64 = (1..=policy.baseline_days)
                .filter_map(|back| date.checked_sub(time::Duration::days(i64::from(back))))
                .map(|d| per_day.get(iso_date(d).as_str()).copied().unwrap_or(0))
                .sum();
            // Half a notification of prior over the window keeps a quiet agency's first
            // alerts from reading as impossible.
            let expected = (baseline as f64 + 0.5) / f64::from(policy.baseline_days.max(1));
            let p = poisson_upper_tail(observed, expected);
            if p < policy.p_value {
                found.push(Spike {
                    agency: agency.cloned(),
                    day: (*day).clone(),
                    observed,
                    expected: (expected * 100.0).round() / 100.0,
                    p_value: p,
                    explanation: explain_spike(observed, expected, p, policy.baseline_days),
                });
            }
        }
    }
    found.sort_by(|a, b| {
        a.p_value
            .partial_cmp(&b.p_value)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.day.cmp(&a.day))
    });
    found
}

fn explain_spike(observed: u64, expected: f64, p: f64, days: u32) -> Text {
    let odds = if p > 0.0 {
        format!("{:.0}", (1.0 / p).min(1e12))
    } else {
        "10¹²".to_string()
    };
    Text::new(
        format!(
            "當日 {observed} 則通報，前 {days} 天平均每日 {expected:.1} 則；若無異常，出現這麼多的機會約 {odds} 天才一次"
        ),
        format!(
            "{observed} notifications that day against {expected:.1} a day over the {days} days before; by chance alone this happens about once in {odds} days"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rules::Category;

    fn rollup(day: &str, severity: Severity, count: u64) -> RollupRow {
        RollupRow {
            day: day.into(),
            agency: None,
            category: Category::IntrusionAttempt,
            sub_bucket: None,
            severity,
            source: "eve".into(),
            count,
        }
    }

    #[test]
    fn the_poisson_tail_matches_known_values() {
        // P(X ≥ 1 | 1) = 1 − e⁻¹; P(X ≥ 10 | 2) ≈ 4.65e-5 (R: ppois(9, 2, lower=FALSE)).
        assert!((poisson_upper_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        let p = poisson_upper_tail(10, 2.0);
        assert!((p - 4.649_807e-5).abs() < 1e-9, "{p}");
        assert_eq!(poisson_upper_tail(0, 3.0), 1.0);
        assert_eq!(poisson_upper_tail(5, 0.0), 0.0);
        // A far tail stays positive and tiny rather than rounding to zero or going negative.
        let far = poisson_upper_tail(200, 12.0);
        assert!(far > 0.0 && far < 1e-100, "{far}");
        // Below the mean it is most of the mass.
        assert!(poisson_upper_tail(3, 12.0) > 0.99);
    }

    #[test]
    fn the_trend_lists_every_month_and_compares_with_last_month_and_last_year() {
        let rows = [
            rollup("2023-03-05", Severity::Medium, 40),
            rollup("2024-02-10", Severity::Medium, 80),
            rollup("2024-03-01", Severity::High, 10),
            rollup("2024-03-31", Severity::Medium, 90),
        ];
        let t = Trend::from_rollups(&rows, "2023-03", "2024-03");
        assert_eq!(t.months.len(), 13);
        assert_eq!(t.months[1].total, 0, "an empty month is listed with zero");
        let last = t.months.last().unwrap();
        assert_eq!((last.total, last.high, last.medium), (100, 10, 90));
        let mom = t.month_over_month.unwrap();
        assert_eq!(
            (mom.previous, mom.current, mom.percent),
            (80, 100, Some(25.0))
        );
        let yoy = t.year_over_year.unwrap();
        assert_eq!(yoy.percent, Some(150.0));
        assert_eq!(
            mom.explain(&Text::new("上月", "the month before")).zh,
            "較上月增加 25%"
        );
        assert_eq!(months_back("2024-01", 1).unwrap(), "2023-12");
        assert_eq!(months_back("2024-03", 12).unwrap(), "2023-03");
    }

    #[test]
    fn a_year_without_last_year_has_no_year_over_year_change() {
        let t = Trend::from_rollups(
            &[rollup("2024-03-01", Severity::Low, 5)],
            "2024-01",
            "2024-03",
        );
        assert!(t.year_over_year.is_none());
        assert_eq!(t.month_over_month.unwrap().percent, None);
    }

    fn day_counts(agency: &str, counts: &[(&str, u64)]) -> Vec<DayCount> {
        counts
            .iter()
            .map(|(day, count)| DayCount {
                agency: Some(AgencyCode::parse(agency).unwrap()),
                day: (*day).into(),
                count: *count,
            })
            .collect()
    }

    #[test]
    fn a_sparse_agency_spikes_on_a_day_chance_does_not_explain() {
        // Two a day for four weeks, then 12 on 2024-03-29: a spike. 4 the day before is not.
        let mut counts: Vec<(String, u64)> =
            (1..=27).map(|d| (format!("2024-03-{d:02}"), 2)).collect();
        counts.push(("2024-03-28".into(), 4));
        counts.push(("2024-03-29".into(), 12));
        let refs: Vec<(&str, u64)> = counts.iter().map(|(d, n)| (d.as_str(), *n)).collect();
        let rows = day_counts("CULTURE", &refs);
        let days = vec!["2024-03-28".to_string(), "2024-03-29".to_string()];
        let found = spikes(&rows, &days, SpikePolicy::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].day, "2024-03-29");
        assert_eq!(found[0].observed, 12);
        assert!(found[0].explanation.zh.contains("12 則通報"));
    }

    #[test]
    fn a_quiet_agencys_first_three_are_a_spike_but_two_never_are_and_a_busy_one_is_ordinary() {
        let rows = day_counts("ART", &[("2024-05-10", 3)]);
        let day = vec!["2024-05-10".to_string()];
        // λ = 0.5/28: three at once is rare in theory; min_count 3 lets it through the
        // count gate but the test is what decides.
        let three = spikes(&rows, &day, SpikePolicy::default());
        assert_eq!(
            three.len(),
            1,
            "three from nothing is very unlikely by chance"
        );
        let two = spikes(
            &day_counts("ART", &[("2024-05-10", 2)]),
            &day,
            SpikePolicy::default(),
        );
        assert!(two.is_empty(), "fewer than min_count is never a spike");
        // A busy agency (12 a day) with 14 is ordinary.
        let busy: Vec<(String, u64)> = (1..=28)
            .map(|d| (format!("2024-02-{:02}", d), 12))
            .collect();
        let mut refs: Vec<(&str, u64)> = busy.iter().map(|(d, n)| (d.as_str(), *n)).collect();
        refs.push(("2024-02-29", 14));
        let ordinary = spikes(
            &day_counts("POLICE", &refs),
            &["2024-02-29".to_string()],
            SpikePolicy::default(),
        );
        assert!(ordinary.is_empty(), "{ordinary:?}");
    }

    #[test]
    fn breakdowns_rank_agencies_and_sources_with_their_high_counts() {
        let mut a = rollup("2024-03-01", Severity::High, 5);
        a.agency = Some(AgencyCode::parse("CULTURE").unwrap());
        let mut b = rollup("2024-03-01", Severity::Medium, 20);
        b.source = "wazuh".into();
        let (agencies, sources) = breakdowns(&[a, b]);
        assert_eq!(agencies[0].key, None);
        assert_eq!(agencies[0].share.count, 20);
        assert_eq!(agencies[1].high, 5);
        assert_eq!(sources[0].key.as_deref(), Some("wazuh"));
        assert_eq!(sources[1].share.share_percent, 20.0);
    }

    #[test]
    fn months_are_taipei_months() {
        let at = Timestamp::parse_rfc3339("2024-03-31T16:30:00Z").unwrap();
        assert_eq!(month_of(at), "2024-04");
    }
}
