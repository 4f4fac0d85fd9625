//! Severity 高/中/低 from an explained score (research note soc.md §7.3): the source's own
//! severity, evidence that the attack worked, how critical the target is, a threat-intel match,
//! recurrence, minus traffic the sensor blocked. Every term that counts is written as a reason.

use serde::{Deserialize, Serialize};

use crate::alerts::model::{Action, Alert, NativeSeverity, SeverityScale};
use crate::alerts::rules::{RuleSetError, Severity};
use crate::text::Text;

/// How critical the target is, from the asset register (the caller looks it up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Criticality {
    #[default]
    Ordinary,
    /// 核心資通系統.
    Core,
    /// 關鍵基礎設施 or a system holding secrets.
    Critical,
}

/// How far back "the same source came back" looks.
pub const RECURRENCE_WINDOW_DAYS: i64 = 30;

/// What the caller knows beyond the alert itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreContext {
    pub target_criticality: Criticality,
    /// Which configured system the target is (`市府公文系統 (10.30.0.5)`), for the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// An indicator from threat intelligence matched one of the alert's observables.
    pub intel_match: bool,
    /// Which indicators matched (name and STIX id), for the reason.
    pub intel_indicators: Vec<String>,
    /// How many alerts came from the same source address in the [`RECURRENCE_WINDOW_DAYS`]
    /// before this one, this one included.
    pub recurrence: u32,
    /// Evidence of success found elsewhere (EDR event on the target, HTTP 2xx to an exploit URL).
    pub success_evidence: bool,
}

/// The weights and thresholds, from the rule file's `[severity]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub high_from: i32,
    pub medium_from: i32,
    pub success: i32,
    pub core_target: i32,
    pub critical_target: i32,
    pub intel_match: i32,
    pub recurrence: i32,
    pub recurrence_from: u32,
    pub blocked: i32,
}

impl Weights {
    pub(crate) fn check(&self) -> Result<(), RuleSetError> {
        if self.high_from <= self.medium_from {
            return Err(RuleSetError {
                rule: None,
                field: Some("severity.high_from".into()),
                message: Text::new(
                    "severity.high_from 須大於 severity.medium_from",
                    "severity.high_from must be greater than severity.medium_from",
                ),
            });
        }
        if self.blocked > 0 {
            return Err(RuleSetError {
                rule: None,
                field: Some("severity.blocked".into()),
                message: Text::new(
                    "severity.blocked 是扣分，不可為正數",
                    "severity.blocked is a deduction and must not be positive",
                ),
            });
        }
        Ok(())
    }
}

pub(crate) struct Scored {
    pub score: i32,
    pub severity: Severity,
    pub reasons: Vec<Text>,
}

pub(crate) fn score(
    alert: &Alert,
    context: &ScoreContext,
    weights: &Weights,
    rule_says_success: bool,
    cap: Option<Severity>,
) -> Scored {
    let mut reasons = Vec::new();
    let mut total = 0;
    let mut add = |points: i32, zh: String, en: String| {
        if points != 0 {
            total += points;
            reasons.push(Text::new(
                format!("{points:+}：{zh}"),
                format!("{points:+}: {en}"),
            ));
        }
    };

    let (base, zh, en) = native_points(alert);
    add(base, zh, en);
    if rule_says_success || context.success_evidence {
        add(
            weights.success,
            "有攻擊成功的跡象".into(),
            "evidence that the attack succeeded".into(),
        );
    }
    let named = |zh: &str, en: &str| match &context.target {
        Some(target) => (format!("{zh}：{target}"), format!("{en}: {target}")),
        None => (zh.to_string(), en.to_string()),
    };
    match context.target_criticality {
        Criticality::Ordinary => {}
        Criticality::Core => {
            let (zh, en) = named("目標為核心資通系統", "the target is a core system");
            add(weights.core_target, zh, en);
        }
        Criticality::Critical => {
            let (zh, en) = named(
                "目標為關鍵基礎設施或機密系統",
                "the target is critical infrastructure or holds secrets",
            );
            add(weights.critical_target, zh, en);
        }
    }
    if context.intel_match {
        let (zh, en) = match context.intel_indicators.as_slice() {
            [] => (
                "符合威脅情資指標".into(),
                "matches a threat-intelligence indicator".into(),
            ),
            names => (
                format!("符合威脅情資指標：{}", names.join("、")),
                format!("matches threat-intelligence indicator {}", names.join(", ")),
            ),
        };
        add(weights.intel_match, zh, en);
    }
    if context.recurrence >= weights.recurrence_from {
        add(
            weights.recurrence,
            format!(
                "同一來源位址 {RECURRENCE_WINDOW_DAYS} 天內出現 {} 次（含本次）",
                context.recurrence
            ),
            format!(
                "the same source address was seen {} times in {RECURRENCE_WINDOW_DAYS} days (this one included)",
                context.recurrence
            ),
        );
    }
    if alert.action == Action::Blocked {
        add(
            weights.blocked,
            "感測器已阻擋".into(),
            "the sensor blocked the traffic".into(),
        );
    }

    let by_score = if total >= weights.high_from {
        Severity::High
    } else if total >= weights.medium_from {
        Severity::Medium
    } else {
        Severity::Low
    };
    reasons.push(Text::new(
        format!(
            "分數 {total}（高 ≥ {}，中 ≥ {}）→ {}",
            weights.high_from,
            weights.medium_from,
            by_score.label().zh
        ),
        format!(
            "score {total} (high ≥ {}, medium ≥ {}) → {}",
            weights.high_from,
            weights.medium_from,
            by_score.label().en
        ),
    ));
    let severity = match cap {
        Some(cap) if by_score > cap => {
            reasons.push(Text::new(
                format!("此類規則最高為{}", cap.label().zh),
                format!("this kind of rule is capped at {}", cap.label().en),
            ));
            cap
        }
        _ => by_score,
    };
    Scored {
        score: total,
        severity,
        reasons,
    }
}

/// Points 0–2 for the source's own severity; ET's `signature_severity` counts when it says more.
fn native_points(alert: &Alert) -> (i32, String, String) {
    let from_native = alert.native_severity.as_ref().map(points_for);
    let from_et = alert
        .rule
        .signature_severity
        .as_deref()
        .map(|s| match s.to_ascii_lowercase().as_str() {
            "critical" => 2,
            "major" => 1,
            _ => 0,
        })
        .unwrap_or(0);
    match from_native {
        Some(Some(points)) if points >= from_et => {
            let raw = alert
                .native_severity
                .as_ref()
                .map(describe)
                .unwrap_or_default();
            (
                points,
                format!("來源嚴重度 {raw}"),
                format!("source severity {raw}"),
            )
        }
        Some(None) => {
            let raw = alert
                .native_severity
                .as_ref()
                .map(|s| s.raw.clone())
                .unwrap_or_default();
            (
                0,
                format!("來源嚴重度「{raw}」無法解讀，不計分"),
                format!("source severity \"{raw}\" not understood, not counted"),
            )
        }
        _ if from_et > 0 => {
            let s = alert.rule.signature_severity.clone().unwrap_or_default();
            (
                from_et,
                format!("簽章嚴重度 {s}"),
                format!("signature severity {s}"),
            )
        }
        _ => (0, String::new(), String::new()),
    }
}

fn describe(severity: &NativeSeverity) -> String {
    let scale = match severity.scale {
        SeverityScale::SuricataPriority => "Suricata priority",
        SeverityScale::WazuhLevel => "Wazuh level",
        SeverityScale::SigmaLevel => "Wazuh level",
        SeverityScale::Cef => "CEF",
        SeverityScale::Syslog => "syslog",
    };
    format!("{scale} {}", severity.raw)
}

/// `None` when the value is not one the scale knows.
fn points_for(severity: &NativeSeverity) -> Option<i32> {
    let raw = severity.raw.trim().to_ascii_lowercase();
    let number = raw.parse::<u32>().ok();
    match severity.scale {
        SeverityScale::SuricataPriority => number.map(|n| match n {
            1 => 2,
            2 => 1,
            _ => 0,
        }),
        SeverityScale::WazuhLevel => number.filter(|n| *n <= 16).map(|n| match n {
            12.. => 2,
            10 | 11 => 1,
            _ => 0,
        }),
        SeverityScale::SigmaLevel => match raw.as_str() {
            "critical" => Some(2),
            "high" => Some(1),
            "medium" | "low" | "informational" => Some(0),
            _ => None,
        },
        SeverityScale::Cef => match (number, raw.as_str()) {
            (Some(n @ 0..=10), _) => Some(match n {
                9 | 10 => 2,
                7 | 8 => 1,
                _ => 0,
            }),
            (None, "very-high") => Some(2),
            (None, "high") => Some(1),
            (None, "medium" | "low" | "unknown") => Some(0),
            _ => None,
        },
        SeverityScale::Syslog => number.filter(|n| *n <= 7).map(|n| match n {
            0..=2 => 2,
            3 => 1,
            _ => 0,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scale_gives_zero_to_two_points_and_unknown_values_none() {
        let p = |scale, raw: &str| points_for(&NativeSeverity::new(scale, raw));
        assert_eq!(p(SeverityScale::SuricataPriority, "1"), Some(2));
        assert_eq!(p(SeverityScale::SuricataPriority, "3"), Some(0));
        assert_eq!(p(SeverityScale::WazuhLevel, "12"), Some(2));
        assert_eq!(p(SeverityScale::WazuhLevel, "10"), Some(1));
        assert_eq!(p(SeverityScale::WazuhLevel, "99"), None);
        assert_eq!(p(SeverityScale::SigmaLevel, "critical"), Some(2));
        assert_eq!(p(SeverityScale::Cef, "Very-High"), Some(2));
        assert_eq!(p(SeverityScale::Cef, "8"), Some(1));
        assert_eq!(p(SeverityScale::Cef, "11"), None);
        assert_eq!(p(SeverityScale::Syslog, "2"), Some(2));
        assert_eq!(p(SeverityScale::Syslog, "6"), Some(0));
    }
}
