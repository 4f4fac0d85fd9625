//! Sealing and verifying the hash chain. Each entry's hash covers all its fields and the
//! previous entry's hash; a separate head record catches deletion of the newest entries.

use serde::Serialize;

use super::model::{AuditEntry, AuditEvent};
use crate::random::sha256_hex;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The newest sealed entry's sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }
}

/// The hash of an entry: SHA-256 over a canonical JSON array of every field in a fixed order.
pub fn entry_hash(entry: &AuditEntry) -> String {
    let canonical = serde_json::json!([
        entry.seq,
        entry.at.as_millis(),
        entry.actor_user_id,
        entry.actor_name,
        entry.acting_agency,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.source_ip,
        entry.outcome.as_str(),
        entry.summary,
        entry.prev_hash,
    ]);
    sha256_hex(canonical.to_string().as_bytes())
}

/// Turn an event into the next entry after `head`.
pub fn seal(head: &ChainHead, event: AuditEvent) -> AuditEntry {
    let mut entry = AuditEntry {
        seq: head.seq + 1,
        at: event.at,
        actor_user_id: event.actor.user_id,
        actor_name: event.actor.name,
        acting_agency: event.acting_agency,
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        source_ip: event.source_ip,
        outcome: event.outcome,
        // serde_json's maps are ordered by key, so this text is canonical.
        summary: event.summary.to_string(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    entry
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The first entry found altered, deleted or out of order.
    pub seq: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries_checked: u64,
    pub head: Option<ChainHead>,
    pub problem: Option<ChainProblem>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Walks entries in ascending `seq` order; fed in pages so the whole trail never sits in memory.
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
    checked: u64,
    problem: Option<ChainProblem>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    pub fn new() -> Self {
        Verifier {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
            problem: None,
        }
    }

    /// Returns false once a problem is found (no need to feed more).
    pub fn feed(&mut self, entry: &AuditEntry) -> bool {
        if self.problem.is_some() {
            return false;
        }
        self.checked += 1;
        if entry.seq != self.expected_seq {
            let message = if entry.seq > self.expected_seq {
                format!(
                    "entry {} is missing (deleted): the trail jumps from {} to {}",
                    self.expected_seq,
                    self.expected_seq - 1,
                    entry.seq
                )
            } else {
                format!("entry {} appears out of order", entry.seq)
            };
            self.problem = Some(ChainProblem {
                seq: self.expected_seq,
                message,
            });
            return false;
        }
        if entry_hash(entry) != entry.hash {
            self.problem = Some(ChainProblem {
                seq: entry.seq,
                message: format!(
                    "entry {} was altered: its contents no longer match its hash",
                    entry.seq
                ),
            });
            return false;
        }
        if entry.prev_hash != self.prev_hash {
            // The entry itself is consistent, so the one before it was replaced or moved.
            let seq = entry.seq - 1;
            self.problem = Some(ChainProblem {
                seq,
                message: format!(
                    "entry {seq} was altered or reordered: entry {} recorded a different hash for it",
                    entry.seq
                ),
            });
            return false;
        }
        self.prev_hash = entry.hash.clone();
        self.expected_seq += 1;
        true
    }

    /// Compare what was walked with the recorded head and conclude.
    pub fn finish(mut self, head: Option<ChainHead>) -> Verification {
        if self.problem.is_none() {
            let last_seq = self.expected_seq - 1;
            match &head {
                Some(h) if h.seq > last_seq => {
                    self.problem = Some(ChainProblem {
                        seq: last_seq + 1,
                        message: format!(
                            "entries {} to {} are missing (deleted from the end of the trail)",
                            last_seq + 1,
                            h.seq
                        ),
                    });
                }
                Some(h) if h.seq < last_seq => {
                    self.problem = Some(ChainProblem {
                        seq: h.seq + 1,
                        message: format!(
                            "entry {} was added outside civitas (the recorded head is {})",
                            h.seq + 1,
                            h.seq
                        ),
                    });
                }
                Some(h) if h.hash != self.prev_hash && h.seq > 0 => {
                    self.problem = Some(ChainProblem {
                        seq: h.seq,
                        message: format!(
                            "entry {} was altered: it no longer matches the recorded head",
                            h.seq
                        ),
                    });
                }
                None if last_seq > 0 => {
                    self.problem = Some(ChainProblem {
                        seq: 1,
                        message: "the chain head record is missing".into(),
                    });
                }
                _ => {}
            }
        }
        Verification {
            entries_checked: self.checked,
            head,
            problem: self.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Outcome};
    use crate::time::Timestamp;

    fn chain(n: i64) -> (Vec<AuditEntry>, ChainHead) {
        let mut head = ChainHead::genesis();
        let mut out = Vec::new();
        for i in 0..n {
            let entry = seal(
                &head,
                AuditEvent {
                    at: Timestamp::from_millis(1_700_000_000_000 + i).unwrap(),
                    actor: Actor {
                        user_id: Some(1),
                        name: "admin".into(),
                    },
                    acting_agency: Some("380370000A".into()),
                    action: "user.create".into(),
                    object_type: "user".into(),
                    object_id: format!("u{i}"),
                    source_ip: Some("127.0.0.1".into()),
                    outcome: Outcome::Success,
                    summary: serde_json::json!({"name": format!("u{i}")}),
                },
            );
            head = ChainHead {
                seq: entry.seq,
                hash: entry.hash.clone(),
            };
            out.push(entry);
        }
        (out, head)
    }

    fn verify(entries: &[AuditEntry], head: ChainHead) -> Verification {
        let mut v = Verifier::new();
        for e in entries {
            if !v.feed(e) {
                break;
            }
        }
        v.finish(Some(head))
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (entries, head) = chain(10);
        let v = verify(&entries, head);
        assert!(v.intact(), "{v:?}");
        assert_eq!(v.entries_checked, 10);
    }

    #[test]
    fn an_altered_entry_is_named() {
        let (mut entries, head) = chain(10);
        entries[4].summary = entries[4].summary.replace("u4", "u5");
        assert_eq!(verify(&entries, head).problem.unwrap().seq, 5);
    }

    #[test]
    fn an_altered_entry_with_a_recomputed_hash_is_still_named() {
        let (mut entries, head) = chain(10);
        entries[4].actor_name = "mallory".into();
        entries[4].hash = entry_hash(&entries[4]);
        assert_eq!(verify(&entries, head).problem.unwrap().seq, 5);
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let (mut entries, head) = chain(10);
        entries.remove(6);
        let p = verify(&entries, head).problem.unwrap();
        assert_eq!(p.seq, 7);
        assert!(p.message.contains("missing"));
    }

    #[test]
    fn deleting_the_newest_entries_is_caught_by_the_head() {
        let (mut entries, head) = chain(10);
        entries.truncate(8);
        let p = verify(&entries, head).problem.unwrap();
        assert_eq!(p.seq, 9);
    }

    #[test]
    fn swapping_two_entries_is_caught() {
        let (mut entries, head) = chain(10);
        // Swap contents but keep the sequence numbers where they were.
        let (a, b) = (entries[2].clone(), entries[3].clone());
        entries[2] = AuditEntry { seq: 3, ..b };
        entries[3] = AuditEntry { seq: 4, ..a };
        assert_eq!(verify(&entries, head).problem.unwrap().seq, 3);
    }
}
