//! The exchange gateway's provider face (migration 0016): members and subsystems mapped to
//! agencies, registered services and endpoints, access grants tied to sharing approvals, and
//! the message log.

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::exchange::archive::ArchiveLink;
use civitas_core::exchange::id::{CharRule, ClientId, ServiceId};
use civitas_core::exchange::model::{
    AccessGrant, CredentialKind, ExchangeCredential, ExchangeMember, GrantFilter, MessageEvidence,
    MessageFilter, MessageRecord, MessageSide, NewAccessGrant, NewArchive, NewService,
    NewTimestampBatch, PendingStamp, RecordTimestamp, RegisteredService, ServiceType,
    StoredEvidence, TrafficHour, TransferRecord,
};
use civitas_core::exchange::rest::Endpoint;
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::ExchangeStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{Params, bad_value, db_err, in_list, opt_ts, param_refs, ts, unique_or_db};

fn agency(column: usize, value: String) -> rusqlite::Result<AgencyCode> {
    AgencyCode::parse(&value).map_err(|_| bad_value(column, "agency code"))
}

fn client_id(column: usize, value: &str) -> rusqlite::Result<ClientId> {
    ClientId::parse_path(value, CharRule::Lenient)
        .map(|c| c.id)
        .map_err(|_| bad_value(column, "X-Road client id"))
}

fn service_id(column: usize, value: &str) -> rusqlite::Result<ServiceId> {
    ServiceId::parse_path(value, CharRule::Lenient)
        .map(|c| c.id)
        .map_err(|_| bad_value(column, "X-Road service id"))
}

fn service_path(s: &ServiceId) -> DomainResult<String> {
    s.to_path().ok_or_else(|| {
        DomainError::invalid(
            "service_id",
            civitas_core::text::Text::new(
                "REST 服務須屬於子系統且不帶版本",
                "a REST service belongs to a subsystem and has no version",
            ),
        )
    })
}

/// Find or add a member/subsystem for `agency`; refused when it stands for another agency.
fn ensure_member(
    tx: &Transaction<'_>,
    client: &ClientId,
    agency_code: &AgencyCode,
    name: &str,
    at: Timestamp,
) -> DomainResult<i64> {
    let sub = client.subsystem.clone().unwrap_or_default();
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, agency FROM exchange_members
             WHERE instance = ?1 AND member_class = ?2 AND member_code = ?3 AND subsystem = ?4",
            params![
                client.instance,
                client.member_class,
                client.member_code,
                sub
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db_err)?;
    match existing {
        Some((id, owner)) if owner == agency_code.as_str() => Ok(id),
        Some((_, owner)) => Err(DomainError::conflict(
            format!("{client} 已登記為 {owner} 的子系統"),
            format!("{client} is already registered to the agency {owner}"),
        )),
        None => {
            tx.execute(
                "INSERT INTO exchange_members (instance, member_class, member_code, subsystem, agency, name, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    client.instance,
                    client.member_class,
                    client.member_code,
                    sub,
                    agency_code.as_str(),
                    name,
                    at.as_millis()
                ],
            )
            .map_err(db_err)?;
            Ok(tx.last_insert_rowid())
        }
    }
}

const SERVICE_COLUMNS: &str = "s.id, s.service_id, s.agency, s.title, s.base_url, s.dataset_id, s.timeout_ms, \
     s.tls_verify, s.service_type, s.openapi, s.disabled_notice, s.created_at, s.created_by, s.updated_at";

fn service_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegisteredService> {
    let sid: String = r.get(1)?;
    let kind: String = r.get(8)?;
    Ok(RegisteredService {
        id: r.get(0)?,
        service: service_id(1, &sid)?,
        agency: agency(2, r.get(2)?)?,
        title: r.get(3)?,
        base_url: r.get(4)?,
        dataset_id: r.get(5)?,
        timeout_ms: r.get(6)?,
        tls_verify: r.get(7)?,
        service_type: ServiceType::parse(&kind).ok_or_else(|| bad_value(8, "service type"))?,
        openapi: r.get(9)?,
        endpoints: Vec::new(),
        disabled_notice: r.get(10)?,
        created_at: ts(r.get(11)?)?,
        created_by: r.get(12)?,
        updated_at: ts(r.get(13)?)?,
    })
}

fn load_services(
    conn: &Connection,
    filter: &str,
    params: &Params,
) -> DomainResult<Vec<RegisteredService>> {
    // Cached: the gateway looks services up on every call, with a handful of fixed filters.
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SERVICE_COLUMNS} FROM exchange_services s {filter} ORDER BY s.service_id"
        ))
        .map_err(db_err)?;
    let mut services = stmt
        .query_map(param_refs(params).as_slice(), service_row)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    let mut ep = conn
        .prepare_cached(
            "SELECT method, path FROM exchange_endpoints WHERE service = ?1 ORDER BY method, path",
        )
        .map_err(db_err)?;
    for s in &mut services {
        s.endpoints = ep
            .query_map(params![s.id], |r| {
                Ok(Endpoint::new(
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                ))
            })
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_err)?;
        s.endpoints.sort();
    }
    Ok(services)
}

fn one_service(conn: &Connection, id: i64) -> DomainResult<Option<RegisteredService>> {
    Ok(load_services(conn, "WHERE s.id = ?1", &vec![Box::new(id)])?
        .into_iter()
        .next())
}

const GRANT_COLUMNS: &str = "g.id, g.service, s.service_id, s.agency, g.endpoint_method, g.endpoint_path, \
     g.subject, g.sharing_grant_id, g.request_id, g.requesting_agency, g.purpose, g.legal_basis, \
     g.approved_by, g.approved_at, g.valid_from, g.valid_until, g.revoked_at, g.revoked_by, \
     sg.valid_until, sg.revoked_at";

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccessGrant> {
    let sid: String = r.get(2)?;
    let subject: String = r.get(6)?;
    let method: Option<String> = r.get(4)?;
    let path: Option<String> = r.get(5)?;
    Ok(AccessGrant {
        id: r.get(0)?,
        service_row: r.get(1)?,
        service: service_id(2, &sid)?,
        provider_agency: agency(3, r.get(3)?)?,
        endpoint: match (method, path) {
            (Some(m), Some(p)) => Some(Endpoint::new(m, p)),
            _ => None,
        },
        subject: client_id(6, &subject)?,
        sharing_grant_id: r.get(7)?,
        request_id: r.get(8)?,
        requesting_agency: agency(9, r.get(9)?)?,
        purpose: r.get(10)?,
        legal_basis: r.get(11)?,
        approved_by: r.get(12)?,
        approved_at: ts(r.get(13)?)?,
        valid_from: ts(r.get(14)?)?,
        valid_until: ts(r.get(15)?)?,
        revoked_at: opt_ts(r.get(16)?)?,
        revoked_by: r.get(17)?,
        approval_valid_until: ts(r.get(18)?)?,
        approval_revoked_at: opt_ts(r.get(19)?)?,
    })
}

fn load_grants(conn: &Connection, filter: &str, params: &Params) -> DomainResult<Vec<AccessGrant>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {GRANT_COLUMNS} FROM exchange_grants g
             JOIN exchange_services s ON s.id = g.service
             JOIN sharing_grants sg ON sg.id = g.sharing_grant_id
             {filter} ORDER BY g.id DESC"
        ))
        .map_err(db_err)?;
    stmt.query_map(param_refs(params).as_slice(), grant_row)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)
}

/// Read from `exchange_messages m`; the last column lists the sides with signed evidence.
const MESSAGE_COLUMNS: &str = "id, xroad_id, request_id, client, service, agency, endpoint, method, path, status, \
     request_hash, response_hash, started_at, finished_at, duration_us, error_type, \
     (SELECT group_concat(ev.side) FROM exchange_evidence ev WHERE ev.message_id = m.id)";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRecord> {
    let agency_code: Option<String> = r.get(5)?;
    Ok(MessageRecord {
        id: r.get(0)?,
        xroad_id: r.get(1)?,
        request_id: r.get(2)?,
        client: r.get(3)?,
        service: r.get(4)?,
        agency: agency_code.map(|a| agency(5, a)).transpose()?,
        endpoint: r.get(6)?,
        method: r.get(7)?,
        path: r.get(8)?,
        status: r.get(9)?,
        request_hash: r.get(10)?,
        response_hash: r.get(11)?,
        started_at: ts(r.get(12)?)?,
        finished_at: ts(r.get(13)?)?,
        duration_us: r.get(14)?,
        error_type: r.get(15)?,
        evidence: r
            .get::<_, Option<String>>(16)?
            .unwrap_or_default()
            .split(',')
            .filter_map(MessageSide::parse)
            .collect(),
    })
}

/// One `exchange_evidence` row joined to its time-stamp batch, columns as
/// [`EVIDENCE_COLUMNS`] lists them.
fn evidence_row(r: &rusqlite::Row<'_>, message_id: i64) -> rusqlite::Result<StoredEvidence> {
    let side: String = r.get(1)?;
    let side = MessageSide::parse(&side).ok_or_else(|| bad_value(1, "message side"))?;
    let chain: Option<Vec<u8>> = r.get(6)?;
    let chain_result: Option<Vec<u8>> = r.get(7)?;
    let timestamp = match r.get::<_, Option<i64>>(11)? {
        None => None,
        Some(batch_id) => Some(RecordTimestamp {
            batch_id,
            tsa_url: r.get(12)?,
            token: r.get(13)?,
            hash_chain_result: r.get(14)?,
            hash_chain: r.get::<_, Option<Vec<u8>>>(10)?.unwrap_or_default(),
            stamped_at: ts(r.get(15)?)?,
        }),
    };
    Ok(StoredEvidence {
        id: r.get(0)?,
        message_id,
        evidence: MessageEvidence {
            side,
            message: r.get(2)?,
            body: r.get(3)?,
            body_omitted: r.get(4)?,
            signature: r.get(5)?,
            sig_hash_chain: chain.zip(chain_result),
        },
        signature_hash: r.get(8)?,
        logged_at: ts(r.get(9)?)?,
        timestamp,
    })
}

const EVIDENCE_COLUMNS: &str = "e.id, e.side, e.message, e.body, e.body_omitted, e.signature,
    e.sig_hash_chain, e.sig_hash_chain_result, e.signature_hash, e.logged_at,
    e.ts_hash_chain, t.id, t.tsa_url, t.token, t.hash_chain_result, t.stamped_at";

#[async_trait]
impl ExchangeStore for SqliteStore {
    async fn register_service(
        &self,
        new: &NewService,
        audit: AuditEvent,
    ) -> DomainResult<RegisteredService> {
        let new = new.clone();
        self.pool
            .write(move |tx| {
                let s = &new.service;
                let path = service_path(&s.service)?;
                let member = ensure_member(tx, &s.service.owner, &s.agency, &new.owner_name, s.created_at)?;
                tx.execute(
                    "INSERT INTO exchange_services (service_id, member_id, agency, title, base_url, dataset_id,
                        timeout_ms, tls_verify, service_type, openapi, disabled_notice, created_at, created_by, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?11)",
                    params![
                        path,
                        member,
                        s.agency.as_str(),
                        s.title,
                        s.base_url,
                        s.dataset_id,
                        s.timeout_ms,
                        s.tls_verify,
                        s.service_type.as_str(),
                        s.openapi,
                        s.created_at.as_millis(),
                        s.created_by
                    ],
                )
                .map_err(unique_or_db("exchange service", &path))?;
                let id = tx.last_insert_rowid();
                for e in &s.endpoints {
                    tx.execute(
                        "INSERT OR IGNORE INTO exchange_endpoints (service, method, path) VALUES (?1, ?2, ?3)",
                        params![id, e.method, e.path],
                    )
                    .map_err(db_err)?;
                }
                append(tx, audit)?;
                one_service(tx, id)?.ok_or_else(|| DomainError::store("service vanished"))
            })
            .await
    }

    async fn exchange_service(&self, id: i64) -> DomainResult<Option<RegisteredService>> {
        self.pool.read(move |conn| one_service(conn, id)).await
    }

    async fn exchange_service_by_id(
        &self,
        service: &ServiceId,
    ) -> DomainResult<Option<RegisteredService>> {
        let Some(path) = service.to_path() else {
            return Ok(None);
        };
        self.pool
            .read_quick(move |conn| {
                Ok(
                    load_services(conn, "WHERE s.service_id = ?1", &vec![Box::new(path)])?
                        .into_iter()
                        .next(),
                )
            })
            .await
    }

    async fn exchange_services(
        &self,
        agencies: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<RegisteredService>> {
        let agencies = agencies.map(<[AgencyCode]>::to_vec);
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let filter = match &agencies {
                    Some(list) => format!("WHERE {}", in_list("s.agency", list, &mut params)),
                    None => String::new(),
                };
                load_services(conn, &filter, &params)
            })
            .await
    }

    async fn set_service_disabled(
        &self,
        id: i64,
        notice: Option<String>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<RegisteredService> {
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE exchange_services SET disabled_notice = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, notice, at.as_millis()],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::not_found("exchange service", id.to_string()));
                }
                append(tx, audit)?;
                one_service(tx, id)?.ok_or_else(|| DomainError::store("service vanished"))
            })
            .await
    }

    async fn exchange_members(&self) -> DomainResult<Vec<ExchangeMember>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT id, instance, member_class, member_code, subsystem, agency, name, created_at
                         FROM exchange_members ORDER BY instance, member_class, member_code, subsystem",
                    )
                    .map_err(db_err)?;
                stmt.query_map([], member_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn exchange_member(&self, client: &ClientId) -> DomainResult<Option<ExchangeMember>> {
        let c = client.clone();
        self.pool
            .read_quick(move |conn| {
                conn.query_row(
                    "SELECT id, instance, member_class, member_code, subsystem, agency, name, created_at
                     FROM exchange_members
                     WHERE instance = ?1 AND member_class = ?2 AND member_code = ?3 AND subsystem = ?4",
                    params![
                        c.instance,
                        c.member_class,
                        c.member_code,
                        c.subsystem.clone().unwrap_or_default()
                    ],
                    member_row,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn create_access_grant(
        &self,
        new: &NewAccessGrant,
        audit: AuditEvent,
    ) -> DomainResult<AccessGrant> {
        let new = new.clone();
        self.pool
            .write(move |tx| {
                let g = &new.grant;
                ensure_member(tx, &g.subject, &g.requesting_agency, &new.subject_name, g.approved_at)?;
                tx.execute(
                    "INSERT INTO exchange_grants (service, endpoint_method, endpoint_path, subject,
                        sharing_grant_id, request_id, requesting_agency, purpose, legal_basis, approved_by,
                        approved_at, valid_from, valid_until)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        g.service_row,
                        g.endpoint.as_ref().map(|e| e.method.clone()),
                        g.endpoint.as_ref().map(|e| e.path.clone()),
                        g.subject.to_path(),
                        g.sharing_grant_id,
                        g.request_id,
                        g.requesting_agency.as_str(),
                        g.purpose,
                        g.legal_basis,
                        g.approved_by,
                        g.approved_at.as_millis(),
                        g.valid_from.as_millis(),
                        g.valid_until.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                append(tx, audit)?;
                load_grants(tx, "WHERE g.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next()
                    .ok_or_else(|| DomainError::store("grant vanished"))
            })
            .await
    }

    async fn access_grant(&self, id: i64) -> DomainResult<Option<AccessGrant>> {
        self.pool
            .read(move |conn| {
                Ok(load_grants(conn, "WHERE g.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next())
            })
            .await
    }

    async fn access_grants(&self, filter: &GrantFilter) -> DomainResult<Vec<AccessGrant>> {
        let filter = filter.clone();
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let mut clauses = Vec::new();
                if let Some(list) = &filter.agencies {
                    let a = in_list("s.agency", list, &mut params);
                    let b = in_list("g.requesting_agency", list, &mut params);
                    clauses.push(format!("({a} OR {b})"));
                }
                if let Some(row) = filter.service_row {
                    params.push(Box::new(row));
                    clauses.push(format!("g.service = ?{}", params.len()));
                }
                let sql = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                load_grants(conn, &sql, &params)
            })
            .await
    }

    async fn grants_for_subject(
        &self,
        service_row: i64,
        subject: &ClientId,
    ) -> DomainResult<Vec<AccessGrant>> {
        let subject = subject.to_path();
        self.pool
            .read_quick(move |conn| {
                load_grants(
                    conn,
                    "WHERE g.service = ?1 AND g.subject = ?2",
                    &vec![Box::new(service_row), Box::new(subject)],
                )
            })
            .await
    }

    async fn revoke_access_grant(
        &self,
        id: i64,
        at: Timestamp,
        by: &str,
        audit: AuditEvent,
    ) -> DomainResult<AccessGrant> {
        let by = by.to_string();
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE exchange_grants SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
                        params![id, at.as_millis(), by],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::conflict(
                        "此存取授權不存在或已經撤銷",
                        "this access grant does not exist or is already revoked",
                    ));
                }
                append(tx, audit)?;
                load_grants(tx, "WHERE g.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next()
                    .ok_or_else(|| DomainError::store("grant vanished"))
            })
            .await
    }

    async fn log_message(&self, record: &MessageRecord) -> DomainResult<i64> {
        let m = record.clone();
        self.pool
            .write_grouped(move |tx| insert_message(tx, &m).map_err(db_err))
            .await
    }

    async fn log_signed_message(
        &self,
        record: &MessageRecord,
        evidence: &[MessageEvidence],
        logged_at: Timestamp,
    ) -> DomainResult<i64> {
        let m = record.clone();
        let evidence = evidence.to_vec();
        self.pool
            .write_grouped(move |tx| {
                let id = insert_message(tx, &m).map_err(db_err)?;
                let mut stmt = tx
                    .prepare_cached(
                        "INSERT INTO exchange_evidence (message_id, side, message, body, body_omitted,
                            signature, sig_hash_chain, sig_hash_chain_result, signature_hash, logged_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    )
                    .map_err(db_err)?;
                for e in &evidence {
                    stmt.execute(params![
                        id,
                        e.side.as_str(),
                        e.message,
                        e.body,
                        e.body_omitted,
                        e.signature,
                        e.sig_hash_chain.as_ref().map(|c| &c.0),
                        e.sig_hash_chain.as_ref().map(|c| &c.1),
                        e.signature_hash(),
                        logged_at.as_millis(),
                    ])
                    .map_err(unique_or_db("message evidence", e.side.as_str()))?;
                }
                Ok(id)
            })
            .await
    }

    async fn xroad_id_logged(&self, xroad_id: &str) -> DomainResult<bool> {
        let xroad_id = xroad_id.to_string();
        self.pool
            .read_quick(move |conn| {
                conn.prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM exchange_messages WHERE xroad_id = ?1)",
                )
                .map_err(db_err)?
                .query_row([xroad_id], |r| r.get(0))
                .map_err(db_err)
            })
            .await
    }

    async fn exchange_message(&self, id: i64) -> DomainResult<Option<MessageRecord>> {
        self.pool
            .read(move |conn| {
                conn.query_row(
                    &format!("SELECT {MESSAGE_COLUMNS} FROM exchange_messages m WHERE id = ?1"),
                    [id],
                    message_row,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn message_evidence(&self, message_id: i64) -> DomainResult<Vec<StoredEvidence>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {EVIDENCE_COLUMNS}
                         FROM exchange_evidence e
                         LEFT JOIN exchange_timestamps t ON t.id = e.timestamp_id
                         WHERE e.message_id = ?1
                         ORDER BY CASE e.side WHEN 'request' THEN 0 ELSE 1 END"
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([message_id], |r| evidence_row(r, message_id))
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn unarchived_evidence(
        &self,
        limit: usize,
    ) -> DomainResult<Vec<(String, StoredEvidence)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {EVIDENCE_COLUMNS}, e.message_id, m.xroad_id
                         FROM exchange_evidence e
                         JOIN exchange_timestamps t ON t.id = e.timestamp_id
                         JOIN exchange_messages m ON m.id = e.message_id
                         WHERE e.archive_id IS NULL AND e.timestamp_id IS NOT NULL
                         ORDER BY e.id LIMIT ?1"
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([limit], |r| {
                        let message_id: i64 = r.get(16)?;
                        Ok((r.get::<_, String>(17)?, evidence_row(r, message_id)?))
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn last_archive(&self) -> DomainResult<Option<ArchiveLink>> {
        self.pool
            .read(|conn| {
                conn.query_row(
                    "SELECT last_digest, file_name FROM exchange_archives ORDER BY id DESC LIMIT 1",
                    [],
                    |r| {
                        Ok(ArchiveLink {
                            digest: r.get(0)?,
                            file_name: r.get(1)?,
                        })
                    },
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn record_archive(&self, archive: &NewArchive) -> DomainResult<i64> {
        let a = archive.clone();
        self.pool
            .write(move |tx| {
                // The chain goes on from the last archive only.
                let last: String = tx
                    .query_row(
                        "SELECT last_digest FROM exchange_archives ORDER BY id DESC LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?
                    .unwrap_or_default();
                if last != a.prev_digest {
                    return Err(DomainError::conflict(
                        "另一份封存檔已先寫入，這份封存檔的雜湊鏈起點已過時",
                        "another archive was recorded first: this archive's chain starts from an old digest",
                    ));
                }
                tx.execute(
                    "INSERT INTO exchange_archives (file_name, last_digest, prev_digest, records, bytes, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        a.file_name,
                        a.last_digest,
                        a.prev_digest,
                        i64::try_from(a.records.len()).unwrap_or(i64::MAX),
                        a.bytes,
                        a.created_at.as_millis()
                    ],
                )
                .map_err(unique_or_db("archive", &a.file_name))?;
                let id = tx.last_insert_rowid();
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE exchange_evidence SET archive_id = ?1
                         WHERE id = ?2 AND archive_id IS NULL AND timestamp_id IS NOT NULL",
                    )
                    .map_err(db_err)?;
                for e in &a.records {
                    if stmt.execute(params![id, e]).map_err(db_err)? != 1 {
                        return Err(DomainError::conflict(
                            format!("紀錄 {e} 已封存或尚未蓋時戳"),
                            format!("record {e} is already archived or not yet stamped"),
                        ));
                    }
                }
                Ok(id)
            })
            .await
    }

    async fn pending_timestamps(&self, limit: usize) -> DomainResult<Vec<PendingStamp>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, signature_hash, logged_at FROM exchange_evidence
                         WHERE timestamp_id IS NULL ORDER BY id LIMIT ?1",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([limit], |r| {
                        Ok(PendingStamp {
                            evidence_id: r.get(0)?,
                            signature_hash: r.get(1)?,
                            logged_at: ts(r.get(2)?)?,
                        })
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn record_timestamp(&self, batch: &NewTimestampBatch) -> DomainResult<i64> {
        let b = batch.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO exchange_timestamps (tsa_url, token, hash_chain_result, records, stamped_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        b.tsa_url,
                        b.token,
                        b.hash_chain_result,
                        i64::try_from(b.records.len()).unwrap_or(i64::MAX),
                        b.stamped_at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let batch_id = tx.last_insert_rowid();
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE exchange_evidence SET timestamp_id = ?1, ts_hash_chain = ?2
                         WHERE id = ?3 AND timestamp_id IS NULL",
                    )
                    .map_err(db_err)?;
                for (evidence_id, chain) in &b.records {
                    if stmt
                        .execute(params![batch_id, chain, evidence_id])
                        .map_err(db_err)?
                        != 1
                    {
                        // Returning an error rolls the whole batch back.
                        return Err(DomainError::conflict(
                            format!("紀錄 {evidence_id} 不存在或已經蓋過時戳"),
                            format!("record {evidence_id} does not exist or is already time-stamped"),
                        ));
                    }
                }
                Ok(batch_id)
            })
            .await
    }

    async fn service_traffic(
        &self,
        service: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> DomainResult<Vec<TrafficHour>> {
        let service = service.to_owned();
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT hour, calls, client_errors, server_errors, total_us, le_1ms, le_5ms,
                            le_10ms, le_50ms, le_100ms, le_500ms, le_1s, le_5s, over_5s
                         FROM exchange_traffic_hours
                         WHERE service = ?1 AND hour >= ?2 AND hour < ?3 ORDER BY hour",
                    )
                    .map_err(db_err)?;
                let count = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u64> {
                    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                let rows = stmt
                    .query_map(params![service, from.as_millis(), until.as_millis()], |r| {
                        let mut latency = [0u64; 9];
                        for (i, slot) in latency.iter_mut().enumerate() {
                            *slot = count(r, 5 + i)?;
                        }
                        Ok(TrafficHour {
                            hour: ts(r.get(0)?)?,
                            calls: count(r, 1)?,
                            client_errors: count(r, 2)?,
                            server_errors: count(r, 3)?,
                            total_us: count(r, 4)?,
                            latency,
                        })
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn transfer_records(
        &self,
        agencies: Option<&[AgencyCode]>,
        after: i64,
        limit: usize,
    ) -> DomainResult<Vec<TransferRecord>> {
        let agencies = agencies.map(<[AgencyCode]>::to_vec);
        self.pool
            .read(move |conn| {
                let mut params: Params = vec![Box::new(after)];
                let scope = match &agencies {
                    Some(list) => format!("AND {}", in_list("m.agency", list, &mut params)),
                    None => String::new(),
                };
                params.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
                let limit = params.len();
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {MESSAGE_COLUMNS},
                            (SELECT signature_hash FROM exchange_evidence
                              WHERE message_id = m.id AND side = 'request'),
                            (SELECT signature_hash FROM exchange_evidence
                              WHERE message_id = m.id AND side = 'response'),
                            EXISTS (SELECT 1 FROM exchange_evidence WHERE message_id = m.id)
                              AND NOT EXISTS (SELECT 1 FROM exchange_evidence
                                WHERE message_id = m.id AND timestamp_id IS NULL)
                         FROM exchange_messages m WHERE m.id > ?1 {scope}
                         ORDER BY m.id LIMIT ?{limit}"
                    ))
                    .map_err(db_err)?;
                let n = MESSAGE_COLUMNS.split(',').count();
                let rows = stmt
                    .query_map(param_refs(&params).as_slice(), |r| {
                        Ok(TransferRecord {
                            message: message_row(r)?,
                            request_signature_hash: r.get(n)?,
                            response_signature_hash: r.get(n + 1)?,
                            timestamped: r.get(n + 2)?,
                        })
                    })
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(rows)
            })
            .await
    }

    async fn messages(
        &self,
        filter: &MessageFilter,
        page: PageRequest,
    ) -> DomainResult<Page<MessageRecord>> {
        let f = filter.clone();
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let mut clauses: Vec<String> = Vec::new();
                if let Some(list) = &f.agencies {
                    clauses.push(in_list("agency", list, &mut params));
                }
                for (column, value) in [
                    ("client", &f.client),
                    ("service", &f.service),
                    ("xroad_id", &f.xroad_id),
                ] {
                    if let Some(v) = value {
                        params.push(Box::new(v.clone()));
                        clauses.push(format!("{column} = ?{}", params.len()));
                    }
                }
                if let Some(status) = f.status {
                    params.push(Box::new(status));
                    clauses.push(format!("status = ?{}", params.len()));
                }
                if f.errors_only {
                    clauses.push("error_type IS NOT NULL".into());
                }
                if let Some(from) = f.from {
                    params.push(Box::new(from.as_millis()));
                    clauses.push(format!("started_at >= ?{}", params.len()));
                }
                if let Some(until) = f.until {
                    params.push(Box::new(until.as_millis()));
                    clauses.push(format!("started_at < ?{}", params.len()));
                }
                let sql = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM exchange_messages {sql}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                params.push(Box::new(i64::try_from(page.limit()).unwrap_or(i64::MAX)));
                let limit = params.len();
                params.push(Box::new(i64::try_from(page.offset()).unwrap_or(i64::MAX)));
                let offset = params.len();
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {MESSAGE_COLUMNS} FROM exchange_messages m {sql}
                         ORDER BY started_at DESC, id DESC LIMIT ?{limit} OFFSET ?{offset}"
                    ))
                    .map_err(db_err)?;
                let items = stmt
                    .query_map(param_refs(&params).as_slice(), message_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                Ok(Page {
                    items,
                    page: page.page,
                    per_page: page.per_page,
                    total: u64::try_from(total).unwrap_or(0),
                })
            })
            .await
    }

    async fn create_exchange_credential(
        &self,
        new: &ExchangeCredential,
        subsystem_name: &str,
        audit: AuditEvent,
    ) -> DomainResult<ExchangeCredential> {
        let c = new.clone();
        let name = subsystem_name.to_string();
        self.pool
            .write(move |tx| {
                let member = ensure_member(tx, &c.client, &c.agency, &name, c.issued_at)?;
                tx.execute(
                    "INSERT INTO exchange_credentials (member_id, kind, fingerprint, subject, not_after,
                        label, issued_by, issued_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        member,
                        c.kind.as_str(),
                        c.fingerprint,
                        c.subject,
                        c.not_after.map(|t| t.as_millis()),
                        c.label,
                        c.issued_by,
                        c.issued_at.as_millis()
                    ],
                )
                .map_err(unique_or_db("exchange credential", &c.fingerprint))?;
                let id = tx.last_insert_rowid();
                append(tx, audit)?;
                load_credentials(tx, "WHERE c.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next()
                    .ok_or_else(|| DomainError::store("credential vanished"))
            })
            .await
    }

    async fn exchange_credential(&self, id: i64) -> DomainResult<Option<ExchangeCredential>> {
        self.pool
            .read(move |conn| {
                Ok(
                    load_credentials(conn, "WHERE c.id = ?1", &vec![Box::new(id)])?
                        .into_iter()
                        .next(),
                )
            })
            .await
    }

    async fn exchange_credentials(
        &self,
        agencies: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<ExchangeCredential>> {
        let agencies: Option<Vec<String>> =
            agencies.map(|a| a.iter().map(|c| c.as_str().to_string()).collect());
        self.pool
            .read(move |conn| {
                let all = load_credentials(conn, "", &Vec::new())?;
                Ok(match agencies {
                    None => all,
                    Some(a) => all
                        .into_iter()
                        .filter(|c| a.iter().any(|x| x == c.agency.as_str()))
                        .collect(),
                })
            })
            .await
    }

    async fn exchange_credentials_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> DomainResult<Vec<ExchangeCredential>> {
        let fp = fingerprint.to_string();
        self.pool
            .read_quick(move |conn| {
                load_credentials(conn, "WHERE c.fingerprint = ?1", &vec![Box::new(fp)])
            })
            .await
    }

    async fn revoke_exchange_credential(
        &self,
        id: i64,
        at: Timestamp,
        by: &str,
        audit: AuditEvent,
    ) -> DomainResult<ExchangeCredential> {
        let by = by.to_string();
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE exchange_credentials SET revoked_at = ?2, revoked_by = ?3
                         WHERE id = ?1 AND revoked_at IS NULL",
                        params![id, at.as_millis(), by],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::conflict(
                        "此憑證或權杖不存在或已經撤銷",
                        "this credential does not exist or is already revoked",
                    ));
                }
                append(tx, audit)?;
                load_credentials(tx, "WHERE c.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next()
                    .ok_or_else(|| DomainError::store("credential vanished"))
            })
            .await
    }
}

fn member_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExchangeMember> {
    let sub: String = r.get(4)?;
    Ok(ExchangeMember {
        id: r.get(0)?,
        client: ClientId {
            instance: r.get(1)?,
            member_class: r.get(2)?,
            member_code: r.get(3)?,
            subsystem: (!sub.is_empty()).then_some(sub),
        },
        agency: agency(5, r.get(5)?)?,
        name: r.get(6)?,
        created_at: ts(r.get(7)?)?,
    })
}

fn load_credentials(
    conn: &Connection,
    filter: &str,
    args: &Params,
) -> DomainResult<Vec<ExchangeCredential>> {
    let sql = format!(
        "SELECT c.id, m.instance, m.member_class, m.member_code, m.subsystem, m.agency, c.kind,
                c.fingerprint, c.subject, c.not_after, c.label, c.issued_by, c.issued_at,
                c.revoked_at, c.revoked_by
         FROM exchange_credentials c JOIN exchange_members m ON m.id = c.member_id
         {filter} ORDER BY c.issued_at DESC, c.id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
    let rows = stmt
        .query_map(param_refs(args).as_slice(), |r| {
            let sub: String = r.get(4)?;
            let kind: String = r.get(6)?;
            Ok(ExchangeCredential {
                id: r.get(0)?,
                client: ClientId {
                    instance: r.get(1)?,
                    member_class: r.get(2)?,
                    member_code: r.get(3)?,
                    subsystem: (!sub.is_empty()).then_some(sub),
                },
                agency: agency(5, r.get(5)?)?,
                kind: CredentialKind::parse(&kind)
                    .ok_or_else(|| bad_value(6, "credential kind"))?,
                fingerprint: r.get(7)?,
                subject: r.get(8)?,
                not_after: opt_ts(r.get(9)?)?,
                label: r.get(10)?,
                issued_by: r.get(11)?,
                issued_at: ts(r.get(12)?)?,
                revoked_at: opt_ts(r.get(13)?)?,
                revoked_by: r.get(14)?,
            })
        })
        .map_err(db_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
}

fn insert_message(tx: &rusqlite::Transaction<'_>, m: &MessageRecord) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO exchange_messages (xroad_id, request_id, client, service, agency, endpoint,
            method, path, status, request_hash, response_hash, started_at, finished_at,
            duration_us, error_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        m.xroad_id,
        m.request_id,
        m.client,
        m.service,
        m.agency.as_ref().map(AgencyCode::as_str),
        m.endpoint,
        m.method,
        m.path,
        m.status,
        m.request_hash,
        m.response_hash,
        m.started_at.as_millis(),
        m.finished_at.as_millis(),
        m.duration_us,
        m.error_type
    ])?;
    Ok(tx.last_insert_rowid())
}
