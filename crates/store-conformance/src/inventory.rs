//! The inventory story every store must tell the same way: 社會局 needs data from others;
//! one need is found in the catalogue and confirmed, another is a gap; a steward of another
//! agency cannot touch it. The city registers its platforms and what they cost, maps the
//! supply list to the open-data platform, and the benefit report counts its use.

use std::sync::Arc;

use civitas_core::DomainError;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::clock::ManualClock;
use civitas_core::inventory::{
    DemandFilter, DemandInput, DemandStatus, PlatformInput, PlatformStatus, Urgency,
};
use civitas_core::ports::Stores;
use civitas_core::sharing::AccessLogEntry;
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform};

use super::catalog::{SUPPLY_LIST, import_list, operator, platform};
use super::{add_user, code};

const SOCIAL: &str = "380120000J";
const HEALTH: &str = "380140000I";
const POLICE: &str = "380130000C";

async fn person(stores: &Stores, name: &str, agency: Option<&str>, role: Role) -> Caller {
    let scope = match agency {
        Some(a) => Scope::Agency(code(a)),
        None => Scope::City,
    };
    let grants = vec![Grant { role, scope }];
    let id = add_user(stores, name, agency, &grants).await;
    Caller::new(
        Principal {
            user_id: Some(id),
            user_name: name.into(),
            home_agency: agency.map(code),
            grants,
            token_id: None,
        },
        Some("10.0.0.9".into()),
    )
}

fn need(title: &str, words: &str, holder: Option<&str>) -> DemandInput {
    DemandInput {
        needing_agency: code(SOCIAL),
        title: title.into(),
        description: "訪視獨居長者前先掌握風險".into(),
        fields: vec!["地址".into(), "日期".into()],
        purpose: "獨居長者關懷訪視".into(),
        legal_basis: Some("老人福利法第 41 條".into()),
        urgency: Urgency::High,
        likely_holder: holder.map(code),
        search_words: words.into(),
    }
}

async fn setup(stores: &Stores) -> (Platform, Arc<ManualClock>) {
    let (p, clock) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    (p, clock)
}

pub async fn demand_is_matched_to_supply_or_listed_as_a_gap(stores: &Stores) {
    let (p, _) = setup(stores).await;
    let social = person(stores, "wang.social", Some(SOCIAL), Role::DataSteward).await;
    let police = person(stores, "li.police", Some(POLICE), Role::DataSteward).await;
    let viewer = person(stores, "viewer", None, Role::Viewer).await;
    let inv = p.inventory();

    let dengue = inv
        .create_demand(&social, need("登革熱病例分布", "登革熱", Some(HEALTH)))
        .await
        .unwrap();
    assert_eq!(dengue.status, DemandStatus::Open);
    assert_eq!(dengue.created_by, "wang.social");
    let mars = inv
        .create_demand(&social, need("火星基地住戶名冊", "火星基地", None))
        .await
        .unwrap();

    // The catalogue suggests the health bureau's dengue data; nothing for Mars.
    let found = inv.suggestions(&viewer, dengue.id).await.unwrap();
    assert!(!found.is_empty(), "the dengue list is in the catalogue");
    assert!(found.iter().all(|s| s.agency != SOCIAL));
    assert_eq!(found[0].agency, HEALTH, "{found:?}");
    assert!(inv.suggestions(&viewer, mars.id).await.unwrap().is_empty());

    let overview = inv.overview(&viewer).await.unwrap();
    assert!(overview.gap_ids.contains(&mars.id));
    assert!(
        !overview.gap_ids.contains(&dengue.id),
        "suggested, so not a gap"
    );

    // A steward of another agency may neither edit nor match the social bureau's demand.
    let err = inv
        .confirm_match(&police, dengue.id, found[0].dataset_id)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    let err = inv
        .update_demand(&police, dengue.id, need("改掉", "改掉", None))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    let err = inv
        .create_demand(&police, need("冒名需求", "x", None))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    assert!(
        inv.create_demand(&viewer, need("檢視者需求", "x", None))
            .await
            .is_err()
    );

    // The social bureau's steward confirms it: matched, in the health bureau's cell.
    let matched = inv
        .confirm_match(&social, dengue.id, found[0].dataset_id)
        .await
        .unwrap();
    assert_eq!(matched.status, DemandStatus::Matched);
    assert_eq!(matched.matches.len(), 1);
    assert_eq!(matched.matches[0].providing_agency.as_str(), HEALTH);
    assert_eq!(matched.matches[0].confirmed_by, "wang.social");
    assert!(
        inv.confirm_match(&social, dengue.id, found[0].dataset_id)
            .await
            .is_err(),
        "confirmed once"
    );
    let overview = inv.overview(&viewer).await.unwrap();
    let cell = overview
        .cells
        .iter()
        .find(|c| c.holder.as_ref().map(|h| h.as_str()) == Some(HEALTH))
        .unwrap();
    assert_eq!((cell.needing.as_str(), cell.matched), (SOCIAL, 1));
    let unknown = overview.cells.iter().find(|c| c.holder.is_none()).unwrap();
    assert_eq!((unknown.demands, unknown.gaps), (1, 1));

    // Edits keep the match; met, reopened, unmatched; each step audited.
    let mut edit = need("登革熱病例分布（含日期）", "登革熱", Some(HEALTH));
    edit.urgency = Urgency::Medium;
    let edited = inv.update_demand(&social, dengue.id, edit).await.unwrap();
    assert_eq!(edited.input.urgency, Urgency::Medium);
    assert_eq!(edited.matches.len(), 1);
    let met = inv
        .set_status(&social, dengue.id, DemandStatus::Met)
        .await
        .unwrap();
    assert_eq!(met.status, DemandStatus::Met);
    let reopened = inv
        .set_status(&social, dengue.id, DemandStatus::Open)
        .await
        .unwrap();
    assert_eq!(
        reopened.status,
        DemandStatus::Matched,
        "it still has its match"
    );
    let open = inv
        .remove_match(&social, dengue.id, found[0].dataset_id)
        .await
        .unwrap();
    assert_eq!(open.status, DemandStatus::Open);
    assert!(open.matches.is_empty());
    inv.set_status(&social, mars.id, DemandStatus::Withdrawn)
        .await
        .unwrap();
    let listed = inv
        .demands(
            &viewer,
            &DemandFilter {
                needing_agencies: Some(vec![code(SOCIAL)]),
                status: Some(DemandStatus::Withdrawn),
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, mars.id);

    let actions: Vec<String> = stores
        .audit
        .entries_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("inventory."))
        .collect();
    assert_eq!(
        actions,
        vec![
            "inventory.demand_create",
            "inventory.demand_create",
            "inventory.demand_match",
            "inventory.demand_update",
            "inventory.demand_status",
            "inventory.demand_status",
            "inventory.demand_unmatch",
            "inventory.demand_status",
        ]
    );
}

fn platform_input(name: &str, status: PlatformStatus, retired: Option<i32>) -> PlatformInput {
    PlatformInput {
        name_zh: name.into(),
        name_en: None,
        operator: code("380000000A"),
        since_year: Some(104),
        status,
        retired_year: retired,
        note: None,
    }
}

pub async fn platform_costs_and_use_make_the_benefit_report(stores: &Stores) {
    let (p, clock) = setup(stores).await;
    let admin = operator();
    let steward = person(stores, "lin.health", Some(HEALTH), Role::DataSteward).await;
    let auditor = person(stores, "audrey", None, Role::Auditor).await;
    let viewer = person(stores, "viewer", None, Role::Viewer).await;
    let inv = p.inventory();

    let open = inv
        .create_platform(
            &admin,
            platform_input("資料開放平台", PlatformStatus::Active, None),
        )
        .await
        .unwrap();
    let old = inv
        .create_platform(
            &admin,
            platform_input(
                "智慧運籌管理暨大數據分析平台",
                PlatformStatus::Retired,
                Some(110),
            ),
        )
        .await
        .unwrap();
    assert!(
        inv.create_platform(
            &admin,
            platform_input("資料開放平台", PlatformStatus::Active, None)
        )
        .await
        .is_err(),
        "one name, one platform"
    );
    let err = inv
        .create_platform(
            &steward,
            platform_input("自建平台", PlatformStatus::Active, None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden { .. }), "{err:?}");
    assert!(
        inv.create_platform(
            &admin,
            platform_input("沒有年份", PlatformStatus::Retired, None)
        )
        .await
        .is_err(),
        "a retired platform says when"
    );

    for (year, amount) in [(106, 8_492_000), (108, 976_500), (109, 1)] {
        inv.set_cost(&admin, old.id, year, amount, None)
            .await
            .unwrap();
    }
    // Entering a year again replaces it.
    inv.set_cost(&admin, old.id, 109, 2_552_000, Some("功能增修".into()))
        .await
        .unwrap();
    assert!(inv.set_cost(&admin, old.id, 109, -5, None).await.is_err());
    assert!(
        inv.set_cost(&admin, old.id, 2024, 5, None).await.is_err(),
        "ROC years only"
    );
    assert!(inv.set_cost(&steward, old.id, 111, 5, None).await.is_err());
    inv.set_cost(&admin, old.id, 111, 7, None).await.unwrap();
    inv.remove_cost(&admin, old.id, 111).await.unwrap();
    assert!(inv.remove_cost(&admin, old.id, 111).await.is_err());
    let costs = inv.costs(&auditor).await.unwrap();
    assert_eq!(costs.len(), 3);
    assert_eq!(costs.iter().map(|c| c.amount).sum::<i64>(), 12_020_500);
    assert!(
        inv.costs(&viewer).await.is_err(),
        "viewers do not read costs"
    );

    // The supply list's source belongs to the open-data platform.
    let sources = inv.sources(&steward).await.unwrap();
    let list = sources
        .iter()
        .find(|s| s.source == "taoyuan-supply-list")
        .unwrap();
    assert!(list.datasets > 1000 && list.platform_id.is_none());
    assert!(
        inv.map_source(&admin, "no-such-source", Some(open.id))
            .await
            .is_err()
    );
    assert!(
        inv.map_source(&steward, "taoyuan-supply-list", Some(open.id))
            .await
            .is_err()
    );
    inv.map_source(&admin, "taoyuan-supply-list", Some(open.id))
        .await
        .unwrap();

    // Use in 民國113年: three people of two agencies (one reading twice) and a data key.
    let ids: Vec<i64> = stores
        .catalog
        .active_datasets()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.record.agency.as_str() == HEALTH)
        .map(|d| d.id)
        .take(2)
        .collect();
    let at = |d: &str| Timestamp::parse_rfc3339(d).unwrap();
    for (when, who, agency, ds, kind) in [
        (
            "2024-03-01T10:00:00+08:00",
            "a",
            Some(SOCIAL),
            ids[0],
            "view",
        ),
        (
            "2024-03-02T10:00:00+08:00",
            "a",
            Some(SOCIAL),
            ids[0],
            "download",
        ),
        (
            "2024-05-01T10:00:00+08:00",
            "b",
            Some(POLICE),
            ids[1],
            "api",
        ),
        (
            "2024-05-01T11:00:00+08:00",
            "civg_key1",
            Some(POLICE),
            ids[1],
            "api",
        ),
        // 民國112年12月31日 23:30 in Taipei: last year's use.
        (
            "2023-12-31T23:30:00+08:00",
            "c",
            Some(SOCIAL),
            ids[0],
            "view",
        ),
    ] {
        stores
            .sharing
            .log_access(&AccessLogEntry {
                at: at(when),
                user_name: who.into(),
                agency: agency.map(str::to_string),
                dataset_id: ds,
                kind: kind.into(),
                rows: 10,
                grant_id: None,
            })
            .await
            .unwrap();
    }
    let use113 = stores.inventory.platform_use(113, 113).await.unwrap();
    assert_eq!(use113.len(), 1);
    let u = &use113[0];
    assert_eq!(
        (
            u.platform_id,
            u.views,
            u.downloads,
            u.api_calls,
            u.users,
            u.agencies,
            u.used_datasets
        ),
        (open.id, 1, 1, 2, 3, 2, 2)
    );
    let use112 = stores.inventory.platform_use(112, 112).await.unwrap();
    assert_eq!((use112.len(), use112[0].users), (1, 1));

    // 民國113年6月: the report runs up to this year.
    clock.set(at("2024-06-01T09:00:00+08:00"));
    let report = inv.benefit(&auditor, 12).await.unwrap();
    assert_eq!(report.total_cost, 12_020_500);
    let row = report
        .rows
        .iter()
        .find(|r| r.platform_id == open.id && r.roc_year == 113)
        .unwrap();
    assert_eq!((row.uses, row.users, row.cost), (4, 3, None));
    assert_eq!(row.cost_per_use, None, "no cost entered: unknown, not zero");
    assert!(row.datasets > 1000);
    let retired = report
        .rows
        .iter()
        .find(|r| r.platform_id == old.id && r.roc_year == 106)
        .unwrap();
    assert_eq!(
        (retired.cost, retired.uses, retired.cost_per_use),
        (Some(8_492_000), 0, None)
    );
    assert!(
        report.unused.iter().all(|d| d.platform_id == Some(open.id)),
        "every dataset comes from the mapped list"
    );
    assert!(inv.benefit(&viewer, 12).await.is_err());

    let mut edit = old.input.clone();
    edit.note = Some("因無法滿足新增需求而於110年度下架".into());
    let edited = inv.update_platform(&admin, old.id, edit).await.unwrap();
    assert_eq!(edited.input.retired_year, Some(110));
    assert!(edited.input.note.is_some());
    let actions: Vec<String> = stores
        .audit
        .entries_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("portfolio."))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "portfolio.cost_set")
            .count(),
        5
    );
    assert!(actions.contains(&"portfolio.source_map".to_string()));
    assert!(actions.contains(&"portfolio.cost_remove".to_string()));
    assert_eq!(actions.last().unwrap(), "portfolio.platform_update");
}
