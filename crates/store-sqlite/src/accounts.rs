//! Users and role grants on SQLite.

use async_trait::async_trait;
use civitas_core::accounts::{
    NewSession, NewUser, RoleGrant, User, UserFilter, UserName, UserProfile,
};
use civitas_core::agencies::AgencyCode;
use civitas_core::audit::AuditEvent;
use civitas_core::authz::{Grant, Role, Scope};
use civitas_core::error::{DomainError, DomainResult};
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::AccountStore;
use civitas_core::time::{DateStyle, Language, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::audit::{append, append_all};
use crate::convert::{Params, bad_value, db_err, opt_ts, param_refs, ts, unique_or_db};
use crate::sessions::insert_session;

const COLUMNS: &str = "id, name, display_name, email, home_agency, active, language, date_style, failed_logins, \
                       locked_until, last_login_at, password_changed_at, created_at, updated_at";

fn user(r: &Row<'_>) -> rusqlite::Result<User> {
    let name: String = r.get(1)?;
    let lang: String = r.get(6)?;
    let style: String = r.get(7)?;
    Ok(User {
        id: r.get(0)?,
        name: UserName::parse(&name).map_err(|_| bad_value(1, "user name"))?,
        display_name: r.get(2)?,
        email: r.get(3)?,
        home_agency: r
            .get::<_, Option<String>>(4)?
            .map(|c| AgencyCode::parse(&c).map_err(|_| bad_value(4, "agency code")))
            .transpose()?,
        active: r.get(5)?,
        language: Language::parse(&lang).ok_or_else(|| bad_value(6, "language"))?,
        date_style: DateStyle::parse(&style).ok_or_else(|| bad_value(7, "date style"))?,
        failed_logins: r.get(8)?,
        locked_until: opt_ts(r.get(9)?)?,
        last_login_at: opt_ts(r.get(10)?)?,
        password_changed_at: ts(r.get(11)?)?,
        created_at: ts(r.get(12)?)?,
        updated_at: ts(r.get(13)?)?,
    })
}

pub(crate) fn grant_from(role: &str, agency: Option<String>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        role: Role::parse(role).ok_or_else(|| bad_value(0, "role"))?,
        scope: match agency {
            Some(code) => {
                Scope::Agency(AgencyCode::parse(&code).map_err(|_| bad_value(1, "agency code"))?)
            }
            None => Scope::City,
        },
    })
}

fn by_id(conn: &Connection, id: i64) -> DomainResult<Option<User>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        user,
    )
    .optional()
    .map_err(db_err)
}

fn must_by_id(conn: &Connection, id: i64) -> DomainResult<User> {
    by_id(conn, id)?.ok_or_else(|| DomainError::not_found("user", id.to_string()))
}

fn insert_grant(
    tx: &Transaction<'_>,
    user_id: i64,
    grant: &Grant,
    at: Timestamp,
    by: &str,
) -> DomainResult<i64> {
    tx.execute(
        "INSERT INTO role_grants (user_id, role, agency, granted_at, granted_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            user_id,
            grant.role.as_str(),
            grant.scope.agency().map(AgencyCode::as_str),
            at.as_millis(),
            by
        ],
    )
    .map_err(unique_or_db("grant", grant.role.as_str()))?;
    Ok(tx.last_insert_rowid())
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(
        &self,
        new: &NewUser,
        grants: &[Grant],
        granted_by: &str,
        audit: AuditEvent,
    ) -> DomainResult<User> {
        let new = new.clone();
        let grants = grants.to_vec();
        let by = granted_by.to_string();
        self.pool
            .write(move |tx| {
                let p = &new.profile;
                tx.execute(
                    "INSERT INTO users (name, display_name, email, home_agency, active, language, date_style,
                                        password_hash, password_changed_at, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
                    params![
                        new.name.as_str(),
                        p.display_name,
                        p.email,
                        p.home_agency.as_ref().map(AgencyCode::as_str),
                        p.active,
                        p.language.as_str(),
                        p.date_style.as_str(),
                        new.password_hash,
                        new.created_at.as_millis()
                    ],
                )
                .map_err(unique_or_db("user", new.name.as_str()))?;
                let id = tx.last_insert_rowid();
                for grant in &grants {
                    insert_grant(tx, id, grant, new.created_at, &by)?;
                }
                append(tx, audit)?;
                must_by_id(tx, id)
            })
            .await
    }

    async fn user_by_name(&self, name: &str) -> DomainResult<Option<User>> {
        let name = name.to_string();
        self.pool
            .read(move |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM users WHERE name = ?1"),
                    [name],
                    user,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn user_by_id(&self, id: i64) -> DomainResult<Option<User>> {
        self.pool.read(move |conn| by_id(conn, id)).await
    }

    async fn password_hash(&self, user_id: i64) -> DomainResult<Option<String>> {
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT password_hash FROM users WHERE id = ?1",
                    [user_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn list_users(&self, filter: &UserFilter, page: PageRequest) -> DomainResult<Page<User>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Params = Vec::new();
        if let Some(text) = filter.text.as_ref().filter(|t| !t.trim().is_empty()) {
            params.push(Box::new(text.trim().to_lowercase()));
            let n = params.len();
            clauses.push(format!(
                "(instr(lower(name), ?{n}) > 0 OR instr(lower(display_name), ?{n}) > 0)"
            ));
        }
        if let Some(active) = filter.active {
            params.push(Box::new(active));
            clauses.push(format!("active = ?{}", params.len()));
        }
        if let Some(agencies) = &filter.home_agencies {
            if agencies.is_empty() {
                clauses.push("0 = 1".into());
            } else {
                let mut marks = Vec::new();
                for code in agencies {
                    params.push(Box::new(code.to_string()));
                    marks.push(format!("?{}", params.len()));
                }
                clauses.push(format!("home_agency IN ({})", marks.join(", ")));
            }
        }
        let clause = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM users {clause}"),
                        param_refs(&params).as_slice(),
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                params.push(Box::new(page.limit() as i64));
                params.push(Box::new(page.offset() as i64));
                let n = params.len();
                let mut stmt = conn
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM users {clause} ORDER BY name LIMIT ?{} OFFSET ?{n}",
                        n - 1
                    ))
                    .map_err(db_err)?;
                let items = stmt
                    .query_map(param_refs(&params).as_slice(), user)
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

    async fn count_users(&self) -> DomainResult<u64> {
        self.pool
            .read(|conn| {
                conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(db_err)
            })
            .await
    }

    async fn update_profile(
        &self,
        user_id: i64,
        profile: &UserProfile,
        at: Timestamp,
        audit: AuditEvent,
    ) -> DomainResult<User> {
        let p = profile.clone();
        self.pool
            .write(move |tx| {
                let changed = tx
                    .execute(
                        "UPDATE users SET display_name = ?2, email = ?3, home_agency = ?4, active = ?5,
                                language = ?6, date_style = ?7, updated_at = ?8
                         WHERE id = ?1",
                        params![
                            user_id,
                            p.display_name,
                            p.email,
                            p.home_agency.as_ref().map(AgencyCode::as_str),
                            p.active,
                            p.language.as_str(),
                            p.date_style.as_str(),
                            at.as_millis()
                        ],
                    )
                    .map_err(db_err)?;
                if changed == 0 {
                    return Err(DomainError::not_found("user", user_id.to_string()));
                }
                if !p.active {
                    tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
                        .map_err(db_err)?;
                }
                append(tx, audit)?;
                must_by_id(tx, user_id)
            })
            .await
    }

    async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        at: Timestamp,
        keep_session: Option<&str>,
        audit: AuditEvent,
    ) -> DomainResult<()> {
        let hash = hash.to_string();
        let keep = keep_session.map(str::to_string);
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE users SET password_hash = ?2, password_changed_at = ?3, updated_at = ?3,
                            failed_logins = 0, locked_until = NULL
                     WHERE id = ?1",
                    params![user_id, hash, at.as_millis()],
                )
                .map_err(db_err)?;
                tx.execute(
                    "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)",
                    params![user_id, keep],
                )
                .map_err(db_err)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn record_login_failure(
        &self,
        user_id: i64,
        failed_logins: u32,
        locked_until: Option<Timestamp>,
        audit: Vec<AuditEvent>,
    ) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE users SET failed_logins = ?2, locked_until = ?3 WHERE id = ?1",
                    params![user_id, failed_logins, locked_until.map(|t| t.as_millis())],
                )
                .map_err(db_err)?;
                append_all(tx, audit)
            })
            .await
    }

    async fn record_login_success(
        &self,
        user_id: i64,
        session: &NewSession,
        audit: AuditEvent,
    ) -> DomainResult<()> {
        let session = session.session.clone();
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?2 WHERE id = ?1",
                    params![user_id, session.created_at.as_millis()],
                )
                .map_err(db_err)?;
                insert_session(tx, &session)?;
                append(tx, audit)?;
                Ok(())
            })
            .await
    }

    async fn grants_of(&self, user_id: i64) -> DomainResult<Vec<RoleGrant>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT id, role, agency, granted_at, granted_by FROM role_grants
                         WHERE user_id = ?1 ORDER BY role, agency",
                    )
                    .map_err(db_err)?;
                stmt.query_map([user_id], |r| {
                    let role: String = r.get(1)?;
                    Ok(RoleGrant {
                        id: r.get(0)?,
                        user_id,
                        grant: grant_from(&role, r.get(2)?)?,
                        granted_at: ts(r.get(3)?)?,
                        granted_by: r.get(4)?,
                    })
                })
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db_err)
            })
            .await
    }

    async fn add_grant(
        &self,
        user_id: i64,
        grant: &Grant,
        at: Timestamp,
        granted_by: &str,
        audit: AuditEvent,
    ) -> DomainResult<RoleGrant> {
        let grant = grant.clone();
        let by = granted_by.to_string();
        self.pool
            .write(move |tx| {
                let id = insert_grant(tx, user_id, &grant, at, &by)?;
                append(tx, audit)?;
                Ok(RoleGrant {
                    id,
                    user_id,
                    grant,
                    granted_at: at,
                    granted_by: by,
                })
            })
            .await
    }

    async fn remove_grant(&self, grant_id: i64, audit: AuditEvent) -> DomainResult<()> {
        self.pool
            .write(move |tx| {
                let removed = tx
                    .execute("DELETE FROM role_grants WHERE id = ?1", [grant_id])
                    .map_err(db_err)?;
                if removed == 0 {
                    return Err(DomainError::not_found("grant", grant_id.to_string()));
                }
                append(tx, audit)?;
                Ok(())
            })
            .await
    }
}
