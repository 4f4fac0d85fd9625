//! What an audit entry says.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// Who did it. `user_id` is absent for the CLI operator and for unknown names at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

/// An entry before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub actor: Actor,
    pub acting_agency: Option<String>,
    /// Stable dotted verb, e.g. `user.create`, `auth.login`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub source_ip: Option<String>,
    pub outcome: Outcome,
    /// What changed; never secrets.
    pub summary: Value,
}

/// A sealed entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub acting_agency: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub source_ip: Option<String>,
    pub outcome: Outcome,
    /// The summary exactly as hashed (canonical JSON text).
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub actor: Option<String>,
    /// Matches the action exactly or as a dotted prefix (`user` matches `user.create`).
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub agency: Option<String>,
    pub outcome: Option<Outcome>,
}

/// `{field: [before, after]}` for every top-level field that differs.
pub fn diff_json(before: &Value, after: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let (Value::Object(b), Value::Object(a)) = (before, after) {
        let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for key in keys {
            let old = b.get(key).unwrap_or(&Value::Null);
            let new = a.get(key).unwrap_or(&Value::Null);
            if old != new {
                out.insert(key.clone(), Value::Array(vec![old.clone(), new.clone()]));
            }
        }
    } else if before != after {
        out.insert(
            "value".into(),
            Value::Array(vec![before.clone(), after.clone()]),
        );
    }
    Value::Object(out)
}
