//! Telling people what needs their attention: in-app notifications, and the outbox of
//! e-mails and webhook calls that carry them beyond the platform (issue 3: stewards are told
//! before a dataset falls due). The rules live here; the delivery crate sends, stores store.

mod delivery;
mod freshness;
mod model;
mod service;
#[cfg(test)]
mod tests;

pub use delivery::{LEASE, MAX_ATTEMPTS, RETRY_DELAYS, after_attempt};
pub use freshness::{FRESHNESS_EVENT, wants_notice};
pub(crate) use freshness::{covers, email};
pub use model::{
    Channel, Delivery, DeliveryStatus, DeliveryUpdate, EmailMessage, NewDelivery, NewNotice,
    NewNotification, NoticeBatch, Notification, NotificationFilter, NotificationKind, NotifyPolicy,
    Queued, RoleHolder,
};
pub use service::NotificationService;
