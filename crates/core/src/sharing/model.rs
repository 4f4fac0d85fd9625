//! Requests, grants and the access log.

use serde::{Deserialize, Serialize};

use crate::agencies::AgencyCode;
use crate::text::Text;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the providing agency.
    Pending,
    /// Personal data: approved once, waiting for a second, different approver.
    AwaitingSecondApproval,
    Approved,
    PartlyApproved,
    Refused,
    /// The requester took it back before a decision.
    Withdrawn,
}

impl RequestStatus {
    pub fn code(&self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::AwaitingSecondApproval => "awaiting_second_approval",
            RequestStatus::Approved => "approved",
            RequestStatus::PartlyApproved => "partly_approved",
            RequestStatus::Refused => "refused",
            RequestStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            RequestStatus::Pending,
            RequestStatus::AwaitingSecondApproval,
            RequestStatus::Approved,
            RequestStatus::PartlyApproved,
            RequestStatus::Refused,
            RequestStatus::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(&self) -> Text {
        match self {
            RequestStatus::Pending => Text::new("待審核", "waiting for a decision"),
            RequestStatus::AwaitingSecondApproval => {
                Text::new("待第二位核准", "waiting for a second approver")
            }
            RequestStatus::Approved => Text::new("已核准", "approved"),
            RequestStatus::PartlyApproved => Text::new("部分核准", "approved in part"),
            RequestStatus::Refused => Text::new("不予核准", "refused"),
            RequestStatus::Withdrawn => Text::new("已撤回", "withdrawn"),
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(
            self,
            RequestStatus::Pending | RequestStatus::AwaitingSecondApproval
        )
    }
}

/// What a requesting agency asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccessRequest {
    pub dataset_id: i64,
    /// The agency asking (the requester must act for it).
    pub requesting_agency: AgencyCode,
    pub purpose: String,
    /// 法律依據: required for datasets containing personal data.
    pub legal_basis: Option<String>,
    /// Field names needed; empty means all.
    pub fields: Vec<String>,
    /// ISO dates of the period of data needed, if limited.
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    /// How long access is needed, in days.
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: i64,
    pub request: NewAccessRequest,
    pub requester: String,
    pub providing_agency: AgencyCode,
    pub dataset_title: String,
    pub status: RequestStatus,
    pub created_at: Timestamp,
    pub first_approver: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    /// Why refused, or what was left out when approved in part.
    pub reason: Option<String>,
    /// Fields granted (when approved in part, fewer than asked).
    pub granted_fields: Vec<String>,
}

/// A steward's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approve {
        days: Option<u32>,
    },
    /// Only these fields (and optionally a shorter time).
    ApproveInPart {
        fields: Vec<String>,
        days: Option<u32>,
        reason: String,
    },
    Refuse {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingGrant {
    pub id: i64,
    pub request_id: i64,
    pub dataset_id: i64,
    pub dataset_title: String,
    pub providing_agency: AgencyCode,
    pub grantee_agency: AgencyCode,
    /// Fields the grantee may read; empty means all.
    pub fields: Vec<String>,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub approved_by: String,
    pub second_approved_by: Option<String>,
    pub revoked_at: Option<Timestamp>,
}

impl SharingGrant {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.valid_from <= now && now < self.valid_until
    }
}

/// One access to data: who, for which agency, which dataset, how many rows, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogEntry {
    pub at: Timestamp,
    pub user_name: String,
    pub agency: Option<String>,
    pub dataset_id: i64,
    /// view, download or api.
    pub kind: String,
    pub rows: u64,
    pub grant_id: Option<i64>,
}

/// Use of one dataset over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub dataset_id: i64,
    pub views: u64,
    pub downloads: u64,
    pub api_calls: u64,
    pub rows: u64,
    pub consuming_agencies: u64,
    pub last_used: Option<Timestamp>,
}

/// A key for programs reading one grant's data through the data API: shown once, stored
/// hashed, valid no longer than the grant, usable for nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingKey {
    pub id: i64,
    pub grant_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub label: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl SharingKey {
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// Every grant key starts with this (API tokens start with `civ_`).
pub const KEY_PREFIX: &str = "civg_";

/// One page of a dataset's rows, limited to the fields the reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPage {
    pub dataset_id: i64,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// The grant the data was read under (none for open data or the provider's own staff).
    pub grant_id: Option<i64>,
    /// The SHA-256 of the file the rows come from.
    pub source_sha256: String,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadOutcome {
    pub sha256: String,
    pub byte_size: u64,
    /// False when the same content was already the dataset's file (no new data).
    pub changed: bool,
    /// Rows read, for CSV files.
    pub rows: Option<u64>,
}
