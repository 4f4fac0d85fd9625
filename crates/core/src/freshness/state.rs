//! What the engine concludes about one dataset: its state, the deadlines behind it, and the
//! evidence that set the clock, so an agency can see why and contest it.

use serde::{Deserialize, Serialize};

use crate::text::Text;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreshnessState {
    /// Updated as declared; nothing to do yet.
    Fresh,
    /// Within the notice window before the due date, or past it but still within grace.
    DueSoon,
    /// Past the due date and the grace.
    Overdue,
    /// Overdue for long enough to escalate beyond the steward.
    Delinquent,
    /// The data cannot be fetched, whatever its schedule says.
    Unreachable,
    /// 不定期: silent for longer than the review interval; a steward should confirm.
    ReviewDue,
    /// 不更新: declared never to change.
    NotApplicable,
    /// No readable frequency, or no evidence of any update.
    Unknown,
}

impl FreshnessState {
    pub const ALL: [FreshnessState; 8] = [
        FreshnessState::Fresh,
        FreshnessState::DueSoon,
        FreshnessState::Overdue,
        FreshnessState::Delinquent,
        FreshnessState::Unreachable,
        FreshnessState::ReviewDue,
        FreshnessState::NotApplicable,
        FreshnessState::Unknown,
    ];

    /// Stable code for APIs, filters and exports.
    pub fn code(&self) -> &'static str {
        match self {
            FreshnessState::Fresh => "fresh",
            FreshnessState::DueSoon => "due_soon",
            FreshnessState::Overdue => "overdue",
            FreshnessState::Delinquent => "delinquent",
            FreshnessState::Unreachable => "unreachable",
            FreshnessState::ReviewDue => "review_due",
            FreshnessState::NotApplicable => "not_applicable",
            FreshnessState::Unknown => "unknown",
        }
    }

    pub fn label(&self) -> Text {
        match self {
            FreshnessState::Fresh => Text::new("已更新", "up to date"),
            FreshnessState::DueSoon => Text::new("即將到期", "due soon"),
            FreshnessState::Overdue => Text::new("逾期未更新", "overdue"),
            FreshnessState::Delinquent => Text::new("嚴重逾期", "long overdue"),
            FreshnessState::Unreachable => Text::new("無法存取", "unreachable"),
            FreshnessState::ReviewDue => Text::new("待檢視", "review due"),
            FreshnessState::NotApplicable => Text::new("不需更新", "not updated by design"),
            FreshnessState::Unknown => Text::new("無法判斷", "unknown"),
        }
    }

    /// Late by its own declared schedule: what the city-wide overdue list shows.
    pub fn is_late(&self) -> bool {
        matches!(self, FreshnessState::Overdue | FreshnessState::Delinquent)
    }
}

/// What kind of event set the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The data itself changed: a new upload, a changed checksum, a harvested resource date.
    DataUpdate,
    /// A steward reviewed the dataset and recorded that there was nothing new.
    StewardReview,
    /// The latest member of a yearly series was published.
    SeriesMember { roc_year: i32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshnessAssessment {
    pub state: FreshnessState,
    /// The event the deadlines count from; `None` when there is none.
    pub evidence: Option<Evidence>,
    /// When the steward is told that the due date is near.
    pub notice_from: Option<Timestamp>,
    /// The next update is expected by then (for 不定期: the review is due then).
    pub due_at: Option<Timestamp>,
    pub overdue_at: Option<Timestamp>,
    pub delinquent_at: Option<Timestamp>,
    /// Why, in words a steward can act on.
    pub explanation: Text,
}
