//! The legal incident level (第一級–第四級) from the decision table of 資通安全事件通報及應變辦法
//! (2021-08-23, Art. 2; research note soc.md §2.3): each effect on an asset falls in one row and
//! column of the table; the incident's level is the highest, and every effect is given as a reason.

use serde::{Deserialize, Serialize};

use crate::accounts::UserName;
use crate::error::{DomainError, DomainResult};
use crate::text::Text;
use crate::time::Timestamp;

/// 第一級 (lowest) to 第四級 (highest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct IncidentLevel(u8);

impl IncidentLevel {
    pub const ONE: IncidentLevel = IncidentLevel(1);
    pub const TWO: IncidentLevel = IncidentLevel(2);
    pub const THREE: IncidentLevel = IncidentLevel(3);
    pub const FOUR: IncidentLevel = IncidentLevel(4);

    pub fn new(level: u8) -> Option<Self> {
        (1..=4).contains(&level).then_some(IncidentLevel(level))
    }

    pub fn get(&self) -> u8 {
        self.0
    }

    pub fn label(&self) -> Text {
        let zh = ["", "第一級", "第二級", "第三級", "第四級"];
        let zh = zh.get(usize::from(self.0)).copied().unwrap_or_default();
        Text::new(zh, format!("level {}", self.0))
    }
}

impl TryFrom<u8> for IncidentLevel {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        IncidentLevel::new(value).ok_or_else(|| format!("an incident level is 1–4, not {value}"))
    }
}

impl From<IncidentLevel> for u8 {
    fn from(level: IncidentLevel) -> u8 {
        level.0
    }
}

/// How the agency's security maintenance plan (資通安全維護計畫) classes the affected asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    /// 一般（非核心）
    General,
    /// 核心，非關鍵基礎設施
    Core,
    /// 核心，涉及關鍵基礎設施
    CriticalInfrastructure,
}

impl AssetClass {
    pub fn label(&self) -> Text {
        match self {
            AssetClass::General => Text::new("一般（非核心）", "general (non-core)"),
            AssetClass::Core => Text::new(
                "核心（非關鍵基礎設施）",
                "core (not critical infrastructure)",
            ),
            AssetClass::CriticalInfrastructure => {
                Text::new("核心（關鍵基礎設施）", "core (critical infrastructure)")
            }
        }
    }
}

/// How sensitive leaked or tampered information is; the table ranks official secrets with
/// critical-infrastructure information and national secrets above everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    #[default]
    Ordinary,
    /// 一般公務機密、敏感資訊
    OfficialSecret,
    /// 國家機密
    NationalSecret,
}

/// 輕微 or 嚴重, as the person assessing judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Severe,
}

/// What happened to the asset: confidentiality, integrity of information or of the system,
/// or availability (judged against the system's maximum tolerable downtime, 最大可容忍中斷時間).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Impact {
    InformationLeaked { severity: Severity },
    InformationTampered { severity: Severity },
    SystemTampered { severity: Severity },
    OperationDisrupted { within_max_tolerable_downtime: bool },
}

/// One effect of the incident on one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The asset as the incident names it (e.g. `文化局官網`).
    pub asset: String,
    pub class: AssetClass,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    pub impact: Impact,
}

/// The rows of the table. Each row gives the level for the lighter column (minor, or recovered
/// within the maximum tolerable downtime) and for the heavier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    InformationGeneral,
    InformationCore,
    InformationCriticalOrSecret,
    InformationNationalSecret,
    SystemGeneral,
    SystemCore,
    SystemCritical,
    OperationGeneral,
    OperationCore,
    OperationCritical,
}

/// (row, level when lighter, level when heavier, what the row says).
const TABLE: [(Row, u8, u8, &str, &str); 10] = [
    (
        Row::InformationGeneral,
        1,
        2,
        "非核心業務資訊遭洩漏或竄改",
        "non-core business information leaked or tampered with",
    ),
    (
        Row::InformationCore,
        2,
        3,
        "未涉及關鍵基礎設施之核心業務資訊遭洩漏或竄改",
        "core business information not related to critical infrastructure leaked or tampered with",
    ),
    (
        Row::InformationCriticalOrSecret,
        3,
        4,
        "涉及關鍵基礎設施之核心業務資訊、一般公務機密或敏感資訊遭洩漏或竄改",
        "core information related to critical infrastructure, or official secrets or sensitive information, leaked or tampered with",
    ),
    (
        Row::InformationNationalSecret,
        4,
        4,
        "國家機密遭洩漏或竄改",
        "national secrets leaked or tampered with",
    ),
    (
        Row::SystemGeneral,
        1,
        2,
        "非核心資通系統遭竄改",
        "non-core system tampered with",
    ),
    (
        Row::SystemCore,
        2,
        3,
        "未涉及關鍵基礎設施之核心資通系統遭竄改",
        "core system not related to critical infrastructure tampered with",
    ),
    (
        Row::SystemCritical,
        3,
        4,
        "涉及關鍵基礎設施之核心資通系統遭竄改",
        "core system related to critical infrastructure tampered with",
    ),
    (
        Row::OperationGeneral,
        1,
        2,
        "非核心業務運作遭影響或停頓",
        "non-core business operation disrupted",
    ),
    (
        Row::OperationCore,
        2,
        3,
        "未涉及關鍵基礎設施之核心業務運作遭影響或停頓",
        "core business operation not related to critical infrastructure disrupted",
    ),
    (
        Row::OperationCritical,
        3,
        4,
        "涉及關鍵基礎設施之核心業務運作遭影響或停頓",
        "core business operation related to critical infrastructure disrupted",
    ),
];

/// The legal source of the table, shown with every decision.
pub const TABLE_SOURCE: (&str, &str) = (
    "資通安全事件通報及應變辦法第2條（2021-08-23）",
    "Regulations on Reporting and Response to Cyber Security Incidents, Art. 2 (2021-08-23)",
);

/// Why one effect gives the level it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelReason {
    pub asset: String,
    pub level: IncidentLevel,
    /// Whether this effect is (one of) those that set the incident's level.
    pub decisive: bool,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelDecision {
    pub level: IncidentLevel,
    pub reasons: Vec<LevelReason>,
    pub source: Text,
}

/// Decides the level from the effects: the highest level any effect reaches.
pub fn decide_level(effects: &[Effect]) -> DomainResult<LevelDecision> {
    let mut levelled = Vec::with_capacity(effects.len());
    for effect in effects {
        if effect.asset.trim().is_empty() {
            return Err(DomainError::invalid(
                "effects",
                Text::new(
                    "請寫出受影響的資產名稱",
                    "name the affected asset of each effect",
                ),
            ));
        }
        levelled.push(level_of(effect));
    }
    let Some(level) = levelled.iter().map(|(level, _)| *level).max() else {
        return Err(DomainError::invalid(
            "effects",
            Text::new(
                "至少需要一項對資產的影響（機密性、完整性或可用性）才能判定事件等級",
                "at least one effect on an asset (confidentiality, integrity or availability) is needed to decide the level",
            ),
        ));
    };
    let reasons = effects
        .iter()
        .zip(levelled)
        .map(|(effect, (effect_level, reason))| LevelReason {
            asset: effect.asset.trim().to_string(),
            level: effect_level,
            decisive: effect_level == level,
            reason,
        })
        .collect();
    Ok(LevelDecision {
        level,
        reasons,
        source: Text::new(TABLE_SOURCE.0, TABLE_SOURCE.1),
    })
}

fn level_of(effect: &Effect) -> (IncidentLevel, Text) {
    let row = row_of(effect);
    let heavier = match effect.impact {
        Impact::InformationLeaked { severity }
        | Impact::InformationTampered { severity }
        | Impact::SystemTampered { severity } => severity == Severity::Severe,
        Impact::OperationDisrupted {
            within_max_tolerable_downtime,
        } => !within_max_tolerable_downtime,
    };
    let (lighter_level, heavier_level, row_zh, row_en) = TABLE
        .iter()
        .find(|(r, ..)| *r == row)
        .map(|(_, l, h, zh, en)| (*l, *h, *zh, *en))
        .unwrap_or((4, 4, "", ""));
    let level = IncidentLevel::new(if heavier {
        heavier_level
    } else {
        lighter_level
    })
    .unwrap_or(IncidentLevel::FOUR);
    let (column_zh, column_en) = match (effect.impact, heavier) {
        (Impact::OperationDisrupted { .. }, false) => (
            "於最大可容忍中斷時間內恢復",
            "restored within the maximum tolerable downtime",
        ),
        (Impact::OperationDisrupted { .. }, true) => (
            "未於最大可容忍中斷時間內恢復",
            "not restored within the maximum tolerable downtime",
        ),
        (_, false) => ("情節輕微", "minor"),
        (_, true) => ("情節嚴重", "severe"),
    };
    let label = level.label();
    let reason = Text::new(
        format!(
            "{}：{row_zh}，{column_zh} → {}",
            effect.asset.trim(),
            label.zh
        ),
        format!(
            "{}: {row_en}, {column_en} → {}",
            effect.asset.trim(),
            label.en
        ),
    );
    (level, reason)
}

fn row_of(effect: &Effect) -> Row {
    match effect.impact {
        Impact::InformationLeaked { .. } | Impact::InformationTampered { .. } => {
            match (effect.sensitivity, effect.class) {
                (Sensitivity::NationalSecret, _) => Row::InformationNationalSecret,
                (Sensitivity::OfficialSecret, _) | (_, AssetClass::CriticalInfrastructure) => {
                    Row::InformationCriticalOrSecret
                }
                (_, AssetClass::Core) => Row::InformationCore,
                (_, AssetClass::General) => Row::InformationGeneral,
            }
        }
        Impact::SystemTampered { .. } => match effect.class {
            AssetClass::General => Row::SystemGeneral,
            AssetClass::Core => Row::SystemCore,
            AssetClass::CriticalInfrastructure => Row::SystemCritical,
        },
        Impact::OperationDisrupted { .. } => match effect.class {
            AssetClass::General => Row::OperationGeneral,
            AssetClass::Core => Row::OperationCore,
            AssetClass::CriticalInfrastructure => Row::OperationCritical,
        },
    }
}

/// One assessment in an incident's level history: kept, never replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelAssessment {
    pub at: Timestamp,
    pub by: UserName,
    pub previous: Option<IncidentLevel>,
    pub effects: Vec<Effect>,
    pub decision: LevelDecision,
    /// Why it was (re-)assessed; required for a re-assessment.
    pub why: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(class: AssetClass, impact: Impact) -> Effect {
        Effect {
            asset: "system".into(),
            class,
            sensitivity: Sensitivity::Ordinary,
            impact,
        }
    }

    const MINOR: Severity = Severity::Minor;
    const SEVERE: Severity = Severity::Severe;

    #[test]
    fn every_cell_of_the_legal_table_gives_its_level() {
        use AssetClass::*;
        let cases = [
            (General, Impact::InformationLeaked { severity: MINOR }, 1),
            (General, Impact::InformationTampered { severity: SEVERE }, 2),
            (Core, Impact::InformationLeaked { severity: MINOR }, 2),
            (Core, Impact::InformationLeaked { severity: SEVERE }, 3),
            (
                CriticalInfrastructure,
                Impact::InformationLeaked { severity: MINOR },
                3,
            ),
            (
                CriticalInfrastructure,
                Impact::InformationLeaked { severity: SEVERE },
                4,
            ),
            (General, Impact::SystemTampered { severity: MINOR }, 1),
            (General, Impact::SystemTampered { severity: SEVERE }, 2),
            (Core, Impact::SystemTampered { severity: MINOR }, 2),
            (Core, Impact::SystemTampered { severity: SEVERE }, 3),
            (
                CriticalInfrastructure,
                Impact::SystemTampered { severity: MINOR },
                3,
            ),
            (
                CriticalInfrastructure,
                Impact::SystemTampered { severity: SEVERE },
                4,
            ),
            (
                General,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: true,
                },
                1,
            ),
            (
                General,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: false,
                },
                2,
            ),
            (
                Core,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: true,
                },
                2,
            ),
            (
                Core,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: false,
                },
                3,
            ),
            (
                CriticalInfrastructure,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: true,
                },
                3,
            ),
            (
                CriticalInfrastructure,
                Impact::OperationDisrupted {
                    within_max_tolerable_downtime: false,
                },
                4,
            ),
        ];
        for (class, impact, want) in cases {
            let decision = decide_level(&[effect(class, impact)]).unwrap();
            assert_eq!(decision.level.get(), want, "{class:?} {impact:?}");
        }
    }

    #[test]
    fn official_secrets_rank_with_critical_infrastructure_and_national_secrets_are_always_level_four()
     {
        let mut leaked = effect(
            AssetClass::General,
            Impact::InformationLeaked { severity: MINOR },
        );
        leaked.sensitivity = Sensitivity::OfficialSecret;
        assert_eq!(
            decide_level(&[leaked.clone()]).unwrap().level,
            IncidentLevel::THREE
        );
        leaked.sensitivity = Sensitivity::NationalSecret;
        assert_eq!(decide_level(&[leaked]).unwrap().level, IncidentLevel::FOUR);
    }

    #[test]
    fn the_level_is_the_highest_effect_and_every_effect_is_explained() {
        let decision = decide_level(&[
            Effect {
                asset: "官網".into(),
                class: AssetClass::General,
                sensitivity: Sensitivity::Ordinary,
                impact: Impact::SystemTampered { severity: MINOR },
            },
            Effect {
                asset: "公文系統".into(),
                class: AssetClass::Core,
                sensitivity: Sensitivity::Ordinary,
                impact: Impact::OperationDisrupted {
                    within_max_tolerable_downtime: false,
                },
            },
        ])
        .unwrap();
        assert_eq!(decision.level, IncidentLevel::THREE);
        assert_eq!(decision.reasons.len(), 2);
        assert!(!decision.reasons[0].decisive);
        assert!(decision.reasons[1].decisive);
        assert!(
            decision.reasons[1]
                .reason
                .zh
                .contains("未於最大可容忍中斷時間內恢復")
        );
        assert!(decision.reasons[1].reason.en.ends_with("level 3"));
        assert!(decision.source.zh.contains("第2條"));
    }

    #[test]
    fn no_effects_means_no_level_and_says_what_is_missing() {
        let err = decide_level(&[]).unwrap_err();
        assert!(err.to_string().contains("at least one effect"));
    }
}
