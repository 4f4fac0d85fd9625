//! Sign-in sessions on SQLite.

use async_trait::async_trait;
use civitas_core::accounts::Session;
use civitas_core::audit::AuditEvent;
use civitas_core::error::DomainResult;
use civitas_core::ports::SessionStore;
use civitas_core::time::Timestamp;
use rusqlite::{OptionalExtension, Transaction, params};

use crate::SqliteStore;
use crate::audit::append;
use crate::convert::{db_err, ts};

pub(crate) fn insert_session(tx: &Transaction<'_>, s: &Session) -> DomainResult<()> {
    tx.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at,
                               absolute_expires_at, source_ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            s.id_hash,
            s.user_id,
            s.csrf_token,
            s.created_at.as_millis(),
            s.last_seen_at.as_millis(),
            s.expires_at.as_millis(),
            s.absolute_expires_at.as_millis(),
            s.source_ip
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn session(&self, id_hash: &str) -> DomainResult<Option<Session>> {
        let id_hash = id_hash.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at,
                            absolute_expires_at, source_ip
                     FROM sessions WHERE id_hash = ?1",
                    [id_hash],
                    |r| {
                        Ok(Session {
                            id_hash: r.get(0)?,
                            user_id: r.get(1)?,
                            csrf_token: r.get(2)?,
                            created_at: ts(r.get(3)?)?,
                            last_seen_at: ts(r.get(4)?)?,
                            expires_at: ts(r.get(5)?)?,
                            absolute_expires_at: ts(r.get(6)?)?,
                            source_ip: r.get(7)?,
                        })
                    },
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn touch_session(
        &self,
        id_hash: &str,
        last_seen: Timestamp,
        expires_at: Timestamp,
    ) -> DomainResult<()> {
        let id_hash = id_hash.to_string();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE sessions SET last_seen_at = ?2, expires_at = MIN(?3, absolute_expires_at)
                     WHERE id_hash = ?1",
                    params![id_hash, last_seen.as_millis(), expires_at.as_millis()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn end_session(&self, id_hash: &str, audit: Option<AuditEvent>) -> DomainResult<()> {
        let id_hash = id_hash.to_string();
        self.pool
            .write(move |tx| {
                tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])
                    .map_err(db_err)?;
                if let Some(event) = audit {
                    append(tx, event)?;
                }
                Ok(())
            })
            .await
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> DomainResult<u64> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1 OR absolute_expires_at <= ?1",
                    [now.as_millis()],
                )
                .map(|n| n as u64)
                .map_err(db_err)
            })
            .await
    }
}
