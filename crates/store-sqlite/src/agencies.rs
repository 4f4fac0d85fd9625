//! Agencies on SQLite.

use async_trait::async_trait;
use civitas_core::agencies::{
    Agency, AgencyCode, AgencyImportPlan, AgencyInput, AgencyKind, AgencyRecord,
};
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::ports::AgencyStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::{append, append_all};
use crate::convert::{bad_value, db_err, opt_ts, ts, unique_or_db};
use crate::imports::insert_run;

const COLUMNS: &str = "code, name_zh, name_en, short_name_zh, parent_code, kind, active, retired_at, \
                       successor_code, created_at, updated_at";

fn code(value: String, column: usize) -> rusqlite::Result<AgencyCode> {
    AgencyCode::parse(&value).map_err(|_| bad_value(column, "agency code"))
}

fn agency(r: &Row<'_>) -> rusqlite::Result<Agency> {
    let kind: String = r.get(5)?;
    Ok(Agency {
        code: code(r.get(0)?, 0)?,
        name_zh: r.get(1)?,
        name_en: r.get(2)?,
        short_name_zh: r.get(3)?,
        parent: r
            .get::<_, Option<String>>(4)?
            .map(|c| code(c, 4))
            .transpose()?,
        kind: AgencyKind::parse(&kind).ok_or_else(|| bad_value(5, "agency kind"))?,
        active: r.get(6)?,
        retired_at: opt_ts(r.get(7)?)?,
        successor: r
            .get::<_, Option<String>>(8)?
            .map(|c| code(c, 8))
            .transpose()?,
        created_at: ts(r.get(9)?)?,
        updated_at: ts(r.get(10)?)?,
    })
}

fn get(conn: &Connection, code: &str) -> DomainResult<Option<Agency>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM agencies WHERE code = ?1"),
        [code],
        agency,
    )
    .optional()
    .map_err(db_err)
}

fn insert(tx: &Transaction<'_>, input: &AgencyInput, at: Timestamp) -> DomainResult<()> {
    tx.execute(
        "INSERT INTO agencies (code, name_zh, name_en, short_name_zh, parent_code, kind, active,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)",
        params![
            input.code.as_str(),
            input.name_zh,
            input.name_en,
            input.short_name_zh,
            input.parent.as_ref().map(AgencyCode::as_str),
            input.kind.as_str(),
            at.as_millis()
        ],
    )
    .map_err(unique_or_db("agency", input.code.as_str()))?;
    Ok(())
}

fn update(tx: &Transaction<'_>, record: &AgencyRecord, at: Timestamp) -> DomainResult<()> {
    let input = &record.input;
    let changed = tx
        .execute(
            "UPDATE agencies SET name_zh = ?2, name_en = ?3, short_name_zh = ?4, parent_code = ?5,
                    kind = ?6, active = ?7, retired_at = ?8, successor_code = ?9, updated_at = ?10
             WHERE code = ?1",
            params![
                input.code.as_str(),
                input.name_zh,
                input.name_en,
                input.short_name_zh,
                input.parent.as_ref().map(AgencyCode::as_str),
                input.kind.as_str(),
                record.active,
                record.retired_at.map(|t| t.as_millis()),
                record.successor.as_ref().map(AgencyCode::as_str),
                at.as_millis()
            ],
        )
        .map_err(db_err)?;
    if changed == 0 {
        return Err(DomainError::not_found("agency", input.code.as_str()));
    }
    Ok(())
}

fn must_get(conn: &Connection, code: &str) -> DomainResult<Agency> {
    get(conn, code)?.ok_or_else(|| DomainError::not_found("agency", code))
}

#[async_trait]
impl AgencyStore for SqliteStore {
    async fn agencies(&self) -> DomainResult<Vec<Agency>> {
        self.pool
            .read(|conn| {
                let mut stmt = conn
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM agencies ORDER BY code"))
                    .map_err(db_err)?;
                stmt.query_map([], agency)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }

    async fn agency(&self, code: &AgencyCode) -> DomainResult<Option<Agency>> {
        let code = code.to_string();
        self.pool.read(move |conn| get(conn, &code)).await
    }

    async fn create_agency(
        &self,
        input: &AgencyInput,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Agency> {
        let input = input.clone();
        self.pool
            .write(move |tx| {
                insert(tx, &input, at)?;
                append(tx, audit)?;
                must_get(tx, input.code.as_str())
            })
            .await
    }

    async fn update_agency(
        &self,
        record: &AgencyRecord,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<Agency> {
        let record = record.clone();
        self.pool
            .write(move |tx| {
                update(tx, &record, at)?;
                append(tx, audit)?;
                must_get(tx, record.input.code.as_str())
            })
            .await
    }

    async fn apply_agency_import(
        &self,
        plan: &AgencyImportPlan,
        started_at: Timestamp,
        at: Timestamp,
        actor_name: &str,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<i64> {
        let plan = plan.clone();
        let actor = actor_name.to_string();
        self.pool
            .write(move |tx| {
                for input in &plan.creates {
                    insert(tx, input, at)?;
                }
                for (before, input) in &plan.updates {
                    let record = AgencyRecord {
                        input: input.clone(),
                        ..before.record()
                    };
                    update(tx, &record, at)?;
                }
                append_all(tx, audit)?;
                insert_run(tx, &plan.report, started_at, at, &actor)
            })
            .await
    }
}
