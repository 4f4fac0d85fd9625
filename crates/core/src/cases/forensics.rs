//! Forensic engagements: the request to a vendor, the reports received (content-addressed by
//! SHA-256, every version kept), which of the seven required sections each report has, and the
//! findings — root cause, indicators of compromise for intel matching, affected hosts.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::accounts::UserName;
use crate::cases::event::CaseEvent;
use crate::cases::id::RecordId;
use crate::cases::incident::invalid;
use crate::error::{DomainError, DomainResult};
use crate::intel::Observable;
use crate::text::Text;
use crate::time::Timestamp;

/// Lower-case hex SHA-256 of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks that a hash someone claims is the hash of the bytes received.
pub(crate) fn check_claimed_hash(bytes: &[u8], claimed: Option<&str>) -> DomainResult<String> {
    let actual = sha256_hex(bytes);
    if let Some(claimed) = claimed {
        let claimed = claimed.trim().to_ascii_lowercase();
        if claimed != actual {
            return Err(DomainError::invalid(
                "sha256",
                Text::new(
                    format!(
                        "檔案內容與宣告的 SHA-256 不符（宣告 {claimed}，實際 {actual}），可能上傳了錯誤或損毀的檔案"
                    ),
                    format!(
                        "the file is not the one claimed: its SHA-256 is {actual}, not {claimed}; the upload is wrong or damaged"
                    ),
                ),
            ));
        }
    }
    Ok(actual)
}

/// The seven items an investigation, handling and improvement report must contain
/// (資通安全管理法施行細則; soc.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSection {
    Timeline,
    ScopeAndDamage,
    DamageControlAndRecovery,
    InvestigationAndHandling,
    RootCause,
    PreventiveMeasures,
    ScheduleAndTracking,
}

impl ReportSection {
    pub const ALL: [ReportSection; 7] = [
        Self::Timeline,
        Self::ScopeAndDamage,
        Self::DamageControlAndRecovery,
        Self::InvestigationAndHandling,
        Self::RootCause,
        Self::PreventiveMeasures,
        Self::ScheduleAndTracking,
    ];

    pub fn label(&self) -> Text {
        match self {
            Self::Timeline => Text::new(
                "事件發生、知悉及完成損害控制或復原之時間",
                "when the incident occurred, became known and was contained or recovered",
            ),
            Self::ScopeAndDamage => Text::new("影響範圍及損害評估", "scope and damage assessment"),
            Self::DamageControlAndRecovery => Text::new(
                "損害控制及復原作業之歷程",
                "damage control and recovery history",
            ),
            Self::InvestigationAndHandling => Text::new(
                "事件調查及處理作業之歷程",
                "investigation and handling history",
            ),
            Self::RootCause => Text::new("事件根因分析", "root-cause analysis"),
            Self::PreventiveMeasures => Text::new(
                "防範類似事件再次發生所採取之管理、技術、人力或資源等層面措施",
                "management, technical, staffing or resource measures against recurrence",
            ),
            Self::ScheduleAndTracking => Text::new(
                "前款措施之預定完成時程及成效追蹤機制",
                "scheduled completion of those measures and how their effect is tracked",
            ),
        }
    }
}

/// A small controlled list of root causes (soc.md §7.4), so trends can be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    UnpatchedVulnerability,
    WeakOrDefaultCredentials,
    Misconfiguration,
    OutsourcedVendor,
    UserBehaviour,
    UnsupportedSystem,
    MissingControl,
    Undetermined,
}

impl RootCause {
    pub fn label(&self) -> Text {
        match self {
            Self::UnpatchedVulnerability => Text::new("未修補弱點", "unpatched vulnerability"),
            Self::WeakOrDefaultCredentials => {
                Text::new("弱密碼或預設帳密", "weak or default credentials")
            }
            Self::Misconfiguration => Text::new("設定不當", "misconfiguration"),
            Self::OutsourcedVendor => Text::new("委外廠商管理", "outsourced vendor"),
            Self::UserBehaviour => Text::new("使用者行為", "user behaviour"),
            Self::UnsupportedSystem => Text::new("系統已停止支援", "unsupported system"),
            Self::MissingControl => Text::new("缺少防護控制", "missing control"),
            Self::Undetermined => Text::new("無法判定", "undetermined"),
        }
    }
}

/// One received report file. The bytes live in the integrator's store under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportVersion {
    pub version: u32,
    pub sha256: String,
    pub file_name: String,
    pub size: u64,
    pub received_at: Timestamp,
    pub received_by: UserName,
    /// The sections the reviewer found in this version.
    pub sections: BTreeSet<ReportSection>,
}

impl ReportVersion {
    pub fn missing_sections(&self) -> Vec<ReportSection> {
        ReportSection::ALL
            .into_iter()
            .filter(|s| !self.sections.contains(s))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFinding {
    pub id: RecordId,
    pub root_cause: RootCause,
    pub detail: String,
    pub iocs: Vec<Observable>,
    pub affected_hosts: Vec<String>,
    pub recommendations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: RecordId,
    pub root_cause: RootCause,
    pub detail: String,
    /// Indicators in their written form; each has a normal form (checked on entry).
    pub iocs: Vec<Observable>,
    pub affected_hosts: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    /// The report version the finding was read from.
    pub from_version: u32,
    pub recorded_at: Timestamp,
    pub recorded_by: UserName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementStatus {
    Requested,
    ReportReceived,
    Accepted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForensicEngagement {
    pub id: RecordId,
    pub incident: RecordId,
    pub vendor: String,
    pub scope: String,
    pub requested_at: Timestamp,
    pub requested_by: UserName,
    /// When the vendor starts and when the report is due.
    pub starts_on: Timestamp,
    pub report_due: Timestamp,
    pub status: EngagementStatus,
    pub reports: Vec<ReportVersion>,
    pub findings: Vec<Finding>,
    pub revision: u32,
}

impl ForensicEngagement {
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        id: RecordId,
        incident: RecordId,
        vendor: &str,
        scope: &str,
        starts_on: Timestamp,
        report_due: Timestamp,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<(ForensicEngagement, Vec<CaseEvent>)> {
        if vendor.trim().is_empty() || scope.trim().is_empty() {
            return Err(invalid(
                "scope",
                "請寫出鑑識廠商與委託範圍（哪些主機、期間、要回答的問題）",
                "name the vendor and the scope (which hosts, which period, what to answer)",
            ));
        }
        if report_due <= now || report_due <= starts_on {
            return Err(invalid(
                "report_due",
                "報告期限須晚於現在及開始日期",
                "the report's due date must be after now and after the start date",
            ));
        }
        let engagement = ForensicEngagement {
            id,
            incident,
            vendor: vendor.trim().to_string(),
            scope: scope.trim().to_string(),
            requested_at: now,
            requested_by: by.clone(),
            starts_on,
            report_due,
            status: EngagementStatus::Requested,
            reports: Vec::new(),
            findings: Vec::new(),
            revision: 1,
        };
        let event = CaseEvent::new(
            now,
            Some(by),
            "forensics.request",
            "forensic_engagement",
            &engagement.id,
            json!({ "incident": engagement.incident, "vendor": engagement.vendor,
                    "scope": engagement.scope, "report_due": report_due }),
        );
        Ok((engagement, vec![event]))
    }

    /// Receives a report file as a new version. The hash is computed here; a claimed hash that
    /// differs, or a file already received, is refused. Earlier versions are never replaced.
    pub fn receive_report(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        claimed_sha256: Option<&str>,
        sections: BTreeSet<ReportSection>,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<(ReportVersion, Vec<CaseEvent>)> {
        if bytes.is_empty() {
            return Err(invalid("file", "檔案是空的", "the file is empty"));
        }
        let sha256 = check_claimed_hash(bytes, claimed_sha256)?;
        if let Some(same) = self.reports.iter().find(|r| r.sha256 == sha256) {
            return Err(DomainError::conflict(
                format!("這份檔案已收過，是第 {} 版", same.version),
                format!("this file was already received as version {}", same.version),
            ));
        }
        let version = ReportVersion {
            version: u32::try_from(self.reports.len()).unwrap_or(u32::MAX - 1) + 1,
            sha256,
            file_name: file_name.trim().to_string(),
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            received_at: now,
            received_by: by.clone(),
            sections,
        };
        self.reports.push(version.clone());
        self.status = EngagementStatus::ReportReceived;
        self.revision += 1;
        let event = CaseEvent::new(
            now,
            Some(by),
            "forensics.report_receive",
            "forensic_engagement",
            &self.id,
            json!({ "version": version.version, "sha256": version.sha256, "file_name": version.file_name,
                    "size": version.size, "missing_sections": version.missing_sections() }),
        );
        Ok((version, vec![event]))
    }

    pub fn latest_report(&self) -> Option<&ReportVersion> {
        self.reports.last()
    }

    /// Accepts the latest report; only a report with all seven sections can be accepted.
    pub fn accept_report(&mut self, by: &UserName, now: Timestamp) -> DomainResult<Vec<CaseEvent>> {
        let Some(latest) = self.reports.last() else {
            return Err(invalid(
                "report",
                "尚未收到報告",
                "no report has been received",
            ));
        };
        let missing = latest.missing_sections();
        if !missing.is_empty() {
            let zh: Vec<String> = missing.iter().map(|s| s.label().zh).collect();
            let en: Vec<String> = missing.iter().map(|s| s.label().en).collect();
            return Err(DomainError::invalid(
                "sections",
                Text::new(
                    format!("報告缺少：{}；請廠商補正後再驗收", zh.join("、")),
                    format!(
                        "the report lacks: {}; ask the vendor to complete it before accepting",
                        en.join("; ")
                    ),
                ),
            ));
        }
        let version = latest.version;
        self.status = EngagementStatus::Accepted;
        self.revision += 1;
        Ok(vec![CaseEvent::new(
            now,
            Some(by),
            "forensics.report_accept",
            "forensic_engagement",
            &self.id,
            json!({ "version": version }),
        )])
    }

    /// Records a finding from the latest report. Each IOC must be what its type says (an address
    /// that parses, a hash of the right length), so intel can match it.
    pub fn add_finding(
        &mut self,
        new: NewFinding,
        by: &UserName,
        now: Timestamp,
    ) -> DomainResult<Vec<CaseEvent>> {
        let Some(version) = self.reports.last().map(|r| r.version) else {
            return Err(invalid(
                "finding",
                "發現須出自已收到的鑑識報告",
                "findings come from a received report; none has been received",
            ));
        };
        if new.detail.trim().is_empty() {
            return Err(invalid(
                "detail",
                "請描述發現的內容",
                "describe the finding",
            ));
        }
        if let Some(bad) = new.iocs.iter().find(|o| o.key().is_none()) {
            return Err(DomainError::invalid(
                "iocs",
                Text::new(
                    format!("入侵指標「{}」不是有效的 {:?}", bad.value, bad.kind),
                    format!(
                        "the indicator '{}' is not a valid {:?}",
                        bad.value, bad.kind
                    ),
                ),
            ));
        }
        if self.findings.iter().any(|f| f.id == new.id) {
            return Err(DomainError::AlreadyExists {
                what: "finding",
                key: new.id.to_string(),
            });
        }
        let finding = Finding {
            id: new.id,
            root_cause: new.root_cause,
            detail: new.detail.trim().to_string(),
            iocs: new.iocs,
            affected_hosts: new
                .affected_hosts
                .iter()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .collect(),
            recommendations: new
                .recommendations
                .iter()
                .map(|r| r.trim())
                .filter(|r| !r.is_empty())
                .map(|r| Recommendation {
                    text: r.to_string(),
                })
                .collect(),
            from_version: version,
            recorded_at: now,
            recorded_by: by.clone(),
        };
        let event = CaseEvent::new(
            now,
            Some(by),
            "forensics.finding_add",
            "forensic_engagement",
            &self.id,
            json!({ "finding": finding.id, "root_cause": finding.root_cause, "iocs": finding.iocs.len(),
                    "affected_hosts": finding.affected_hosts, "report_version": version }),
        );
        self.findings.push(finding);
        self.revision += 1;
        Ok(vec![event])
    }

    /// Every IOC of every finding, once, for the intel capability's matching.
    pub fn iocs(&self) -> Vec<Observable> {
        let mut seen = BTreeSet::new();
        self.findings
            .iter()
            .flat_map(|f| f.iocs.iter())
            .filter(|o| o.key().is_some_and(|k| seen.insert(k)))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::{HashAlgorithm, ObservableKind};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn engagement() -> ForensicEngagement {
        let by = UserName::parse("soc.lin").unwrap();
        ForensicEngagement::request(
            RecordId::parse("FX-1").unwrap(),
            RecordId::parse("INC-1").unwrap(),
            "某資安鑑識公司",
            "10.20.1.15 主機 2025-03-01 至 2025-03-05 之入侵歷程",
            t("2025-03-06T09:00:00+08:00"),
            t("2025-03-20T17:00:00+08:00"),
            &by,
            t("2025-03-05T18:00:00+08:00"),
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_report_is_kept_by_its_sha256_and_a_second_upload_becomes_version_two() {
        let mut fx = engagement();
        let by = UserName::parse("soc.lin").unwrap();
        let (v1, _) = fx
            .receive_report(
                "draft.pdf",
                b"draft",
                None,
                BTreeSet::new(),
                &by,
                t("2025-03-15T10:00:00+08:00"),
            )
            .unwrap();
        assert_eq!(v1.sha256, sha256_hex(b"draft"));
        assert_eq!(v1.missing_sections().len(), 7);
        let (v2, _) = fx
            .receive_report(
                "final.pdf",
                b"final",
                Some(&sha256_hex(b"final").to_uppercase()),
                ReportSection::ALL.into_iter().collect(),
                &by,
                t("2025-03-19T10:00:00+08:00"),
            )
            .unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(fx.reports.len(), 2, "the draft is kept");
        let again = fx.receive_report(
            "copy.pdf",
            b"draft",
            None,
            BTreeSet::new(),
            &by,
            t("2025-03-19T11:00:00+08:00"),
        );
        assert!(again.unwrap_err().to_string().contains("version 1"));
    }

    #[test]
    fn an_upload_that_is_not_the_file_it_claims_to_be_is_refused() {
        let mut fx = engagement();
        let by = UserName::parse("soc.lin").unwrap();
        let err = fx
            .receive_report(
                "r.pdf",
                b"tampered",
                Some(&sha256_hex(b"original")),
                BTreeSet::new(),
                &by,
                t("2025-03-15T10:00:00+08:00"),
            )
            .unwrap_err();
        assert!(err.to_string().contains("not the one claimed"));
        assert!(fx.reports.is_empty());
    }

    #[test]
    fn a_report_missing_the_root_cause_cannot_be_accepted_and_says_what_is_missing() {
        let mut fx = engagement();
        let by = UserName::parse("soc.lin").unwrap();
        let mut sections: BTreeSet<_> = ReportSection::ALL.into_iter().collect();
        sections.remove(&ReportSection::RootCause);
        fx.receive_report(
            "r.pdf",
            b"r",
            None,
            sections,
            &by,
            t("2025-03-15T10:00:00+08:00"),
        )
        .unwrap();
        let err = fx
            .accept_report(&by, t("2025-03-15T11:00:00+08:00"))
            .unwrap_err();
        assert!(
            err.message(crate::time::Language::ZhTw)
                .contains("事件根因分析")
        );
    }

    #[test]
    fn a_finding_with_a_hash_of_the_wrong_length_is_refused_and_good_iocs_are_shared_once() {
        let mut fx = engagement();
        let by = UserName::parse("soc.lin").unwrap();
        let now = t("2025-03-15T10:00:00+08:00");
        let bad = NewFinding {
            id: RecordId::parse("F-1").unwrap(),
            root_cause: RootCause::WeakOrDefaultCredentials,
            detail: "x".into(),
            iocs: vec![Observable::new(
                ObservableKind::FileHash(HashAlgorithm::Sha256),
                "abc",
            )],
            affected_hosts: vec![],
            recommendations: vec![],
        };
        assert!(
            fx.add_finding(bad.clone(), &by, now).is_err(),
            "no report yet"
        );
        fx.receive_report("r.pdf", b"r", None, BTreeSet::new(), &by, now)
            .unwrap();
        assert!(
            fx.add_finding(bad.clone(), &by, now)
                .unwrap_err()
                .to_string()
                .contains("abc")
        );
        let mut good = bad;
        good.iocs = vec![
            Observable::new(ObservableKind::Ipv4, "203.0.113.9"),
            Observable::new(ObservableKind::Domain, "Evil.example."),
        ];
        fx.add_finding(good.clone(), &by, now).unwrap();
        good.id = RecordId::parse("F-2").unwrap();
        good.iocs
            .push(Observable::new(ObservableKind::Domain, "evil.example"));
        fx.add_finding(good, &by, now).unwrap();
        assert_eq!(fx.iocs().len(), 2);
    }
}
