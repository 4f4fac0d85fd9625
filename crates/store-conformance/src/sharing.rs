//! The sharing story every store must tell the same way: 社會局 asks 衛生局 for its dengue
//! cases (personal data), two stewards approve in part, the data API serves only the granted
//! fields and counts every read, and an agency without a grant is refused.

use civitas_core::DomainError;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::catalog::AccessLevel;
use civitas_core::ports::{RequestFilter, Stores};
use civitas_core::sharing::{Decision, NewAccessRequest, RequestStatus};
use civitas_core::time::Timestamp;
use civitas_core::{Caller, Platform};

use super::catalog::{SUPPLY_LIST, import_list, operator, platform};
use super::{add_user, code};

const DENGUE: &str = "00405ad6-f02a-4bf5-85ac-dca2fdac822e";
const SOCIAL: &str = "380120000J";
const HEALTH: &str = "380140000I";
const POLICE: &str = "380130000C";

async fn person(stores: &Stores, name: &str, agency: &str, role: Role) -> Caller {
    let grants = vec![Grant {
        role,
        scope: Scope::Agency(code(agency)),
    }];
    let id = add_user(stores, name, Some(agency), &grants).await;
    Caller::new(
        Principal {
            user_id: Some(id),
            user_name: name.into(),
            home_agency: Some(code(agency)),
            grants,
            token_id: None,
        },
        Some("10.0.0.8".into()),
    )
}

fn ask(dataset_id: i64, fields: &[&str], legal_basis: Option<&str>) -> NewAccessRequest {
    NewAccessRequest {
        dataset_id,
        requesting_agency: code(SOCIAL),
        purpose: "登革熱個案的社會救助訪視".into(),
        legal_basis: legal_basis.map(str::to_string),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        period_from: Some("2017-01-01".into()),
        period_to: Some("2017-12-31".into()),
        days: 90,
    }
}

async fn setup(stores: &Stores) -> (Platform, i64, Vec<String>) {
    let (p, _) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    let d = stores
        .catalog
        .dataset_by_identifier(DENGUE)
        .await
        .unwrap()
        .unwrap();
    let mut record = d.record.clone();
    record.access_level = AccessLevel::PersonalData;
    p.catalog().update(&operator(), d.id, record).await.unwrap();
    let fields = d.record.fields.iter().map(|f| f.name.clone()).collect();
    (p, d.id, fields)
}

pub async fn personal_data_is_shared_only_after_two_approvers_and_only_its_granted_fields(
    stores: &Stores,
) {
    let (p, dengue, fields) = setup(stores).await;
    assert!(
        fields.len() >= 3,
        "the dengue list names its fields: {fields:?}"
    );
    let social = person(stores, "wang.social", SOCIAL, Role::DataSteward).await;
    let h1 = person(stores, "lin.health", HEALTH, Role::DataSteward).await;
    let h2 = person(stores, "chen.health", HEALTH, Role::DataSteward).await;
    let police = person(stores, "li.police", POLICE, Role::DataSteward).await;
    let sharing = p.sharing();

    // Personal data needs a legal basis.
    let asked = [fields[0].as_str(), fields[1].as_str(), fields[2].as_str()];
    let err = sharing
        .request(&social, ask(dengue, &asked, None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { field, .. } if field == "legal_basis"),
        "{err:?}"
    );
    let req = sharing
        .request(
            &social,
            ask(dengue, &asked, Some("個人資料保護法第16條第2款")),
        )
        .await
        .unwrap();
    assert_eq!(req.status, RequestStatus::Pending);
    assert_eq!(req.providing_agency, code(HEALTH));
    assert!(matches!(
        sharing
            .request(&social, ask(dengue, &asked, Some("同上")))
            .await,
        Err(DomainError::Conflict(_))
    ));
    // Another agency's steward cannot decide, and cannot even see the request.
    assert!(matches!(
        sharing.get_request(&police, req.id).await,
        Err(DomainError::NotFound { .. })
    ));
    assert_eq!(sharing.waiting_for(&h1).await.unwrap().len(), 1);
    assert!(sharing.waiting_for(&police).await.unwrap().is_empty());

    // First approval (in part): no grant yet.
    let keep = vec![fields[0].clone(), fields[1].clone()];
    let (first, grant) = sharing
        .decide(
            &h1,
            req.id,
            Decision::ApproveInPart {
                fields: keep.clone(),
                days: Some(30),
                reason: "地址欄位不提供".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(first.status, RequestStatus::AwaitingSecondApproval);
    assert!(grant.is_none());
    assert!(matches!(
        sharing
            .decide(&h1, req.id, Decision::Approve { days: None })
            .await,
        Err(DomainError::Conflict(_))
    ));
    assert!(
        sharing.waiting_for(&h1).await.unwrap().is_empty(),
        "the first approver waits for someone else"
    );
    let (done, grant) = sharing
        .decide(&h2, req.id, Decision::Approve { days: Some(30) })
        .await
        .unwrap();
    let grant = grant.expect("the second approval makes a grant");
    assert_eq!(done.status, RequestStatus::PartlyApproved);
    assert_eq!(grant.fields, keep);
    assert_eq!(grant.approved_by, "lin.health");
    assert_eq!(grant.second_approved_by.as_deref(), Some("chen.health"));
    assert_eq!(grant.grantee_agency, code(SOCIAL));
    assert_eq!(
        (grant.valid_until.as_millis() - grant.valid_from.as_millis()) / 86_400_000,
        30
    );

    // No file yet: the data API says so.
    assert!(matches!(
        sharing.read_rows(Some(&social), dengue, 0, 10, None).await,
        Err(DomainError::Conflict(_))
    ));
    // The steward uploads the file: a real data update, stored once.
    let header = fields.join(",");
    let row = |i: usize| {
        (0..fields.len())
            .map(|c| format!("v{i}-{c}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let csv = format!("{header}\n{}\n{}\n{}\n", row(1), row(2), row(3));
    let before = stores.catalog.dataset(dengue).await.unwrap().unwrap();
    let up = sharing
        .upload(&h1, dengue, "dengue.csv", "text/csv", csv.as_bytes())
        .await
        .unwrap();
    assert!(up.changed);
    assert_eq!(up.rows, Some(3));
    let after = stores.catalog.dataset(dengue).await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(
        after.data_updated_at,
        Some(p.now()),
        "an upload is data evidence"
    );
    let again = sharing
        .upload(&h1, dengue, "dengue-copy.csv", "text/csv", csv.as_bytes())
        .await
        .unwrap();
    assert!(!again.changed, "the same content is not new data");
    assert_eq!(
        stores
            .catalog
            .dataset(dengue)
            .await
            .unwrap()
            .unwrap()
            .version,
        after.version
    );

    // The next harvest of the supply list keeps what civitas holds: the file and the access level.
    let (_, report) = import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    assert_eq!(report.updated, 0, "a harvest does not undo local decisions");
    let kept = stores.catalog.dataset(dengue).await.unwrap().unwrap();
    assert_eq!(kept.record.access_level, AccessLevel::PersonalData);
    assert_eq!(kept.version, after.version);
    assert!(
        kept.record
            .distributions
            .iter()
            .any(|d| d.checksum_sha256.as_deref() == Some(up.sha256.as_str()))
    );

    // The grantee reads only the granted fields; the provider reads everything.
    let page = sharing
        .read_rows(Some(&social), dengue, 1, 10, None)
        .await
        .unwrap();
    assert_eq!(page.columns, keep);
    assert_eq!(page.total, 3);
    assert_eq!(page.rows, vec![vec!["v2-0", "v2-1"], vec!["v3-0", "v3-1"]]);
    assert_eq!(page.grant_id, Some(grant.id));
    let own = sharing
        .read_rows(Some(&h2), dengue, 0, 1, None)
        .await
        .unwrap();
    assert_eq!(own.columns.len(), fields.len());
    let (_, _, file) = sharing.download(Some(&social), dengue, None).await.unwrap();
    let text = String::from_utf8(file).unwrap();
    assert!(text.starts_with(&keep.join(",")), "{text}");
    assert!(!text.contains("v1-2"), "ungranted fields never leave");

    // Without a grant: refused, and nobody anonymous reads personal data.
    assert!(matches!(
        sharing.read_rows(Some(&police), dengue, 0, 10, None).await,
        Err(DomainError::NoGrant(_))
    ));
    assert!(matches!(
        sharing.read_rows(None, dengue, 0, 10, None).await,
        Err(DomainError::Unauthenticated)
    ));

    // Every access is counted: two API reads (social, health), one download.
    let usage = sharing
        .dataset_usage(&social, dengue, Timestamp::from_millis(0).unwrap())
        .await
        .unwrap();
    assert_eq!(usage.api_calls, 2);
    assert_eq!(usage.downloads, 1);
    assert_eq!(usage.rows, 2 + 1 + 3);
    assert_eq!(
        usage.consuming_agencies, 1,
        "衛生局 reading its own data is not a consumer"
    );
    let log = sharing.access_log(&h1, dengue, 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].kind, "download");
    assert_eq!(log[0].agency.as_deref(), Some(SOCIAL));
    assert!(sharing.access_log(&social, dengue, 10).await.is_err());

    // A key for a program of 社會局: reads this grant only, and dies with the grant.
    let (secret, key) = sharing
        .issue_key(&social, grant.id, "訪視排程系統")
        .await
        .unwrap();
    assert!(secret.starts_with("civg_"));
    assert_eq!(key.expires_at, grant.valid_until);
    let (_, program) = sharing.resolve_key(&secret).await.unwrap();
    let via_key = sharing
        .read_rows(Some(&program), dengue, 0, 100, Some(grant.id))
        .await
        .unwrap();
    assert_eq!(via_key.rows.len(), 3);
    assert!(matches!(
        sharing.revoke_grant(&social, grant.id, "不再需要").await,
        Err(DomainError::Forbidden { .. })
    ));
    sharing
        .revoke_grant(&h2, grant.id, "個案訪視已結束")
        .await
        .unwrap();
    assert!(matches!(
        sharing.resolve_key(&secret).await,
        Err(DomainError::InvalidToken(_))
    ));
    assert!(matches!(
        sharing.read_rows(Some(&social), dengue, 0, 10, None).await,
        Err(DomainError::NoGrant(_))
    ));

    // The request history, and every decision in the audit chain.
    let all = sharing
        .requests(&social, &RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].granted_fields, keep);
    let actions: Vec<String> = stores
        .audit
        .entries_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("sharing.") || a == "dataset.upload")
        .collect();
    for a in [
        "sharing.request",
        "sharing.decide",
        "dataset.upload",
        "sharing.key.create",
        "sharing.revoke",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    assert!(p.audit().verify().await.unwrap().intact());
}

pub async fn open_and_city_data_need_no_request_and_refusals_say_why(stores: &Stores) {
    let (p, dengue, _) = setup(stores).await;
    let social = person(stores, "wang.social", SOCIAL, Role::DataSteward).await;
    let h1 = person(stores, "lin.health", HEALTH, Role::DataSteward).await;
    let viewer = person(stores, "li.police", POLICE, Role::Viewer).await;
    let sharing = p.sharing();
    // An open dataset of 衛生局: no request needed.
    let open = stores
        .catalog
        .active_datasets()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.record.agency == code(HEALTH) && d.record.access_level == AccessLevel::Open)
        .unwrap();
    let mut req = ask(open.id, &[], None);
    req.fields.clear();
    assert!(matches!(
        sharing.request(&social, req).await,
        Err(DomainError::Conflict(_))
    ));
    // A viewer cannot file requests for their agency.
    let mut req = ask(dengue, &[], Some("x"));
    req.requesting_agency = code(POLICE);
    assert!(matches!(
        sharing.request(&viewer, req).await,
        Err(DomainError::Forbidden { .. })
    ));
    // Refusal needs a reason and ends the request.
    let r = sharing
        .request(&social, ask(dengue, &[], Some("個人資料保護法第16條")))
        .await
        .unwrap();
    assert!(matches!(
        sharing
            .decide(&h1, r.id, Decision::Refuse { reason: " ".into() })
            .await,
        Err(DomainError::Invalid { .. })
    ));
    let (refused, grant) = sharing
        .decide(
            &h1,
            r.id,
            Decision::Refuse {
                reason: "請改申請去識別化統計資料".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(refused.status, RequestStatus::Refused);
    assert_eq!(refused.reason.as_deref(), Some("請改申請去識別化統計資料"));
    assert!(grant.is_none());
    // The requester may withdraw a new request; nobody may withdraw a decided one.
    let again = sharing
        .request(&social, ask(dengue, &[], Some("個人資料保護法第16條")))
        .await
        .unwrap();
    assert_eq!(
        sharing.withdraw(&social, again.id).await.unwrap().status,
        RequestStatus::Withdrawn
    );
    assert!(sharing.withdraw(&social, r.id).await.is_err());
    // City-shared data: every agency's staff read it without a request, and views count.
    let mut record = open.record.clone();
    record.access_level = AccessLevel::City;
    p.catalog()
        .update(&operator(), open.id, record)
        .await
        .unwrap();
    sharing
        .upload(
            &h1,
            open.id,
            "list.csv",
            "text/csv",
            "a,b\n1,2\n".as_bytes(),
        )
        .await
        .unwrap();
    let page = sharing
        .read_rows(Some(&viewer), open.id, 0, 10, None)
        .await
        .unwrap();
    assert_eq!(page.rows, vec![vec!["1", "2"]]);
    assert!(matches!(
        sharing.read_rows(None, open.id, 0, 10, None).await,
        Err(DomainError::Unauthenticated)
    ));
    sharing.record_view(Some(&viewer), open.id).await.unwrap();
    sharing.record_view(None, open.id).await.unwrap();
    let usage = sharing
        .usage(&social, Timestamp::from_millis(0).unwrap())
        .await
        .unwrap();
    let row = usage.iter().find(|u| u.dataset_id == open.id).unwrap();
    assert_eq!(
        (row.views, row.api_calls, row.consuming_agencies),
        (2, 1, 1)
    );
    let days = sharing
        .usage_by_day(&social, Timestamp::from_millis(0).unwrap(), None)
        .await
        .unwrap();
    assert_eq!(days.len(), 1, "all on the inventory day");
    assert_eq!((days[0].1, days[0].2, days[0].3), (2, 0, 1));
    let none = sharing
        .usage_by_day(
            &social,
            Timestamp::from_millis(0).unwrap(),
            Some(&code(SOCIAL)),
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "社會局's own datasets were not used");
}
