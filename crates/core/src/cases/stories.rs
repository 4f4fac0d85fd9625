//! The audit's four examples walked end to end (Audit Office, Taoyuan, 2024 final accounts;
//! soc.md §0): level decision, legal clocks, forensic report, findings, actions, verification
//! by someone other than the owner, and recurrence.

use std::collections::BTreeSet;

use crate::accounts::UserName;
use crate::agencies::AgencyCode;
use crate::cases::*;
use crate::intel::{HashAlgorithm, Observable, ObservableKind};
use crate::time::Timestamp;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

fn id(s: &str) -> RecordId {
    RecordId::parse(s).unwrap()
}

fn agency(code: &str) -> AgencyCode {
    AgencyCode::parse(code).unwrap()
}

fn state(deadlines: &[Deadline], obligation: Obligation) -> ClockState {
    deadlines
        .iter()
        .find(|d| d.obligation == obligation)
        .unwrap()
        .state
}

fn deadline(deadlines: &[Deadline], obligation: Obligation) -> &Deadline {
    deadlines
        .iter()
        .find(|d| d.obligation == obligation)
        .unwrap()
}

fn open(
    incident_id: &str,
    code: &str,
    category: IncidentCategory,
    aware: &str,
    assets: Vec<AffectedAsset>,
) -> Incident {
    let book = RuleBook::embedded().unwrap();
    let new = NewIncident {
        id: id(incident_id),
        title: format!("{incident_id} audit example"),
        agency: agency(code),
        category,
        origin: IncidentOrigin::Alerts {
            notifications: vec![NotificationRef::parse(&format!("grp-{incident_id}")).unwrap()],
        },
        assets,
        occurred_at: None,
        aware_at: t(aware),
        people: vec![PersonInvolved {
            name: "林資安".into(),
            account: Some(user("soc.lin")),
            organisation: None,
            role: Involvement::Handler,
        }],
        description: String::new(),
    };
    Incident::open(new, &book, &user("soc.lin"), t(aware))
        .unwrap()
        .0
}

fn asset(name: &str, class: AssetClass, host: &str) -> AffectedAsset {
    AffectedAsset {
        name: name.into(),
        class,
        host: Some(host.into()),
    }
}

fn effect(asset: &str, class: AssetClass, impact: Impact) -> Effect {
    Effect {
        asset: asset.into(),
        class,
        sensitivity: Sensitivity::Ordinary,
        impact,
    }
}

fn all_sections() -> BTreeSet<ReportSection> {
    ReportSection::ALL.into_iter().collect()
}

#[test]
fn a_city_host_that_downloaded_pentest_tools_with_wget_is_walked_to_verified_closure_and_reopened_when_the_tool_server_returns()
 {
    let soc = user("soc.lin");
    let book = RuleBook::embedded().unwrap();
    let policy = ClockPolicy::standard().unwrap();
    let mut incident = open(
        "INC-2025-0012",
        "TY-FINANCE",
        IncidentCategory::IllegalIntrusion,
        "2025-03-03T09:10:00+08:00",
        vec![asset("財政局承辦人電腦", AssetClass::General, "10.20.1.15")],
    );
    assert_eq!(
        incident.rule_set, "2021-08-23",
        "an incident in 2025 runs on the 2021 rules"
    );

    // Level: a non-core host tampered with, minor → level 1, with the reason shown.
    incident
        .assess_level(
            vec![effect(
                "財政局承辦人電腦",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
            &soc,
            t("2025-03-03T09:30:00+08:00"),
        )
        .unwrap();
    assert_eq!(incident.level(), Some(IncidentLevel::ONE));
    assert_eq!(incident.status, IncidentStatus::Triage);
    assert!(
        incident.levels[0].decision.reasons[0]
            .reason
            .zh
            .contains("非核心資通系統遭竄改")
    );

    let mut record = |kind, at: &str, now: &str| {
        incident.record(kind, t(at), None, &soc, t(now)).unwrap();
    };
    record(
        TimelineKind::Notified,
        "2025-03-03T09:40:00+08:00",
        "2025-03-03T09:41:00+08:00",
    );
    record(
        TimelineKind::LevelReviewed,
        "2025-03-03T15:00:00+08:00",
        "2025-03-03T15:05:00+08:00",
    );
    record(
        TimelineKind::Contained,
        "2025-03-04T18:00:00+08:00",
        "2025-03-04T18:10:00+08:00",
    );
    record(
        TimelineKind::Recovered,
        "2025-03-05T10:00:00+08:00",
        "2025-03-05T10:10:00+08:00",
    );

    let mid = deadlines(&incident, &book, &policy, t("2025-03-05T11:00:00+08:00")).unwrap();
    assert_eq!(state(&mid, Obligation::Notify), ClockState::Met);
    assert_eq!(state(&mid, Obligation::LevelReview), ClockState::Met);
    assert_eq!(
        deadline(&mid, Obligation::LevelReview).due_at,
        Some(t("2025-03-03T17:40:00+08:00"))
    );
    assert_eq!(state(&mid, Obligation::DamageControl), ClockState::Met);
    assert_eq!(
        deadline(&mid, Obligation::DamageControl).due_at,
        Some(t("2025-03-06T09:10:00+08:00"))
    );
    // The report's month runs from damage control (contained 03-04 18:00).
    let report = deadline(&mid, Obligation::InvestigationReport);
    assert_eq!(report.due_at, Some(t("2025-04-04T18:00:00+08:00")));
    assert_eq!(report.state, ClockState::OnTrack);
    assert!(!report.verified);
    assert!(report.explanation.en.contains("not yet verified"));
    assert!(report.source.zh.contains("資通安全事件通報及應變辦法第6條"));

    // Forensics: the draft lacks sections; the final report is complete.
    let (mut fx, _) = ForensicEngagement::request(
        id("FX-2025-0003"),
        incident.id.clone(),
        "數位鑑識廠商",
        "10.20.1.15 於 2025-02-20 至 2025-03-04 之下載與執行紀錄",
        t("2025-03-05T09:00:00+08:00"),
        t("2025-03-25T17:00:00+08:00"),
        &soc,
        t("2025-03-04T20:00:00+08:00"),
    )
    .unwrap();
    let (draft, _) = fx
        .receive_report(
            "draft.pdf",
            b"%PDF draft",
            None,
            [ReportSection::Timeline, ReportSection::ScopeAndDamage]
                .into_iter()
                .collect(),
            &soc,
            t("2025-03-20T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(draft.missing_sections().len(), 5);
    assert!(
        fx.accept_report(&soc, t("2025-03-20T11:00:00+08:00"))
            .is_err()
    );
    fx.receive_report(
        "final.pdf",
        b"%PDF final",
        None,
        all_sections(),
        &soc,
        t("2025-03-24T10:00:00+08:00"),
    )
    .unwrap();
    fx.accept_report(&soc, t("2025-03-24T11:00:00+08:00"))
        .unwrap();
    let tool_server = Observable::new(ObservableKind::Ipv4, "203.0.113.50");
    fx.add_finding(
        NewFinding {
            id: id("F-2025-0003-1"),
            root_cause: RootCause::WeakOrDefaultCredentials,
            detail: "承辦人電腦遭以共用本機管理者密碼登入，以 wget 下載滲透工具與密碼字典檔".into(),
            iocs: vec![
                tool_server.clone(),
                Observable::new(
                    ObservableKind::Url,
                    "http://203.0.113.50/tools/hydra.tar.gz",
                ),
                Observable::new(
                    ObservableKind::FileHash(HashAlgorithm::Sha256),
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                ),
            ],
            affected_hosts: vec!["10.20.1.15".into()],
            recommendations: vec!["停用共用本機管理者帳號，改用 LAPS 每台不同密碼".into()],
        },
        &soc,
        t("2025-03-24T12:00:00+08:00"),
    )
    .unwrap();
    assert_eq!(fx.iocs().len(), 3, "the IOCs go to intel matching");

    record_report(&mut incident, &soc, "2025-04-10T16:00:00+08:00");
    let after = deadlines(&incident, &book, &policy, t("2025-04-11T09:00:00+08:00")).unwrap();
    let report = deadline(&after, Obligation::InvestigationReport);
    assert_eq!(report.state, ClockState::Missed, "submitted six days late");
    assert_eq!(report.met_at, Some(t("2025-04-10T16:00:00+08:00")));
    let told = escalations(&incident, &after, &policy);
    assert!(
        told.iter()
            .any(|n| n.obligation == Obligation::InvestigationReport
                && n.targets == vec![EscalationTarget::AgencySecurityOfficer])
    );

    incident
        .determine(
            Determination::Confirmed,
            "鑑識報告確認遭入侵",
            &soc,
            t("2025-04-11T10:00:00+08:00"),
        )
        .unwrap();
    incident
        .close("改善事項已列管", &soc, t("2025-04-11T10:05:00+08:00"))
        .unwrap();
    assert_eq!(incident.status, IncidentStatus::Closed);
    assert!(
        incident
            .record(
                TimelineKind::Notified,
                t("2025-04-11T10:06:00+08:00"),
                None,
                &soc,
                t("2025-04-11T10:06:00+08:00")
            )
            .is_err()
    );

    // The recommendation becomes an action; its owner cannot verify it.
    let finding = &fx.findings[0];
    let owner = user("it.wang");
    let (mut action, _) = Action::plan(
        NewAction {
            id: id("ACT-2025-0031"),
            incident: incident.id.clone(),
            finding: Some(finding.id.clone()),
            recommendation: finding.recommendations[0].text.clone(),
            owner_agency: agency("TY-FINANCE"),
            owner: owner.clone(),
            due_at: t("2025-04-30T17:00:00+08:00"),
            priority: Priority::High,
            closure_criteria: "所有電腦本機管理者密碼皆不同，並附 LAPS 部署報表".into(),
            basis: RecurrenceBasis::of_finding(finding),
        },
        &soc,
        t("2025-03-25T09:00:00+08:00"),
    )
    .unwrap();
    action
        .start(&owner, t("2025-03-26T09:00:00+08:00"))
        .unwrap();
    assert!(
        action
            .submit("done", &owner, t("2025-04-20T09:00:00+08:00"))
            .is_err(),
        "no evidence yet"
    );
    action
        .add_evidence(
            "laps-report.csv",
            b"host,rotated\n10.20.1.15,yes\n",
            None,
            &owner,
            t("2025-04-20T09:00:00+08:00"),
        )
        .unwrap();
    action
        .submit("已部署 LAPS", &owner, t("2025-04-20T09:05:00+08:00"))
        .unwrap();
    let err = action
        .verify("ok", &owner, t("2025-04-20T10:00:00+08:00"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("owner cannot verify their own action")
    );
    let verifier = user("soc.chief");
    action
        .verify(
            "報表抽查 5 台無誤",
            &verifier,
            t("2025-04-21T10:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(action.status, ActionStatus::Verified);

    // 30 days on, another host talks to the same tool server: the action reopens with the evidence.
    assert_eq!(
        check_recurrence(&action, &[], t("2025-05-01T10:00:00+08:00")),
        RecurrenceDecision::NotDue
    );
    let signals = vec![
        RecurrenceSignal {
            reference: "alert:before-verification".into(),
            seen_at: t("2025-04-15T10:00:00+08:00"),
            root_cause: None,
            observables: vec![tool_server.clone()],
            asset: None,
        },
        RecurrenceSignal {
            reference: "alert:5f1c…".into(),
            seen_at: t("2025-05-10T02:13:00+08:00"),
            root_cause: None,
            observables: vec![Observable::new(ObservableKind::Ipv4, "203.0.113.50")],
            asset: Some("10.20.1.77".into()),
        },
    ];
    let RecurrenceDecision::Reopen { check } =
        check_recurrence(&action, &signals, t("2025-05-21T10:00:00+08:00"))
    else {
        panic!("the tool server came back");
    };
    assert_eq!(check.after_days, 30);
    assert_eq!(
        check.evidence.len(),
        1,
        "only what came after verification counts"
    );
    assert!(check.evidence[0].reason.en.contains("203.0.113.50"));
    let events = action
        .reopen(check, t("2025-05-21T10:00:00+08:00"))
        .unwrap();
    assert_eq!(action.status, ActionStatus::InProgress);
    assert!(
        events.iter().all(|e| e.by.is_none()),
        "civitas reopened it, not a person"
    );
    assert!(events.iter().any(|e| e.action == "action.reopen"));
    assert_eq!(action.verified_by, None);
}

fn record_report(incident: &mut Incident, by: &UserName, at: &str) {
    incident
        .record(TimelineKind::ReportSubmitted, t(at), None, by, t(at))
        .unwrap();
    incident
        .record(
            TimelineKind::ImprovementPlanSubmitted,
            t(at),
            None,
            by,
            t(at),
        )
        .unwrap();
}

#[test]
fn intrusion_alerts_at_the_cultural_affairs_bureau_and_the_art_museum_show_a_late_notification_and_overdue_clocks_in_the_compliance_report()
 {
    let soc = user("soc.lin");
    let book = RuleBook::embedded().unwrap();
    let policy = ClockPolicy::standard().unwrap();
    let mut culture = open(
        "INC-2025-0031",
        "TY-CULTURE",
        IncidentCategory::IllegalIntrusion,
        "2025-05-12T10:00:00+08:00",
        vec![asset(
            "文化局藝文活動報名系統",
            AssetClass::Core,
            "10.31.2.8",
        )],
    );
    let mut museum = open(
        "INC-2025-0032",
        "TY-ARTMUSEUM",
        IncidentCategory::IllegalIntrusion,
        "2025-05-12T10:20:00+08:00",
        vec![asset("美術館導覽機", AssetClass::General, "10.32.0.41")],
    );

    // Before anyone notifies: due soon at 10:45 (20-minute lead), overdue after 11:00.
    let soon = deadlines(&culture, &book, &policy, t("2025-05-12T10:45:00+08:00")).unwrap();
    assert_eq!(state(&soon, Obligation::Notify), ClockState::DueSoon);
    assert_eq!(state(&soon, Obligation::LevelReview), ClockState::Waiting);
    let told = escalations(&culture, &soon, &policy);
    assert!(told.iter().any(|n| n.obligation == Obligation::Notify
        && n.targets.contains(&EscalationTarget::Handlers)
        && !n.targets.contains(&EscalationTarget::PlatformAdmins)));
    let late = deadlines(&culture, &book, &policy, t("2025-05-12T11:05:00+08:00")).unwrap();
    assert_eq!(state(&late, Obligation::Notify), ClockState::Overdue);
    let told = escalations(&culture, &late, &policy);
    let notify = told
        .iter()
        .find(|n| n.obligation == Obligation::Notify)
        .unwrap();
    assert!(notify.targets.contains(&EscalationTarget::PlatformAdmins));
    assert_eq!(notify.key, "INC-2025-0031|notify|overdue");
    assert!(notify.message.zh.contains("已逾期"));
    // Until the level is known the strictest damage-control limit (36 h) applies.
    assert_eq!(
        deadline(&late, Obligation::DamageControl).due_at,
        Some(t("2025-05-13T22:00:00+08:00"))
    );

    culture
        .record(
            TimelineKind::Notified,
            t("2025-05-12T11:30:00+08:00"),
            None,
            &soc,
            t("2025-05-12T11:31:00+08:00"),
        )
        .unwrap();
    culture
        .assess_level(
            vec![effect(
                "文化局藝文活動報名系統",
                AssetClass::Core,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
            &soc,
            t("2025-05-12T12:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(culture.level(), Some(IncidentLevel::TWO));

    museum
        .record(
            TimelineKind::Notified,
            t("2025-05-12T10:50:00+08:00"),
            None,
            &soc,
            t("2025-05-12T10:50:00+08:00"),
        )
        .unwrap();
    museum
        .assess_level(
            vec![effect(
                "美術館導覽機",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
            &soc,
            t("2025-05-12T11:00:00+08:00"),
        )
        .unwrap();
    museum
        .record(
            TimelineKind::LevelReviewed,
            t("2025-05-12T14:00:00+08:00"),
            None,
            &soc,
            t("2025-05-12T14:00:00+08:00"),
        )
        .unwrap();
    museum
        .record(
            TimelineKind::Contained,
            t("2025-05-13T09:00:00+08:00"),
            None,
            &soc,
            t("2025-05-13T09:00:00+08:00"),
        )
        .unwrap();

    let now = t("2025-05-16T09:00:00+08:00");
    let culture_clocks = deadlines(&culture, &book, &policy, now).unwrap();
    assert_eq!(
        state(&culture_clocks, Obligation::Notify),
        ClockState::Missed
    );
    assert_eq!(
        state(&culture_clocks, Obligation::LevelReview),
        ClockState::Overdue
    );
    assert_eq!(
        deadline(&culture_clocks, Obligation::DamageControl).due_at,
        Some(t("2025-05-15T10:00:00+08:00")),
        "72 h at level 2"
    );
    assert_eq!(
        state(&culture_clocks, Obligation::DamageControl),
        ClockState::Overdue
    );
    assert_eq!(
        state(&culture_clocks, Obligation::InvestigationReport),
        ClockState::Waiting
    );
    let museum_clocks = deadlines(&museum, &book, &policy, now).unwrap();

    let summary = compliance_summary([
        (&culture.agency, culture_clocks.as_slice()),
        (&museum.agency, museum_clocks.as_slice()),
    ]);
    let row = &summary[&Some(agency("TY-CULTURE"))];
    assert_eq!((row.met, row.missed, row.overdue, row.open), (0, 1, 2, 0));
    let row = &summary[&Some(agency("TY-ARTMUSEUM"))];
    assert_eq!((row.met, row.missed, row.overdue, row.open), (3, 0, 0, 2));
    let city = &summary[&None];
    assert_eq!(
        (city.met, city.missed, city.overdue, city.open),
        (3, 1, 2, 2)
    );
    assert_eq!(city.rate(), Some(0.5));
}

#[test]
fn a_department_website_injected_with_advertising_links_is_reassessed_to_level_three_and_its_overdue_fix_is_extended_and_escalated()
 {
    let soc = user("soc.lin");
    let book = RuleBook::embedded().unwrap();
    let policy = ClockPolicy::standard().unwrap();
    let mut incident = open(
        "INC-2025-0047",
        "TY-LABOR",
        IncidentCategory::MaliciousWebContent,
        "2025-07-01T08:00:00+08:00",
        vec![asset(
            "勞動局官方網站",
            AssetClass::Core,
            "www.labor.example.gov.tw",
        )],
    );
    incident
        .assess_level(
            vec![effect(
                "勞動局官方網站",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
            &soc,
            t("2025-07-01T08:30:00+08:00"),
        )
        .unwrap();
    incident
        .record(
            TimelineKind::Notified,
            t("2025-07-01T08:50:00+08:00"),
            None,
            &soc,
            t("2025-07-01T08:50:00+08:00"),
        )
        .unwrap();
    let before = deadlines(&incident, &book, &policy, t("2025-07-01T09:00:00+08:00")).unwrap();
    assert_eq!(
        deadline(&before, Obligation::LevelReview).due_at,
        Some(t("2025-07-01T16:50:00+08:00"))
    );

    // A re-assessment needs a reason; the history keeps both.
    let core_tampered = vec![effect(
        "勞動局官方網站",
        AssetClass::Core,
        Impact::InformationTampered {
            severity: Severity::Severe,
        },
    )];
    assert!(
        incident
            .assess_level(
                core_tampered.clone(),
                None,
                &soc,
                t("2025-07-01T09:30:00+08:00")
            )
            .is_err()
    );
    let events = incident
        .assess_level(
            core_tampered,
            Some("官網列為核心系統，廣告連結已被民眾大量點擊".into()),
            &soc,
            t("2025-07-01T09:30:00+08:00"),
        )
        .unwrap();
    assert_eq!(events[0].action, "incident.level_reassess");
    assert_eq!(events[0].summary["old"], 1);
    assert_eq!(events[0].summary["new"], 3);
    assert_eq!(incident.levels.len(), 2);
    assert_eq!(incident.levels[1].previous, Some(IncidentLevel::ONE));
    assert!(
        incident.needs_renotification(),
        "a level change is notified again (續報)"
    );
    incident
        .record(
            TimelineKind::Notified,
            t("2025-07-01T09:45:00+08:00"),
            Some("續報：第三級".into()),
            &soc,
            t("2025-07-01T09:45:00+08:00"),
        )
        .unwrap();
    assert!(!incident.needs_renotification());

    let after = deadlines(&incident, &book, &policy, t("2025-07-01T10:00:00+08:00")).unwrap();
    assert_eq!(
        deadline(&after, Obligation::LevelReview).due_at,
        Some(t("2025-07-01T10:50:00+08:00")),
        "2 h at level 3"
    );
    assert_eq!(state(&after, Obligation::LevelReview), ClockState::DueSoon);
    assert_eq!(
        deadline(&after, Obligation::DamageControl).due_at,
        Some(t("2025-07-02T20:00:00+08:00")),
        "36 h at level 3"
    );
    assert!(
        deadline(&after, Obligation::LevelReview)
            .explanation
            .zh
            .contains("第三級")
    );

    // Contained before recovery, in order; a recovery time before containment is refused.
    assert!(
        incident
            .record(
                TimelineKind::Recovered,
                t("2025-07-01T12:00:00+08:00"),
                None,
                &soc,
                t("2025-07-01T12:00:00+08:00")
            )
            .is_err()
    );
    incident
        .record(
            TimelineKind::Contained,
            t("2025-07-01T12:00:00+08:00"),
            None,
            &soc,
            t("2025-07-01T12:00:00+08:00"),
        )
        .unwrap();
    assert!(
        incident
            .record(
                TimelineKind::Recovered,
                t("2025-07-01T11:00:00+08:00"),
                None,
                &soc,
                t("2025-07-01T13:00:00+08:00")
            )
            .is_err()
    );

    let (mut fx, _) = ForensicEngagement::request(
        id("FX-2025-0009"),
        incident.id.clone(),
        "網站鑑識廠商",
        "官網 CMS 與網頁伺服器日誌",
        t("2025-07-02T09:00:00+08:00"),
        t("2025-07-15T17:00:00+08:00"),
        &soc,
        t("2025-07-01T14:00:00+08:00"),
    )
    .unwrap();
    fx.receive_report(
        "report.pdf",
        b"%PDF website",
        None,
        all_sections(),
        &soc,
        t("2025-07-14T10:00:00+08:00"),
    )
    .unwrap();
    fx.add_finding(
        NewFinding {
            id: id("F-2025-0009-1"),
            root_cause: RootCause::UnpatchedVulnerability,
            detail: "CMS 外掛未更新，遭上傳 webshell 並注入廣告連結".into(),
            iocs: vec![Observable::new(
                ObservableKind::Domain,
                "cheap-ads.example.net",
            )],
            affected_hosts: vec!["www.labor.example.gov.tw".into()],
            recommendations: vec!["更新 CMS 與外掛，移除未使用外掛並建立每月更新程序".into()],
        },
        &soc,
        t("2025-07-14T11:00:00+08:00"),
    )
    .unwrap();
    let finding = &fx.findings[0];
    let owner = user("web.chen");

    // A deadline in the past is refused.
    let mut new = NewAction {
        id: id("ACT-2025-0077"),
        incident: incident.id.clone(),
        finding: Some(finding.id.clone()),
        recommendation: finding.recommendations[0].text.clone(),
        owner_agency: agency("TY-LABOR"),
        owner: owner.clone(),
        due_at: t("2025-07-01T00:00:00+08:00"),
        priority: Priority::High,
        closure_criteria: "弱點掃描無 CMS 高風險弱點，並附更新紀錄".into(),
        basis: RecurrenceBasis::of_finding(finding),
    };
    assert!(
        Action::plan(new.clone(), &soc, t("2025-07-15T09:00:00+08:00"))
            .unwrap_err()
            .to_string()
            .contains("in the past")
    );
    new.due_at = t("2025-08-01T17:00:00+08:00");
    let (mut action, _) = Action::plan(new, &soc, t("2025-07-15T09:00:00+08:00")).unwrap();
    action
        .start(&owner, t("2025-07-16T09:00:00+08:00"))
        .unwrap();

    let week_before = reminders(
        &action,
        &ReminderPolicy::default(),
        t("2025-07-28T09:00:00+08:00"),
    );
    assert_eq!(week_before.len(), 1);
    assert_eq!(week_before[0].kind, ReminderKind::Reminder);

    // An extension the owner approves for themself is refused; a director's is recorded.
    let director = user("it.director");
    let new_due = t("2025-08-15T17:00:00+08:00");
    assert!(
        action
            .extend(
                new_due,
                "等待廠商報價",
                &owner,
                &owner,
                t("2025-07-30T09:00:00+08:00")
            )
            .is_err()
    );
    assert!(
        action
            .extend(
                new_due,
                "",
                &owner,
                &director,
                t("2025-07-30T09:00:00+08:00")
            )
            .is_err()
    );
    action
        .extend(
            new_due,
            "等待廠商報價",
            &owner,
            &director,
            t("2025-07-30T09:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(action.extensions.len(), 1);
    assert_eq!(action.extensions[0].from, t("2025-08-01T17:00:00+08:00"));

    let now = t("2025-08-20T09:00:00+08:00");
    assert!(action.is_overdue(now));
    let notices = reminders(&action, &ReminderPolicy::default(), now);
    let escalation: Vec<_> = notices
        .iter()
        .filter(|n| n.kind == ReminderKind::Escalation)
        .collect();
    assert_eq!(
        escalation.len(),
        1,
        "after the due date, not yet 7 days after"
    );
    assert!(
        escalation[0].key.contains(&new_due.as_millis().to_string()),
        "keyed to the extended date"
    );

    // Two people editing the same action: the second, holding an old revision, is refused.
    let seen = action.revision;
    action
        .add_evidence("patch.log", b"updated plugin x to 2.3.1", None, &owner, now)
        .unwrap();
    assert!(
        action
            .ensure_revision(seen)
            .unwrap_err()
            .to_string()
            .contains("reload")
    );
}

#[test]
fn edr_alerts_on_health_bureau_endpoints_are_sent_back_once_then_verified_and_stay_closed_through_both_recurrence_checks()
 {
    let soc = user("soc.lin");
    let mut incident = open(
        "INC-2025-0063",
        "TY-HEALTH",
        IncidentCategory::Malware,
        "2025-09-08T14:00:00+08:00",
        vec![
            asset("衛生局公務電腦 A", AssetClass::General, "10.40.3.21"),
            asset("衛生局公務電腦 B", AssetClass::General, "10.40.3.22"),
        ],
    );
    incident
        .assess_level(
            vec![effect(
                "衛生局公務電腦 A",
                AssetClass::General,
                Impact::SystemTampered {
                    severity: Severity::Minor,
                },
            )],
            None,
            &soc,
            t("2025-09-08T14:20:00+08:00"),
        )
        .unwrap();
    let (mut fx, _) = ForensicEngagement::request(
        id("FX-2025-0014"),
        incident.id.clone(),
        "EDR 廠商",
        "EDR 告警主機之惡意程式分析",
        t("2025-09-09T09:00:00+08:00"),
        t("2025-09-30T17:00:00+08:00"),
        &soc,
        t("2025-09-08T16:00:00+08:00"),
    )
    .unwrap();
    fx.receive_report(
        "edr.pdf",
        b"%PDF edr",
        None,
        all_sections(),
        &soc,
        t("2025-09-20T10:00:00+08:00"),
    )
    .unwrap();
    let loader = Observable::new(
        ObservableKind::FileHash(HashAlgorithm::Sha256),
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    );
    fx.add_finding(
        NewFinding {
            id: id("F-2025-0014-1"),
            root_cause: RootCause::UserBehaviour,
            detail: "使用者執行電子郵件附件中的載入器".into(),
            iocs: vec![loader.clone()],
            affected_hosts: vec!["10.40.3.21".into(), "10.40.3.22".into()],
            recommendations: vec!["重灌受感染主機並封鎖附件類型".into()],
        },
        &soc,
        t("2025-09-20T11:00:00+08:00"),
    )
    .unwrap();
    let finding = &fx.findings[0];
    let owner = user("health.it");
    let verifier = user("soc.chief");
    let (mut action, _) = Action::plan(
        NewAction {
            id: id("ACT-2025-0102"),
            incident: incident.id.clone(),
            finding: Some(finding.id.clone()),
            recommendation: finding.recommendations[0].text.clone(),
            owner_agency: agency("TY-HEALTH"),
            owner: owner.clone(),
            due_at: t("2025-10-15T17:00:00+08:00"),
            priority: Priority::Medium,
            closure_criteria: "兩台主機重灌並經 EDR 全機掃描無告警；郵件閘道封鎖 .iso/.lnk".into(),
            basis: RecurrenceBasis::of_finding(finding),
        },
        &soc,
        t("2025-09-21T09:00:00+08:00"),
    )
    .unwrap();
    action
        .start(&owner, t("2025-09-22T09:00:00+08:00"))
        .unwrap();
    action
        .add_evidence(
            "reimage.txt",
            b"10.40.3.21 reimaged",
            None,
            &owner,
            t("2025-09-25T09:00:00+08:00"),
        )
        .unwrap();
    action
        .submit("已重灌", &owner, t("2025-09-25T09:10:00+08:00"))
        .unwrap();
    assert!(
        action
            .send_back("", &verifier, t("2025-09-26T09:00:00+08:00"))
            .is_err()
    );
    action
        .send_back(
            "缺 EDR 掃描報告與郵件閘道設定",
            &verifier,
            t("2025-09-26T09:00:00+08:00"),
        )
        .unwrap();
    assert_eq!(action.status, ActionStatus::SentBack);
    assert!(
        action
            .verify("ok", &verifier, t("2025-09-26T09:05:00+08:00"))
            .is_err(),
        "nothing to verify while sent back"
    );
    action
        .start(&owner, t("2025-09-29T09:00:00+08:00"))
        .unwrap();
    let scan = b"EDR full scan: 0 detections";
    let claimed = sha256_hex(scan);
    assert!(
        action
            .add_evidence(
                "edr-scan.pdf",
                b"EDR full scan: 1 detection",
                Some(&claimed),
                &owner,
                t("2025-09-30T09:00:00+08:00")
            )
            .is_err()
    );
    action
        .add_evidence(
            "edr-scan.pdf",
            scan,
            Some(&claimed),
            &owner,
            t("2025-09-30T09:00:00+08:00"),
        )
        .unwrap();
    action
        .submit(
            "已補掃描報告與閘道設定",
            &owner,
            t("2025-09-30T09:10:00+08:00"),
        )
        .unwrap();
    action
        .verify(
            "抽驗兩台主機掃描結果",
            &verifier,
            t("2025-10-01T10:00:00+08:00"),
        )
        .unwrap();
    let path: Vec<ActionStatus> = action.history.iter().map(|h| h.to).collect();
    assert_eq!(
        path,
        [
            ActionStatus::InProgress,
            ActionStatus::DonePendingVerification,
            ActionStatus::SentBack,
            ActionStatus::InProgress,
            ActionStatus::DonePendingVerification,
            ActionStatus::Verified,
        ]
    );

    // Unrelated alerts later: a different host and hash, or the same host with another cause.
    let signals = vec![
        RecurrenceSignal {
            reference: "alert:other-host".into(),
            seen_at: t("2025-10-20T10:00:00+08:00"),
            root_cause: None,
            observables: vec![Observable::new(
                ObservableKind::FileHash(HashAlgorithm::Sha256),
                "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
            )],
            asset: Some("10.40.9.9".into()),
        },
        RecurrenceSignal {
            reference: "incident:INC-2025-0090".into(),
            seen_at: t("2025-12-01T10:00:00+08:00"),
            root_cause: Some(RootCause::Misconfiguration),
            observables: vec![],
            asset: Some("10.40.3.21".into()),
        },
    ];
    let at30 = t("2025-11-01T10:00:00+08:00");
    assert_eq!(
        check_recurrence(&action, &signals, at30),
        RecurrenceDecision::Clean { after_days: 30 }
    );
    action.record_clean_check(30, at30);
    assert_eq!(
        check_recurrence(&action, &signals, t("2025-11-02T10:00:00+08:00")),
        RecurrenceDecision::NotDue
    );
    let at90 = t("2025-12-31T10:00:00+08:00");
    assert_eq!(
        check_recurrence(&action, &signals, at90),
        RecurrenceDecision::Clean { after_days: 90 }
    );
    action.record_clean_check(90, at90);
    assert_eq!(
        check_recurrence(&action, &signals, t("2026-03-01T10:00:00+08:00")),
        RecurrenceDecision::NotDue
    );

    // The same root cause on the same host would have counted.
    let mut same = signals[1].clone();
    same.root_cause = Some(RootCause::UserBehaviour);
    let mut fresh = action.clone();
    fresh.recurrence_checks.clear();
    let RecurrenceDecision::Reopen { check } = check_recurrence(&fresh, &[same], at90) else {
        panic!("same cause on the same asset");
    };
    assert!(check.evidence[0].reason.zh.contains("同一資產 10.40.3.21"));
}

#[test]
fn a_rule_change_effective_later_does_not_move_an_old_incidents_deadlines() {
    // An amendment (test data) that gives two hours to notify, in force from 2025-06-01.
    let amended = crate::cases::clocks::EMBEDDED_RULE_SETS[0]
        .replace("id = \"2021-08-23\"", "id = \"test-2025-06-01\"")
        .replace(
            "effective_from = \"2021-08-23T00:00:00+08:00\"",
            "effective_from = \"2025-06-01T00:00:00+08:00\"",
        )
        .replacen("hours = 1\n", "hours = 2\n", 1);
    let before = RuleBook::embedded().unwrap();
    let after =
        RuleBook::from_texts(&[crate::cases::clocks::EMBEDDED_RULE_SETS[0], &amended]).unwrap();
    let policy = ClockPolicy::standard().unwrap();
    let soc = user("soc.lin");

    let mut old = open(
        "INC-2025-0002",
        "TY-FINANCE",
        IncidentCategory::Other,
        "2025-05-20T09:00:00+08:00",
        vec![],
    );
    old.record(
        TimelineKind::Notified,
        t("2025-05-20T09:50:00+08:00"),
        None,
        &soc,
        t("2025-05-20T09:50:00+08:00"),
    )
    .unwrap();
    let then = deadlines(&old, &before, &policy, t("2025-05-21T09:00:00+08:00")).unwrap();
    let now = deadlines(&old, &after, &policy, t("2025-07-01T09:00:00+08:00")).unwrap();
    assert_eq!(old.rule_set, "2021-08-23");
    let due = |ds: &[Deadline]| {
        ds.iter()
            .map(|d| (d.obligation, d.due_at, d.source.en.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        due(&then),
        due(&now),
        "the old incident keeps its rule set and deadlines"
    );
    assert_eq!(
        deadline(&now, Obligation::Notify).due_at,
        Some(t("2025-05-20T10:00:00+08:00"))
    );

    let new = Incident::open(
        NewIncident {
            id: id("INC-2025-0050"),
            title: "after the amendment".into(),
            agency: agency("TY-FINANCE"),
            category: IncidentCategory::Other,
            origin: IncidentOrigin::Manual {
                how_learned: "廠商來電".into(),
            },
            assets: vec![],
            occurred_at: None,
            aware_at: t("2025-06-10T09:00:00+08:00"),
            people: vec![],
            description: String::new(),
        },
        &after,
        &soc,
        t("2025-06-10T09:05:00+08:00"),
    )
    .unwrap()
    .0;
    assert_eq!(new.rule_set, "test-2025-06-01");
    let clocks = deadlines(&new, &after, &policy, t("2025-06-10T09:30:00+08:00")).unwrap();
    assert_eq!(
        deadline(&clocks, Obligation::Notify).due_at,
        Some(t("2025-06-10T11:00:00+08:00"))
    );
    // A book that lost the pinned rule set cannot compute deadlines rather than guess.
    assert!(deadlines(&new, &before, &policy, t("2025-06-10T09:30:00+08:00")).is_none());
}
