//! The notification service: turning freshness changes into notices, a person's inbox, and
//! the outbox the delivery worker drains.

use super::delivery::{LEASE, after_attempt};
use super::freshness::compose;
use super::model::{Delivery, Notification, NotificationFilter, Queued};
use crate::authz::Role;
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};
use crate::platform::{Caller, Platform};
use crate::ports::FreshnessTransition;
use crate::time::Timestamp;

pub struct NotificationService<'a> {
    p: &'a Platform,
}

/// Everyone has an inbox of their own; the local operator (no account) has none.
fn owner(caller: &Caller) -> Option<i64> {
    caller.principal.user_id
}

impl<'a> NotificationService<'a> {
    pub fn new(p: &'a Platform) -> Self {
        NotificationService { p }
    }

    /// Tell the stewards concerned about datasets whose state changed at `now`, and queue
    /// the e-mails and webhook calls the platform's policy asks for.
    pub async fn freshness_changed(
        &self,
        transitions: &[FreshnessTransition],
        now: Timestamp,
    ) -> DomainResult<Queued> {
        if transitions.is_empty() {
            return Ok(Queued::default());
        }
        let stewards = self
            .p
            .stores
            .notifications
            .role_holders(Role::DataSteward)
            .await?;
        let agencies = self.p.stores.agencies.agencies().await?;
        let batch = compose(transitions, &stewards, &agencies, &self.p.notify, now);
        if batch.notices.is_empty() && batch.broadcasts.is_empty() {
            return Ok(Queued::default());
        }
        self.p.stores.notifications.queue_notices(&batch, now).await
    }

    /// The caller's own notifications, newest first.
    pub async fn list(
        &self,
        caller: &Caller,
        unread_only: bool,
        page: PageRequest,
    ) -> DomainResult<Page<Notification>> {
        let Some(user_id) = owner(caller) else {
            return Ok(Page {
                items: Vec::new(),
                page: page.page,
                per_page: page.per_page,
                total: 0,
            });
        };
        self.p
            .stores
            .notifications
            .notifications(
                &NotificationFilter {
                    user_id,
                    unread_only,
                },
                page,
            )
            .await
    }

    pub async fn unread_count(&self, caller: &Caller) -> DomainResult<u64> {
        match owner(caller) {
            Some(user_id) => self.p.stores.notifications.unread_count(user_id).await,
            None => Ok(0),
        }
    }

    /// Mark one of the caller's notifications read. Someone else's is "not found": a person
    /// never learns what others were told.
    pub async fn mark_read(&self, caller: &Caller, id: i64) -> DomainResult<Notification> {
        let missing = || DomainError::not_found("notification", id.to_string());
        let user_id = owner(caller).ok_or_else(missing)?;
        self.p
            .stores
            .notifications
            .mark_read(user_id, id, self.p.now())
            .await?
            .ok_or_else(missing)
    }

    /// Mark all the caller's notifications read; returns how many were unread.
    pub async fn mark_all_read(&self, caller: &Caller) -> DomainResult<u64> {
        match owner(caller) {
            Some(user_id) => {
                self.p
                    .stores
                    .notifications
                    .mark_all_read(user_id, self.p.now())
                    .await
            }
            None => Ok(0),
        }
    }

    /// For the delivery worker: pending deliveries due now, reserved for it.
    pub async fn claim_due(&self, limit: u32) -> DomainResult<Vec<Delivery>> {
        let now = self.p.now();
        self.p
            .stores
            .notifications
            .claim_deliveries(now, now.add(LEASE), limit)
            .await
    }

    /// For the delivery worker: record how an attempt ended (sent, to retry, or given up).
    pub async fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: Result<(), String>,
    ) -> DomainResult<Delivery> {
        let update = after_attempt(delivery.attempts.saturating_add(1), outcome, self.p.now());
        self.p
            .stores
            .notifications
            .update_delivery(delivery.id, &update)
            .await?;
        Ok(Delivery {
            status: update.status,
            attempts: update.attempts,
            next_attempt_at: update.next_attempt_at,
            last_error: update.last_error,
            sent_at: update.sent_at,
            ..delivery.clone()
        })
    }
}
