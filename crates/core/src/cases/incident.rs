//! An incident (資通安全事件): what happened to which agency's assets, its timeline, the people
//! involved, its legal level with history, and its status from new to closed.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::UserName;
use crate::agencies::AgencyCode;
use crate::alerts::rules::Category as AlertCategory;
use crate::cases::clocks::RuleBook;
use crate::cases::event::CaseEvent;
use crate::cases::id::{NotificationRef, RecordId};
use crate::cases::level::{AssetClass, Effect, IncidentLevel, LevelAssessment, decide_level};
use crate::error::{DomainError, DomainResult};
use crate::text::Text;
use crate::time::Timestamp;

/// The types national incident notifications use (soc.md §2.2; the exact government wording is
/// unverified, the split follows the common 通報 form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentCategory {
    IllegalIntrusion,
    DenialOfService,
    WebDefacement,
    MaliciousWebContent,
    Phishing,
    DataLeak,
    Malware,
    EquipmentFault,
    Other,
}

impl IncidentCategory {
    pub fn label(&self) -> Text {
        match self {
            Self::IllegalIntrusion => Text::new("非法入侵", "illegal intrusion"),
            Self::DenialOfService => Text::new("阻斷服務", "denial of service"),
            Self::WebDefacement => Text::new("網頁攻擊－網頁置換", "web attack: defacement"),
            Self::MaliciousWebContent => Text::new(
                "網頁攻擊－惡意網頁或惡意留言",
                "web attack: malicious content or links",
            ),
            Self::Phishing => Text::new("網頁攻擊－釣魚網頁", "web attack: phishing page"),
            Self::DataLeak => Text::new("資料外洩", "data leak"),
            Self::Malware => Text::new("惡意程式", "malware"),
            Self::EquipmentFault => Text::new("設備問題", "equipment fault"),
            Self::Other => Text::new("其他", "other"),
        }
    }

    /// The category an incident promoted from alerts of this category starts with; the handler
    /// changes it once the facts are known.
    pub fn suggested_for(alert: AlertCategory) -> Self {
        match alert {
            AlertCategory::IntrusionAttempt | AlertCategory::CredentialAttack => {
                Self::IllegalIntrusion
            }
            AlertCategory::Malware => Self::Malware,
            AlertCategory::Dos => Self::DenialOfService,
            AlertCategory::WebAttack => Self::WebDefacement,
            AlertCategory::InformationGathering | AlertCategory::Other => Self::Other,
        }
    }

    /// The ENISA RSIT class the category shares with the alerts capability and STIX exports.
    pub fn rsit(&self) -> &'static str {
        match self {
            Self::IllegalIntrusion => "intrusions:system-compromise",
            Self::DenialOfService => "availability:dos",
            Self::WebDefacement | Self::MaliciousWebContent => {
                "information-content-security:unauthorised-information-modification"
            }
            Self::Phishing => "fraud:phishing",
            Self::DataLeak => "information-content-security:data-leak",
            Self::Malware => "malicious-code:infected-system",
            Self::EquipmentFault => "availability:outage",
            Self::Other => "other:other",
        }
    }
}

/// An asset the incident touches, classed as the agency's maintenance plan classes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedAsset {
    pub name: String,
    pub class: AssetClass,
    /// Host name or address, when the asset is one machine (used for recurrence checks).
    pub host: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Involvement {
    /// 處理人員
    Handler,
    /// 機關資安長或資安聯絡人
    AgencySecurityOfficer,
    /// 通報人
    Reporter,
    /// 委外廠商（鑑識、維運）
    Vendor,
    /// 系統管理者或使用者
    SystemOwner,
}

/// Someone involved: staff with an account, or a vendor's engineer without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInvolved {
    pub name: String,
    pub account: Option<UserName>,
    pub organisation: Option<String>,
    pub role: Involvement,
}

/// Where the incident came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentOrigin {
    /// Promoted from one or more alert notifications.
    Alerts { notifications: Vec<NotificationRef> },
    /// Opened by hand (a phone call, a vendor's report, a citizen's complaint).
    Manual { how_learned: String },
}

/// new → triage → contained → recovered → reported → closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    New,
    Triage,
    Contained,
    Recovered,
    Reported,
    Closed,
}

impl IncidentStatus {
    pub fn label(&self) -> Text {
        match self {
            Self::New => Text::new("新事件", "new"),
            Self::Triage => Text::new("研判中", "triage"),
            Self::Contained => Text::new("已控制損害", "contained"),
            Self::Recovered => Text::new("已復原", "recovered"),
            Self::Reported => Text::new("已提交調查報告", "report submitted"),
            Self::Closed => Text::new("已結案", "closed"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Determination {
    #[default]
    Suspected,
    Confirmed,
    FalsePositive,
    /// Real activity, but authorised or harmless (a sanctioned scan).
    BenignTruePositive,
}

/// The moments a legal clock or a report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// 發生
    Occurred,
    /// 知悉: starts the legal clocks.
    Aware,
    /// 通報 (and 續報 on a level change: may repeat).
    Notified,
    /// 等級審核 by the supervising authority.
    LevelReviewed,
    /// 完成損害控制
    Contained,
    /// 完成復原
    Recovered,
    /// 調查、處理及改善報告 submitted.
    ReportSubmitted,
    /// The improvement plan (報告 items 6–7) submitted, when it follows the report.
    ImprovementPlanSubmitted,
    Closed,
}

impl TimelineKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Occurred => "occurred",
            Self::Aware => "aware",
            Self::Notified => "notified",
            Self::LevelReviewed => "level_reviewed",
            Self::Contained => "contained",
            Self::Recovered => "recovered",
            Self::ReportSubmitted => "report_submitted",
            Self::ImprovementPlanSubmitted => "improvement_plan_submitted",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub kind: TimelineKind,
    /// When it happened (may be earlier than when it was recorded).
    pub at: Timestamp,
    pub recorded_at: Timestamp,
    pub by: UserName,
    pub note: Option<String>,
    /// Set when a later correction replaced this entry; the entry itself is kept.
    #[serde(default)]
    pub withdrawn: Option<Withdrawal>,
}

impl TimelineEntry {
    pub fn is_live(&self) -> bool {
        self.withdrawn.is_none()
    }
}

/// Who withdrew a timeline entry, when and why (a correction of a mistyped time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub by: UserName,
    pub at: Timestamp,
    pub why: String,
}

/// What a person fills in to open an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    pub id: RecordId,
    pub title: String,
    pub agency: AgencyCode,
    pub category: IncidentCategory,
    pub origin: IncidentOrigin,
    pub assets: Vec<AffectedAsset>,
    pub occurred_at: Option<Timestamp>,
    /// 知悉時間: when the agency became aware; every legal clock runs from here.
    pub aware_at: Timestamp,
    pub people: Vec<PersonInvolved>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: RecordId,
    pub title: String,
    pub agency: AgencyCode,
    pub category: IncidentCategory,
    pub origin: IncidentOrigin,
    pub assets: Vec<AffectedAsset>,
    pub people: Vec<PersonInvolved>,
    pub description: String,
    pub status: IncidentStatus,
    pub determination: Determination,
    pub timeline: Vec<TimelineEntry>,
    pub levels: Vec<LevelAssessment>,
    /// The legal rule set in force when the agency became aware; pinned so later amendments
    /// never move this incident's deadlines.
    pub rule_set: String,
    pub opened_at: Timestamp,
    pub opened_by: UserName,
    /// Bumped by every change, so concurrent edits can be refused.
    pub revision: u32,
    /// When anything last changed (STIX `modified`).
    pub updated_at: Timestamp,
}

impl Incident {
    /// Opens an incident. The aware time must not be in the future, and a rule set must be in
    /// force at that time.
    pub fn open(
        new: NewIncident,
        rules: &RuleBook,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<(Incident, Vec<CaseEvent>)> {
        if new.title.trim().is_empty() {
            return Err(invalid(
                "title",
                "請寫事件標題",
                "give the incident a title",
            ));
        }
        if let IncidentOrigin::Alerts { notifications } = &new.origin
            && notifications.is_empty()
        {
            return Err(invalid(
                "origin",
                "由警訊建立的事件至少要連結一則警訊通報",
                "an incident opened from alerts needs at least one alert notification",
            ));
        }
        if let IncidentOrigin::Manual { how_learned } = &new.origin
            && how_learned.trim().is_empty()
        {
            return Err(invalid(
                "origin",
                "手動建立的事件須說明如何得知（例如廠商來電）",
                "say how the incident became known (e.g. a vendor's call)",
            ));
        }
        if new.aware_at > now {
            return Err(invalid(
                "aware_at",
                "知悉時間不能晚於現在",
                "the aware time cannot be in the future",
            ));
        }
        if let Some(occurred) = new.occurred_at
            && occurred > new.aware_at
        {
            return Err(invalid(
                "occurred_at",
                "發生時間不能晚於知悉時間",
                "the incident cannot occur after the agency became aware of it",
            ));
        }
        let rule_set = rules.in_force_at(new.aware_at).ok_or_else(|| {
            invalid(
                "aware_at",
                "知悉時間早於任何已載入的通報應變法規版本",
                "no loaded legal rule set was in force at the aware time",
            )
        })?;
        let mut timeline = Vec::new();
        if let Some(at) = new.occurred_at {
            timeline.push(entry(TimelineKind::Occurred, at, now, by, None));
        }
        timeline.push(entry(TimelineKind::Aware, new.aware_at, now, by, None));
        let incident = Incident {
            id: new.id,
            title: new.title.trim().to_string(),
            agency: new.agency,
            category: new.category,
            origin: new.origin,
            assets: new.assets,
            people: new.people,
            description: new.description,
            status: IncidentStatus::New,
            determination: Determination::Suspected,
            timeline,
            levels: Vec::new(),
            rule_set: rule_set.id.clone(),
            opened_at: now,
            opened_by: by.clone(),
            revision: 1,
            updated_at: now,
        };
        let event = CaseEvent::new(
            now,
            Some(by),
            "incident.open",
            "incident",
            &incident.id,
            json!({
                "agency": incident.agency,
                "category": incident.category,
                "origin": incident.origin,
                "aware_at": new.aware_at,
                "rule_set": incident.rule_set,
            }),
        );
        Ok((incident, vec![event]))
    }

    /// Refuses a change based on an older copy of the incident.
    pub fn ensure_revision(&self, expected: u32) -> DomainResult<()> {
        stale_check(self.revision, expected)
    }

    pub fn level(&self) -> Option<IncidentLevel> {
        self.levels.last().map(|a| a.decision.level)
    }

    pub fn aware_at(&self) -> Timestamp {
        self.first(TimelineKind::Aware).unwrap_or(self.opened_at)
    }

    /// The first time something of this kind was recorded (by when it happened).
    pub fn first(&self, kind: TimelineKind) -> Option<Timestamp> {
        self.timeline
            .iter()
            .filter(|e| e.kind == kind && e.is_live())
            .map(|e| e.at)
            .min()
    }

    /// Corrects a mistyped time: the wrong entry is kept, marked withdrawn with the reason, and
    /// a new entry carries the right time. Correcting the aware time re-selects the rule set in
    /// force at the corrected time, since that is the law that applied.
    #[allow(clippy::too_many_arguments)]
    pub fn correct(
        &mut self,
        kind: TimelineKind,
        wrong_at: Timestamp,
        right_at: Timestamp,
        why: &str,
        rules: &RuleBook,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.ensure_open()?;
        if why.trim().is_empty() {
            return Err(invalid(
                "why",
                "更正時間須說明理由",
                "a correction needs a reason",
            ));
        }
        if right_at > now {
            return Err(invalid(
                "at",
                "時間不能晚於現在",
                "the time cannot be in the future",
            ));
        }
        let Some(index) = self
            .timeline
            .iter()
            .position(|e| e.kind == kind && e.at == wrong_at && e.is_live())
        else {
            return Err(invalid(
                "at",
                "找不到要更正的時間紀錄",
                "there is no such time on the timeline to correct",
            ));
        };
        let others = |skip: &[TimelineKind]| {
            self.timeline
                .iter()
                .enumerate()
                .filter(|(i, e)| *i != index && e.is_live() && !skip.contains(&e.kind))
                .map(|(_, e)| e.at)
                .min()
        };
        let mut rule_set = None;
        match kind {
            TimelineKind::Aware => {
                let later = others(&[TimelineKind::Occurred, TimelineKind::Aware]);
                let occurred = self.first(TimelineKind::Occurred);
                if later.is_some_and(|l| right_at > l) || occurred.is_some_and(|o| right_at < o) {
                    return Err(invalid(
                        "at",
                        "知悉時間須在發生之後、其他各階段之前",
                        "the aware time must come after the occurrence and before every later stage",
                    ));
                }
                let set = rules.in_force_at(right_at).ok_or_else(|| {
                    invalid(
                        "at",
                        "更正後的知悉時間早於任何已載入的法規版本",
                        "no loaded legal rule set was in force at the corrected aware time",
                    )
                })?;
                rule_set = Some(set.id.clone());
            }
            TimelineKind::Occurred if right_at > self.aware_at() => {
                return Err(invalid(
                    "at",
                    "發生時間不能晚於知悉時間",
                    "the incident cannot occur after the agency became aware of it",
                ));
            }
            TimelineKind::Occurred => {}
            _ if right_at < self.aware_at() => {
                return Err(invalid(
                    "at",
                    "此時間早於知悉時間，請確認",
                    "this time is before the agency became aware; check it",
                ));
            }
            _ => {}
        }
        let why = why.trim().to_string();
        let old = self
            .timeline
            .get(index)
            .map(|e| e.note.clone())
            .unwrap_or_default();
        if let Some(entry) = self.timeline.get_mut(index) {
            entry.withdrawn = Some(Withdrawal {
                by: by.clone(),
                at: now,
                why: why.clone(),
            });
        }
        self.timeline.push(entry(kind, right_at, now, by, old));
        let old_rules = self.rule_set.clone();
        if let Some(id) = rule_set.clone() {
            self.rule_set = id;
        }
        self.touch(now);
        Ok(vec![CaseEvent::new(
            now,
            Some(by),
            &format!("incident.timeline.{}.correct", kind.as_str()),
            "incident",
            &self.id,
            json!({ "old": wrong_at, "new": right_at, "why": why,
                    "rule_set": rule_set.map(|new| json!({ "old": old_rules, "new": new })) }),
        )])
    }

    /// Assesses (or re-assesses) the level. A re-assessment needs a reason; the history keeps
    /// who, when, the old and new level and why. A new incident moves into triage.
    pub fn assess_level(
        &mut self,
        effects: Vec<Effect>,
        why: Option<String>,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.ensure_open()?;
        let decision = decide_level(&effects)?;
        let previous = self.level();
        let why = why.map(|w| w.trim().to_string()).filter(|w| !w.is_empty());
        if previous.is_some() && why.is_none() {
            return Err(invalid(
                "why",
                "重新評估事件等級須說明理由",
                "a re-assessment of the level needs a reason",
            ));
        }
        let mut events = vec![CaseEvent::new(
            now,
            Some(by),
            if previous.is_some() {
                "incident.level_reassess"
            } else {
                "incident.level_assess"
            },
            "incident",
            &self.id,
            json!({
                "old": previous,
                "new": decision.level,
                "why": why,
                "reasons": decision.reasons.iter().map(|r| &r.reason.en).collect::<Vec<_>>(),
            }),
        )];
        self.levels.push(LevelAssessment {
            at: now,
            by: by.clone(),
            previous,
            effects,
            decision,
            why,
        });
        if self.status == IncidentStatus::New {
            events.push(self.set_status(IncidentStatus::Triage, by, now));
        }
        self.touch(now);
        Ok(events)
    }

    /// Whether the last level change still has to be notified again (續報, Art. 4).
    pub fn needs_renotification(&self) -> bool {
        let Some(last) = self.levels.last() else {
            return false;
        };
        let changed = last.previous.is_some_and(|p| p != last.decision.level);
        changed
            && !self.timeline.iter().any(|e| {
                e.kind == TimelineKind::Notified && e.is_live() && e.recorded_at >= last.at
            })
    }

    /// Records a moment on the timeline. Containment, recovery, the report and closure move the
    /// status forward and must come in that order; times cannot be in the future or before the
    /// agency became aware.
    pub fn record(
        &mut self,
        kind: TimelineKind,
        at: Timestamp,
        note: Option<String>,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.ensure_open()?;
        if at > now {
            return Err(invalid(
                "at",
                "時間不能晚於現在",
                "the time cannot be in the future",
            ));
        }
        let aware = self.aware_at();
        match kind {
            TimelineKind::Aware => {
                return Err(invalid(
                    "kind",
                    "知悉時間於建立事件時登錄，法定時限由此起算，不能再新增",
                    "the aware time is set when the incident is opened; the legal clocks run from it",
                ));
            }
            TimelineKind::Occurred if at > aware => {
                return Err(invalid(
                    "at",
                    "發生時間不能晚於知悉時間",
                    "the incident cannot occur after the agency became aware of it",
                ));
            }
            TimelineKind::Occurred => {}
            _ if at < aware => {
                return Err(invalid(
                    "at",
                    "此時間早於知悉時間，請確認",
                    "this time is before the agency became aware; check it",
                ));
            }
            _ => {}
        }
        let next_status = match kind {
            TimelineKind::Contained => {
                Some(self.require(IncidentStatus::Triage, IncidentStatus::Contained)?)
            }
            TimelineKind::Recovered => {
                Some(self.require(IncidentStatus::Contained, IncidentStatus::Recovered)?)
            }
            TimelineKind::ReportSubmitted => {
                Some(self.require(IncidentStatus::Recovered, IncidentStatus::Reported)?)
            }
            TimelineKind::Closed => {
                return Err(invalid(
                    "kind",
                    "結案請使用結案功能並填寫研判結果",
                    "close the incident with its determination instead",
                ));
            }
            _ => None,
        };
        if let Some(before) = self.previous_step(kind)
            && at < before
        {
            return Err(invalid(
                "at",
                "此時間早於前一階段的時間",
                "this time is before the previous stage's time",
            ));
        }
        self.timeline.push(entry(kind, at, now, by, note.clone()));
        let mut events = vec![CaseEvent::new(
            now,
            Some(by),
            &format!("incident.timeline.{}", kind.as_str()),
            "incident",
            &self.id,
            json!({ "at": at, "note": note }),
        )];
        if let Some(status) = next_status {
            events.push(self.set_status(status, by, now));
        }
        self.touch(now);
        Ok(events)
    }

    /// Sets the determination (confirmed, false positive …) with a reason.
    pub fn determine(
        &mut self,
        determination: Determination,
        why: &str,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.ensure_open()?;
        if why.trim().is_empty() {
            return Err(invalid(
                "why",
                "請說明研判理由",
                "give the reason for the determination",
            ));
        }
        let old = self.determination;
        self.determination = determination;
        self.touch(now);
        Ok(vec![CaseEvent::new(
            now,
            Some(by),
            "incident.determine",
            "incident",
            &self.id,
            json!({ "old": old, "new": determination, "why": why.trim() }),
        )])
    }

    /// Closes the incident: after the report for a real incident, or straight from triage when
    /// it was a false or benign positive.
    pub fn close(
        &mut self,
        summary: &str,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        self.ensure_open()?;
        let not_real = matches!(
            self.determination,
            Determination::FalsePositive | Determination::BenignTruePositive
        );
        let ready = match self.determination {
            Determination::Suspected => false,
            Determination::Confirmed => self.status == IncidentStatus::Reported,
            _ => true,
        };
        if !ready {
            let why = if not_real || self.determination == Determination::Suspected {
                invalid(
                    "determination",
                    "結案前須先確認研判結果（確認、誤報或良性）",
                    "set the determination (confirmed, false positive or benign) before closing",
                )
            } else {
                invalid(
                    "status",
                    "確認的事件須先提交調查、處理及改善報告才能結案",
                    "a confirmed incident closes only after its investigation report is submitted",
                )
            };
            return Err(why);
        }
        if summary.trim().is_empty() {
            return Err(invalid(
                "summary",
                "請寫結案摘要",
                "write a closing summary",
            ));
        }
        self.timeline.push(entry(
            TimelineKind::Closed,
            now,
            now,
            by,
            Some(summary.trim().to_string()),
        ));
        let events = vec![
            CaseEvent::new(
                now,
                Some(by),
                "incident.close",
                "incident",
                &self.id,
                json!({ "determination": self.determination, "summary": summary.trim() }),
            ),
            self.set_status(IncidentStatus::Closed, by, now),
        ];
        self.touch(now);
        Ok(events)
    }

    fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.updated_at = now;
    }

    fn ensure_open(&self) -> DomainResult<()> {
        if self.status == IncidentStatus::Closed {
            return Err(DomainError::conflict(
                "事件已結案，不能再修改；如有新事證請開立新事件",
                "the incident is closed; open a new incident for new evidence",
            ));
        }
        Ok(())
    }

    fn require(&self, from: IncidentStatus, to: IncidentStatus) -> DomainResult<IncidentStatus> {
        if self.status == from {
            return Ok(to);
        }
        let (from, to) = (from.label(), to.label());
        Err(DomainError::conflict(
            format!("事件須先處於「{}」才能進入「{}」", from.zh, to.zh),
            format!(
                "the incident must be at '{}' before it can be '{}'",
                from.en, to.en
            ),
        ))
    }

    fn previous_step(&self, kind: TimelineKind) -> Option<Timestamp> {
        let before = match kind {
            TimelineKind::Recovered => TimelineKind::Contained,
            TimelineKind::ReportSubmitted => TimelineKind::Recovered,
            TimelineKind::ImprovementPlanSubmitted => TimelineKind::ReportSubmitted,
            TimelineKind::LevelReviewed => TimelineKind::Notified,
            _ => return None,
        };
        self.first(before)
    }

    fn set_status(&mut self, status: IncidentStatus, by: &UserName, now: Timestamp) -> CaseEvent {
        let old = self.status;
        self.status = status;
        CaseEvent::new(
            now,
            Some(by),
            "incident.status",
            "incident",
            &self.id,
            json!({ "old": old, "new": status }),
        )
    }
}

fn entry(
    kind: TimelineKind,
    at: Timestamp,
    now: Timestamp,
    by: &UserName,
    note: Option<String>,
) -> TimelineEntry {
    TimelineEntry {
        kind,
        at,
        recorded_at: now,
        by: by.clone(),
        note,
        withdrawn: None,
    }
}

pub(crate) fn invalid(field: &str, zh: &str, en: &str) -> DomainError {
    DomainError::invalid(field, Text::new(zh, en))
}

pub(crate) fn stale_check(current: u32, expected: u32) -> DomainResult<()> {
    if current == expected {
        Ok(())
    } else {
        Err(DomainError::conflict(
            format!(
                "此紀錄已被他人修改（版本 {current}，您看到的是 {expected}），請重新載入後再試"
            ),
            format!(
                "someone else changed this record (revision {current}, you saw {expected}); reload and try again"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::clocks::{ClockPolicy, ClockState, Obligation, deadlines};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn soc() -> UserName {
        UserName::parse("soc.lin").unwrap()
    }

    fn new_incident(origin: IncidentOrigin, aware: &str) -> NewIncident {
        NewIncident {
            id: RecordId::parse("INC-9").unwrap(),
            title: "port scan from a school".into(),
            agency: AgencyCode::parse("TY-EDU").unwrap(),
            category: IncidentCategory::Other,
            origin,
            assets: vec![],
            occurred_at: None,
            aware_at: t(aware),
            people: vec![],
            description: String::new(),
        }
    }

    #[test]
    fn an_incident_from_alerts_needs_a_notification_and_a_manual_one_says_how_it_became_known() {
        let book = RuleBook::embedded().unwrap();
        let now = t("2025-04-01T10:00:00+08:00");
        let none = IncidentOrigin::Alerts {
            notifications: vec![],
        };
        assert!(
            Incident::open(
                new_incident(none, "2025-04-01T09:00:00+08:00"),
                &book,
                &soc(),
                now
            )
            .is_err()
        );
        let blank = IncidentOrigin::Manual {
            how_learned: " ".into(),
        };
        assert!(
            Incident::open(
                new_incident(blank, "2025-04-01T09:00:00+08:00"),
                &book,
                &soc(),
                now
            )
            .is_err()
        );
        let call = IncidentOrigin::Manual {
            how_learned: "市民來電".into(),
        };
        let err = Incident::open(
            new_incident(call.clone(), "2025-04-01T11:00:00+08:00"),
            &book,
            &soc(),
            now,
        )
        .unwrap_err();
        assert!(err.to_string().contains("future"));
        let (incident, events) = Incident::open(
            new_incident(call, "2025-04-01T09:00:00+08:00"),
            &book,
            &soc(),
            now,
        )
        .unwrap();
        assert_eq!(incident.status, IncidentStatus::New);
        assert_eq!(events[0].action, "incident.open");
        assert_eq!(events[0].summary["rule_set"], "2021-08-23");
    }

    #[test]
    fn a_false_positive_closes_from_triage_and_its_unmet_clocks_no_longer_count() {
        let book = RuleBook::embedded().unwrap();
        let call = IncidentOrigin::Manual {
            how_learned: "SOC 來電".into(),
        };
        let (mut incident, _) = Incident::open(
            new_incident(call, "2025-04-01T09:00:00+08:00"),
            &book,
            &soc(),
            t("2025-04-01T09:05:00+08:00"),
        )
        .unwrap();
        let err = incident
            .close("誤報", &soc(), t("2025-04-01T09:20:00+08:00"))
            .unwrap_err();
        assert!(err.to_string().contains("determination"));
        incident
            .determine(
                Determination::FalsePositive,
                "學校授權的弱點掃描",
                &soc(),
                t("2025-04-01T09:30:00+08:00"),
            )
            .unwrap();
        let seen = incident.revision;
        incident
            .close("授權掃描，非事件", &soc(), t("2025-04-01T09:40:00+08:00"))
            .unwrap();
        assert_eq!(incident.status, IncidentStatus::Closed);
        assert!(
            incident.ensure_revision(seen).is_err(),
            "a stale copy cannot be saved over it"
        );
        let clocks = deadlines(
            &incident,
            &book,
            &ClockPolicy::standard().unwrap(),
            t("2025-04-02T09:00:00+08:00"),
        )
        .unwrap();
        assert!(
            clocks.iter().all(|d| d.state == ClockState::NotApplicable),
            "{clocks:?}"
        );
        assert!(
            incident
                .determine(
                    Determination::Confirmed,
                    "x",
                    &soc(),
                    t("2025-04-02T09:00:00+08:00")
                )
                .is_err()
        );
    }

    #[test]
    fn a_mistyped_aware_time_is_corrected_with_a_reason_keeping_the_wrong_entry_and_the_law_of_the_right_time()
     {
        let book = RuleBook::embedded().unwrap();
        let call = IncidentOrigin::Manual {
            how_learned: "SOC 來電".into(),
        };
        // Typed as 2026-01-05 09:00 when it was 2025-01-05 09:00: the wrong year picks the wrong law.
        let (mut incident, _) = Incident::open(
            new_incident(call, "2026-01-05T09:00:00+08:00"),
            &book,
            &soc(),
            t("2026-01-05T09:10:00+08:00"),
        )
        .unwrap();
        assert_eq!(incident.rule_set, "2026-01-05");
        let now = t("2026-01-05T10:00:00+08:00");
        let wrong = t("2026-01-05T09:00:00+08:00");
        let right = t("2025-01-05T09:00:00+08:00");
        assert!(
            incident
                .correct(TimelineKind::Aware, wrong, right, " ", &book, &soc(), now)
                .is_err()
        );
        assert!(
            incident
                .correct(
                    TimelineKind::Aware,
                    right,
                    right,
                    "typo",
                    &book,
                    &soc(),
                    now
                )
                .is_err(),
            "no such entry"
        );
        let events = incident
            .correct(
                TimelineKind::Aware,
                wrong,
                right,
                "年份誤植",
                &book,
                &soc(),
                now,
            )
            .unwrap();
        assert_eq!(incident.aware_at(), right);
        assert_eq!(incident.rule_set, "2021-08-23");
        assert_eq!(events[0].summary["rule_set"]["old"], "2026-01-05");
        let kept: Vec<_> = incident
            .timeline
            .iter()
            .filter(|e| e.kind == TimelineKind::Aware)
            .collect();
        assert_eq!(kept.len(), 2, "the wrong entry is kept");
        assert_eq!(kept[0].withdrawn.as_ref().unwrap().why, "年份誤植");
        // A later stage cannot be corrected to before the aware time.
        incident
            .record(
                TimelineKind::Notified,
                t("2025-01-05T09:30:00+08:00"),
                None,
                &soc(),
                now,
            )
            .unwrap();
        let err = incident
            .correct(
                TimelineKind::Notified,
                t("2025-01-05T09:30:00+08:00"),
                t("2025-01-05T08:00:00+08:00"),
                "x",
                &book,
                &soc(),
                now,
            )
            .unwrap_err();
        assert!(err.to_string().contains("before the agency became aware"));
    }

    #[test]
    fn alerts_of_an_intrusion_attempt_suggest_an_illegal_intrusion_incident() {
        assert_eq!(
            IncidentCategory::suggested_for(AlertCategory::IntrusionAttempt),
            IncidentCategory::IllegalIntrusion
        );
        assert_eq!(
            IncidentCategory::suggested_for(AlertCategory::WebAttack),
            IncidentCategory::WebDefacement
        );
    }

    #[test]
    fn a_confirmed_incident_closes_only_after_its_report_and_times_must_follow_the_aware_time() {
        let book = RuleBook::embedded().unwrap();
        let call = IncidentOrigin::Manual {
            how_learned: "SOC 來電".into(),
        };
        let (mut incident, _) = Incident::open(
            new_incident(call, "2025-04-01T09:00:00+08:00"),
            &book,
            &soc(),
            t("2025-04-01T09:05:00+08:00"),
        )
        .unwrap();
        let now = t("2025-04-01T12:00:00+08:00");
        let before_aware = incident.record(
            TimelineKind::Notified,
            t("2025-04-01T08:00:00+08:00"),
            None,
            &soc(),
            now,
        );
        assert!(
            before_aware
                .unwrap_err()
                .to_string()
                .contains("before the agency became aware")
        );
        assert!(
            incident
                .record(
                    TimelineKind::Occurred,
                    t("2025-04-01T09:30:00+08:00"),
                    None,
                    &soc(),
                    now
                )
                .is_err()
        );
        incident
            .record(
                TimelineKind::Occurred,
                t("2025-03-30T22:00:00+08:00"),
                None,
                &soc(),
                now,
            )
            .unwrap();
        let err = incident
            .record(
                TimelineKind::Contained,
                t("2025-04-01T11:00:00+08:00"),
                None,
                &soc(),
                now,
            )
            .unwrap_err();
        assert!(err.to_string().contains("triage"), "{err}");
        incident
            .determine(Determination::Confirmed, "確認", &soc(), now)
            .unwrap();
        assert!(
            incident
                .close("x", &soc(), now)
                .unwrap_err()
                .to_string()
                .contains("investigation report")
        );
        let clocks = deadlines(&incident, &book, &ClockPolicy::standard().unwrap(), now).unwrap();
        let notify = clocks
            .iter()
            .find(|d| d.obligation == Obligation::Notify)
            .unwrap();
        assert_eq!(notify.state, ClockState::Overdue);
    }
}
