//! Follow-up actions from a finding's recommendation to verified closure: owner, due date,
//! priority, closure criteria; evidence; a verifier who is not the owner; recorded extensions;
//! reminders and escalation; and the 30/90-day recurrence check that may reopen an action.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Duration;

use crate::accounts::UserName;
use crate::agencies::AgencyCode;
use crate::cases::event::CaseEvent;
use crate::cases::forensics::{Finding, RootCause, check_claimed_hash};
use crate::cases::id::RecordId;
use crate::cases::incident::{invalid, stale_check};
use crate::error::{DomainError, DomainResult};
use crate::intel::{MatchKey, Observable};
use crate::text::Text;
use crate::time::Timestamp;

/// planned → in_progress → done_pending_verification → verified | sent_back → in_progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Planned,
    InProgress,
    DonePendingVerification,
    SentBack,
    Verified,
}

impl ActionStatus {
    pub fn label(&self) -> Text {
        match self {
            Self::Planned => Text::new("已規劃", "planned"),
            Self::InProgress => Text::new("辦理中", "in progress"),
            Self::DonePendingVerification => {
                Text::new("已完成待驗證", "done, awaiting verification")
            }
            Self::SentBack => Text::new("退回補正", "sent back"),
            Self::Verified => Text::new("已驗證結案", "verified and closed"),
        }
    }

    /// Still the owner's to do (reminders and escalation apply).
    pub fn is_open_work(&self) -> bool {
        matches!(self, Self::Planned | Self::InProgress | Self::SentBack)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// What a recurrence looks like for this action: the finding's root cause, its IOCs and the
/// assets it concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceBasis {
    pub root_cause: Option<RootCause>,
    pub iocs: Vec<Observable>,
    pub assets: Vec<String>,
}

impl RecurrenceBasis {
    pub fn of_finding(finding: &Finding) -> Self {
        RecurrenceBasis {
            root_cause: Some(finding.root_cause),
            iocs: finding.iocs.clone(),
            assets: finding.affected_hosts.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    pub name: String,
    pub sha256: String,
    pub added_by: UserName,
    pub added_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub from: Timestamp,
    pub to: Timestamp,
    pub reason: String,
    pub requested_by: UserName,
    pub approved_by: UserName,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub from: ActionStatus,
    pub to: ActionStatus,
    pub at: Timestamp,
    /// `None` when civitas reopened the action after a recurrence.
    pub by: Option<UserName>,
    pub note: Option<String>,
}

/// A recurrence check that was run, kept with what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceCheck {
    pub after_days: u32,
    pub at: Timestamp,
    pub evidence: Vec<RecurrenceEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAction {
    pub id: RecordId,
    pub incident: RecordId,
    pub finding: Option<RecordId>,
    pub recommendation: String,
    pub owner_agency: AgencyCode,
    pub owner: UserName,
    pub due_at: Timestamp,
    pub priority: Priority,
    pub closure_criteria: String,
    pub basis: RecurrenceBasis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: RecordId,
    pub incident: RecordId,
    pub finding: Option<RecordId>,
    pub recommendation: String,
    pub owner_agency: AgencyCode,
    pub owner: UserName,
    pub due_at: Timestamp,
    pub priority: Priority,
    pub closure_criteria: String,
    pub basis: RecurrenceBasis,
    pub status: ActionStatus,
    pub evidence: Vec<EvidenceItem>,
    pub extensions: Vec<Extension>,
    pub history: Vec<StatusChange>,
    pub verified_by: Option<UserName>,
    pub verified_at: Option<Timestamp>,
    pub recurrence_checks: Vec<RecurrenceCheck>,
    pub created_at: Timestamp,
    pub created_by: UserName,
    pub revision: u32,
    /// When anything last changed (STIX `modified`).
    pub updated_at: Timestamp,
}

impl Action {
    /// Turns a recommendation into an action. The due date must be in the future and the
    /// closure criteria written down, so the verifier knows what "done" means.
    pub fn plan(
        new: NewAction,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<(Action, Vec<CaseEvent>)> {
        if new.recommendation.trim().is_empty() {
            return Err(invalid(
                "recommendation",
                "請寫出改善建議",
                "write the recommendation",
            ));
        }
        if new.closure_criteria.trim().is_empty() {
            return Err(invalid(
                "closure_criteria",
                "請寫出結案條件（驗證者依此判斷是否完成）",
                "write the closure criteria the verifier will check",
            ));
        }
        if new.due_at <= now {
            return Err(invalid(
                "due_at",
                "完成期限已經過去，請訂一個未來的日期",
                "the due date is in the past; choose a future date",
            ));
        }
        let action = Action {
            id: new.id,
            incident: new.incident,
            finding: new.finding,
            recommendation: new.recommendation.trim().to_string(),
            owner_agency: new.owner_agency,
            owner: new.owner,
            due_at: new.due_at,
            priority: new.priority,
            closure_criteria: new.closure_criteria.trim().to_string(),
            basis: new.basis,
            status: ActionStatus::Planned,
            evidence: Vec::new(),
            extensions: Vec::new(),
            history: Vec::new(),
            verified_by: None,
            verified_at: None,
            recurrence_checks: Vec::new(),
            created_at: now,
            created_by: by.clone(),
            revision: 1,
            updated_at: now,
        };
        let event = action.event(now, Some(by), "action.plan", json!({
            "incident": action.incident, "owner_agency": action.owner_agency, "owner": action.owner,
            "due_at": action.due_at, "priority": action.priority,
        }));
        Ok((action, vec![event]))
    }

    pub fn ensure_revision(&self, expected: u32) -> DomainResult<()> {
        stale_check(self.revision, expected)
    }

    /// The owner starts work (or resumes after being sent back).
    pub fn start(&mut self, by: &UserName, now: Timestamp) -> DomainResult<Vec<CaseEvent>> {
        self.require(
            &[ActionStatus::Planned, ActionStatus::SentBack],
            ActionStatus::InProgress,
        )?;
        Ok(vec![self.move_to(
            ActionStatus::InProgress,
            Some(by),
            now,
            None,
        )])
    }

    /// Attaches evidence; the hash is computed from the bytes and must match a claimed one.
    pub fn add_evidence(
        &mut self,
        name: &str,
        bytes: &[u8],
        claimed_sha256: Option<&str>,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        if self.status == ActionStatus::Verified {
            return Err(DomainError::conflict(
                "已驗證結案的改善事項不能再加證據",
                "a verified action takes no more evidence",
            ));
        }
        if name.trim().is_empty() || bytes.is_empty() {
            return Err(invalid(
                "evidence",
                "證據須有名稱與內容",
                "evidence needs a name and content",
            ));
        }
        let sha256 = check_claimed_hash(bytes, claimed_sha256)?;
        let item = EvidenceItem {
            name: name.trim().to_string(),
            sha256,
            added_by: by.clone(),
            added_at: now,
        };
        let event = self.event(
            now,
            Some(by),
            "action.evidence_add",
            json!({ "name": item.name, "sha256": item.sha256 }),
        );
        self.evidence.push(item);
        self.touch(now);
        Ok(vec![event])
    }

    /// The owner says it is done; there must be evidence for the verifier to check.
    pub fn submit(
        &mut self,
        note: &str,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.require(
            &[ActionStatus::InProgress],
            ActionStatus::DonePendingVerification,
        )?;
        if self.evidence.is_empty() {
            return Err(invalid(
                "evidence",
                "送驗證前請附上完成的證據（例如修補紀錄、設定截圖）",
                "attach evidence of what was done (a patch log, a configuration screenshot) before submitting",
            ));
        }
        Ok(vec![self.move_to(
            ActionStatus::DonePendingVerification,
            Some(by),
            now,
            Some(note),
        )])
    }

    /// A verifier who is not the owner accepts the work: only this closes an action.
    pub fn verify(
        &mut self,
        note: &str,
        verifier: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.require(
            &[ActionStatus::DonePendingVerification],
            ActionStatus::Verified,
        )?;
        self.not_owner(verifier)?;
        self.verified_by = Some(verifier.clone());
        self.verified_at = Some(now);
        Ok(vec![self.move_to(
            ActionStatus::Verified,
            Some(verifier),
            now,
            Some(note),
        )])
    }

    /// A verifier who is not the owner sends the work back, saying what is missing.
    pub fn send_back(
        &mut self,
        reason: &str,
        verifier: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.require(
            &[ActionStatus::DonePendingVerification],
            ActionStatus::SentBack,
        )?;
        self.not_owner(verifier)?;
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "退回時請說明缺少什麼",
                "say what is missing when sending back",
            ));
        }
        Ok(vec![self.move_to(
            ActionStatus::SentBack,
            Some(verifier),
            now,
            Some(reason),
        )])
    }

    /// Moves the due date with a reason and an approver other than the requester; recorded.
    pub fn extend(
        &mut self,
        to: Timestamp,
        reason: &str,
        requested_by: &UserName,
        approved_by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        if !self.status.is_open_work() {
            return Err(DomainError::conflict(
                "只有尚在辦理的改善事項可以展延",
                "only an action still being worked on can be extended",
            ));
        }
        if reason.trim().is_empty() {
            return Err(invalid(
                "reason",
                "展延須說明理由",
                "an extension needs a reason",
            ));
        }
        if requested_by == approved_by {
            return Err(invalid(
                "approved_by",
                "展延須由申請人以外的人核准",
                "an extension must be approved by someone other than the person asking for it",
            ));
        }
        if to <= self.due_at || to <= now {
            return Err(invalid(
                "to",
                "新的期限須晚於原期限及現在",
                "the new due date must be later than the current one and than now",
            ));
        }
        let extension = Extension {
            from: self.due_at,
            to,
            reason: reason.trim().to_string(),
            requested_by: requested_by.clone(),
            approved_by: approved_by.clone(),
            at: now,
        };
        let event = self.event(
            now,
            Some(approved_by),
            "action.extend",
            json!({
                "from": extension.from, "to": to, "reason": extension.reason,
                "requested_by": requested_by, "approved_by": approved_by,
            }),
        );
        self.due_at = to;
        self.extensions.push(extension);
        self.touch(now);
        Ok(vec![event])
    }

    /// Reopens a verified action after a recurrence check found it back, with the evidence.
    /// civitas does this itself, so the event has no person.
    pub fn reopen(
        &mut self,
        check: RecurrenceCheck,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        if self.status != ActionStatus::Verified {
            return Err(DomainError::conflict(
                "只有已結案的事項可以重新開啟",
                "only a verified action can be reopened",
            ));
        }
        if check.evidence.is_empty() {
            return Err(invalid(
                "evidence",
                "重新開啟須有再發生的證據",
                "reopening needs evidence of recurrence",
            ));
        }
        let note = format!(
            "recurrence within {} days of verification",
            check.after_days
        );
        let evidence = serde_json::to_value(&check.evidence).unwrap_or_default();
        self.recurrence_checks.push(check);
        let mut events = vec![self.move_to(ActionStatus::InProgress, None, now, Some(&note))];
        events.push(self.event(now, None, "action.reopen", json!({ "evidence": evidence })));
        self.verified_at = None;
        self.verified_by = None;
        Ok(events)
    }

    /// Records a recurrence check that found nothing, so it is not run again.
    pub fn record_clean_check(&mut self, after_days: u32, now: Timestamp) -> Vec<CaseEvent> {
        self.recurrence_checks.push(RecurrenceCheck {
            after_days,
            at: now,
            evidence: Vec::new(),
        });
        self.touch(now);
        vec![self.event(
            now,
            None,
            "action.recurrence_check",
            json!({ "after_days": after_days, "found": 0 }),
        )]
    }

    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open_work() && now > self.due_at
    }

    fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.updated_at = now;
    }

    fn not_owner(&self, verifier: &UserName) -> DomainResult<()> {
        if *verifier == self.owner {
            return Err(invalid(
                "verifier",
                "負責人不能驗證自己的改善事項，請由其他人驗證",
                "the owner cannot verify their own action; another person must verify it",
            ));
        }
        Ok(())
    }

    fn require(&self, from: &[ActionStatus], to: ActionStatus) -> DomainResult<()> {
        if from.contains(&self.status) {
            return Ok(());
        }
        let (now, to) = (self.status.label(), to.label());
        Err(DomainError::conflict(
            format!("改善事項目前為「{}」，不能改為「{}」", now.zh, to.zh),
            format!("the action is '{}' and cannot become '{}'", now.en, to.en),
        ))
    }

    fn move_to(
        &mut self,
        to: ActionStatus,
        by: Option<&UserName>,
        now: Timestamp,
        note: Option<&str>,
    ) -> CaseEvent {
        let from = self.status;
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        self.history.push(StatusChange {
            from,
            to,
            at: now,
            by: by.cloned(),
            note: note.clone(),
        });
        self.status = to;
        self.touch(now);
        self.event(
            now,
            by,
            "action.status",
            json!({ "old": from, "new": to, "note": note }),
        )
    }

    fn event(
        &self,
        now: Timestamp,
        by: Option<&UserName>,
        action: &str,
        summary: serde_json::Value,
    ) -> CaseEvent {
        CaseEvent::new(now, by, action, "action", &self.id, summary)
    }
}

/// Reminder offsets before the due date and escalation offsets after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPolicy {
    pub remind_days_before: Vec<u32>,
    pub escalate_days_after: Vec<u32>,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            remind_days_before: vec![7, 1],
            escalate_days_after: vec![0, 7, 30],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// To the owner, before the due date.
    Reminder,
    /// To the owner's agency security officer and the platform admins, after it.
    Escalation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderNotice {
    /// Stable (action, due date, offset), so the integrator sends each once; an extension
    /// changes the due date and so starts fresh reminders.
    pub key: String,
    pub action: RecordId,
    pub kind: ReminderKind,
    pub owner: UserName,
    pub owner_agency: AgencyCode,
    pub due_at: Timestamp,
    pub message: Text,
}

/// The reminders and escalations an open action has reached by `now` (each threshold passed).
pub fn reminders(action: &Action, policy: &ReminderPolicy, now: Timestamp) -> Vec<ReminderNotice> {
    if !action.status.is_open_work() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let due = action.due_at;
    for days in &policy.remind_days_before {
        if now >= due.sub(Duration::days(i64::from(*days))) && now <= due {
            out.push(notice(
                action,
                ReminderKind::Reminder,
                format!("before-{days}d"),
                Text::new(
                    format!(
                        "改善事項「{}」將於 {} 到期（{} 天內）",
                        action.recommendation, due, days
                    ),
                    format!(
                        "Action '{}' is due {} (within {} days)",
                        action.recommendation, due, days
                    ),
                ),
            ));
        }
    }
    for days in &policy.escalate_days_after {
        if now > due.add(Duration::days(i64::from(*days))) {
            out.push(notice(
                action,
                ReminderKind::Escalation,
                format!("after-{days}d"),
                Text::new(
                    format!(
                        "改善事項「{}」已逾期（期限 {}，負責人 {}）",
                        action.recommendation, due, action.owner
                    ),
                    format!(
                        "Action '{}' is overdue (due {}, owner {})",
                        action.recommendation, due, action.owner
                    ),
                ),
            ));
        }
    }
    out
}

fn notice(action: &Action, kind: ReminderKind, offset: String, message: Text) -> ReminderNotice {
    ReminderNotice {
        key: format!("{}|{}|{}", action.id, action.due_at.as_millis(), offset),
        action: action.id.clone(),
        kind,
        owner: action.owner.clone(),
        owner_agency: action.owner_agency.clone(),
        due_at: action.due_at,
        message,
    }
}

/// Something seen after verification: an alert or an incident, as simple facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceSignal {
    /// `alert:<fingerprint>` or `incident:<id>`: how a person finds it.
    pub reference: String,
    pub seen_at: Timestamp,
    pub root_cause: Option<RootCause>,
    pub observables: Vec<Observable>,
    pub asset: Option<String>,
}

/// Why a signal counts as the problem coming back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceEvidence {
    pub reference: String,
    pub seen_at: Timestamp,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RecurrenceDecision {
    /// No check is due (not verified, or checks already run, or too early).
    NotDue,
    /// The check for this many days is due and found nothing.
    Clean { after_days: u32 },
    /// The check is due and found the problem back: reopen with this.
    Reopen { check: RecurrenceCheck },
}

/// The checks run this many days after verification.
pub const RECURRENCE_CHECK_DAYS: [u32; 2] = [30, 90];

/// Runs the earliest recurrence check that is due and not yet run. A signal counts when it
/// came after verification and shares an IOC with the finding, or has the same root cause on
/// the same asset.
pub fn check_recurrence(
    action: &Action,
    signals: &[RecurrenceSignal],
    now: Timestamp,
) -> RecurrenceDecision {
    let (ActionStatus::Verified, Some(verified_at)) = (action.status, action.verified_at) else {
        return RecurrenceDecision::NotDue;
    };
    let done: BTreeSet<u32> = action
        .recurrence_checks
        .iter()
        .filter(|c| c.at >= verified_at)
        .map(|c| c.after_days)
        .collect();
    let Some(after_days) = RECURRENCE_CHECK_DAYS
        .into_iter()
        .find(|d| !done.contains(d) && now >= verified_at.add(Duration::days(i64::from(*d))))
    else {
        return RecurrenceDecision::NotDue;
    };
    let iocs: BTreeSet<MatchKey> = action
        .basis
        .iocs
        .iter()
        .filter_map(Observable::key)
        .collect();
    let assets: BTreeSet<String> = action
        .basis
        .assets
        .iter()
        .map(|a| a.trim().to_lowercase())
        .collect();
    // A check run late still looks at everything seen since verification.
    let evidence: Vec<RecurrenceEvidence> = signals
        .iter()
        .filter(|s| s.seen_at > verified_at && s.seen_at <= now)
        .filter_map(|s| {
            let shared = s
                .observables
                .iter()
                .find(|o| o.key().is_some_and(|k| iocs.contains(&k)));
            let same_asset = s
                .asset
                .as_ref()
                .is_some_and(|a| assets.contains(&a.trim().to_lowercase()));
            let reason = if let Some(ioc) = shared {
                Text::new(
                    format!("再次出現相同的入侵指標 {}", ioc.value),
                    format!("the same indicator {} was seen again", ioc.value),
                )
            } else if same_asset
                && s.root_cause.is_some()
                && s.root_cause == action.basis.root_cause
            {
                let cause = s
                    .root_cause
                    .map(|c| c.label())
                    .unwrap_or_else(|| Text::same(""));
                Text::new(
                    format!(
                        "同一資產 {} 再次發生相同根因（{}）",
                        s.asset.as_deref().unwrap_or_default(),
                        cause.zh
                    ),
                    format!(
                        "the same root cause ({}) again on the same asset {}",
                        cause.en,
                        s.asset.as_deref().unwrap_or_default()
                    ),
                )
            } else {
                return None;
            };
            Some(RecurrenceEvidence {
                reference: s.reference.clone(),
                seen_at: s.seen_at,
                reason,
            })
        })
        .collect();
    if evidence.is_empty() {
        RecurrenceDecision::Clean { after_days }
    } else {
        RecurrenceDecision::Reopen {
            check: RecurrenceCheck {
                after_days,
                at: now,
                evidence,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn new_action() -> NewAction {
        NewAction {
            id: RecordId::parse("ACT-1").unwrap(),
            incident: RecordId::parse("INC-1").unwrap(),
            finding: None,
            recommendation: "關閉對外 RDP".into(),
            owner_agency: AgencyCode::parse("TY-EDU").unwrap(),
            owner: UserName::parse("edu.it").unwrap(),
            due_at: t("2025-05-01T17:00:00+08:00"),
            priority: Priority::High,
            closure_criteria: "外部掃描 3389 不通".into(),
            basis: RecurrenceBasis::default(),
        }
    }

    fn planned() -> Action {
        let by = UserName::parse("soc.lin").unwrap();
        Action::plan(new_action(), &by, t("2025-04-01T09:00:00+08:00"))
            .unwrap()
            .0
    }

    #[test]
    fn an_action_without_closure_criteria_is_refused_because_the_verifier_needs_them() {
        let mut new = NewAction {
            closure_criteria: " ".into(),
            ..new_action()
        };
        let by = UserName::parse("soc.lin").unwrap();
        assert!(
            Action::plan(new.clone(), &by, t("2025-04-01T09:00:00+08:00"))
                .unwrap_err()
                .to_string()
                .contains("closure criteria")
        );
        new.closure_criteria = "ok".into();
        assert!(Action::plan(new, &by, t("2025-04-01T09:00:00+08:00")).is_ok());
    }

    #[test]
    fn a_planned_action_cannot_be_submitted_or_verified_and_reminders_stop_once_it_waits_for_verification()
     {
        let mut action = planned();
        let owner = action.owner.clone();
        let verifier = UserName::parse("soc.chief").unwrap();
        assert!(
            action
                .submit("x", &owner, t("2025-04-02T09:00:00+08:00"))
                .is_err()
        );
        assert!(
            action
                .verify("x", &verifier, t("2025-04-02T09:00:00+08:00"))
                .unwrap_err()
                .to_string()
                .contains("planned")
        );
        let policy = ReminderPolicy::default();
        assert_eq!(
            reminders(&action, &policy, t("2025-04-20T09:00:00+08:00")).len(),
            0,
            "more than 7 days before"
        );
        assert_eq!(
            reminders(&action, &policy, t("2025-04-30T18:00:00+08:00")).len(),
            2,
            "7-day and 1-day reminders"
        );
        action
            .start(&owner, t("2025-04-29T09:00:00+08:00"))
            .unwrap();
        action
            .add_evidence(
                "scan.txt",
                b"3389 closed",
                None,
                &owner,
                t("2025-04-29T10:00:00+08:00"),
            )
            .unwrap();
        action
            .submit("done", &owner, t("2025-04-29T10:05:00+08:00"))
            .unwrap();
        assert!(reminders(&action, &policy, t("2025-05-09T09:00:00+08:00")).is_empty());
        assert!(!action.is_overdue(t("2025-05-09T09:00:00+08:00")));
    }
}
