//! Notifications and their outbox on SQLite. Keys are unique, so queuing the same notice
//! twice stores it once (`ON CONFLICT DO NOTHING`, which PostgreSQL spells the same way).

use async_trait::async_trait;
use civitas_core::DomainError;
use civitas_core::agencies::AgencyCode;
use civitas_core::authz::{Role, Scope};
use civitas_core::error::DomainResult;
use civitas_core::notify::{
    Channel, Delivery, DeliveryStatus, DeliveryUpdate, NewDelivery, NoticeBatch, Notification,
    NotificationFilter, NotificationKind, Queued, RoleHolder,
};
use civitas_core::page::{Page, PageRequest};
use civitas_core::ports::NotificationStore;
use civitas_core::text::Text;
use civitas_core::time::{DateStyle, Language, Timestamp};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::SqliteStore;
use crate::convert::{bad_value, db_err, opt_ts, ts};

const NOTIFICATION_COLUMNS: &str = "id, user_id, kind, dataset_id, key, title_zh, title_en, body_zh, body_en, link, \
                                    created_at, read_at";

const DELIVERY_COLUMNS: &str = "id, notification_id, channel, target, payload, status, attempts, next_attempt_at, \
                                last_error, sent_at, created_at";

fn notification(r: &Row<'_>) -> rusqlite::Result<Notification> {
    let kind: String = r.get(2)?;
    Ok(Notification {
        id: r.get(0)?,
        user_id: r.get(1)?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| bad_value(2, "notification kind"))?,
        dataset_id: r.get(3)?,
        key: r.get(4)?,
        title: Text::new(r.get::<_, String>(5)?, r.get::<_, String>(6)?),
        body: Text::new(r.get::<_, String>(7)?, r.get::<_, String>(8)?),
        link: r.get(9)?,
        created_at: ts(r.get(10)?)?,
        read_at: opt_ts(r.get(11)?)?,
    })
}

fn delivery(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let channel: String = r.get(2)?;
    let status: String = r.get(5)?;
    Ok(Delivery {
        id: r.get(0)?,
        notification_id: r.get(1)?,
        channel: Channel::parse(&channel).ok_or_else(|| bad_value(2, "delivery channel"))?,
        target: r.get(3)?,
        payload: r.get(4)?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| bad_value(5, "delivery status"))?,
        attempts: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
        next_attempt_at: ts(r.get(7)?)?,
        last_error: r.get(8)?,
        sent_at: opt_ts(r.get(9)?)?,
        created_at: ts(r.get(10)?)?,
    })
}

/// Queue one delivery; returns whether it was new.
fn insert_delivery(
    tx: &Transaction<'_>,
    notification_id: Option<i64>,
    d: &NewDelivery,
    at: Timestamp,
) -> DomainResult<bool> {
    let n = tx
        .execute(
            "INSERT INTO notification_deliveries
                (notification_id, key, channel, target, payload, status, attempts, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)
             ON CONFLICT (key) DO NOTHING",
            params![
                notification_id,
                d.key,
                d.channel.code(),
                d.target,
                d.payload,
                at.as_millis()
            ],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

fn by_id(conn: &rusqlite::Connection, user_id: i64, id: i64) -> DomainResult<Option<Notification>> {
    conn.query_row(
        &format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = ?1 AND user_id = ?2"),
        [id, user_id],
        notification,
    )
    .optional()
    .map_err(db_err)
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn role_holders(&self, role: Role) -> DomainResult<Vec<RoleHolder>> {
        self.pool
            .read(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT u.id, u.name, u.email, u.language, u.date_style, g.agency
                         FROM role_grants g JOIN users u ON u.id = g.user_id
                         WHERE g.role = ?1 AND u.active = 1
                         ORDER BY u.id, g.agency",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([role.as_str()], |r| {
                        let lang: String = r.get(3)?;
                        let style: String = r.get(4)?;
                        let scope = match r.get::<_, Option<String>>(5)? {
                            None => Scope::City,
                            Some(code) => Scope::Agency(
                                AgencyCode::parse(&code)
                                    .map_err(|_| bad_value(5, "agency code"))?,
                            ),
                        };
                        Ok(RoleHolder {
                            user_id: r.get(0)?,
                            name: r.get(1)?,
                            email: r.get(2)?,
                            language: Language::parse(&lang).unwrap_or_default(),
                            date_style: DateStyle::parse(&style).unwrap_or_default(),
                            scopes: vec![scope],
                        })
                    })
                    .map_err(db_err)?;
                let mut holders: Vec<RoleHolder> = Vec::new();
                for row in rows {
                    let mut holder = row.map_err(db_err)?;
                    match holders.last_mut() {
                        Some(last) if last.user_id == holder.user_id => {
                            last.scopes.append(&mut holder.scopes);
                        }
                        _ => holders.push(holder),
                    }
                }
                Ok(holders)
            })
            .await
    }

    async fn queue_notices(&self, batch: &NoticeBatch, at: Timestamp) -> DomainResult<Queued> {
        let batch = batch.clone();
        self.pool
            .write(move |tx| {
                let mut queued = Queued::default();
                for notice in &batch.notices {
                    let n = &notice.notification;
                    let inserted = tx
                        .execute(
                            "INSERT INTO notifications
                                (user_id, kind, dataset_id, key, title_zh, title_en, body_zh, body_en, link, created_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                             ON CONFLICT (key) DO NOTHING",
                            params![
                                n.user_id,
                                n.kind.code(),
                                n.dataset_id,
                                n.key,
                                n.title.zh,
                                n.title.en,
                                n.body.zh,
                                n.body.en,
                                n.link,
                                at.as_millis()
                            ],
                        )
                        .map_err(db_err)?;
                    if inserted == 0 {
                        continue;
                    }
                    queued.notifications += 1;
                    let id = tx.last_insert_rowid();
                    for d in &notice.deliveries {
                        if insert_delivery(tx, Some(id), d, at)? {
                            queued.deliveries += 1;
                        }
                    }
                }
                for d in &batch.broadcasts {
                    if insert_delivery(tx, None, d, at)? {
                        queued.deliveries += 1;
                    }
                }
                Ok(queued)
            })
            .await
    }

    async fn notifications(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> DomainResult<Page<Notification>> {
        let filter = *filter;
        let clause = if filter.unread_only {
            "WHERE user_id = ?1 AND read_at IS NULL"
        } else {
            "WHERE user_id = ?1"
        };
        self.pool
            .read(move |conn| {
                let total: i64 = conn
                    .query_row(
                        &format!("SELECT COUNT(*) FROM notifications {clause}"),
                        [filter.user_id],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {NOTIFICATION_COLUMNS} FROM notifications {clause}
                         ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
                    ))
                    .map_err(db_err)?;
                let items = stmt
                    .query_map(
                        params![
                            filter.user_id,
                            i64::try_from(page.limit()).unwrap_or(i64::MAX),
                            i64::try_from(page.offset()).unwrap_or(i64::MAX)
                        ],
                        notification,
                    )
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

    async fn unread_count(&self, user_id: i64) -> DomainResult<u64> {
        self.pool
            .read(move |conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
                    [user_id],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| u64::try_from(n).unwrap_or(0))
                .map_err(db_err)
            })
            .await
    }

    async fn mark_read(
        &self,
        user_id: i64,
        id: i64,
        at: Timestamp,
    ) -> DomainResult<Option<Notification>> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE notifications SET read_at = ?3
                     WHERE id = ?1 AND user_id = ?2 AND read_at IS NULL",
                    params![id, user_id, at.as_millis()],
                )
                .map_err(db_err)?;
                by_id(tx, user_id, id)
            })
            .await
    }

    async fn mark_all_read(&self, user_id: i64, at: Timestamp) -> DomainResult<u64> {
        self.pool
            .write(move |tx| {
                tx.execute(
                    "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
                    params![user_id, at.as_millis()],
                )
                .map(|n| n as u64)
                .map_err(db_err)
            })
            .await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> DomainResult<Vec<Delivery>> {
        self.pool
            .write(move |tx| {
                let mut due = {
                    let mut stmt = tx
                        .prepare_cached(&format!(
                            "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries
                             WHERE status = 'pending' AND next_attempt_at <= ?1
                             ORDER BY next_attempt_at, id LIMIT ?2"
                        ))
                        .map_err(db_err)?;
                    stmt.query_map(params![now.as_millis(), limit], delivery)
                        .map_err(db_err)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map_err(db_err)?
                };
                for d in &mut due {
                    tx.execute(
                        "UPDATE notification_deliveries SET next_attempt_at = ?2 WHERE id = ?1",
                        params![d.id, lease_until.as_millis()],
                    )
                    .map_err(db_err)?;
                    d.next_attempt_at = lease_until;
                }
                Ok(due)
            })
            .await
    }

    async fn update_delivery(&self, id: i64, update: &DeliveryUpdate) -> DomainResult<()> {
        let update = update.clone();
        self.pool
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE notification_deliveries
                         SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5, sent_at = ?6
                         WHERE id = ?1",
                        params![
                            id,
                            update.status.code(),
                            update.attempts,
                            update.next_attempt_at.as_millis(),
                            update.last_error,
                            update.sent_at.map(|t| t.as_millis())
                        ],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(DomainError::not_found("delivery", id.to_string()));
                }
                Ok(())
            })
            .await
    }

    async fn deliveries(&self, notification_id: Option<i64>) -> DomainResult<Vec<Delivery>> {
        self.pool
            .read(move |conn| {
                let clause = if notification_id.is_some() {
                    "notification_id = ?1"
                } else {
                    "notification_id IS NULL AND ?1 IS NULL"
                };
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {DELIVERY_COLUMNS} FROM notification_deliveries WHERE {clause} ORDER BY id"
                    ))
                    .map_err(db_err)?;
                stmt.query_map([notification_id], delivery)
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err)
            })
            .await
    }
}
