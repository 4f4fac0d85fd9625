//! What a change to a case says for the audit trail. The domain returns these from every state
//! change; the integrator seals them into [`AuditEvent`]s with the caller's identity.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::UserName;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::cases::id::RecordId;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    pub at: Timestamp,
    /// The person who made the change; `None` when civitas itself decided (a recurrence reopen).
    pub by: Option<UserName>,
    /// Stable dotted verb, e.g. `incident.level_assess`, `action.verify`.
    pub action: String,
    /// `incident`, `forensic_engagement`, `action`, `evidence`.
    pub object_type: String,
    pub object_id: String,
    /// What changed (old and new values, reasons); never file contents.
    pub summary: Value,
}

impl CaseEvent {
    pub(crate) fn new(
        at: Timestamp,
        by: Option<&UserName>,
        action: &str,
        object_type: &str,
        object_id: &RecordId,
        summary: Value,
    ) -> Self {
        CaseEvent {
            at,
            by: by.cloned(),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.as_str().to_string(),
            summary,
        }
    }

    /// The audit entry before sealing, for the acting account (the integrator knows its id).
    pub fn into_audit(
        self,
        actor: Actor,
        acting_agency: Option<String>,
        source_ip: Option<String>,
    ) -> AuditEvent {
        AuditEvent {
            at: self.at,
            actor,
            acting_agency,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            source_ip,
            outcome: Outcome::Success,
            summary: self.summary,
        }
    }
}
