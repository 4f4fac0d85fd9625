//! The audit's first example: a city host that used wget to download penetration tools and a
//! password dictionary.

use super::*;

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
