//! Amended legal clocks apply to incidents the agency became aware of after the amendment only.

use super::*;

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
