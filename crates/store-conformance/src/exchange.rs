//! The exchange story every store must tell the same way: 衛生局 offers its dengue cases as an
//! X-Road REST service; 社會局 asked for the dataset and got an approval, and 衛生局's steward
//! turns that approval into an access grant for 社會局's subsystem. Calls are allowed only
//! under an active grant, for the granted endpoint; a disabled service answers with its
//! notice; revoking the grant, or the sharing approval behind it, or letting it run out, ends
//! access. Every call is in the message log.

use civitas_core::DomainError;
use civitas_core::authz::{Grant, Principal, Role, Scope};
use civitas_core::catalog::AccessLevel;
use civitas_core::exchange::id::{CharRule, ClientId, ServiceId};
use civitas_core::exchange::rest::{Endpoint, codes};
use civitas_core::exchange::{
    GrantInput, MessageEvidence, MessageFilter, MessageRecord, MessageSide, NewTimestampBatch,
    ServiceInput, ServiceType,
};
use civitas_core::page::PageRequest;
use civitas_core::ports::Stores;
use civitas_core::sharing::{Decision, NewAccessRequest};
use civitas_core::{Caller, Platform};

use super::catalog::{SUPPLY_LIST, import_list, operator, platform};
use super::{add_user, code};

const DENGUE: &str = "00405ad6-f02a-4bf5-85ac-dca2fdac822e";
const SOCIAL: &str = "380120000J";
const HEALTH: &str = "380140000I";
const POLICE: &str = "380130000C";
const SERVICE: &str = "TW/GOV/380140000I/HEALTH-API/dengue";
const CLIENT: &str = "TW/GOV/380120000J/SOCIAL-CASES";

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
        Some("10.0.0.9".into()),
    )
}

const OPENAPI: &str = r#"{"openapi":"3.0.3","info":{"title":"dengue","version":"1"},
  "servers":[{"url":"http://10.20.0.5:8080/api"}],
  "paths":{"/cases":{"get":{}},"/cases/{id}":{"get":{},"delete":{}}}}"#;

fn service_input() -> ServiceInput {
    ServiceInput {
        service_id: SERVICE.into(),
        agency: code(HEALTH),
        title: "登革熱個案".into(),
        subsystem_name: Some("衛生局資料服務".into()),
        base_url: "http://127.0.0.1:9/api/".into(),
        dataset_id: None,
        timeout_ms: Some(5000),
        tls_verify: None,
        openapi: Some(OPENAPI.into()),
    }
}

async fn check(p: &Platform, client: &ClientId, method: &str, path: &str) -> Result<(), String> {
    let service = ServiceId::parse_path(SERVICE, CharRule::Strict).unwrap().id;
    p.exchange()
        .authorize(client, &service, method, path, p.now())
        .await
        .map(|_| ())
        .map_err(|f| f.error_type())
}

pub async fn an_exchange_grant_answers_a_sharing_approval_and_ends_with_it(stores: &Stores) {
    let (p, clock) = platform(stores).await;
    import_list(&p, &std::fs::read(SUPPLY_LIST).unwrap()).await;
    let d = stores
        .catalog
        .dataset_by_identifier(DENGUE)
        .await
        .unwrap()
        .unwrap();
    let mut record = d.record.clone();
    record.access_level = AccessLevel::Restricted;
    p.catalog().update(&operator(), d.id, record).await.unwrap();

    let social = person(stores, "wang.social", SOCIAL, Role::DataSteward).await;
    let health = person(stores, "lin.health", HEALTH, Role::DataSteward).await;
    let police = person(stores, "li.police", POLICE, Role::DataSteward).await;
    let auditor = person(stores, "audit.city", "380000000A", Role::Auditor).await;
    let x = p.exchange();

    // Registering: strict identifiers, own agency only, endpoints from the description.
    let mut bad = service_input();
    bad.service_id = "TW/GOV/380140000I/HEALTH_API/dengue".into();
    assert!(
        matches!(x.register_service(&health, bad).await, Err(DomainError::Invalid { field, .. }) if field == "service_id")
    );
    assert!(matches!(
        x.register_service(&police, service_input()).await,
        Err(DomainError::Forbidden { .. })
    ));
    let mut yaml = service_input();
    yaml.openapi = Some("openapi: 3.0.3\n".into());
    assert!(
        matches!(x.register_service(&health, yaml).await, Err(DomainError::Invalid { field, .. }) if field == "openapi")
    );
    let svc = x.register_service(&health, service_input()).await.unwrap();
    assert_eq!(svc.service_type, ServiceType::OpenApi3);
    assert_eq!(svc.base_url, "http://127.0.0.1:9/api");
    assert_eq!(
        svc.endpoints,
        vec![
            Endpoint::new("DELETE", "/cases/*"),
            Endpoint::new("GET", "/cases"),
            Endpoint::new("GET", "/cases/*"),
        ]
    );
    assert!(matches!(
        x.register_service(&health, service_input()).await,
        Err(DomainError::AlreadyExists { .. })
    ));

    // The grant answers a sharing request: not before it is approved.
    let req = p
        .sharing()
        .request(
            &social,
            NewAccessRequest {
                dataset_id: d.id,
                requesting_agency: code(SOCIAL),
                purpose: "登革熱個案的社會救助訪視".into(),
                legal_basis: None,
                fields: vec![],
                period_from: None,
                period_to: None,
                days: 30,
            },
        )
        .await
        .unwrap();
    let grant_input = |endpoint: Option<Endpoint>| GrantInput {
        service_id: SERVICE.into(),
        endpoint,
        subject: CLIENT.into(),
        subject_name: Some("社會局個案系統".into()),
        request_id: req.id,
        valid_until: None,
    };
    assert!(matches!(
        x.create_grant(&health, grant_input(None)).await,
        Err(DomainError::Conflict(_))
    ));
    let (_, approval) = p
        .sharing()
        .decide(&health, req.id, Decision::Approve { days: None })
        .await
        .unwrap();
    let approval = approval.unwrap();
    // Only the provider's steward grants.
    assert!(matches!(
        x.create_grant(&social, grant_input(None)).await,
        Err(DomainError::Forbidden { .. })
    ));
    // An endpoint the description does not list is refused.
    assert!(matches!(
        x.create_grant(&health, grant_input(Some(Endpoint::new("POST", "/cases"))))
            .await,
        Err(DomainError::Invalid { .. })
    ));
    // The provider's own subsystem is not the requesting agency's.
    let mut own = grant_input(None);
    own.subject = "TW/GOV/380140000I/HEALTH-API".into();
    assert!(matches!(
        x.create_grant(&health, own).await,
        Err(DomainError::Conflict(_))
    ));

    let client = ClientId::parse_path(CLIENT, CharRule::Strict).unwrap().id;
    let denied = "Server.ServerProxy.AccessDenied";
    assert_eq!(
        check(&p, &client, "GET", "/cases/7").await.unwrap_err(),
        denied,
        "deny by default"
    );

    let g = x
        .create_grant(&health, grant_input(Some(Endpoint::new("GET", "/cases/*"))))
        .await
        .unwrap();
    assert_eq!(g.sharing_grant_id, approval.id);
    assert_eq!(g.requesting_agency, code(SOCIAL));
    assert_eq!(g.valid_until, approval.valid_until);
    assert_eq!(g.purpose, "登革熱個案的社會救助訪視");
    check(&p, &client, "GET", "/cases/7").await.unwrap();
    assert_eq!(
        check(&p, &client, "DELETE", "/cases/7").await.unwrap_err(),
        denied
    );
    assert_eq!(
        check(&p, &client, "GET", "/cases/7/notes")
            .await
            .unwrap_err(),
        denied
    );
    let other = ClientId::parse_path("TW/GOV/380130000C/POLICE", CharRule::Strict)
        .unwrap()
        .id;
    assert_eq!(
        check(&p, &other, "GET", "/cases/7").await.unwrap_err(),
        denied
    );
    let unknown = ServiceId::parse_path("TW/GOV/380140000I/HEALTH-API/nothing", CharRule::Strict)
        .unwrap()
        .id;
    let err = x
        .authorize(&client, &unknown, "GET", "/", p.now())
        .await
        .unwrap_err();
    assert_eq!(err.code, codes::UNKNOWN_SERVICE);
    assert_eq!(err.status(), 500);

    // A disabled service answers with its notice; enabled again, the grant works.
    assert!(matches!(
        x.set_disabled(&police, svc.id, Some("維護中".into())).await,
        Err(DomainError::Forbidden { .. })
    ));
    x.set_disabled(&health, svc.id, Some("系統維護至 18:00".into()))
        .await
        .unwrap();
    let err = x
        .authorize(&client, &svc.service, "GET", "/cases/7", p.now())
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Server.ServerProxy.ServiceDisabled");
    assert!(err.message.contains("系統維護至 18:00"), "{}", err.message);
    x.set_disabled(&health, svc.id, None).await.unwrap();
    check(&p, &client, "GET", "/cases/7").await.unwrap();

    // Metaservice data.
    let clients = x.list_clients().await.unwrap();
    assert_eq!(clients.len(), 2);
    assert!(
        clients
            .iter()
            .any(|m| m.client == client && m.agency == code(SOCIAL))
    );
    let allowed = x
        .allowed_methods(&svc.service.owner, &client, p.now())
        .await
        .unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0].1, vec![Endpoint::new("GET", "/cases/*")]);
    assert!(
        x.allowed_methods(&svc.service.owner, &other, p.now())
            .await
            .unwrap()
            .is_empty()
    );
    let doc = x.get_openapi(&svc.service.owner, "dengue").await.unwrap();
    assert!(
        doc.contains("\"/api\"") && !doc.contains("10.20.0.5"),
        "{doc}"
    );

    // Reads: both agencies see the grant, a third does not; the auditor sees all.
    assert_eq!(x.grants(&social).await.unwrap().len(), 1);
    assert_eq!(x.grants(&health).await.unwrap().len(), 1);
    assert!(x.grants(&police).await.unwrap().is_empty());
    assert_eq!(x.services(&auditor).await.unwrap().len(), 1);
    assert!(x.services(&police).await.unwrap().is_empty());
    assert!(matches!(
        x.create_grant(&auditor, grant_input(None)).await,
        Err(DomainError::Forbidden { .. })
    ));

    // The message log, filtered and scoped.
    for (i, status) in [200u16, 500, 200].into_iter().enumerate() {
        let n = i64::try_from(i).unwrap();
        x.log(&MessageRecord {
            id: 0,
            xroad_id: format!("TW-{i}"),
            request_id: format!("req-{i}"),
            client: Some(CLIENT.into()),
            service: Some(SERVICE.into()),
            agency: Some(code(HEALTH)),
            endpoint: Some("GET /cases/*".into()),
            method: "GET".into(),
            path: "/cases/7".into(),
            status,
            request_hash: Some("aGFzaA==".into()),
            response_hash: None,
            started_at: p.now().add(time::Duration::milliseconds(n)),
            finished_at: p.now().add(time::Duration::milliseconds(n + 3)),
            duration_us: 3000,
            error_type: (status == 500).then(|| "Server.ServerProxy.ServiceFailed".into()),
            evidence: Vec::new(),
        })
        .await;
    }
    let log = x
        .messages(&health, MessageFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(log.total, 3);
    assert_eq!(log.items[0].xroad_id, "TW-2", "newest first");
    let errors = x
        .messages(
            &auditor,
            MessageFilter {
                errors_only: true,
                ..MessageFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(errors.total, 1);
    assert_eq!(errors.items[0].status, 500);
    let by_id = x
        .messages(
            &health,
            MessageFilter {
                xroad_id: Some("TW-1".into()),
                ..MessageFilter::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_id.items.len(), 1);
    assert_eq!(
        x.messages(&police, MessageFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Traffic by hour, kept at logging time: the three calls above (one failed) in this hour,
    // a refused call and a slow one in the next; another agency may not read it.
    let hour_start = p.now().sub(time::Duration::milliseconds(
        p.now().as_millis().rem_euclid(3_600_000),
    ));
    for (i, (status, duration_us)) in [(403u16, 40_000i64), (200, 7_000_000)]
        .into_iter()
        .enumerate()
    {
        let at = hour_start.add(time::Duration::minutes(61 + i64::try_from(i).unwrap()));
        x.log(&MessageRecord {
            id: 0,
            xroad_id: format!("TW-next-{i}"),
            request_id: format!("req-next-{i}"),
            client: Some(CLIENT.into()),
            service: Some(svc.service_path()),
            agency: Some(code(HEALTH)),
            endpoint: None,
            method: "GET".into(),
            path: "/cases/8".into(),
            status,
            request_hash: None,
            response_hash: None,
            started_at: at,
            finished_at: at,
            duration_us,
            error_type: (status == 403).then(|| "Client.BadRequest".into()),
            evidence: Vec::new(),
        })
        .await;
    }
    let (_, hours) = x
        .service_traffic(
            &health,
            svc.id,
            hour_start,
            hour_start.add(time::Duration::hours(2)),
        )
        .await
        .unwrap();
    assert_eq!(hours.len(), 2, "{hours:?}");
    assert_eq!(hours[0].hour, hour_start);
    assert_eq!(
        (
            hours[0].calls,
            hours[0].client_errors,
            hours[0].server_errors
        ),
        (3, 0, 1)
    );
    assert_eq!(hours[0].total_us, 9000);
    assert_eq!(hours[0].latency, [0, 3, 0, 0, 0, 0, 0, 0, 0], "3 ms each");
    assert_eq!(
        (
            hours[1].calls,
            hours[1].client_errors,
            hours[1].server_errors
        ),
        (2, 1, 0)
    );
    assert_eq!(hours[1].latency, [0, 0, 0, 1, 0, 0, 0, 0, 1]);
    assert_eq!(hours[1].latency_quantile_ms(0.5), Some(Some(50)));
    assert_eq!(hours[1].latency_quantile_ms(0.95), Some(None), "over 5 s");
    let (_, later) = x
        .service_traffic(
            &health,
            svc.id,
            hour_start.add(time::Duration::hours(1)),
            hour_start.add(time::Duration::hours(2)),
        )
        .await
        .unwrap();
    assert_eq!(later.len(), 1, "the range is half-open on hours");
    assert!(matches!(
        x.service_traffic(&police, svc.id, hour_start, p.now())
            .await,
        Err(DomainError::Forbidden { .. })
    ));

    // Signed messages wait for their batch time-stamp; a batch stamps each record once.
    let evidence = |side: MessageSide, body: Option<&[u8]>| MessageEvidence {
        side,
        message: format!("{} message", side.as_str()).into_bytes(),
        body: body.map(<[u8]>::to_vec),
        body_omitted: false,
        signature: format!("<signature of the {}/>", side.as_str()).into_bytes(),
        sig_hash_chain: body.map(|_| (b"<HashChain/>".to_vec(), b"<HashChainResult/>".to_vec())),
    };
    let signed = MessageRecord {
        id: 0,
        xroad_id: "TW-signed".into(),
        request_id: "req-signed".into(),
        client: Some(CLIENT.into()),
        service: Some(svc.service_path()),
        agency: Some(code(HEALTH)),
        endpoint: Some("GET /cases/*".into()),
        method: "GET".into(),
        path: "/cases/9".into(),
        status: 200,
        request_hash: None,
        response_hash: None,
        started_at: p.now(),
        finished_at: p.now(),
        duration_us: 900,
        error_type: None,
        evidence: Vec::new(),
    };
    let request = evidence(MessageSide::Request, None);
    let response = evidence(MessageSide::Response, Some(b"{\"cases\": 3}"));
    assert!(!x.xroad_id_seen("TW-signed").await.unwrap());
    let message_id = x
        .log_signed(&signed, &[request.clone(), response.clone()])
        .await
        .unwrap();
    // The replay check finds a logged X-Road-Id, and only that one.
    assert!(x.xroad_id_seen("TW-signed").await.unwrap());
    assert!(!x.xroad_id_seen("TW-signe").await.unwrap());
    let before = x
        .messages(&auditor, MessageFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .total;
    assert!(matches!(
        x.log_signed(&signed, &[request.clone(), request.clone()])
            .await,
        Err(DomainError::AlreadyExists { .. })
    ));
    assert_eq!(
        x.messages(&auditor, MessageFilter::default(), PageRequest::default())
            .await
            .unwrap()
            .total,
        before,
        "a refused write leaves no half-logged call"
    );
    let (logged, stored) = x.message_evidence(&health, message_id).await.unwrap();
    assert_eq!(logged.xroad_id, "TW-signed");
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[0].evidence, request,
        "request first, kept byte for byte"
    );
    assert_eq!(stored[1].evidence, response);
    assert_eq!(stored[1].signature_hash, response.signature_hash());
    assert_eq!(stored[1].signature_hash.len(), 64, "SHA-512");
    assert!(stored.iter().all(|e| e.timestamp.is_none()));
    assert!(
        matches!(
            x.message_evidence(&police, message_id).await,
            Err(DomainError::NotFound { .. } | DomainError::Forbidden { .. })
        ),
        "another agency's evidence stays hidden"
    );
    let pending = p.stores.exchange.pending_timestamps(10).await.unwrap();
    assert_eq!(
        pending.iter().map(|r| r.evidence_id).collect::<Vec<_>>(),
        vec![stored[0].id, stored[1].id],
        "oldest first"
    );
    assert_eq!(pending[0].signature_hash, request.signature_hash());
    assert_eq!(
        p.stores.exchange.pending_timestamps(1).await.unwrap().len(),
        1
    );
    let batch = NewTimestampBatch {
        tsa_url: "http://127.0.0.1:3180/tsa".into(),
        token: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        hash_chain_result: b"<HashChainResult/>".to_vec(),
        stamped_at: p.now(),
        records: pending
            .iter()
            .map(|r| {
                (
                    r.evidence_id,
                    format!("<chain {}/>", r.evidence_id).into_bytes(),
                )
            })
            .collect(),
    };
    let batch_id = p.stores.exchange.record_timestamp(&batch).await.unwrap();
    assert!(
        p.stores
            .exchange
            .pending_timestamps(10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        p.stores.exchange.record_timestamp(&batch).await,
        Err(DomainError::Conflict(_))
    ));
    let (_, stamped) = x.message_evidence(&auditor, message_id).await.unwrap();
    for e in &stamped {
        let t = e.timestamp.as_ref().unwrap();
        assert_eq!(
            t.batch_id, batch_id,
            "the refused second batch changed nothing"
        );
        assert_eq!(t.token, batch.token);
        assert_eq!(t.hash_chain, format!("<chain {}/>", e.id).into_bytes());
    }

    // The transfer-record feed pages by id, oldest first, with the signed messages' hashes.
    let feed = x.transfer_records(&health, 0, 1000).await.unwrap();
    assert!(feed.windows(2).all(|w| w[0].message.id < w[1].message.id));
    let last = feed.last().unwrap();
    assert_eq!(last.message.id, message_id);
    assert_eq!(last.request_signature_hash, Some(request.signature_hash()));
    assert_eq!(
        last.response_signature_hash,
        Some(response.signature_hash())
    );
    assert!(last.timestamped);
    assert!(
        feed.iter()
            .filter(|r| r.message.id != message_id)
            .all(|r| !r.timestamped && r.request_signature_hash.is_none())
    );
    let second = x
        .transfer_records(&health, feed[0].message.id, 2)
        .await
        .unwrap();
    assert_eq!(second.len(), 2);
    assert_eq!(second[0].message.id, feed[1].message.id);
    assert!(
        x.transfer_records(&police, 0, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        x.transfer_records(&health, message_id, 1000)
            .await
            .unwrap()
            .is_empty()
    );

    // Revoking the sharing approval ends the exchange grant too.
    p.sharing()
        .revoke_grant(&health, approval.id, "個案訪視結束")
        .await
        .unwrap();
    assert_eq!(
        check(&p, &client, "GET", "/cases/7").await.unwrap_err(),
        denied
    );
    assert_eq!(
        x.grants(&health).await.unwrap()[0].state(p.now()),
        "revoked"
    );

    // Revoking the grant itself is audited, and only once.
    let revoked = x.revoke_grant(&health, g.id).await.unwrap();
    assert_eq!(revoked.revoked_by.as_deref(), Some("lin.health"));
    assert!(matches!(
        x.revoke_grant(&health, g.id).await,
        Err(DomainError::Conflict(_))
    ));

    // Expiry: a new approval and grant that runs out.
    let req2 = p
        .sharing()
        .request(
            &social,
            NewAccessRequest {
                dataset_id: d.id,
                requesting_agency: code(SOCIAL),
                purpose: "第二期訪視".into(),
                legal_basis: None,
                fields: vec![],
                period_from: None,
                period_to: None,
                days: 10,
            },
        )
        .await
        .unwrap();
    p.sharing()
        .decide(&health, req2.id, Decision::Approve { days: None })
        .await
        .unwrap();
    let mut again = grant_input(None);
    again.request_id = req2.id;
    let g2 = x.create_grant(&health, again).await.unwrap();
    check(&p, &client, "DELETE", "/cases/7").await.unwrap();
    clock.set(g2.valid_until);
    assert_eq!(
        check(&p, &client, "GET", "/cases/7").await.unwrap_err(),
        denied
    );

    let audit = p.audit().verify().await.unwrap();
    assert!(audit.problem.is_none());
}
