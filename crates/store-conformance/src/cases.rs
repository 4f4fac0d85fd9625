//! The case story: an incident, its forensic report and its follow-up action are kept with
//! every step of their history; a save from an older copy is refused and writes nothing;
//! files are kept by their SHA-256 and never overwritten; evidence keeps its hand-overs.

use std::collections::BTreeSet;

use civitas_core::accounts::UserName;
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::{AuditEvent, AuditFilter};
use civitas_core::cases::query::{ActionFilter, CaseFile, IncidentFilter, IncidentWrite};
use civitas_core::cases::{
    Action, ActionStatus, AffectedAsset, CaseEvent, AssetClass, ClockPolicy, CustodyItem, Effect,
    ForensicEngagement, Impact, Incident, IncidentCategory, IncidentOrigin, IncidentStatus,
    NewAction, NewFinding, NewIncident, Priority, RecordId, RecurrenceBasis, ReportSection,
    RootCause, RuleBook, Sensitivity, Severity, TimelineKind, deadlines, sha256_hex,
};
use civitas_core::error::DomainError;
use civitas_core::intel::{Observable, ObservableKind};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::Timestamp;

use crate::seed_city;

const CULTURE: &str = "380330000E";

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

fn id(s: &str) -> RecordId {
    RecordId::parse(s).unwrap()
}

fn audit(events: Vec<CaseEvent>) -> Vec<AuditEvent> {
    events
        .into_iter()
        .map(|e| {
            e.into_audit(
                civitas_core::audit::Actor {
                    user_id: None,
                    name: "soc.lin".into(),
                },
                Some(CULTURE.into()),
                None,
            )
        })
        .collect()
}

async fn audit_count(stores: &Stores, object_id: &str) -> u64 {
    stores
        .audit
        .query(
            &AuditFilter {
                object_id: Some(object_id.into()),
                ..AuditFilter::default()
            },
            PageRequest::new(Some(1), Some(500)),
        )
        .await
        .unwrap()
        .total
}

fn write(incident: &Incident, events: Vec<CaseEvent>, now: &str) -> IncidentWrite {
    let book = RuleBook::embedded().unwrap();
    let computed = deadlines(incident, &book, &ClockPolicy::standard().unwrap(), t(now)).unwrap();
    let next_due_at = computed
        .iter()
        .filter(|d| d.met_at.is_none())
        .filter_map(|d| d.due_at)
        .min();
    IncidentWrite {
        incident: incident.clone(),
        deadlines: Some(computed),
        next_due_at,
        notifications: Vec::new(),
        audit: audit(events),
    }
}

fn museum_intrusion() -> (Incident, Vec<CaseEvent>) {
    let new = NewIncident {
        id: id("INC-2025-0021"),
        title: "美術館展示主機入侵警訊".into(),
        agency: AgencyCode::parse(CULTURE).unwrap(),
        category: IncidentCategory::IllegalIntrusion,
        origin: IncidentOrigin::Manual {
            how_learned: "SOC 來電".into(),
        },
        assets: vec![AffectedAsset {
            name: "展示主機".into(),
            class: AssetClass::General,
            host: Some("10.47.3.9".into()),
        }],
        occurred_at: None,
        aware_at: t("2025-05-06T09:00:00+08:00"),
        people: Vec::new(),
        description: "IDS 告警".into(),
    };
    Incident::open(
        new,
        &RuleBook::embedded().unwrap(),
        &user("soc.lin"),
        t("2025-05-06T09:05:00+08:00"),
    )
    .unwrap()
}

pub async fn an_incident_keeps_its_levels_timeline_and_deadlines_and_a_stale_save_writes_nothing(
    stores: &Stores,
) {
    seed_city(stores).await;
    let cases = &stores.cases;
    let number = cases.next_case_number("INC", 2025).await.unwrap();
    assert_eq!(number, 1);
    assert_eq!(cases.next_case_number("INC", 2025).await.unwrap(), 2);
    assert_eq!(cases.next_case_number("INC", 2026).await.unwrap(), 1);
    assert_eq!(cases.next_case_number("ACT", 2025).await.unwrap(), 1);

    let (incident, open_events) = museum_intrusion();
    cases
        .create_incident(write(&incident, open_events, "2025-05-06T09:05:00+08:00"))
        .await
        .unwrap();
    let again = cases
        .create_incident(write(&incident, Vec::new(), "2025-05-06T09:05:00+08:00"))
        .await
        .unwrap_err();
    assert!(matches!(again, DomainError::AlreadyExists { .. }), "{again:?}");

    // Two people load the same revision; the first assesses the level, the second's save fails.
    let mut first = cases.incident(&incident.id).await.unwrap().unwrap();
    assert_eq!(first, incident, "the record comes back as it was stored");
    let mut second = first.clone();
    let seen = first.revision;
    let events = first
        .assess_level(
            vec![Effect {
                asset: "展示主機".into(),
                class: AssetClass::General,
                sensitivity: Sensitivity::Ordinary,
                impact: Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            }],
            None,
            &user("soc.lin"),
            t("2025-05-06T09:30:00+08:00"),
        )
        .unwrap();
    cases
        .save_incident(write(&first, events, "2025-05-06T09:30:00+08:00"), seen)
        .await
        .unwrap();
    let before = audit_count(stores, "INC-2025-0021").await;
    let events = second
        .record(
            TimelineKind::Notified,
            t("2025-05-06T09:40:00+08:00"),
            None,
            &user("soc.chen"),
            t("2025-05-06T09:41:00+08:00"),
        )
        .unwrap();
    let stale = cases
        .save_incident(write(&second, events, "2025-05-06T09:41:00+08:00"), seen)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
    assert!(stale.to_string().contains("reload"), "{stale}");
    assert_eq!(
        audit_count(stores, "INC-2025-0021").await,
        before,
        "a refused save leaves no audit entry"
    );
    let stored = cases.incident(&incident.id).await.unwrap().unwrap();
    assert_eq!(stored, first);
    assert_eq!(stored.status, IncidentStatus::Triage);

    // Deadlines as computed at opening and at the assessment, each with its rule set.
    let kept = cases.stored_deadlines(&incident.id).await.unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].revision, 1);
    assert!(kept.iter().all(|k| k.deadlines.iter().all(|d| d.rule_set == "2021-08-23")));
    assert!(!kept[1].deadlines.is_empty());

    // The board: by agency scope, open, and by the next deadline.
    let all = cases
        .incidents(&IncidentFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.items[0].level, Some(1));
    assert!(all.items[0].next_due_at.is_some());
    let other_agency = IncidentFilter {
        visible: Some(vec![AgencyCode::parse("380000000A").unwrap()]),
        ..IncidentFilter::default()
    };
    assert_eq!(
        cases
            .incidents(&other_agency, PageRequest::default())
            .await
            .unwrap()
            .total,
        0,
        "a reader of another agency does not see it"
    );
    let closed = IncidentFilter {
        status: Some(IncidentStatus::Closed),
        ..IncidentFilter::default()
    };
    assert_eq!(
        cases
            .incidents(&closed, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(cases.notifications_by_id(&[424242]).await.unwrap().is_empty());
    assert!(cases.incidents_of_notification(424242).await.unwrap().is_empty());
}

pub async fn report_versions_and_evidence_files_are_kept_by_hash_and_never_overwritten(
    stores: &Stores,
) {
    seed_city(stores).await;
    let cases = &stores.cases;
    let (incident, _) = museum_intrusion();
    cases
        .create_incident(write(&incident, Vec::new(), "2025-05-06T09:05:00+08:00"))
        .await
        .unwrap();
    let soc = user("soc.lin");
    let (mut fx, events) = ForensicEngagement::request(
        id("FX-2025-0001"),
        incident.id.clone(),
        "數位鑑識廠商",
        "10.47.3.9 之登入與程式執行紀錄",
        t("2025-05-07T09:00:00+08:00"),
        t("2025-05-30T17:00:00+08:00"),
        &soc,
        t("2025-05-06T12:00:00+08:00"),
    )
    .unwrap();
    cases.create_engagement(&fx, audit(events)).await.unwrap();

    let draft = b"%PDF-1.7 draft report".to_vec();
    let seen = fx.revision;
    let (_, events) = fx
        .receive_report(
            "draft.pdf",
            &draft,
            None,
            [ReportSection::Timeline].into_iter().collect(),
            &soc,
            t("2025-05-20T10:00:00+08:00"),
        )
        .unwrap();
    // A version without its file is refused whole.
    let refused = cases
        .save_engagement(&fx, seen, Vec::new(), audit(events.clone()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "{refused:?}");
    assert_eq!(
        cases.engagement(&fx.id).await.unwrap().unwrap().revision,
        seen
    );
    let pdf = |bytes: &[u8]| CaseFile {
        bytes: bytes.to_vec(),
        media_type: "application/pdf".into(),
    };
    cases
        .save_engagement(&fx, seen, vec![pdf(&draft)], audit(events))
        .await
        .unwrap();

    let final_report = b"%PDF-1.7 final report, all seven sections".to_vec();
    let seen = fx.revision;
    let (_, mut events) = fx
        .receive_report(
            "final.pdf",
            &final_report,
            Some(&sha256_hex(&final_report)),
            ReportSection::ALL.into_iter().collect::<BTreeSet<_>>(),
            &soc,
            t("2025-05-28T10:00:00+08:00"),
        )
        .unwrap();
    events.extend(
        fx.add_finding(
            NewFinding {
                id: id("F-2025-0001-1"),
                root_cause: RootCause::UnpatchedVulnerability,
                detail: "展示主機作業系統未更新，遭利用已知漏洞".into(),
                iocs: vec![Observable::new(ObservableKind::Ipv4, "198.51.100.23")],
                affected_hosts: vec!["10.47.3.9".into()],
                recommendations: vec!["建立展示主機修補週期".into()],
            },
            &soc,
            t("2025-05-28T11:00:00+08:00"),
        )
        .unwrap(),
    );
    cases
        .save_engagement(&fx, seen, vec![pdf(&final_report)], audit(events))
        .await
        .unwrap();

    let stored = cases.engagement(&fx.id).await.unwrap().unwrap();
    assert_eq!(stored, fx);
    assert_eq!(stored.reports.len(), 2, "both versions are kept");
    assert_eq!(stored.findings[0].root_cause, RootCause::UnpatchedVulnerability);
    for (report, bytes) in stored.reports.iter().zip([&draft, &final_report]) {
        assert_eq!(report.sha256, sha256_hex(bytes));
        assert_eq!(
            stores.blobs.blob(&report.sha256).await.unwrap().as_ref(),
            Some(bytes),
            "the file is kept under its hash"
        );
    }
    assert_eq!(cases.engagements(&incident.id).await.unwrap().len(), 1);
    // Saving again from the revision before the final report is refused.
    let stale = cases
        .save_engagement(&fx, seen, Vec::new(), Vec::new())
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");

    // Evidence with its custody: collected, handed over, a stale hand-over refused.
    let image = b"disk image of 10.47.3.9".to_vec();
    let (mut item, events) = CustodyItem::collect(
        id("EV-2025-0001"),
        incident.id.clone(),
        "展示主機磁碟映像",
        "鑑識廠商 陳工程師",
        t("2025-05-07T10:00:00+08:00"),
        &image,
        Some(&sha256_hex(&image)),
        &soc,
        t("2025-05-07T10:30:00+08:00"),
    )
    .unwrap();
    cases
        .create_evidence_item(
            &item,
            CaseFile {
                bytes: image.clone(),
                media_type: "application/octet-stream".into(),
            },
            audit(events),
        )
        .await
        .unwrap();
    let mut other = item.clone();
    let events = item
        .hand_over(
            "鑑識廠商 陳工程師",
            "文化局資安聯絡人",
            t("2025-05-29T09:00:00+08:00"),
            "結案保存",
            &soc,
            t("2025-05-29T09:10:00+08:00"),
        )
        .unwrap();
    cases.save_evidence_item(&item, 0, audit(events)).await.unwrap();
    let events = other
        .hand_over(
            "鑑識廠商 陳工程師",
            "警察局",
            t("2025-05-29T10:00:00+08:00"),
            "移送偵辦",
            &soc,
            t("2025-05-29T10:10:00+08:00"),
        )
        .unwrap();
    let stale = cases
        .save_evidence_item(&other, 0, audit(events))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
    let items = cases.evidence_items(&incident.id).await.unwrap();
    assert_eq!(items, vec![item.clone()]);
    assert_eq!(items[0].holder(), "文化局資安聯絡人");
    assert_eq!(
        stores.blobs.blob(&item.sha256).await.unwrap(),
        Some(image)
    );
}

pub async fn an_action_keeps_every_step_and_a_concurrent_edit_is_refused(stores: &Stores) {
    seed_city(stores).await;
    let cases = &stores.cases;
    let (incident, _) = museum_intrusion();
    cases
        .create_incident(write(&incident, Vec::new(), "2025-05-06T09:05:00+08:00"))
        .await
        .unwrap();
    let (owner, verifier) = (user("it.wang"), user("ciso.hsu"));
    let (mut action, events) = Action::plan(
        NewAction {
            id: id("ACT-2025-0001"),
            incident: incident.id.clone(),
            finding: None,
            recommendation: "建立展示主機修補週期".into(),
            owner_agency: AgencyCode::parse(CULTURE).unwrap(),
            owner: owner.clone(),
            due_at: t("2025-07-01T17:00:00+08:00"),
            priority: Priority::High,
            closure_criteria: "弱點掃描報告無高風險項目".into(),
            basis: RecurrenceBasis {
                root_cause: Some(RootCause::UnpatchedVulnerability),
                iocs: vec![Observable::new(ObservableKind::Ipv4, "198.51.100.23")],
                assets: vec!["10.47.3.9".into()],
            },
        },
        &user("soc.lin"),
        t("2025-06-01T09:00:00+08:00"),
    )
    .unwrap();
    cases.create_action(&action, audit(events)).await.unwrap();

    let mut events = action.start(&owner, t("2025-06-02T09:00:00+08:00")).unwrap();
    let scan = b"scan report: no high findings".to_vec();
    events.extend(
        action
            .add_evidence(
                "scan.txt",
                &scan,
                Some(&sha256_hex(&scan)),
                &owner,
                t("2025-06-10T09:00:00+08:00"),
            )
            .unwrap(),
    );
    let seen = 1;
    let missing_file = cases
        .save_action(&action, seen, Vec::new(), audit(events.clone()))
        .await
        .unwrap_err();
    assert_eq!(missing_file.code(), "invalid_input", "{missing_file:?}");
    cases
        .save_action(
            &action,
            seen,
            vec![CaseFile {
                bytes: scan.clone(),
                media_type: "text/plain".into(),
            }],
            audit(events),
        )
        .await
        .unwrap();

    // The owner submits while someone extends the same revision: the second write is refused.
    let mut extending = action.clone();
    let seen = action.revision;
    let events = action
        .submit("已完成修補", &owner, t("2025-06-10T10:00:00+08:00"))
        .unwrap();
    cases
        .save_action(&action, seen, Vec::new(), audit(events))
        .await
        .unwrap();
    let events = extending
        .extend(
            t("2025-08-01T17:00:00+08:00"),
            "等待廠商更新",
            &owner,
            &verifier,
            t("2025-06-10T10:05:00+08:00"),
        )
        .unwrap();
    let stale = cases
        .save_action(&extending, seen, Vec::new(), audit(events))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");

    let seen = action.revision;
    let events = action
        .verify("掃描報告確認", &verifier, t("2025-06-12T10:00:00+08:00"))
        .unwrap();
    cases
        .save_action(&action, seen, Vec::new(), audit(events))
        .await
        .unwrap();
    let stored = cases.action(&action.id).await.unwrap().unwrap();
    assert_eq!(stored, action);
    assert_eq!(stored.status, ActionStatus::Verified);
    assert_eq!(stored.history.len(), 3);
    assert_eq!(stored.due_at, t("2025-07-01T17:00:00+08:00"), "the refused extension left no trace");

    let mine = cases
        .actions(&ActionFilter {
            owner: Some(owner.clone()),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let elsewhere = cases
        .actions(&ActionFilter {
            visible: Some(Vec::new()),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert!(elsewhere.is_empty());
    let verified = cases
        .actions(&ActionFilter {
            incident: Some(incident.id.clone()),
            status: Some(ActionStatus::Verified),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(
        audit_count(stores, "ACT-2025-0001").await,
        5,
        "plan, start, evidence, submit, verify"
    );
}
