//! The audit's second example: intrusion alerts on Cultural Affairs Bureau and Art Museum devices.

use super::*;

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
