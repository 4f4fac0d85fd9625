//! What a catalogue search asks and answers: words, facet filters and a page in; ranked hits,
//! a total and facet counts out. The store answers it; this module owns the vocabulary.

use serde::{Deserialize, Serialize};

use crate::freshness::{FreshnessState, UpdateFrequency};
use crate::page::PageRequest;
use crate::text::Text;
use crate::time::Timestamp;

/// Dimensions people filter by, each with counts shown next to the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    Agency,
    Category,
    Format,
    Frequency,
    Freshness,
    Access,
    License,
    Kind,
}

pub const FACETS: [Facet; 8] = [
    Facet::Agency,
    Facet::Category,
    Facet::Format,
    Facet::Frequency,
    Facet::Freshness,
    Facet::Access,
    Facet::License,
    Facet::Kind,
];

impl Facet {
    pub fn code(&self) -> &'static str {
        match self {
            Facet::Agency => "agency",
            Facet::Category => "category",
            Facet::Format => "format",
            Facet::Frequency => "frequency",
            Facet::Freshness => "freshness",
            Facet::Access => "access",
            Facet::License => "license",
            Facet::Kind => "kind",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        FACETS.into_iter().find(|f| f.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            Facet::Agency => Text::new("提供機關", "Agency"),
            Facet::Category => Text::new("服務分類", "Category"),
            Facet::Format => Text::new("檔案格式", "Format"),
            Facet::Frequency => Text::new("更新頻率", "Update frequency"),
            Facet::Freshness => Text::new("更新狀態", "Freshness"),
            Facet::Access => Text::new("取用方式", "Access"),
            Facet::License => Text::new("授權方式", "Licence"),
            Facet::Kind => Text::new("資料集類型", "Type"),
        }
    }
}

/// The class a declared frequency falls in, for the frequency facet.
pub fn frequency_class(f: &UpdateFrequency) -> &'static str {
    use crate::freshness::PeriodUnit;
    match f {
        UpdateFrequency::Continuous => "continuous",
        UpdateFrequency::Irregular => "irregular",
        UpdateFrequency::Never => "never",
        UpdateFrequency::Missing => "missing",
        UpdateFrequency::Unknown(_) => "unknown",
        UpdateFrequency::Regular(p) => match (p.unit, p.count) {
            (PeriodUnit::Minute | PeriodUnit::Hour, _) => "hourly",
            (PeriodUnit::Day, 1) => "daily",
            (PeriodUnit::Day, _) | (PeriodUnit::Week, _) => "weekly",
            (PeriodUnit::Month, 1) => "monthly",
            (PeriodUnit::Month, 3) => "quarterly",
            (PeriodUnit::Month, 6) => "half_yearly",
            (PeriodUnit::Month, _) => "monthly",
            (PeriodUnit::Year, 1) => "yearly",
            (PeriodUnit::Year, _) => "multi_year",
        },
    }
}

pub fn frequency_class_label(class: &str) -> Text {
    match class {
        "continuous" => Text::new("即時", "real-time"),
        "hourly" => Text::new("每小時或更頻繁", "hourly or more often"),
        "daily" => Text::new("每日", "daily"),
        "weekly" => Text::new("每週", "weekly"),
        "monthly" => Text::new("每月", "monthly"),
        "quarterly" => Text::new("每季", "quarterly"),
        "half_yearly" => Text::new("每半年", "every six months"),
        "yearly" => Text::new("每年", "yearly"),
        "multi_year" => Text::new("數年一次", "every few years"),
        "irregular" => Text::new("不定期", "irregular"),
        "never" => Text::new("不更新", "never updated"),
        "missing" => Text::new("未填寫", "not declared"),
        _ => Text::new("無法辨識", "unrecognised"),
    }
}

pub fn freshness_label(code: &str) -> Text {
    FreshnessState::ALL
        .into_iter()
        .find(|s| s.code() == code)
        .map(|s| s.label())
        .unwrap_or_else(|| Text::same(code))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first (newest first without words).
    #[default]
    Relevance,
    Title,
    RecentlyUpdated,
    /// Earliest due first (for overdue lists).
    DueDate,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: Option<String>,
    /// All must hold; several values of one facet mean any of them.
    pub filters: Vec<(Facet, String)>,
    pub sort: SortOrder,
    pub page: PageRequest,
    /// Also list datasets gone from their source.
    pub include_withdrawn: bool,
    /// Search the names of fields (主要欄位) only.
    pub fields_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub id: i64,
    pub identifier: String,
    pub title_zh: String,
    pub title_en: Option<String>,
    pub agency: String,
    pub description_zh: String,
    pub formats: Vec<String>,
    pub frequency: String,
    pub freshness: Option<String>,
    pub access: String,
    pub updated_at: Timestamp,
    pub withdrawn: bool,
    /// The last real data update known and when the next is due, for reports.
    pub data_updated_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub freshness_explanation: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub hits: Vec<SearchHit>,
    pub total: u64,
    pub page: PageRequest,
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
}
