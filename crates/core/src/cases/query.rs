//! What the case store is asked to keep and to find: one write per change of a record (the
//! record whole, the deadlines computed for it, the files it names, its audit entries) and the
//! filters of the incident board and the action lists.

use serde::{Deserialize, Serialize};

use crate::accounts::UserName;
use crate::agencies::AgencyCode;
use crate::audit::AuditEvent;
use crate::cases::actions::ActionStatus;
use crate::cases::clocks::Deadline;
use crate::cases::id::RecordId;
use crate::cases::incident::{Determination, Incident, IncidentCategory, IncidentStatus};
use crate::time::Timestamp;

/// A file a change brings (a report version, an action's evidence): kept in the blob store by
/// its SHA-256 in the same transaction, never overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFile {
    pub bytes: Vec<u8>,
    pub media_type: String,
}

/// One change to an incident.
#[derive(Debug, Clone)]
pub struct IncidentWrite {
    pub incident: Incident,
    /// The deadlines as computed now, when the change set them (opening, a level assessment,
    /// a corrected aware time); kept with their rule set and never rewritten.
    pub deadlines: Option<Vec<Deadline>>,
    /// The earliest deadline still open, for the board's order.
    pub next_due_at: Option<Timestamp>,
    /// The alert notifications (alert group ids) it was opened from; on creation only.
    pub notifications: Vec<i64>,
    pub audit: Vec<AuditEvent>,
}

/// Deadlines kept as computed at one revision of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDeadlines {
    pub revision: u32,
    pub computed_at: Timestamp,
    pub deadlines: Vec<Deadline>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFilter {
    /// The agencies the caller reads (`None`: the whole city); set by the service.
    #[serde(skip)]
    pub visible: Option<Vec<AgencyCode>>,
    pub agency: Option<AgencyCode>,
    pub status: Option<IncidentStatus>,
    /// Only incidents not yet closed.
    #[serde(default)]
    pub open: bool,
    /// Only incidents whose next open deadline falls before this time (overdue or due soon).
    pub due_before: Option<Timestamp>,
}

/// An incident as the board lists it: by next deadline, soonest first, then newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: RecordId,
    pub title: String,
    pub agency: AgencyCode,
    pub category: IncidentCategory,
    pub status: IncidentStatus,
    pub determination: Determination,
    pub level: Option<u8>,
    pub rule_set: String,
    pub aware_at: Timestamp,
    pub next_due_at: Option<Timestamp>,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub revision: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    /// The owning agencies the caller reads (`None`: the whole city); set by the service.
    #[serde(skip)]
    pub visible: Option<Vec<AgencyCode>>,
    pub incident: Option<RecordId>,
    pub owner: Option<UserName>,
    pub status: Option<ActionStatus>,
}

/// Which incidents the measures and the compliance report read, whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentScope {
    /// The agencies the caller reads (`None`: the whole city); set by the service.
    pub visible: Option<Vec<AgencyCode>>,
    pub agency: Option<AgencyCode>,
    /// Aware at or after this time.
    pub aware_from: Option<Timestamp>,
    /// Aware before this time.
    pub aware_to: Option<Timestamp>,
    /// Only incidents not yet closed.
    pub open: bool,
}
