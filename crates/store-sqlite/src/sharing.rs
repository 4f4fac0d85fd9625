//! Sharing requests, grants, grant keys, the data access log with its rollups, and blobs.

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::ports::{BlobStore, RecordedDecision, RequestFilter, SharingStore};
use civitas_core::sharing::{
    AccessLogEntry, AccessRequest, NewAccessRequest, RequestStatus, SharingGrant, SharingKey,
    UsageRow,
};
use civitas_core::time::{Timestamp, iso_date};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{Params, bad_value, db_err, in_list, opt_ts, param_refs, ts};

const REQUEST_COLUMNS: &str = "id, dataset_id, dataset_title, requesting_agency, providing_agency, requester, purpose, \
                               legal_basis, fields, period_from, period_to, days, status, created_at, first_approver, \
                               decided_by, decided_at, reason, granted_fields";

const GRANT_COLUMNS: &str = "g.id, g.request_id, g.dataset_id, r.dataset_title, g.providing_agency, g.grantee_agency, \
                             g.fields, g.valid_from, g.valid_until, g.approved_by, g.second_approved_by, g.revoked_at";

const KEY_COLUMNS: &str = "k.id, k.grant_id, k.user_id, u.name, k.label, k.prefix, k.created_at, k.expires_at, \
                           k.last_used_at, k.revoked_at";

fn code(r: &Row<'_>, i: usize) -> rusqlite::Result<AgencyCode> {
    let text: String = r.get(i)?;
    AgencyCode::parse(&text).map_err(|_| bad_value(i, "agency code"))
}

fn names(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|_| bad_value(i, "field list"))
}

fn request_row(r: &Row<'_>) -> rusqlite::Result<AccessRequest> {
    let status: String = r.get(12)?;
    Ok(AccessRequest {
        id: r.get(0)?,
        request: NewAccessRequest {
            dataset_id: r.get(1)?,
            requesting_agency: code(r, 3)?,
            purpose: r.get(6)?,
            legal_basis: r.get(7)?,
            fields: names(r, 8)?,
            period_from: r.get(9)?,
            period_to: r.get(10)?,
            days: u32::try_from(r.get::<_, i64>(11)?).unwrap_or(0),
        },
        dataset_title: r.get(2)?,
        providing_agency: code(r, 4)?,
        requester: r.get(5)?,
        status: RequestStatus::parse(&status).ok_or_else(|| bad_value(12, "request status"))?,
        created_at: ts(r.get(13)?)?,
        first_approver: r.get(14)?,
        decided_by: r.get(15)?,
        decided_at: opt_ts(r.get(16)?)?,
        reason: r.get(17)?,
        granted_fields: names(r, 18)?,
    })
}

fn grant_row(r: &Row<'_>) -> rusqlite::Result<SharingGrant> {
    Ok(SharingGrant {
        id: r.get(0)?,
        request_id: r.get(1)?,
        dataset_id: r.get(2)?,
        dataset_title: r.get(3)?,
        providing_agency: code(r, 4)?,
        grantee_agency: code(r, 5)?,
        fields: names(r, 6)?,
        valid_from: ts(r.get(7)?)?,
        valid_until: ts(r.get(8)?)?,
        approved_by: r.get(9)?,
        second_approved_by: r.get(10)?,
        revoked_at: opt_ts(r.get(11)?)?,
    })
}

fn key_row(r: &Row<'_>) -> rusqlite::Result<SharingKey> {
    Ok(SharingKey {
        id: r.get(0)?,
        grant_id: r.get(1)?,
        user_id: r.get(2)?,
        user_name: r.get(3)?,
        label: r.get(4)?,
        prefix: r.get(5)?,
        created_at: ts(r.get(6)?)?,
        expires_at: ts(r.get(7)?)?,
        last_used_at: opt_ts(r.get(8)?)?,
        revoked_at: opt_ts(r.get(9)?)?,
    })
}

fn json_names(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".into())
}

fn load_request(conn: &Connection, id: i64) -> DomainResult<Option<AccessRequest>> {
    conn.query_row(
        &format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE id = ?1"),
        [id],
        request_row,
    )
    .optional()
    .map_err(db_err)
}

fn load_grants(
    conn: &Connection,
    filter: &str,
    params: &Params,
) -> DomainResult<Vec<SharingGrant>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {GRANT_COLUMNS} FROM sharing_grants g JOIN access_requests r ON r.id = g.request_id
             {filter} ORDER BY g.id DESC"
        ))
        .map_err(db_err)?;
    stmt.query_map(param_refs(params).as_slice(), grant_row)
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)
}

#[async_trait]
impl SharingStore for SqliteStore {
    async fn create_request(
        &self,
        request: &NewAccessRequest,
        requester: &str,
        providing_agency: &AgencyCode,
        dataset_title: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<AccessRequest> {
        let request = request.clone();
        let requester = requester.to_string();
        let providing = providing_agency.to_string();
        let title = dataset_title.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO access_requests (dataset_id, dataset_title, requesting_agency, providing_agency, requester,
                        purpose, legal_basis, fields, period_from, period_to, days, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', ?12)",
                    params![
                        request.dataset_id,
                        title,
                        request.requesting_agency.as_str(),
                        providing,
                        requester,
                        request.purpose,
                        request.legal_basis,
                        json_names(&request.fields),
                        request.period_from,
                        request.period_to,
                        i64::from(request.days),
                        at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                let mut audit = audit;
                if let Some(m) = audit.summary.as_object_mut() {
                    m.insert("request".into(), serde_json::json!(id));
                }
                append(tx, audit)?;
                load_request(tx, id)?
                    .ok_or_else(|| DomainError::store("the new request vanished"))
            })
            .await
    }

    async fn request(&self, id: i64) -> DomainResult<Option<AccessRequest>> {
        self.pool.read(move |conn| load_request(conn, id)).await
    }

    async fn requests(&self, filter: &RequestFilter) -> DomainResult<Vec<AccessRequest>> {
        let filter = filter.clone();
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let mut clauses = Vec::new();
                if let Some(agencies) = &filter.requesting_agencies {
                    clauses.push(in_list("requesting_agency", agencies, &mut params));
                }
                if let Some(agencies) = &filter.providing_agencies {
                    clauses.push(in_list("providing_agency", agencies, &mut params));
                }
                if let Some(id) = filter.dataset_id {
                    params.push(Box::new(id));
                    clauses.push(format!("dataset_id = ?{}", params.len()));
                }
                if filter.open_only {
                    clauses.push("status IN ('pending', 'awaiting_second_approval')".into());
                }
                let filter = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {REQUEST_COLUMNS} FROM access_requests {filter} ORDER BY id DESC"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&params).as_slice(), request_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn decide(
        &self,
        id: i64,
        decision: &RecordedDecision,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<(AccessRequest, Option<SharingGrant>)> {
        let d = decision.clone();
        self.pool
            .write(move |tx| {
                let current = load_request(tx, id)?
                    .ok_or_else(|| DomainError::not_found("request", id.to_string()))?;
                // Decided by someone else in the meantime: refuse rather than decide twice.
                if !current.status.is_open() {
                    return Err(DomainError::conflict(
                        "此申請剛由他人審核完畢",
                        "someone else has just decided this request",
                    ));
                }
                let closes = !matches!(d.status, RequestStatus::AwaitingSecondApproval);
                tx.execute(
                    "UPDATE access_requests SET status = ?2, first_approver = ?3, decided_by = ?4, decided_at = ?5,
                            reason = ?6, granted_fields = ?7
                     WHERE id = ?1",
                    params![
                        id,
                        d.status.code(),
                        d.first_approver,
                        d.decided_by,
                        closes.then(|| at.as_millis()),
                        d.reason,
                        json_names(&d.granted_fields)
                    ],
                )
                .map_err(db_err)?;
                let grant_id = match &d.grant {
                    Some(g) => {
                        tx.execute(
                            "INSERT INTO sharing_grants (request_id, dataset_id, providing_agency, grantee_agency, fields,
                                valid_from, valid_until, approved_by, second_approved_by)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            params![
                                id,
                                current.request.dataset_id,
                                current.providing_agency.as_str(),
                                current.request.requesting_agency.as_str(),
                                json_names(&g.fields),
                                g.valid_from.as_millis(),
                                g.valid_until.as_millis(),
                                g.approved_by,
                                g.second_approved_by
                            ],
                        )
                        .map_err(db_err)?;
                        Some(tx.last_insert_rowid())
                    }
                    None => None,
                };
                let mut audit = audit;
                if let (Some(g), Some(m)) = (grant_id, audit.summary.as_object_mut()) {
                    m.insert("grant".into(), serde_json::json!(g));
                }
                append(tx, audit)?;
                let request = load_request(tx, id)?
                    .ok_or_else(|| DomainError::store("the decided request vanished"))?;
                let grant = match grant_id {
                    Some(g) => load_grants(tx, "WHERE g.id = ?1", &vec![Box::new(g)])?
                        .into_iter()
                        .next(),
                    None => None,
                };
                Ok((request, grant))
            })
            .await
    }

    async fn grants_for_dataset(&self, dataset_id: i64) -> DomainResult<Vec<SharingGrant>> {
        self.pool
            .read(move |conn| {
                load_grants(conn, "WHERE g.dataset_id = ?1", &vec![Box::new(dataset_id)])
            })
            .await
    }

    async fn grants(
        &self,
        grantee: Option<&[AgencyCode]>,
        provider: Option<&[AgencyCode]>,
    ) -> DomainResult<Vec<SharingGrant>> {
        let grantee = grantee.map(<[AgencyCode]>::to_vec);
        let provider = provider.map(<[AgencyCode]>::to_vec);
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let mut clauses = Vec::new();
                if let Some(a) = &grantee {
                    clauses.push(in_list("g.grantee_agency", a, &mut params));
                }
                if let Some(a) = &provider {
                    clauses.push(in_list("g.providing_agency", a, &mut params));
                }
                let filter = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                load_grants(conn, &filter, &params)
            })
            .await
    }

    async fn revoke_grant(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE sharing_grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                        params![id, at.as_millis()],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::conflict(
                        "此授權已經終止",
                        "this grant is already revoked",
                    ));
                }
                tx.execute(
                    "UPDATE sharing_keys SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at IS NULL",
                    params![id, at.as_millis()],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn grant(&self, id: i64) -> DomainResult<Option<SharingGrant>> {
        self.pool
            .read(move |conn| {
                Ok(load_grants(conn, "WHERE g.id = ?1", &vec![Box::new(id)])?
                    .into_iter()
                    .next())
            })
            .await
    }

    async fn log_access(&self, entry: &AccessLogEntry) -> DomainResult<()> {
        let e = entry.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO data_access_log (at, user_name, agency, dataset_id, kind, rows, grant_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        e.at.as_millis(),
                        e.user_name,
                        e.agency,
                        e.dataset_id,
                        e.kind,
                        i64::try_from(e.rows).unwrap_or(i64::MAX),
                        e.grant_id
                    ],
                )
                .map_err(db_err)?;
                let day = iso_date(e.at.taipei_date());
                let (views, downloads, api) = match e.kind.as_str() {
                    "view" => (1, 0, 0),
                    "download" => (0, 1, 0),
                    _ => (0, 0, 1),
                };
                tx.execute(
                    "INSERT INTO dataset_usage_daily (dataset_id, day, views, downloads, api_calls, rows, last_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (dataset_id, day) DO UPDATE SET
                        views = views + excluded.views, downloads = downloads + excluded.downloads,
                        api_calls = api_calls + excluded.api_calls, rows = rows + excluded.rows,
                        last_at = MAX(last_at, excluded.last_at)",
                    params![
                        e.dataset_id,
                        day,
                        views,
                        downloads,
                        api,
                        i64::try_from(e.rows).unwrap_or(i64::MAX),
                        e.at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                // Consuming agencies: not the providing agency reading its own data.
                tx.execute(
                    "INSERT INTO dataset_usage_agencies (dataset_id, day, agency)
                     SELECT ?1, ?2, ?3 WHERE ?3 IS NOT NULL
                        AND ?3 IS NOT (SELECT agency FROM datasets WHERE id = ?1)
                     ON CONFLICT DO NOTHING",
                    params![e.dataset_id, day, e.agency],
                )
                .map_err(db_err)?;
                // Active users for the benefit report (migration 6).
                tx.execute(
                    "INSERT INTO dataset_usage_users (dataset_id, day, user_name) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                    params![e.dataset_id, day, e.user_name],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn usage(
        &self,
        from: Timestamp,
        datasets: Option<&[i64]>,
    ) -> DomainResult<Vec<UsageRow>> {
        let day = iso_date(from.taipei_date());
        let datasets = datasets.map(<[i64]>::to_vec);
        self.pool
            .read(move |conn| {
                let mut params: Params = vec![Box::new(day)];
                let only = match &datasets {
                    Some(ids) => {
                        let mut marks = Vec::new();
                        for id in ids {
                            params.push(Box::new(*id));
                            marks.push(format!("?{}", params.len()));
                        }
                        format!("AND u.dataset_id IN ({})", marks.join(", "))
                    }
                    None => String::new(),
                };
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT u.dataset_id, SUM(u.views), SUM(u.downloads), SUM(u.api_calls), SUM(u.rows), MAX(u.last_at),
                                (SELECT COUNT(DISTINCT a.agency) FROM dataset_usage_agencies a
                                  WHERE a.dataset_id = u.dataset_id AND a.day >= ?1)
                         FROM dataset_usage_daily u WHERE u.day >= ?1 {only}
                         GROUP BY u.dataset_id ORDER BY u.dataset_id"
                    ))
                    .map_err(db_err)?;
                stmt.query_map(param_refs(&params).as_slice(), |r| {
                    let n = |i: usize| -> rusqlite::Result<u64> {
                        Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                    };
                    Ok(UsageRow {
                        dataset_id: r.get(0)?,
                        views: n(1)?,
                        downloads: n(2)?,
                        api_calls: n(3)?,
                        rows: n(4)?,
                        last_used: opt_ts(r.get(5)?)?,
                        consuming_agencies: n(6)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn usage_by_day(
        &self,
        from: Timestamp,
        agency: Option<&AgencyCode>,
    ) -> DomainResult<Vec<(String, u64, u64, u64)>> {
        let day = iso_date(from.taipei_date());
        let agency = agency.map(|a| a.to_string());
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT u.day, SUM(u.views), SUM(u.downloads), SUM(u.api_calls)
                         FROM dataset_usage_daily u
                         WHERE u.day >= ?1
                           AND (?2 IS NULL OR u.dataset_id IN (SELECT id FROM datasets WHERE agency = ?2))
                         GROUP BY u.day ORDER BY u.day",
                    )
                    .map_err(db_err)?;
                stmt.query_map(params![day, agency], |r| {
                    let n = |i: usize| -> rusqlite::Result<u64> {
                        Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                    };
                    Ok((r.get(0)?, n(1)?, n(2)?, n(3)?))
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn access_log(&self, dataset_id: i64, limit: u32) -> DomainResult<Vec<AccessLogEntry>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT at, user_name, agency, dataset_id, kind, rows, grant_id FROM data_access_log
                         WHERE dataset_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
                    )
                    .map_err(db_err)?;
                stmt.query_map(params![dataset_id, i64::from(limit)], |r| {
                    Ok(AccessLogEntry {
                        at: ts(r.get(0)?)?,
                        user_name: r.get(1)?,
                        agency: r.get(2)?,
                        dataset_id: r.get(3)?,
                        kind: r.get(4)?,
                        rows: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                        grant_id: r.get(6)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn create_key(
        &self,
        key: &SharingKey,
        secret_hash: &str,
        audit: AuditEvent,
    ) -> DomainResult<SharingKey> {
        let key = key.clone();
        let hash = secret_hash.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO sharing_keys (grant_id, user_id, label, prefix, secret_hash, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        key.grant_id,
                        key.user_id,
                        key.label,
                        key.prefix,
                        hash,
                        key.created_at.as_millis(),
                        key.expires_at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                append(tx, audit)?;
                tx.query_row(
                    &format!("SELECT {KEY_COLUMNS} FROM sharing_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ?1"),
                    [id],
                    key_row,
                )
                .map_err(db_err)
            })
            .await
    }

    async fn key_by_hash(&self, secret_hash: &str) -> DomainResult<Option<SharingKey>> {
        let hash = secret_hash.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    &format!("SELECT {KEY_COLUMNS} FROM sharing_keys k JOIN users u ON u.id = k.user_id WHERE k.secret_hash = ?1"),
                    [hash],
                    key_row,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn keys_for_grant(&self, grant_id: i64) -> DomainResult<Vec<SharingKey>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {KEY_COLUMNS} FROM sharing_keys k JOIN users u ON u.id = k.user_id
                         WHERE k.grant_id = ?1 ORDER BY k.id DESC"
                    ))
                    .map_err(db_err)?;
                stmt.query_map([grant_id], key_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn revoke_key(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE sharing_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, at.as_millis()],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn touch_key(&self, id: i64, at: Timestamp) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE sharing_keys SET last_used_at = ?2 WHERE id = ?1",
                    params![id, at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl BlobStore for SqliteStore {
    async fn put_blob(
        &self,
        bytes: &[u8],
        media_type: &str,
        at: Timestamp,
    ) -> DomainResult<String> {
        let sha = civitas_core::random::sha256_hex(bytes);
        let bytes = bytes.to_vec();
        let media = media_type.to_string();
        let key = sha.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO blobs (sha256, media_type, byte_size, content, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (sha256) DO NOTHING",
                    params![key, media, bytes.len() as i64, bytes, at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await?;
        Ok(sha)
    }

    async fn blob(&self, sha256: &str) -> DomainResult<Option<Vec<u8>>> {
        let sha = sha256.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row("SELECT content FROM blobs WHERE sha256 = ?1", [sha], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(db_err)
            })
            .await
    }
}
