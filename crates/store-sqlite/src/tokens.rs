//! API tokens on SQLite.

use async_trait::async_trait;
use civitas_core::accounts::{ApiToken, NewToken};
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::AuditEvent;
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::ports::TokenStore;
use civitas_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::SqliteStore;
use crate::accounts::grant_from;
use crate::audit::append;
use crate::convert::{db_err, opt_ts, ts};

const SELECT: &str =
    "SELECT t.id, t.user_id, u.name, t.label, t.prefix, t.created_at, t.expires_at,
                             t.last_used_at, t.revoked_at
                      FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn token(r: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user_id: r.get(1)?,
        user_name: r.get(2)?,
        label: r.get(3)?,
        prefix: r.get(4)?,
        grants: Vec::new(),
        created_at: ts(r.get(5)?)?,
        expires_at: ts(r.get(6)?)?,
        last_used_at: opt_ts(r.get(7)?)?,
        revoked_at: opt_ts(r.get(8)?)?,
    })
}

fn with_grants(conn: &Connection, mut t: ApiToken) -> DomainResult<ApiToken> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT role, agency FROM api_token_grants WHERE token_id = ?1 ORDER BY role, agency",
        )
        .map_err(db_err)?;
    t.grants = stmt
        .query_map([t.id], |r| grant_from(&r.get::<_, String>(0)?, r.get(1)?))
        .map_err(db_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_err)?;
    Ok(t)
}

fn find(
    conn: &Connection,
    clause: &str,
    value: &dyn rusqlite::ToSql,
) -> DomainResult<Option<ApiToken>> {
    let found = conn
        .query_row(&format!("{SELECT} WHERE {clause}"), [value], token)
        .optional()
        .map_err(db_err)?;
    found.map(|t| with_grants(conn, t)).transpose()
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, new: &NewToken, audit: AuditEvent) -> DomainResult<ApiToken> {
        let new = new.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO api_tokens (user_id, label, prefix, secret_hash, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        new.user_id,
                        new.label,
                        new.prefix,
                        new.secret_hash,
                        new.created_at.as_millis(),
                        new.expires_at.as_millis()
                    ],
                )
                .map_err(db_err)?;
                let id = tx.last_insert_rowid();
                for g in &new.grants {
                    tx.execute(
                        "INSERT INTO api_token_grants (token_id, role, agency) VALUES (?1, ?2, ?3)",
                        params![id, g.role.as_str(), g.scope.agency().map(AgencyCode::as_str)],
                    )
                    .map_err(db_err)?;
                }
                append(tx, audit)?;
                find(tx, "t.id = ?1", &id)?.ok_or_else(|| DomainError::not_found("token", id.to_string()))
            })
            .await
    }

    async fn token_by_hash(&self, hash: &str) -> DomainResult<Option<ApiToken>> {
        let hash = hash.to_string();
        self.pool
            .read(move |conn| find(conn, "t.secret_hash = ?1", &hash))
            .await
    }

    async fn token_by_id(&self, id: i64) -> DomainResult<Option<ApiToken>> {
        self.pool
            .read(move |conn| find(conn, "t.id = ?1", &id))
            .await
    }

    async fn list_tokens(&self, user_id: Option<i64>) -> DomainResult<Vec<ApiToken>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "{SELECT} WHERE ?1 IS NULL OR t.user_id = ?1 ORDER BY t.id DESC"
                    ))
                    .map_err(db_err)?;
                let tokens = stmt
                    .query_map([user_id], token)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)?;
                tokens.into_iter().map(|t| with_grants(conn, t)).collect()
            })
            .await
    }

    async fn revoke_token(&self, id: i64, at: Timestamp, audit: AuditEvent) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                        params![id, at.as_millis()],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::conflict("此權杖已經撤銷", "this token is already revoked"));
                }
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn touch_token(&self, id: i64, at: Timestamp) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![id, at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}
