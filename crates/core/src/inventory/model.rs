//! Demand records, their matches, platforms, their costs and the use of their datasets.

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::text::Text;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    High,
    Medium,
    Low,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::High, Urgency::Medium, Urgency::Low];

    pub fn code(&self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            Urgency::High => Text::new("急", "high"),
            Urgency::Medium => Text::new("中", "medium"),
            Urgency::Low => Text::new("緩", "low"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    /// Nothing confirmed yet: a gap unless the catalogue suggests something.
    Open,
    /// A steward confirmed at least one dataset that holds the data.
    Matched,
    /// The need is satisfied (e.g. a sharing grant is in place).
    Met,
    /// The needing agency no longer needs it.
    Withdrawn,
}

impl DemandStatus {
    pub const ALL: [DemandStatus; 4] = [
        DemandStatus::Open,
        DemandStatus::Matched,
        DemandStatus::Met,
        DemandStatus::Withdrawn,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            DemandStatus::Open => "open",
            DemandStatus::Matched => "matched",
            DemandStatus::Met => "met",
            DemandStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            DemandStatus::Open => Text::new("待媒合", "open"),
            DemandStatus::Matched => Text::new("已媒合", "matched"),
            DemandStatus::Met => Text::new("已滿足", "met"),
            DemandStatus::Withdrawn => Text::new("已撤回", "withdrawn"),
        }
    }
}

/// What a steward writes about data their agency needs from others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandInput {
    pub needing_agency: AgencyCode,
    pub title: String,
    pub description: String,
    /// Fields wanted (names as people say them).
    pub fields: Vec<String>,
    /// Why: the service or decision the data is for.
    pub purpose: String,
    /// 法律依據, when the data concerns people.
    pub legal_basis: Option<String>,
    pub urgency: Urgency,
    /// The agency that probably holds it, when the steward knows.
    pub likely_holder: Option<AgencyCode>,
    /// Words to look for in the catalogue, separated by spaces; empty: the title's words.
    pub search_words: String,
}

/// A dataset a steward confirmed holds the data a demand asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandMatch {
    pub dataset_id: i64,
    pub dataset_title: String,
    pub providing_agency: AgencyCode,
    pub confirmed_by: String,
    pub confirmed_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demand {
    pub id: i64,
    pub input: DemandInput,
    pub status: DemandStatus,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub matches: Vec<DemandMatch>,
}

impl Demand {
    /// The agencies this demand is addressed to: those of confirmed matches, else the likely
    /// holder, else nobody known.
    pub fn holders(&self) -> Vec<Option<AgencyCode>> {
        let mut from: Vec<Option<AgencyCode>> = self
            .matches
            .iter()
            .map(|m| Some(m.providing_agency.clone()))
            .collect();
        from.sort();
        from.dedup();
        if from.is_empty() {
            from.push(self.input.likely_holder.clone());
        }
        from
    }

    /// Still needed and no dataset confirmed.
    pub fn is_unmatched(&self) -> bool {
        self.status == DemandStatus::Open && self.matches.is_empty()
    }
}

/// Which demands to list.
#[derive(Debug, Clone, Default)]
pub struct DemandFilter {
    pub needing_agencies: Option<Vec<AgencyCode>>,
    pub status: Option<DemandStatus>,
}

/// A dataset the catalogue search offers for a demand; a steward confirms or ignores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub dataset_id: i64,
    pub title: String,
    pub agency: String,
    /// How many of the demand's words found it.
    pub words_hit: usize,
    pub access: String,
}

/// One cell of the city-wide matrix: what `needing` needs from `holder` (None: holder unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixCell {
    pub needing: AgencyCode,
    pub holder: Option<AgencyCode>,
    /// Demands still needed (open or matched).
    pub demands: u64,
    pub matched: u64,
    pub met: u64,
    /// Open demands with nothing found in the catalogue.
    pub gaps: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformStatus {
    Active,
    Retired,
}

impl PlatformStatus {
    pub fn code(&self) -> &'static str {
        match self {
            PlatformStatus::Active => "active",
            PlatformStatus::Retired => "retired",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [PlatformStatus::Active, PlatformStatus::Retired]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            PlatformStatus::Active => Text::new("使用中", "active"),
            PlatformStatus::Retired => Text::new("已下架", "retired"),
        }
    }
}

/// What an administrator writes about one of the city's platforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformInput {
    pub name_zh: String,
    pub name_en: Option<String>,
    pub operator: AgencyCode,
    /// ROC year it went into service (民國104年 → 104).
    pub since_year: Option<i32>,
    pub status: PlatformStatus,
    /// ROC year it was taken down, when retired (the audit gives years, not days).
    pub retired_year: Option<i32>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPlatform {
    pub id: i64,
    pub input: PlatformInput,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a platform cost in one ROC year (NT$). No row means nobody entered it (未填).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformCost {
    pub platform_id: i64,
    pub roc_year: i32,
    pub amount: i64,
    pub note: Option<String>,
}

/// A harvest source name and the platform its datasets come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMapping {
    pub source: String,
    pub platform_id: Option<i64>,
    pub datasets: u64,
}

/// Use of one platform's datasets in one ROC year, as the store counts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformUse {
    pub platform_id: i64,
    pub roc_year: i32,
    pub views: u64,
    pub downloads: u64,
    pub api_calls: u64,
    /// Distinct people and data keys who used its datasets.
    pub users: u64,
    pub agencies: u64,
    /// Datasets used at least once.
    pub used_datasets: u64,
}

/// One line of the benefit report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenefitRow {
    pub platform_id: i64,
    pub roc_year: i32,
    pub datasets: u64,
    pub used_datasets: u64,
    pub uses: u64,
    pub users: u64,
    pub agencies: u64,
    /// None: not entered (未填), never zero by default.
    pub cost: Option<i64>,
    pub cost_per_user: Option<f64>,
    pub cost_per_use: Option<f64>,
}

/// A dataset of a platform that nobody used in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnusedDataset {
    pub platform_id: Option<i64>,
    pub dataset_id: i64,
    pub title: String,
    pub agency: String,
}
