//! The dataset record: Taiwan's 資料集詮釋資料標準規範 (38 fields) and DCAT-AP 3 in one shape.
//! `DatasetRecord` is what a source or a steward describes; `Dataset` adds what civitas knows
//! about it (identity, provenance, versions, status, freshness evidence).

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::freshness::{FreshnessState, UpdateFrequency};
use crate::text::Text;
use crate::time::Timestamp;

/// Where a dataset's description comes from and its key there, e.g.
/// (`taoyuan-supply-list`, `0015aa2e-9b3c-…`). Harvests match records by this key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatasetKey {
    pub source: String,
    pub key: String,
}

/// Who may see the data itself (the description is visible to all staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// 開放資料: anyone.
    #[default]
    Open,
    /// 市府內部共享: any city agency, without a request.
    City,
    /// 限制取用: only under an approved request.
    Restricted,
    /// 含個人資料: a request with a legal basis and a second approver.
    PersonalData,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 4] = [
        AccessLevel::Open,
        AccessLevel::City,
        AccessLevel::Restricted,
        AccessLevel::PersonalData,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            AccessLevel::Open => "open",
            AccessLevel::City => "city",
            AccessLevel::Restricted => "restricted",
            AccessLevel::PersonalData => "personal_data",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        AccessLevel::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            AccessLevel::Open => Text::new("開放資料", "open data"),
            AccessLevel::City => Text::new("市府內部共享", "shared within the city"),
            AccessLevel::Restricted => Text::new("限制取用", "restricted"),
            AccessLevel::PersonalData => Text::new("含個人資料", "contains personal data"),
        }
    }
}

/// 資料集類型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DatasetKind {
    /// 原始資料 (rawData)
    #[default]
    RawData,
    /// 網路服務 (SERVICES)
    Service,
    /// 工具軟體 (TOOLS)
    Tool,
}

impl DatasetKind {
    pub fn code(&self) -> &'static str {
        match self {
            DatasetKind::RawData => "raw_data",
            DatasetKind::Service => "service",
            DatasetKind::Tool => "tool",
        }
    }

    /// The Chinese names data.gov.tw and city portals use, and the English codes.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "原始資料" | "rawData" | "rawdata" | "raw_data" => Some(DatasetKind::RawData),
            "網路服務" | "SERVICES" | "services" | "service" => Some(DatasetKind::Service),
            "工具軟體" | "TOOLS" | "tools" | "tool" => Some(DatasetKind::Tool),
            _ => None,
        }
    }

    pub fn label(&self) -> Text {
        match self {
            DatasetKind::RawData => Text::new("原始資料", "raw data"),
            DatasetKind::Service => Text::new("網路服務", "web service"),
            DatasetKind::Tool => Text::new("工具軟體", "tool"),
        }
    }
}

/// One field of the data (主要欄位說明): `year(年度)` → name `year`, label `年度`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub label: Option<String>,
    pub data_type: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DistributionKind {
    /// A file to download.
    #[default]
    Download,
    /// An API or service endpoint.
    Api,
    /// A file uploaded to civitas, stored content-addressed.
    Upload,
}

/// A way to get the data (資料資源): a file, an API, or an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    pub title: Option<String>,
    pub kind: DistributionKind,
    /// CSV, JSON, XML, PDF …, upper case.
    pub format: Option<String>,
    /// 編碼格式: UTF-8, Big5 …
    pub encoding: Option<String>,
    pub access_url: Option<String>,
    pub download_url: Option<String>,
    pub media_type: Option<String>,
    pub byte_size: Option<u64>,
    /// SHA-256 of the content, when known (uploads, or fetched by a freshness check).
    pub checksum_sha256: Option<String>,
    /// 資料資源最後更新時間 as the source states it.
    pub modified: Option<Timestamp>,
}

/// Everything a source or a steward describes about a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRecord {
    /// The public identifier (資料集編號), stable across harvests.
    pub identifier: String,
    pub title_zh: String,
    pub title_en: Option<String>,
    pub description_zh: String,
    pub description_en: Option<String>,
    /// 提供機關.
    pub agency: AgencyCode,
    /// 服務分類 name, e.g. 公共資訊, and its code, e.g. 921.
    pub category: Option<String>,
    pub category_code: Option<String>,
    /// 標籤／關鍵字.
    pub keywords: Vec<String>,
    pub kind: DatasetKind,
    /// 更新頻率 as declared, verbatim (parsed on use).
    pub frequency: String,
    /// 授權方式 and its URL.
    pub license: Option<String>,
    pub license_url: Option<String>,
    /// 計費方式, 計費說明網址, 計費法令依據.
    pub cost: Option<String>,
    pub cost_url: Option<String>,
    pub cost_law: Option<String>,
    pub access_level: AccessLevel,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// 收錄期間 (起/迄), ISO dates.
    pub temporal_from: Option<String>,
    pub temporal_to: Option<String>,
    /// 資料集空間範圍.
    pub spatial: Option<String>,
    /// 資料集語系.
    pub language: Option<String>,
    /// 資料集相關網址 / 說明網址.
    pub landing_page: Option<String>,
    /// 資料量 (number of records), when declared.
    pub record_count: Option<u64>,
    /// 備註.
    pub notes: Option<String>,
    pub fields: Vec<FieldDef>,
    pub distributions: Vec<Distribution>,
    /// 發布時間 / 上架日期.
    pub issued: Option<Timestamp>,
    /// The source's own "last updated" (最後更新時間): evidence of a data update when the
    /// source says it concerns the data, never a civitas edit.
    pub source_modified: Option<Timestamp>,
}

impl DatasetRecord {
    pub fn frequency(&self) -> UpdateFrequency {
        UpdateFrequency::parse(&self.frequency)
    }

    /// Keep what civitas itself holds about a dataset when its source describes it again:
    /// files uploaded here, an access level a steward set (sources only publish open data, so
    /// "open" from a source is no decision), and English text or contacts the source lacks.
    pub fn keep_local(&mut self, held: &DatasetRecord) {
        let uploads = held
            .distributions
            .iter()
            .filter(|d| d.kind == DistributionKind::Upload)
            .cloned();
        self.distributions
            .retain(|d| d.kind != DistributionKind::Upload);
        self.distributions.extend(uploads);
        if self.access_level == AccessLevel::Open {
            self.access_level = held.access_level;
        }
        for (mine, theirs) in [
            (&mut self.title_en, &held.title_en),
            (&mut self.description_en, &held.description_en),
            (&mut self.contact_name, &held.contact_name),
            (&mut self.contact_email, &held.contact_email),
            (&mut self.contact_phone, &held.contact_phone),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        if self.fields.is_empty() {
            self.fields.clone_from(&held.fields);
        }
        if self.record_count.is_none() {
            self.record_count = held.record_count;
        }
    }

    /// Formats of all distributions, upper case, without repeats.
    pub fn formats(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .distributions
            .iter()
            .filter_map(|d| d.format.as_ref())
            .map(|f| f.trim().to_uppercase())
            .filter(|f| !f.is_empty())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DatasetStatus {
    Active,
    /// Gone from its source: kept, marked, never silently deleted.
    Withdrawn {
        at: Timestamp,
    },
}

/// The last freshness assessment stored with a dataset, for lists, facets and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshnessSnapshot {
    pub state: FreshnessState,
    /// When the assessment that gave this state, due date and explanation was made; later
    /// reassessments that find exactly the same leave it (and the row) untouched.
    pub assessed_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub explanation: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: i64,
    pub key: DatasetKey,
    pub record: DatasetRecord,
    pub status: DatasetStatus,
    /// Incremented by every change to `record`.
    pub version: i64,
    /// The series a yearly run (104年…, 105年…) belongs to.
    pub series: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When a harvest last saw it at its source.
    pub seen_at: Timestamp,
    /// Last real data update known (from the source's timestamps, checksums or uploads).
    pub data_updated_at: Option<Timestamp>,
    /// Last time a steward recorded "reviewed, nothing new".
    pub reviewed_at: Option<Timestamp>,
    pub freshness: Option<FreshnessSnapshot>,
}

/// One recorded version of a dataset's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetVersion {
    pub version: i64,
    pub at: Timestamp,
    pub actor: String,
    /// Field-by-field changes from the previous version (`{field: [before, after]}`).
    pub changes: serde_json::Value,
}
