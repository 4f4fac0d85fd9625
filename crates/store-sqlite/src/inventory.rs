//! Demand records and their matches; the platform register, costs and source mapping; the
//! use of each platform's datasets per ROC year from the daily rollups.

use async_trait::async_trait;
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::inventory::{
    DataPlatform, Demand, DemandFilter, DemandInput, DemandMatch, DemandStatus, PlatformCost,
    PlatformInput, PlatformStatus, PlatformUse, SourceMapping, Urgency,
};
use civitas_core::ports::InventoryStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{Params, bad_value, db_err, param_refs, ts, unique_or_db};

const DEMAND_COLUMNS: &str = "id, needing_agency, title, description, fields, purpose, legal_basis, urgency, \
                              likely_holder, search_words, status, created_by, created_at, updated_at";

const PLATFORM_COLUMNS: &str = "id, name_zh, name_en, operator, since_year, status, retired_year, note, \
                                created_at, updated_at";

fn code(r: &Row<'_>, i: usize) -> rusqlite::Result<AgencyCode> {
    let text: String = r.get(i)?;
    AgencyCode::parse(&text).map_err(|_| bad_value(i, "agency code"))
}

fn n(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, Option<i64>>(i)?.unwrap_or(0)).unwrap_or(0))
}

fn demand_row(r: &Row<'_>) -> rusqlite::Result<Demand> {
    let fields: String = r.get(4)?;
    let urgency: String = r.get(7)?;
    let holder: Option<String> = r.get(8)?;
    let status: String = r.get(10)?;
    Ok(Demand {
        id: r.get(0)?,
        input: DemandInput {
            needing_agency: code(r, 1)?,
            title: r.get(2)?,
            description: r.get(3)?,
            fields: serde_json::from_str(&fields).map_err(|_| bad_value(4, "field list"))?,
            purpose: r.get(5)?,
            legal_basis: r.get(6)?,
            urgency: Urgency::parse(&urgency).ok_or_else(|| bad_value(7, "urgency"))?,
            likely_holder: holder
                .map(|h| AgencyCode::parse(&h).map_err(|_| bad_value(8, "agency code")))
                .transpose()?,
            search_words: r.get(9)?,
        },
        status: DemandStatus::parse(&status).ok_or_else(|| bad_value(10, "demand status"))?,
        created_by: r.get(11)?,
        created_at: ts(r.get(12)?)?,
        updated_at: ts(r.get(13)?)?,
        matches: Vec::new(),
    })
}

fn platform_row(r: &Row<'_>) -> rusqlite::Result<DataPlatform> {
    let status: String = r.get(5)?;
    Ok(DataPlatform {
        id: r.get(0)?,
        input: PlatformInput {
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            operator: code(r, 3)?,
            since_year: r.get(4)?,
            status: PlatformStatus::parse(&status)
                .ok_or_else(|| bad_value(5, "platform status"))?,
            retired_year: r.get(6)?,
            note: r.get(7)?,
        },
        created_at: ts(r.get(8)?)?,
        updated_at: ts(r.get(9)?)?,
    })
}

/// Attach each demand's confirmed datasets.
fn with_matches(conn: &Connection, mut demands: Vec<Demand>) -> DomainResult<Vec<Demand>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT dataset_id, dataset_title, providing_agency, confirmed_by, confirmed_at
             FROM demand_matches WHERE demand_id = ?1 ORDER BY confirmed_at, dataset_id",
        )
        .map_err(db_err)?;
    for d in &mut demands {
        d.matches = stmt
            .query_map([d.id], |r| {
                Ok(DemandMatch {
                    dataset_id: r.get(0)?,
                    dataset_title: r.get(1)?,
                    providing_agency: code(r, 2)?,
                    confirmed_by: r.get(3)?,
                    confirmed_at: ts(r.get(4)?)?,
                })
            })
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_err)?;
    }
    Ok(demands)
}

fn load_demand(conn: &Connection, id: i64) -> DomainResult<Option<Demand>> {
    let found = conn
        .query_row(
            &format!("SELECT {DEMAND_COLUMNS} FROM demands WHERE id = ?1"),
            [id],
            demand_row,
        )
        .optional()
        .map_err(db_err)?;
    match found {
        Some(d) => Ok(with_matches(conn, vec![d])?.into_iter().next()),
        None => Ok(None),
    }
}

fn must_demand(tx: &Transaction<'_>, id: i64) -> DomainResult<Demand> {
    load_demand(tx, id)?.ok_or_else(|| DomainError::not_found("demand", id.to_string()))
}

fn load_platform(conn: &Connection, id: i64) -> DomainResult<DataPlatform> {
    conn.query_row(
        &format!("SELECT {PLATFORM_COLUMNS} FROM platforms WHERE id = ?1"),
        [id],
        platform_row,
    )
    .optional()
    .map_err(db_err)?
    .ok_or_else(|| DomainError::not_found("platform", id.to_string()))
}

fn json_names(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".into())
}

/// The audit event names the new object's id once the store knows it.
fn with_id(mut audit: AuditEvent, id: i64) -> AuditEvent {
    if audit.object_id == "new" || audit.object_id.is_empty() {
        audit.object_id = id.to_string();
    }
    audit
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn create_demand(
        &self,
        input: &DemandInput,
        created_by: &str,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand> {
        let input = input.clone();
        let created_by = created_by.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO demands (needing_agency, title, description, fields, purpose, legal_basis, urgency,
                        likely_holder, search_words, status, created_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?11, ?11)",
                    params![
                        input.needing_agency.as_str(),
                        input.title,
                        input.description,
                        json_names(&input.fields),
                        input.purpose,
                        input.legal_basis,
                        input.urgency.code(),
                        input.likely_holder.as_ref().map(AgencyCode::as_str),
                        input.search_words,
                        created_by,
                        at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                append(tx, with_id(audit, id))?;
                must_demand(tx, id)
            })
            .await
    }

    async fn update_demand(
        &self,
        id: i64,
        input: &DemandInput,
        status: DemandStatus,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand> {
        let input = input.clone();
        self.pool
            .write(move |tx| {
                let changed = tx
                    .execute(
                        "UPDATE demands SET needing_agency = ?2, title = ?3, description = ?4, fields = ?5,
                            purpose = ?6, legal_basis = ?7, urgency = ?8, likely_holder = ?9, search_words = ?10,
                            status = ?11, updated_at = ?12
                         WHERE id = ?1",
                        params![
                            id,
                            input.needing_agency.as_str(),
                            input.title,
                            input.description,
                            json_names(&input.fields),
                            input.purpose,
                            input.legal_basis,
                            input.urgency.code(),
                            input.likely_holder.as_ref().map(AgencyCode::as_str),
                            input.search_words,
                            status.code(),
                            at.as_millis()
                        ],
                    )
                    .map_err(db_err)?;
                if changed == 0 {
                    return Err(DomainError::not_found("demand", id.to_string()));
                }
                append(tx, audit)?;
                must_demand(tx, id)
            })
            .await
    }

    async fn add_demand_match(
        &self,
        id: i64,
        found: &DemandMatch,
        status: DemandStatus,
        audit: AuditEvent,
    ) -> DomainResult<Demand> {
        let found = found.clone();
        let key = format!("{id}/{}", found.dataset_id);
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO demand_matches (demand_id, dataset_id, dataset_title, providing_agency, confirmed_by,
                        confirmed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        found.dataset_id,
                        found.dataset_title,
                        found.providing_agency.as_str(),
                        found.confirmed_by,
                        found.confirmed_at.as_millis()
                    ],
                )
                .map_err(unique_or_db("match", &key))?;
                tx.execute(
                    "UPDATE demands SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, status.code(), found.confirmed_at.as_millis()],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                must_demand(tx, id)
            })
            .await
    }

    async fn remove_demand_match(
        &self,
        id: i64,
        dataset_id: i64,
        status: DemandStatus,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Demand> {
        self.pool
            .write(move |tx| {
                let removed = tx
                    .execute(
                        "DELETE FROM demand_matches WHERE demand_id = ?1 AND dataset_id = ?2",
                        params![id, dataset_id],
                    )
                    .map_err(db_err)?;
                if removed == 0 {
                    return Err(DomainError::not_found("match", dataset_id.to_string()));
                }
                tx.execute(
                    "UPDATE demands SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, status.code(), at.as_millis()],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                must_demand(tx, id)
            })
            .await
    }

    async fn demand(&self, id: i64) -> DomainResult<Option<Demand>> {
        self.pool.read(move |conn| load_demand(conn, id)).await
    }

    async fn demands(&self, filter: &DemandFilter) -> DomainResult<Vec<Demand>> {
        let filter = filter.clone();
        self.pool
            .read(move |conn| {
                let mut params: Params = Vec::new();
                let mut conds = vec!["1 = 1".to_string()];
                if let Some(codes) = &filter.needing_agencies {
                    let mut marks = Vec::new();
                    for c in codes {
                        params.push(Box::new(c.to_string()));
                        marks.push(format!("?{}", params.len()));
                    }
                    conds.push(if marks.is_empty() {
                        "0".into()
                    } else {
                        format!("needing_agency IN ({})", marks.join(", "))
                    });
                }
                if let Some(status) = filter.status {
                    params.push(Box::new(status.code()));
                    conds.push(format!("status = ?{}", params.len()));
                }
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {DEMAND_COLUMNS} FROM demands WHERE {}
                         ORDER BY CASE urgency WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                                  created_at DESC, id DESC",
                        conds.join(" AND ")
                    ))
                    .map_err(db_err)?;
                let list = stmt
                    .query_map(param_refs(&params).as_slice(), demand_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                with_matches(conn, list)
            })
            .await
    }

    async fn create_platform(
        &self,
        input: &PlatformInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<DataPlatform> {
        let input = input.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO platforms (name_zh, name_en, operator, since_year, status, retired_year, note,
                        created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                    params![
                        input.name_zh,
                        input.name_en,
                        input.operator.as_str(),
                        input.since_year,
                        input.status.code(),
                        input.retired_year,
                        input.note,
                        at.as_millis()
                    ],
                )
                .map_err(unique_or_db("platform", &input.name_zh))?;
                let id = tx.last_insert_rowid();
                let mut audit = audit;
                audit.object_id = id.to_string();
                append(tx, audit)?;
                load_platform(tx, id)
            })
            .await
    }

    async fn update_platform(
        &self,
        id: i64,
        input: &PlatformInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<DataPlatform> {
        let input = input.clone();
        self.pool
            .write(move |tx| {
                let changed = tx
                    .execute(
                        "UPDATE platforms SET name_zh = ?2, name_en = ?3, operator = ?4, since_year = ?5, status = ?6,
                            retired_year = ?7, note = ?8, updated_at = ?9 WHERE id = ?1",
                        params![
                            id,
                            input.name_zh,
                            input.name_en,
                            input.operator.as_str(),
                            input.since_year,
                            input.status.code(),
                            input.retired_year,
                            input.note,
                            at.as_millis()
                        ],
                    )
                    .map_err(unique_or_db("platform", &input.name_zh))?;
                if changed == 0 {
                    return Err(DomainError::not_found("platform", id.to_string()));
                }
                append(tx, audit)?;
                load_platform(tx, id)
            })
            .await
    }

    async fn platforms(&self) -> DomainResult<Vec<DataPlatform>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {PLATFORM_COLUMNS} FROM platforms ORDER BY id"
                    ))
                    .map_err(db_err)?;
                stmt.query_map([], platform_row)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn set_platform_cost(&self, cost: &PlatformCost, audit: AuditEvent) -> DomainResult<()> {
        let cost = cost.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO platform_costs (platform_id, roc_year, amount, note) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (platform_id, roc_year) DO UPDATE SET amount = excluded.amount, note = excluded.note",
                    params![cost.platform_id, cost.roc_year, cost.amount, cost.note],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn remove_platform_cost(
        &self,
        platform_id: i64,
        roc_year: i32,
        audit: AuditEvent,
    ) -> DomainResult<bool> {
        self.pool
            .write(move |tx| {
                let removed = tx
                    .execute(
                        "DELETE FROM platform_costs WHERE platform_id = ?1 AND roc_year = ?2",
                        params![platform_id, roc_year],
                    )
                    .map_err(db_err)?;
                if removed > 0 {
                    append(tx, audit)?;
                }
                Ok(removed > 0)
            })
            .await
    }

    async fn platform_costs(&self) -> DomainResult<Vec<PlatformCost>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT platform_id, roc_year, amount, note FROM platform_costs
                         ORDER BY platform_id, roc_year",
                    )
                    .map_err(db_err)?;
                stmt.query_map([], |r| {
                    Ok(PlatformCost {
                        platform_id: r.get(0)?,
                        roc_year: r.get(1)?,
                        amount: r.get(2)?,
                        note: r.get(3)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn map_source(
        &self,
        source: &str,
        platform_id: Option<i64>,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<()> {
        let source = source.to_string();
        self.pool
            .write(move |tx| {
                match platform_id {
                    Some(id) => tx.execute(
                        "INSERT INTO platform_sources (source, platform_id, mapped_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (source) DO UPDATE SET platform_id = excluded.platform_id,
                            mapped_at = excluded.mapped_at",
                        params![source, id, at.as_millis()],
                    ),
                    None => tx.execute("DELETE FROM platform_sources WHERE source = ?1", [&source]),
                }
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn source_mappings(&self) -> DomainResult<Vec<SourceMapping>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT s.source, m.platform_id,
                                (SELECT COUNT(*) FROM datasets d WHERE d.source = s.source AND d.status = 'active')
                         FROM (SELECT source FROM datasets WHERE status = 'active'
                               UNION SELECT source FROM platform_sources) s
                         LEFT JOIN platform_sources m ON m.source = s.source
                         ORDER BY s.source",
                    )
                    .map_err(db_err)?;
                stmt.query_map([], |r| {
                    Ok(SourceMapping {
                        source: r.get(0)?,
                        platform_id: r.get(1)?,
                        datasets: n(r, 2)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn platform_use(&self, from_year: i32, to_year: i32) -> DomainResult<Vec<PlatformUse>> {
        // ROC year y runs over Taipei days (y + 1911)-01-01 … (y + 1911)-12-31.
        let from_day = format!("{:04}-01-01", from_year + 1911);
        let to_day = format!("{:04}-12-31", to_year + 1911);
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "WITH owned AS (
                             SELECT d.id AS dataset_id, m.platform_id FROM datasets d
                             JOIN platform_sources m ON m.source = d.source
                         ),
                         uses AS (
                             SELECT o.platform_id, CAST(substr(u.day, 1, 4) AS INTEGER) - 1911 AS y,
                                    SUM(u.views) AS v, SUM(u.downloads) AS dl, SUM(u.api_calls) AS api,
                                    COUNT(DISTINCT u.dataset_id) AS used
                             FROM dataset_usage_daily u JOIN owned o ON o.dataset_id = u.dataset_id
                             WHERE u.day BETWEEN ?1 AND ?2 GROUP BY 1, 2
                         ),
                         people AS (
                             SELECT o.platform_id, CAST(substr(p.day, 1, 4) AS INTEGER) - 1911 AS y,
                                    COUNT(DISTINCT p.user_name) AS n
                             FROM dataset_usage_users p JOIN owned o ON o.dataset_id = p.dataset_id
                             WHERE p.day BETWEEN ?1 AND ?2 GROUP BY 1, 2
                         ),
                         agencies AS (
                             SELECT o.platform_id, CAST(substr(a.day, 1, 4) AS INTEGER) - 1911 AS y,
                                    COUNT(DISTINCT a.agency) AS n
                             FROM dataset_usage_agencies a JOIN owned o ON o.dataset_id = a.dataset_id
                             WHERE a.day BETWEEN ?1 AND ?2 GROUP BY 1, 2
                         )
                         SELECT u.platform_id, u.y, u.v, u.dl, u.api, COALESCE(p.n, 0), COALESCE(a.n, 0), u.used
                         FROM uses u
                         LEFT JOIN people p ON p.platform_id = u.platform_id AND p.y = u.y
                         LEFT JOIN agencies a ON a.platform_id = u.platform_id AND a.y = u.y
                         ORDER BY u.platform_id, u.y",
                    )
                    .map_err(db_err)?;
                stmt.query_map(params![from_day, to_day], |r| {
                    Ok(PlatformUse {
                        platform_id: r.get(0)?,
                        roc_year: r.get(1)?,
                        views: n(r, 2)?,
                        downloads: n(r, 3)?,
                        api_calls: n(r, 4)?,
                        users: n(r, 5)?,
                        agencies: n(r, 6)?,
                        used_datasets: n(r, 7)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }
}
