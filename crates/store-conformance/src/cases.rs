//! The case story: an incident, its forensic report and its follow-up action are kept with
//! every step of their history; a save from an older copy is refused and writes nothing;
//! files are kept by their SHA-256 and never overwritten; evidence keeps its hand-overs.

use std::collections::BTreeSet;

use std::sync::Arc;

use civitas_core::accounts::UserName;
use civitas_core::agencies::AgencyCode;
use civitas_core::alerts::{
    AgencyDirectory, AlertFilter, AlertSettings, GroupingPolicy, SourceConfig, SourceFormat,
    SourceName,
};
use civitas_core::audit::{AuditEvent, AuditFilter};
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::cases::query::{ActionFilter, CaseFile, IncidentFilter, IncidentWrite};
use civitas_core::cases::{
    Action, ActionStatus, AffectedAsset, AssetClass, CaseEvent, ClockPolicy, CustodyItem, Effect,
    ForensicEngagement, Impact, Incident, IncidentCategory, IncidentOrigin, IncidentStatus,
    NewAction, NewFinding, NewIncident, Priority, RecordId, RecurrenceBasis, ReportSection,
    RootCause, RuleBook, Sensitivity, Severity, TimelineKind, deadlines, sha256_hex,
};
use civitas_core::cases::{ActionInput, EvidenceUpload, IncidentInput};
use civitas_core::clock::ManualClock;
use civitas_core::error::DomainError;
use civitas_core::intel::{Observable, ObservableKind};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform, SecurityPolicy};

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
    assert!(
        matches!(again, DomainError::AlreadyExists { .. }),
        "{again:?}"
    );

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
    assert!(
        kept.iter()
            .all(|k| k.deadlines.iter().all(|d| d.rule_set == "2021-08-23"))
    );
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
    assert!(
        cases
            .notifications_by_id(&[424242])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cases
            .incidents_of_notification(424242)
            .await
            .unwrap()
            .is_empty()
    );
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
    assert_eq!(
        stored.findings[0].root_cause,
        RootCause::UnpatchedVulnerability
    );
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
    cases
        .save_evidence_item(&item, 0, audit(events))
        .await
        .unwrap();
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
    assert_eq!(stores.blobs.blob(&item.sha256).await.unwrap(), Some(image));
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

    let mut events = action
        .start(&owner, t("2025-06-02T09:00:00+08:00"))
        .unwrap();
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
    assert_eq!(
        stored.due_at,
        t("2025-07-01T17:00:00+08:00"),
        "the refused extension left no trace"
    );

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

// ---------------------------------------------------------------- through the service

fn eve_line(at: &str, src: &str, dest: &str, signature: &str) -> String {
    format!(
        r#"{{"timestamp":"{at}","flow_id":1,"event_type":"alert","src_ip":"{src}","src_port":51514,"dest_ip":"{dest}","dest_port":80,"proto":"TCP","alert":{{"action":"allowed","gid":1,"signature_id":2013504,"rev":5,"signature":"{signature}","category":"Potentially Bad Traffic","severity":2}}}}"#
    )
}

fn person(name: &str, grants: &[Role]) -> Caller {
    let mut principal = Principal::operator(name);
    principal.user_id = Some(100 + name.len() as i64);
    principal.user_name = name.into();
    principal.home_agency = Some(AgencyCode::parse(CULTURE).unwrap());
    principal.grants = grants
        .iter()
        .map(|role| Grant {
            role: *role,
            scope: Scope::Agency(AgencyCode::parse(CULTURE).unwrap()),
        })
        .collect();
    Caller::new(principal, Some("10.0.0.9".into()))
}

fn case_platform(stores: &Stores, clock: Arc<ManualClock>) -> Platform {
    let mut agencies = AgencyDirectory::new();
    agencies
        .add_range("10.20.0.0/16", AgencyCode::parse(CULTURE).unwrap())
        .unwrap();
    let settings = AlertSettings {
        sources: vec![SourceConfig::new(
            SourceName::parse("eve-dmz").unwrap(),
            SourceFormat::Suricata,
        )],
        agencies,
        grouping: GroupingPolicy::standard(),
        ..AlertSettings::default()
    };
    Platform::new(stores.clone(), clock, SecurityPolicy::default()).with_alerts(settings)
}

pub async fn the_wget_incident_goes_from_an_alert_to_verified_closure_and_reopens_when_the_tool_server_returns(
    stores: &Stores,
) {
    seed_city(stores).await;
    let clock = Arc::new(ManualClock::new(t("2025-03-03T09:05:00+08:00")));
    let p = case_platform(stores, clock.clone());
    let operator = Caller::new(Principal::operator("test"), None);
    let source = p.alerts().source("eve-dmz").unwrap();
    let wget = "ET POLICY GNU/Linux wget User-Agent Outbound";
    let batch = [
        eve_line(
            "2025-03-03T08:50:00.000000+0800",
            "10.20.1.15",
            "203.0.113.50",
            wget,
        ),
        eve_line(
            "2025-03-03T08:51:00.000000+0800",
            "10.20.1.15",
            "203.0.113.50",
            wget,
        ),
    ]
    .join("\n");
    p.alerts()
        .import(&operator, source, batch.as_bytes(), "wget.json")
        .await
        .unwrap();
    let notification = p
        .alerts()
        .notifications(&operator, &AlertFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .id;

    let soc = person("soc.lin", &[Role::IncidentHandler]);
    let owner = person("it.wang", &[Role::IncidentHandler, Role::SecurityOfficer]);
    let ciso = person("ciso.hsu", &[Role::SecurityOfficer]);
    let steward = person("data.lee", &[Role::DataSteward]);
    let input = IncidentInput {
        title: "承辦人電腦以 wget 下載滲透工具".into(),
        agency: AgencyCode::parse(CULTURE).unwrap(),
        category: IncidentCategory::IllegalIntrusion,
        notifications: vec![notification],
        how_learned: None,
        assets: vec![AffectedAsset {
            name: "承辦人電腦".into(),
            class: AssetClass::General,
            host: Some("10.20.1.15".into()),
        }],
        occurred_at: None,
        aware_at: t("2025-03-03T09:00:00+08:00"),
        people: Vec::new(),
        description: "IDS 偵測 wget 下載".into(),
    };
    let refused = p.cases().create(&steward, input.clone()).await.unwrap_err();
    assert!(matches!(refused, DomainError::Forbidden { .. }));
    let mut missing = input.clone();
    missing.notifications = vec![notification + 1000];
    assert_eq!(
        p.cases().create(&soc, missing).await.unwrap_err().code(),
        "not_found"
    );
    let incident = p.cases().create(&soc, input).await.unwrap();
    assert_eq!(incident.id.as_str(), "INC-2025-0001");
    assert_eq!(
        stores
            .cases
            .incidents_of_notification(notification)
            .await
            .unwrap(),
        vec![incident.id.clone()]
    );

    clock.set(t("2025-03-03T09:30:00+08:00"));
    let incident = p
        .cases()
        .assess(
            &soc,
            &incident.id,
            incident.revision,
            vec![Effect {
                asset: "承辦人電腦".into(),
                class: AssetClass::General,
                sensitivity: Sensitivity::Ordinary,
                impact: Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            }],
            None,
        )
        .await
        .unwrap();
    assert_eq!(incident.level().map(|l| l.get()), Some(1));
    let mut incident = incident;
    for (kind, at) in [
        (TimelineKind::Notified, "2025-03-03T09:40:00+08:00"),
        (TimelineKind::Contained, "2025-03-04T18:00:00+08:00"),
        (TimelineKind::Recovered, "2025-03-05T10:00:00+08:00"),
    ] {
        clock.set(t(at));
        incident = p
            .cases()
            .record_event(&soc, &incident.id, incident.revision, kind, t(at), None)
            .await
            .unwrap();
    }
    let view = p.cases().get(&soc, &incident.id).await.unwrap();
    let notify = view
        .clocks
        .iter()
        .find(|d| d.obligation == civitas_core::cases::Obligation::Notify)
        .unwrap();
    assert_eq!(notify.state, civitas_core::cases::ClockState::Met);
    assert_eq!(
        view.deadline_history.len(),
        5,
        "opened, assessed and three events"
    );
    assert!(
        p.cases().get(&steward, &incident.id).await.is_err(),
        "a data steward reads no incidents"
    );

    // Forensics: a file that is not what its name says, a wrong hash, then the real report.
    let fx = p
        .cases()
        .request_forensics(
            &soc,
            &incident.id,
            "數位鑑識廠商",
            "10.20.1.15 之下載與執行紀錄",
            t("2025-03-05T09:00:00+08:00"),
            t("2025-03-25T17:00:00+08:00"),
        )
        .await
        .unwrap();
    clock.set(t("2025-03-24T10:00:00+08:00"));
    let all: BTreeSet<ReportSection> = ReportSection::ALL.into_iter().collect();
    let fake = p
        .cases()
        .upload_report(
            &soc,
            &fx.id,
            fx.revision,
            "final.pdf",
            b"MZ\x90\x00".to_vec(),
            None,
            all.clone(),
        )
        .await
        .unwrap_err();
    assert_eq!(fake.code(), "invalid_input");
    assert!(matches!(&fake, DomainError::Invalid { field, .. } if field == "file"));
    let report = b"%PDF-1.7 forensic report of 10.20.1.15".to_vec();
    let wrong_hash = p
        .cases()
        .upload_report(
            &soc,
            &fx.id,
            fx.revision,
            "final.pdf",
            report.clone(),
            Some(&sha256_hex(b"another file")),
            all.clone(),
        )
        .await
        .unwrap_err();
    assert!(matches!(&wrong_hash, DomainError::Invalid { field, .. } if field == "sha256"));
    let version = p
        .cases()
        .upload_report(
            &soc,
            &fx.id,
            fx.revision,
            "final.pdf",
            report.clone(),
            Some(&sha256_hex(&report)),
            all,
        )
        .await
        .unwrap();
    assert_eq!(
        stores.blobs.blob(&version.sha256).await.unwrap(),
        Some(report)
    );
    let fx = p
        .cases()
        .accept_report(&soc, &fx.id, fx.revision + 1)
        .await
        .unwrap();
    let fx = p
        .cases()
        .add_finding(
            &soc,
            &fx.id,
            fx.revision,
            RootCause::WeakOrDefaultCredentials,
            "共用本機管理者密碼遭利用，以 wget 下載滲透工具".into(),
            vec![Observable::new(ObservableKind::Ipv4, "203.0.113.50")],
            vec!["10.20.1.15".into()],
            vec!["停用共用本機管理者帳號".into()],
        )
        .await
        .unwrap();
    let finding = fx.findings[0].id.clone();

    // The action: a due date in the past is refused; then planned for the owner.
    let plan = |due: &str| ActionInput {
        finding: Some(finding.clone()),
        recommendation: "停用共用本機管理者帳號，改用 LAPS".into(),
        owner_agency: AgencyCode::parse(CULTURE).unwrap(),
        owner: user("it.wang"),
        due_at: t(due),
        priority: Priority::High,
        closure_criteria: "每台電腦本機管理者密碼皆不同".into(),
    };
    let past = p
        .cases()
        .plan_action(&soc, &incident.id, plan("2025-03-01T17:00:00+08:00"))
        .await
        .unwrap_err();
    assert!(matches!(&past, DomainError::Invalid { field, .. } if field == "due_at"));
    let action = p
        .cases()
        .plan_action(&soc, &incident.id, plan("2025-05-01T17:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!(
        action.basis.iocs.len(),
        1,
        "the finding's IOC is what a recurrence looks like"
    );

    clock.set(t("2025-04-10T09:00:00+08:00"));
    let log = b"LAPS deployed to 10.20.1.15".to_vec();
    let upload = |claimed: &[u8]| EvidenceUpload {
        name: "laps.txt".into(),
        bytes: log.clone(),
        claimed_sha256: Some(sha256_hex(claimed)),
        media_type: "text/plain".into(),
    };
    let mismatch = p
        .cases()
        .record_work(
            &owner,
            &action.id,
            action.revision,
            vec![upload(b"other")],
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(&mismatch, DomainError::Invalid { field, .. } if field == "sha256"));
    let action = p
        .cases()
        .record_work(
            &owner,
            &action.id,
            action.revision,
            vec![upload(&log)],
            Some("已部署".into()),
        )
        .await
        .unwrap();
    assert_eq!(action.status, ActionStatus::DonePendingVerification);
    // An extension made from the revision before the submission is refused as stale.
    let stale = p
        .cases()
        .extend(
            &soc,
            &action.id,
            action.revision - 1,
            t("2025-06-01T17:00:00+08:00"),
            "等待廠商",
            &user("it.wang"),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
    let own = p
        .cases()
        .verify(&owner, &action.id, action.revision, "我自己驗證")
        .await
        .unwrap_err();
    assert!(matches!(&own, DomainError::Invalid { field, .. } if field == "verifier"));
    let action = p
        .cases()
        .send_back(&ciso, &action.id, action.revision, "請附全部電腦的部署清單")
        .await
        .unwrap();
    let list = b"all 42 hosts".to_vec();
    let action = p
        .cases()
        .record_work(
            &owner,
            &action.id,
            action.revision,
            vec![EvidenceUpload {
                name: "hosts.csv".into(),
                bytes: list.clone(),
                claimed_sha256: Some(sha256_hex(&list)),
                media_type: "text/csv".into(),
            }],
            Some("附上清單".into()),
        )
        .await
        .unwrap();
    clock.set(t("2025-04-12T09:00:00+08:00"));
    let action = p
        .cases()
        .verify(&ciso, &action.id, action.revision, "清單核對無誤")
        .await
        .unwrap();
    assert_eq!(action.status, ActionStatus::Verified);

    // Nothing comes back in 30 days: a clean check. The tool server then returns.
    clock.set(t("2025-05-13T09:00:00+08:00"));
    let run = p.cases().run_recurrence_checks(&operator).await.unwrap();
    assert!(matches!(
        run[0].decision,
        civitas_core::cases::RecurrenceDecision::Clean { after_days: 30 }
    ));
    assert!(
        p.cases().run_recurrence_checks(&soc).await.is_err(),
        "city-wide only"
    );
    clock.set(t("2025-06-20T09:00:00+08:00"));
    let back = eve_line(
        "2025-06-20T08:00:00.000000+0800",
        "10.20.1.15",
        "203.0.113.50",
        wget,
    );
    p.alerts()
        .import(&operator, source, back.as_bytes(), "back.json")
        .await
        .unwrap();
    clock.set(t("2025-07-12T09:00:00+08:00"));
    let run = p.cases().run_recurrence_checks(&operator).await.unwrap();
    assert!(
        matches!(&run[0].decision, civitas_core::cases::RecurrenceDecision::Reopen { check } if check.after_days == 90),
        "{run:?}"
    );
    let reopened = p.cases().action(&soc, &action.id).await.unwrap();
    assert_eq!(reopened.status, ActionStatus::InProgress);
    assert!(
        reopened.recurrence_checks[1].evidence[0]
            .reason
            .en
            .contains("203.0.113.50")
    );
    let reopen_audit = stores
        .audit
        .query(
            &AuditFilter {
                action: Some("action.reopen".into()),
                ..AuditFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(reopen_audit.total, 1);

    // Evidence: collected with its hash, handed over; a stale hand-over and a wrong hash refused.
    let image = b"memory image of 10.20.1.15".to_vec();
    let evidence = |claimed: &[u8]| EvidenceUpload {
        name: "memory.img".into(),
        bytes: image.clone(),
        claimed_sha256: Some(sha256_hex(claimed)),
        media_type: "application/octet-stream".into(),
    };
    let wrong = p
        .cases()
        .collect_evidence(
            &soc,
            &incident.id,
            "記憶體映像",
            "鑑識廠商 陳工程師",
            t("2025-03-05T09:30:00+08:00"),
            evidence(b"other"),
        )
        .await
        .unwrap_err();
    assert!(matches!(&wrong, DomainError::Invalid { field, .. } if field == "sha256"));
    let item = p
        .cases()
        .collect_evidence(
            &soc,
            &incident.id,
            "記憶體映像",
            "鑑識廠商 陳工程師",
            t("2025-03-05T09:30:00+08:00"),
            evidence(&image),
        )
        .await
        .unwrap();
    p.cases()
        .hand_over_evidence(
            &soc,
            &incident.id,
            &item.id,
            0,
            "鑑識廠商 陳工程師",
            "文化局資安聯絡人",
            t("2025-04-01T09:00:00+08:00"),
            "結案保存",
        )
        .await
        .unwrap();
    let stale = p
        .cases()
        .hand_over_evidence(
            &soc,
            &incident.id,
            &item.id,
            0,
            "鑑識廠商 陳工程師",
            "警察局",
            t("2025-04-01T10:00:00+08:00"),
            "移送",
        )
        .await
        .unwrap_err();
    assert_eq!(stale.code(), "conflict");
    let log = p.cases().custody_log(&soc, &incident.id).await.unwrap();
    assert!(
        log.contains("文化局資安聯絡人") && log.contains(&item.sha256),
        "{log}"
    );

    // The export carries the incident with Incident Core and its task.
    let bundle = p.cases().export_stix(&soc, &incident.id).await.unwrap();
    let types: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"incident") && types.contains(&"task"),
        "{types:?}"
    );
}

pub async fn an_overdue_action_is_reminded_once_then_escalated_once_and_shows_in_the_measures(
    stores: &Stores,
) {
    use civitas_core::cases::Period;
    use civitas_core::cases::query::IncidentScope;
    use civitas_core::notify::{NotificationFilter, NotificationKind};

    seed_city(stores).await;
    let culture = || Scope::Agency(AgencyCode::parse(CULTURE).unwrap());
    let owner_id = crate::add_user(
        stores,
        "it.wang",
        Some(CULTURE),
        &[Grant {
            role: Role::IncidentHandler,
            scope: culture(),
        }],
    )
    .await;
    let officer_id = crate::add_user(
        stores,
        "ciso.hsu",
        Some(CULTURE),
        &[Grant {
            role: Role::SecurityOfficer,
            scope: culture(),
        }],
    )
    .await;
    let admin_id = crate::add_user(
        stores,
        "admin.chen",
        None,
        &[Grant {
            role: Role::PlatformAdmin,
            scope: Scope::City,
        }],
    )
    .await;
    let clock = Arc::new(ManualClock::new(t("2025-03-03T09:05:00+08:00")));
    let p = case_platform(stores, clock.clone());
    let operator = Caller::new(Principal::operator("cron"), None);
    let soc = person("soc.lin", &[Role::IncidentHandler]);
    let incident = p
        .cases()
        .create(
            &soc,
            IncidentInput {
                title: "網站遭植入廣告連結".into(),
                agency: AgencyCode::parse(CULTURE).unwrap(),
                category: IncidentCategory::Other,
                notifications: Vec::new(),
                how_learned: Some("民眾來信".into()),
                assets: Vec::new(),
                occurred_at: None,
                aware_at: t("2025-03-03T09:00:00+08:00"),
                people: Vec::new(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let action = p
        .cases()
        .plan_action(
            &soc,
            &incident.id,
            ActionInput {
                finding: None,
                recommendation: "更新網站內容管理系統並移除植入連結".into(),
                owner_agency: AgencyCode::parse(CULTURE).unwrap(),
                owner: user("it.wang"),
                due_at: t("2025-03-31T17:00:00+08:00"),
                priority: Priority::High,
                closure_criteria: "弱點掃描無高風險項目".into(),
            },
        )
        .await
        .unwrap();
    let titles = |user_id: i64| async move {
        stores
            .notifications
            .notifications(
                &NotificationFilter {
                    user_id,
                    unread_only: false,
                },
                PageRequest::default(),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|n| n.kind == NotificationKind::Incident)
            .map(|n| n.title.zh)
            .filter(|t| t.starts_with("改善事項"))
            .collect::<Vec<_>>()
    };

    // Weeks before the due date: nothing about the action, but the legal clocks that ran out
    // (nobody recorded the notification) go to the handlers, the officer and the admins once.
    clock.set(t("2025-03-20T09:00:00+08:00"));
    assert!(
        p.cases().follow_up(&soc).await.is_err(),
        "an agency handler does not run the city's follow-up"
    );
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(run.reminders.notifications, 0);
    assert_eq!(run.escalations.notifications, 0);
    assert!(run.clock_escalations.notifications >= 3, "{run:?}");
    let again = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(again.clock_escalations.notifications, 0, "told once");

    // Six days before: one reminder to the owner, once.
    clock.set(t("2025-03-25T09:00:00+08:00"));
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(
        (run.reminders.notifications, run.escalations.notifications),
        (1, 0)
    );
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(run.reminders.notifications, 0);
    let owner_titles = titles(owner_id).await;
    assert_eq!(owner_titles.len(), 1, "{owner_titles:?}");
    assert!(owner_titles[0].contains("將於"), "{}", owner_titles[0]);
    assert!(titles(officer_id).await.is_empty());

    // A day late: one escalation, to the agency's security officer and the platform admin,
    // and nothing more when it runs again.
    clock.set(t("2025-04-01T18:00:00+08:00"));
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(
        (run.reminders.notifications, run.escalations.notifications),
        (0, 2)
    );
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(
        (run.reminders.notifications, run.escalations.notifications),
        (0, 0)
    );
    for user_id in [officer_id, admin_id] {
        let seen = titles(user_id).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].contains(&format!("{} 已逾期", action.id)),
            "{}",
            seen[0]
        );
    }
    assert_eq!(
        titles(owner_id).await.len(),
        1,
        "the owner is not escalated to"
    );

    // An approved extension moves the due date, so its reminders start afresh.
    let current = stores.cases.action(&action.id).await.unwrap().unwrap();
    p.cases()
        .extend(
            &soc,
            &action.id,
            current.revision,
            t("2025-04-20T17:00:00+08:00"),
            "等待廠商修補程式",
            &user("it.wang"),
        )
        .await
        .unwrap();
    clock.set(t("2025-04-15T09:00:00+08:00"));
    let run = p.cases().follow_up(&operator).await.unwrap();
    assert_eq!(
        (run.reminders.notifications, run.escalations.notifications),
        (1, 0)
    );
    assert_eq!(titles(owner_id).await.len(), 2);

    // The measures see the overdue action and the missed legal deadlines.
    let measures = p
        .cases()
        .measures(&soc, Period::default(), None)
        .await
        .unwrap();
    assert_eq!(measures.city.incidents, 1);
    assert_eq!(
        (
            measures.city.actions,
            measures.city.actions_open,
            measures.city.actions_overdue
        ),
        (1, 1, 0),
        "extended, so no longer overdue"
    );
    let report = p
        .cases()
        .compliance(&soc, Period::default(), None)
        .await
        .unwrap();
    assert!(
        report.missed.iter().any(|d| d.incident == incident.id
            && d.obligation == civitas_core::cases::Obligation::Notify),
        "{:?}",
        report.missed
    );
    let steward = person("data.lee", &[Role::DataSteward]);
    assert!(matches!(
        p.cases()
            .measures(&steward, Period::default(), None)
            .await
            .unwrap_err(),
        DomainError::Forbidden { .. }
    ));
    let elsewhere = AgencyCode::parse("380000000A").unwrap();
    assert!(
        p.cases()
            .compliance(&soc, Period::default(), Some(&elsewhere))
            .await
            .is_err(),
        "a culture handler does not read the city government's own incidents"
    );
    // The city government's measures take in its bureaus.
    let whole = p
        .cases()
        .measures(&operator, Period::default(), Some(&elsewhere))
        .await
        .unwrap();
    assert_eq!((whole.city.incidents, whole.city.actions), (1, 1));
    assert_eq!(
        whole.agencies[0].agency.as_ref().map(|a| a.as_str()),
        Some(CULTURE)
    );
    let later = Period {
        from: Some(t("2025-03-04T00:00:00+08:00")),
        to: None,
    };
    assert_eq!(
        p.cases()
            .measures(&soc, later, None)
            .await
            .unwrap()
            .city
            .incidents,
        0
    );
    // The store reads whole incidents by scope.
    let scope = |open: bool, from: &str| IncidentScope {
        visible: Some(vec![AgencyCode::parse(CULTURE).unwrap()]),
        agency: None,
        aware_from: Some(t(from)),
        aware_to: None,
        open,
    };
    let found = stores
        .cases
        .incident_records(&scope(true, "2025-03-03T09:00:00+08:00"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, incident.id);
    assert!(
        stores
            .cases
            .incident_records(&scope(false, "2025-03-03T09:00:01+08:00"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        stores
            .cases
            .incident_records(&IncidentScope {
                visible: Some(Vec::new()),
                ..IncidentScope::default()
            })
            .await
            .unwrap()
            .is_empty()
    );
}
