//! The store conformance suite. A backend's test binary invokes
//! `civitas_store_conformance::suite!(make_stores)` where `make_stores()` returns a fresh,
//! empty, migrated store as `(Stores, guard)`; the guard keeps its files alive.
//! Every case reads as a story about the platform, and every port method is exercised.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use civitas_core::accounts::{
    NewSession, NewToken, NewUser, Session, UserFilter, UserName, UserProfile,
};
use civitas_core::agencies::{
    AgencyCode, AgencyImportFormat, AgencyInput, AgencyKind, AgencyRecord, parse_agency_file,
    plan_agency_import,
};
use civitas_core::audit::{Actor, AuditEvent, AuditFilter, Outcome};
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::error::DomainError;
use civitas_core::import::ImportReport;
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::time::{DateStyle, Language, Timestamp};
use serde_json::json;

mod alerts;
pub use alerts::*;
mod cases;
pub use cases::*;
mod catalog;
pub use catalog::*;
mod intel;
pub use intel::*;
mod inventory;
pub use inventory::*;
mod exchange;
pub use exchange::*;
mod harvest;
pub use harvest::*;
mod notifications;
pub use notifications::*;
mod sharing;
pub use sharing::*;

/// Generates one `#[tokio::test]` per story for the given store factory.
#[macro_export]
macro_rules! suite {
    ($make:path) => {
        $crate::suite!(@cases $make;
            agencies_are_stored_as_given_and_kept_when_retired,
            an_import_creates_parents_first_and_keeps_every_rejected_line,
            a_user_is_created_with_grants_and_found_by_name_or_id,
            users_are_listed_by_text_agency_and_state_page_by_page,
            disabling_a_user_ends_their_sessions,
            a_login_failure_count_and_lock_are_recorded_and_reset_on_success,
            a_password_change_keeps_only_the_current_session,
            sessions_expire_and_are_purged,
            a_token_is_found_by_its_hash_with_its_grants_and_revoked_once,
            duplicates_are_refused_and_leave_no_audit_entry,
            every_change_is_audited_and_the_chain_verifies,
            the_audit_trail_filters_by_action_actor_outcome_and_time,
            activity_is_counted_per_taipei_day,
            the_schema_is_current_and_the_store_answers,
            the_taoyuan_list_imports_once_and_a_second_run_changes_nothing,
            two_character_chinese_words_are_found_and_faceted,
            datasets_gone_from_their_source_are_withdrawn_not_deleted,
            freshness_as_of_the_inventory_date_matches_the_engine,
            the_daily_history_counts_each_active_dataset_once_by_state,
            a_stewards_edit_is_a_new_version_and_does_not_reset_the_clock,
            a_notice_is_stored_once_per_key_and_only_its_owner_reads_it,
            stewards_are_found_with_every_scope_they_hold,
            deliveries_are_claimed_when_due_leased_and_retried,
            storing_freshness_reports_the_datasets_that_became_due,
            a_reassessment_that_finds_the_same_leaves_the_dataset_as_it_was,
            personal_data_is_shared_only_after_two_approvers_and_only_its_granted_fields,
            open_and_city_data_need_no_request_and_refusals_say_why,
            demand_is_matched_to_supply_or_listed_as_a_gap,
            platform_costs_and_use_make_the_benefit_report,
            harvest_sources_and_runs_are_kept_with_their_counts_and_reasons,
            real_suricata_files_import_once_and_their_counts_add_up,
            a_file_is_imported_in_chunks_and_a_rerun_after_a_kill_stores_each_alert_once,
            an_agency_reader_sees_only_their_agencys_alerts,
            an_alert_stored_meanwhile_makes_the_whole_write_fail_and_leaves_nothing,
            changed_rules_reapplied_to_history_move_the_statistics_and_name_their_version,
            an_incident_keeps_its_levels_timeline_and_deadlines_and_a_stale_save_writes_nothing,
            report_versions_and_evidence_files_are_kept_by_hash_and_never_overwritten,
            an_action_keeps_every_step_and_a_concurrent_edit_is_refused,
            the_wget_incident_goes_from_an_alert_to_verified_closure_and_reopens_when_the_tool_server_returns,
            an_overdue_action_is_reminded_once_then_escalated_once_and_shows_in_the_measures,
            stix_bundles_import_once_and_a_newer_version_supersedes_the_old_one,
            honeypot_alerts_matching_an_indicator_are_sighted_once_and_their_severity_names_it,
            an_exchange_grant_answers_a_sharing_approval_and_ends_with_it
        );
    };
    (@cases $make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (stores, _guard) = $make().await;
                $crate::$case(&stores).await;
            }
        )*
    };
}

pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_704_067_200_000 + ms).unwrap() // 2024-01-01T00:00:00Z + ms
}

fn code(c: &str) -> AgencyCode {
    AgencyCode::parse(c).unwrap()
}

pub fn event(at_ms: i64, action: &str, object: &str) -> AuditEvent {
    AuditEvent {
        at: at(at_ms),
        actor: Actor {
            user_id: None,
            name: "cli:test".into(),
        },
        acting_agency: Some("380000000A".into()),
        action: action.into(),
        object_type: action.split('.').next().unwrap_or("x").into(),
        object_id: object.into(),
        source_ip: Some("127.0.0.1".into()),
        outcome: Outcome::Success,
        summary: json!({ "object": object }),
    }
}

fn agency_input(c: &str, name: &str, parent: Option<&str>, kind: AgencyKind) -> AgencyInput {
    AgencyInput {
        code: code(c),
        name_zh: name.into(),
        name_en: Some(format!("{name} (en)")),
        short_name_zh: None,
        parent: parent.map(code),
        kind,
    }
}

async fn seed_city(stores: &Stores) {
    stores
        .agencies
        .create_agency(
            &agency_input("380000000A", "桃園市政府", None, AgencyKind::CityGovernment),
            at(0),
            event(0, "agency.create", "380000000A"),
        )
        .await
        .unwrap();
    stores
        .agencies
        .create_agency(
            &agency_input(
                "380330000E",
                "桃園市政府文化局",
                Some("380000000A"),
                AgencyKind::Bureau,
            ),
            at(1),
            event(1, "agency.create", "380330000E"),
        )
        .await
        .unwrap();
}

fn profile(name: &str, agency: Option<&str>) -> UserProfile {
    UserProfile {
        display_name: name.into(),
        email: Some(format!("{}@example.gov.tw", name.to_lowercase())),
        home_agency: agency.map(code),
        active: true,
        language: Language::ZhTw,
        date_style: DateStyle::Roc,
    }
}

async fn add_user(stores: &Stores, name: &str, agency: Option<&str>, grants: &[Grant]) -> i64 {
    let user = stores
        .accounts
        .create_user(
            &NewUser {
                name: UserName::parse(name).unwrap(),
                profile: profile(name, agency),
                password_hash: format!("$argon2id$fake${name}"),
                created_at: at(10),
            },
            grants,
            "cli:test",
            event(10, "user.create", name),
        )
        .await
        .unwrap();
    user.id
}

fn session(hash: &str, user_id: i64, now: i64) -> NewSession {
    NewSession {
        session: Session {
            id_hash: hash.into(),
            user_id,
            csrf_token: format!("csrf-{hash}"),
            created_at: at(now),
            last_seen_at: at(now),
            expires_at: at(now + 3_600_000),
            absolute_expires_at: at(now + 7_200_000),
            source_ip: Some("10.0.0.1".into()),
        },
    }
}

pub async fn agencies_are_stored_as_given_and_kept_when_retired(stores: &Stores) {
    seed_city(stores).await;
    let museum = agency_input(
        "TY-ARTMUSEUM",
        "桃園市立美術館",
        Some("380330000E"),
        AgencyKind::Subordinate,
    );
    let created = stores
        .agencies
        .create_agency(&museum, at(5), event(5, "agency.create", "TY-ARTMUSEUM"))
        .await
        .unwrap();
    assert_eq!(created.record().input, museum);
    assert!(created.active);
    assert_eq!(created.created_at, at(5));

    let retired = AgencyRecord {
        active: false,
        retired_at: Some(at(9)),
        successor: Some(code("380330000E")),
        ..created.record()
    };
    let after = stores
        .agencies
        .update_agency(&retired, at(9), event(9, "agency.retire", "TY-ARTMUSEUM"))
        .await
        .unwrap();
    assert!(!after.active);
    assert_eq!(after.retired_at, Some(at(9)));
    assert_eq!(after.successor, Some(code("380330000E")));
    assert_eq!(after.updated_at, at(9));

    let all = stores.agencies.agencies().await.unwrap();
    let codes: Vec<&str> = all.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, vec!["380000000A", "380330000E", "TY-ARTMUSEUM"]);
    assert!(
        stores
            .agencies
            .agency(&code("NOPE00"))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn an_import_creates_parents_first_and_keeps_every_rejected_line(stores: &Stores) {
    let csv = "code,name_zh,name_en,parent_code,kind\n\
               TY-CHILD,子機關,Child,380330000E,subordinate\n\
               380330000E,桃園市政府文化局,Department of Cultural Affairs,380000000A,bureau\n\
               380000000A,桃園市政府,Taoyuan City Government,,city_government\n\
               TY-BAD,壞,Bad,MISSING1,bureau\n";
    let parsed = parse_agency_file(csv.as_bytes(), AgencyImportFormat::CivitasCsv, None).unwrap();
    let plan = plan_agency_import(
        &[],
        parsed,
        ImportReport::new("agencies", "civitas-csv", "a.csv"),
    );
    let id = stores
        .agencies
        .apply_agency_import(
            &plan,
            at(0),
            at(1),
            "cli:test",
            vec![event(1, "agency.import", "a.csv")],
        )
        .await
        .unwrap();
    assert_eq!(stores.agencies.agencies().await.unwrap().len(), 3);

    let run = stores.imports.import_run(id).await.unwrap().unwrap();
    assert_eq!(run.report.received, 4);
    assert_eq!(run.report.created, 3);
    assert_eq!(run.rejected_total, 1);
    assert_eq!(run.report.rejected.len(), 1);
    assert_eq!(run.report.rejected[0].line, 5);
    assert!(run.report.rejected[0].reason.en.contains("MISSING1"));
    assert!(run.report.rejected[0].reason.zh.contains("MISSING1"));
    assert!(run.report.reconciles());
    assert_eq!(run.actor_name, "cli:test");

    let unreadable = ImportReport::new("agencies", "civitas-csv", "b.csv")
        .unreadable(civitas_core::text::Text::new("不是 UTF-8", "not UTF-8"));
    let id2 = stores
        .imports
        .save_import_run(
            &unreadable,
            at(2),
            at(3),
            "cli:test",
            event(3, "agency.import", "b.csv"),
        )
        .await
        .unwrap();
    let runs = stores
        .imports
        .import_runs(Some("agencies"), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(runs.total, 2);
    assert_eq!(runs.items[0].id, id2, "newest first");
    assert_eq!(runs.items[0].rejected_total, 1);
    assert!(
        runs.items[0].report.rejected.is_empty(),
        "listings leave rejects out"
    );
    assert_eq!(
        stores
            .imports
            .import_runs(Some("datasets"), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
}

pub async fn a_user_is_created_with_grants_and_found_by_name_or_id(stores: &Stores) {
    seed_city(stores).await;
    let grants = vec![
        Grant {
            role: Role::DataSteward,
            scope: Scope::Agency(code("380330000E")),
        },
        Grant {
            role: Role::Viewer,
            scope: Scope::City,
        },
    ];
    let id = add_user(stores, "amy.chen", Some("380330000E"), &grants).await;
    let by_name = stores
        .accounts
        .user_by_name("amy.chen")
        .await
        .unwrap()
        .unwrap();
    let by_id = stores.accounts.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(by_name, by_id);
    assert_eq!(by_name.home_agency, Some(code("380330000E")));
    assert_eq!(by_name.display_name, "amy.chen");
    assert_eq!(by_name.language, Language::ZhTw);
    assert_eq!(by_name.failed_logins, 0);
    assert_eq!(
        stores.accounts.password_hash(id).await.unwrap().as_deref(),
        Some("$argon2id$fake$amy.chen")
    );
    let mut held: Vec<Grant> = stores
        .accounts
        .grants_of(id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.grant)
        .collect();
    held.sort();
    let mut want = grants.clone();
    want.sort();
    assert_eq!(held, want);

    let extra = Grant {
        role: Role::Auditor,
        scope: Scope::City,
    };
    let g = stores
        .accounts
        .add_grant(
            id,
            &extra,
            at(20),
            "admin",
            event(20, "user.grant", "amy.chen"),
        )
        .await
        .unwrap();
    assert_eq!(stores.accounts.grants_of(id).await.unwrap().len(), 3);
    stores
        .accounts
        .remove_grant(g.id, event(21, "user.revoke", "amy.chen"))
        .await
        .unwrap();
    assert_eq!(stores.accounts.grants_of(id).await.unwrap().len(), 2);
    let gone = stores
        .accounts
        .remove_grant(g.id, event(22, "user.revoke", "amy.chen"))
        .await;
    assert!(matches!(gone, Err(DomainError::NotFound { .. })));
    assert!(
        stores
            .accounts
            .user_by_name("nobody")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(stores.accounts.count_users().await.unwrap(), 1);
}

pub async fn users_are_listed_by_text_agency_and_state_page_by_page(stores: &Stores) {
    seed_city(stores).await;
    for i in 0..7 {
        add_user(stores, &format!("staff{i}"), Some("380330000E"), &[]).await;
    }
    add_user(stores, "mayor.office", Some("380000000A"), &[]).await;
    let page1 = stores
        .accounts
        .list_users(
            &UserFilter::default(),
            PageRequest {
                page: 1,
                per_page: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.total, 8);
    assert_eq!(page1.pages(), 3);
    let names: Vec<&str> = page1.items.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["mayor.office", "staff0", "staff1"]);
    let page3 = stores
        .accounts
        .list_users(
            &UserFilter::default(),
            PageRequest {
                page: 3,
                per_page: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(page3.items.len(), 2);

    let culture = UserFilter {
        home_agencies: Some(vec![code("380330000E")]),
        ..Default::default()
    };
    assert_eq!(
        stores
            .accounts
            .list_users(&culture, PageRequest::default())
            .await
            .unwrap()
            .total,
        7
    );
    let none = UserFilter {
        home_agencies: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        stores
            .accounts
            .list_users(&none, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    let text = UserFilter {
        text: Some("MAYOR".into()),
        ..Default::default()
    };
    assert_eq!(
        stores
            .accounts
            .list_users(&text, PageRequest::default())
            .await
            .unwrap()
            .total,
        1
    );
    // Text that looks like SQL is just text.
    let sqlish = UserFilter {
        text: Some("' OR 1=1 --".into()),
        ..Default::default()
    };
    assert_eq!(
        stores
            .accounts
            .list_users(&sqlish, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
    let inactive = UserFilter {
        active: Some(false),
        ..Default::default()
    };
    assert_eq!(
        stores
            .accounts
            .list_users(&inactive, PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );
}

pub async fn disabling_a_user_ends_their_sessions(stores: &Stores) {
    seed_city(stores).await;
    let id = add_user(stores, "leaver", None, &[]).await;
    stores
        .accounts
        .record_login_success(
            id,
            &session("s1", id, 100),
            event(100, "auth.login", "leaver"),
        )
        .await
        .unwrap();
    assert!(stores.sessions.session("s1").await.unwrap().is_some());
    let mut p = profile("Leaver", Some("380000000A"));
    p.active = false;
    let updated = stores
        .accounts
        .update_profile(id, &p, at(200), event(200, "user.disable", "leaver"))
        .await
        .unwrap();
    assert!(!updated.active);
    assert_eq!(updated.display_name, "Leaver");
    assert_eq!(updated.home_agency, Some(code("380000000A")));
    assert!(stores.sessions.session("s1").await.unwrap().is_none());
}

pub async fn a_login_failure_count_and_lock_are_recorded_and_reset_on_success(stores: &Stores) {
    let id = add_user(stores, "typo", None, &[]).await;
    stores
        .accounts
        .record_login_failure(
            id,
            5,
            Some(at(900_000)),
            vec![
                event(1, "auth.login", "typo"),
                event(1, "user.lock", "typo"),
            ],
        )
        .await
        .unwrap();
    let u = stores.accounts.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(u.failed_logins, 5);
    assert_eq!(u.locked_until, Some(at(900_000)));
    stores
        .accounts
        .record_login_success(
            id,
            &session("s2", id, 1_000_000),
            event(1_000_000, "auth.login", "typo"),
        )
        .await
        .unwrap();
    let u = stores.accounts.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(u.failed_logins, 0);
    assert_eq!(u.locked_until, None);
    assert_eq!(u.last_login_at, Some(at(1_000_000)));
}

pub async fn a_password_change_keeps_only_the_current_session(stores: &Stores) {
    let id = add_user(stores, "rotator", None, &[]).await;
    for s in ["a", "b", "c"] {
        stores
            .accounts
            .record_login_success(id, &session(s, id, 10), event(10, "auth.login", "rotator"))
            .await
            .unwrap();
    }
    stores
        .accounts
        .set_password(
            id,
            "$argon2id$new",
            at(50),
            Some("b"),
            event(50, "user.password_change", "rotator"),
        )
        .await
        .unwrap();
    assert!(stores.sessions.session("a").await.unwrap().is_none());
    assert!(stores.sessions.session("b").await.unwrap().is_some());
    assert!(stores.sessions.session("c").await.unwrap().is_none());
    assert_eq!(
        stores.accounts.password_hash(id).await.unwrap().as_deref(),
        Some("$argon2id$new")
    );
    assert_eq!(
        stores
            .accounts
            .user_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .password_changed_at,
        at(50)
    );
    stores
        .accounts
        .set_password(
            id,
            "$argon2id$reset",
            at(60),
            None,
            event(60, "user.password_reset", "rotator"),
        )
        .await
        .unwrap();
    assert!(stores.sessions.session("b").await.unwrap().is_none());
}

pub async fn sessions_expire_and_are_purged(stores: &Stores) {
    let id = add_user(stores, "sleepy", None, &[]).await;
    stores
        .accounts
        .record_login_success(id, &session("old", id, 0), event(0, "auth.login", "sleepy"))
        .await
        .unwrap();
    stores
        .accounts
        .record_login_success(
            id,
            &session("new", id, 5_000_000),
            event(5_000_000, "auth.login", "sleepy"),
        )
        .await
        .unwrap();
    // Touching never pushes the idle expiry past the absolute expiry.
    stores
        .sessions
        .touch_session("new", at(5_100_000), at(99_000_000))
        .await
        .unwrap();
    let s = stores.sessions.session("new").await.unwrap().unwrap();
    assert_eq!(s.last_seen_at, at(5_100_000));
    assert_eq!(s.expires_at, at(5_000_000 + 7_200_000));
    assert_eq!(s.csrf_token, "csrf-new");
    let purged = stores
        .sessions
        .purge_expired_sessions(at(4_000_000))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(stores.sessions.session("old").await.unwrap().is_none());
    stores
        .sessions
        .end_session("new", Some(event(5_200_000, "auth.logout", "sleepy")))
        .await
        .unwrap();
    assert!(stores.sessions.session("new").await.unwrap().is_none());
}

pub async fn a_token_is_found_by_its_hash_with_its_grants_and_revoked_once(stores: &Stores) {
    seed_city(stores).await;
    let grants = vec![Grant {
        role: Role::DataSteward,
        scope: Scope::Agency(code("380330000E")),
    }];
    let id = add_user(stores, "script.owner", None, &grants).await;
    let t = stores
        .tokens
        .create_token(
            &NewToken {
                user_id: id,
                label: "nightly export".into(),
                prefix: "civ_abcd1234".into(),
                secret_hash: "h1".into(),
                grants: grants.clone(),
                created_at: at(0),
                expires_at: at(86_400_000),
            },
            event(0, "token.create", "civ_abcd1234"),
        )
        .await
        .unwrap();
    let found = stores.tokens.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(found, t);
    assert_eq!(found.user_name, "script.owner");
    assert_eq!(found.grants, grants);
    assert!(found.is_usable(at(1)));
    assert!(!found.is_usable(at(86_400_000)));
    assert!(stores.tokens.token_by_hash("h2").await.unwrap().is_none());
    stores.tokens.touch_token(t.id, at(500)).await.unwrap();
    assert_eq!(
        stores
            .tokens
            .token_by_id(t.id)
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(at(500))
    );
    assert_eq!(stores.tokens.list_tokens(Some(id)).await.unwrap().len(), 1);
    assert_eq!(
        stores.tokens.list_tokens(Some(id + 1)).await.unwrap().len(),
        0
    );
    assert_eq!(stores.tokens.list_tokens(None).await.unwrap().len(), 1);
    stores
        .tokens
        .revoke_token(t.id, at(600), event(600, "token.revoke", "civ_abcd1234"))
        .await
        .unwrap();
    let again = stores
        .tokens
        .revoke_token(t.id, at(700), event(700, "token.revoke", "civ_abcd1234"))
        .await;
    assert!(matches!(again, Err(DomainError::Conflict(_))));
    let revoked = stores.tokens.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(600)));
    assert!(!revoked.is_usable(at(601)));
}

pub async fn duplicates_are_refused_and_leave_no_audit_entry(stores: &Stores) {
    seed_city(stores).await;
    let id = add_user(stores, "dup", None, &[]).await;
    let before = stores.audit.head().await.unwrap().unwrap();

    let again = stores
        .accounts
        .create_user(
            &NewUser {
                name: UserName::parse("dup").unwrap(),
                profile: profile("dup", None),
                password_hash: "x".into(),
                created_at: at(30),
            },
            &[],
            "cli:test",
            event(30, "user.create", "dup"),
        )
        .await;
    assert!(
        matches!(again, Err(DomainError::AlreadyExists { what: "user", .. })),
        "{again:?}"
    );

    let dup_agency = stores
        .agencies
        .create_agency(
            &agency_input("380330000E", "重複", Some("380000000A"), AgencyKind::Bureau),
            at(31),
            event(31, "agency.create", "380330000E"),
        )
        .await;
    assert!(matches!(
        dup_agency,
        Err(DomainError::AlreadyExists { what: "agency", .. })
    ));

    let g = Grant {
        role: Role::Viewer,
        scope: Scope::City,
    };
    stores
        .accounts
        .add_grant(id, &g, at(32), "admin", event(32, "user.grant", "dup"))
        .await
        .unwrap();
    let mid = stores.audit.head().await.unwrap().unwrap();
    let dup_grant = stores
        .accounts
        .add_grant(id, &g, at(33), "admin", event(33, "user.grant", "dup"))
        .await;
    assert!(matches!(
        dup_grant,
        Err(DomainError::AlreadyExists { what: "grant", .. })
    ));

    assert_eq!(
        mid.seq,
        before.seq + 1,
        "only the successful grant was audited"
    );
    assert_eq!(stores.audit.head().await.unwrap().unwrap(), mid);
}

pub async fn every_change_is_audited_and_the_chain_verifies(stores: &Stores) {
    seed_city(stores).await;
    let id = add_user(stores, "chain", None, &[]).await;
    stores
        .accounts
        .record_login_success(id, &session("z", id, 40), event(40, "auth.login", "chain"))
        .await
        .unwrap();
    stores
        .audit
        .append(event(41, "audit.export", "csv"))
        .await
        .unwrap();
    let head = stores.audit.head().await.unwrap().unwrap();
    assert_eq!(head.seq, 5);

    let all = stores.audit.entries_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(all[4].hash, head.hash);
    assert_eq!(all[3].action, "auth.login");
    assert_eq!(all[3].summary, json!({"object": "chain"}).to_string());
    assert_eq!(stores.audit.entries_after(3, 1).await.unwrap()[0].seq, 4);

    let mut v = civitas_core::audit::Verifier::new();
    for e in &all {
        assert!(v.feed(e));
    }
    let result = v.finish(Some(head));
    assert!(result.intact(), "{result:?}");
    assert_eq!(result.entries_checked, 5);
}

pub async fn the_audit_trail_filters_by_action_actor_outcome_and_time(stores: &Stores) {
    stores
        .audit
        .append(event(0, "user.create", "a"))
        .await
        .unwrap();
    stores
        .audit
        .append(event(1_000, "user.grant", "a"))
        .await
        .unwrap();
    stores
        .audit
        .append(event(2_000, "username.change", "b"))
        .await
        .unwrap();
    let mut failed = event(3_000, "auth.login", "mallory");
    failed.outcome = Outcome::Failure;
    failed.actor.name = "mallory".into();
    failed.acting_agency = None;
    stores.audit.append(failed).await.unwrap();

    let q = |f: AuditFilter| async move {
        stores
            .audit
            .query(&f, PageRequest::default())
            .await
            .unwrap()
    };
    let user = q(AuditFilter {
        action: Some("user".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        user.total, 2,
        "a dotted prefix matches user.* but not username.*"
    );
    assert_eq!(user.items[0].action, "user.grant", "newest first");
    assert_eq!(
        q(AuditFilter {
            action: Some("user.grant".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        q(AuditFilter {
            actor: Some("mallory".into()),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        q(AuditFilter {
            outcome: Some(Outcome::Failure),
            ..Default::default()
        })
        .await
        .total,
        1
    );
    assert_eq!(
        q(AuditFilter {
            agency: Some("380000000A".into()),
            ..Default::default()
        })
        .await
        .total,
        3
    );
    assert_eq!(
        q(AuditFilter {
            object_id: Some("a".into()),
            object_type: Some("user".into()),
            ..Default::default()
        })
        .await
        .total,
        2
    );
    let window = q(AuditFilter {
        from: Some(at(1_000)),
        to: Some(at(3_000)),
        ..Default::default()
    })
    .await;
    assert_eq!(window.total, 2);
    let sqlish = q(AuditFilter {
        action: Some("x' OR '1'='1".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(sqlish.total, 0);
    let paged = stores
        .audit
        .query(
            &AuditFilter::default(),
            PageRequest {
                page: 2,
                per_page: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(paged.total, 4);
    assert_eq!(paged.items.len(), 1);
    assert_eq!(paged.items[0].seq, 1);
}

pub async fn activity_is_counted_per_taipei_day(stores: &Stores) {
    // 2024-01-01T00:00Z is 08:00 in Taipei; 15:59Z is still 1 January there, 16:00Z is 2 January.
    let h = 3_600_000;
    for ms in [0, 15 * h + 59 * 60_000, 16 * h, 17 * h] {
        stores
            .audit
            .append(event(ms, "auth.login", "x"))
            .await
            .unwrap();
    }
    stores
        .audit
        .append(event(17 * h, "user.create", "x"))
        .await
        .unwrap();
    let all = stores.audit.daily_counts(at(0), None).await.unwrap();
    assert_eq!(
        all,
        vec![("2024-01-01".to_string(), 2), ("2024-01-02".to_string(), 3)]
    );
    let logins = stores
        .audit
        .daily_counts(at(0), Some("auth"))
        .await
        .unwrap();
    assert_eq!(
        logins,
        vec![("2024-01-01".to_string(), 2), ("2024-01-02".to_string(), 2)]
    );
    let later = stores
        .audit
        .daily_counts(at(16 * h), Some("auth.login"))
        .await
        .unwrap();
    assert_eq!(later, vec![("2024-01-02".to_string(), 2)]);
}

pub async fn the_schema_is_current_and_the_store_answers(stores: &Stores) {
    stores.admin.ping().await.unwrap();
    let status = stores.admin.schema_status().await.unwrap();
    assert!(status.current(), "{status:?}");
    assert!(status.expected >= 1);
}
