//! The audit's fourth example: EDR alerts on endpoints.

use super::*;

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
