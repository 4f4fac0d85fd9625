//! The audit's third example: a department website injected with advertising text and links.

use super::*;

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
