//! Notifications, deliveries and the settings that decide which channels carry them.

use serde::{Deserialize, Serialize};

use crate::authz::Scope;
use crate::text::Text;
use crate::time::{DateStyle, Language, Timestamp};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A dataset falls due, is overdue, or is due for review.
    Freshness,
    /// An incident's follow-up: an action's reminder or escalation, a legal clock escalated.
    Incident,
}

impl NotificationKind {
    pub fn code(&self) -> &'static str {
        match self {
            NotificationKind::Freshness => "freshness",
            NotificationKind::Incident => "incident",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "freshness" => Some(NotificationKind::Freshness),
            "incident" => Some(NotificationKind::Incident),
            _ => None,
        }
    }
}

/// One message in one person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub kind: NotificationKind,
    pub dataset_id: Option<i64>,
    /// Stable identity of what was said to whom: the same key is never stored twice.
    pub key: String,
    pub title: Text,
    pub body: Text,
    /// A path inside civitas, e.g. `/catalog/datasets/1`.
    pub link: Option<String>,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub dataset_id: Option<i64>,
    pub key: String,
    pub title: Text,
    pub body: Text,
    pub link: Option<String>,
}

/// Which of a person's notifications to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationFilter {
    pub user_id: i64,
    pub unread_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn code(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Channel::Email),
            "webhook" => Some(Channel::Webhook),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    /// Given up after the last retry; the error is kept.
    Failed,
}

impl DeliveryStatus {
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// A message to send outside the platform, queued until a worker sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel: Channel,
    /// An e-mail address or a webhook URL.
    pub target: String,
    /// What to send: an [`EmailMessage`] as JSON, or the webhook's JSON body.
    pub payload: String,
    /// For deliveries that belong to no notification (webhooks): the same key is queued once.
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub notification_id: Option<i64>,
    pub channel: Channel,
    pub target: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A delivery's state after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryUpdate {
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// A notification with the deliveries that carry it (queued only if the notification is new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub notification: NewNotification,
    pub deliveries: Vec<NewDelivery>,
}

/// Everything one event produces: notices for people and broadcasts (webhook calls).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeBatch {
    pub notices: Vec<NewNotice>,
    pub broadcasts: Vec<NewDelivery>,
}

/// How much of a batch was new.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Queued {
    pub notifications: u64,
    pub deliveries: u64,
}

/// Someone holding a role, with where they hold it: who is told about an agency's datasets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleHolder {
    pub user_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub language: Language,
    pub date_style: DateStyle,
    pub scopes: Vec<Scope>,
}

/// An e-mail as queued: plain text, Traditional Chinese first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Which channels carry notices beyond the platform, decided by the operator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPolicy {
    /// An SMTP server is configured: stewards with an e-mail address get one.
    pub email: bool,
    /// Each transition is also posted here.
    pub webhook_url: Option<String>,
    /// Tell stewards before the due date too, not only once a dataset is late.
    pub due_soon_notices: bool,
    /// The address people use (`https://civitas.example`), for links in e-mails and webhooks.
    pub public_base: String,
}

impl Default for NotifyPolicy {
    fn default() -> Self {
        NotifyPolicy {
            email: false,
            webhook_url: None,
            due_soon_notices: true,
            public_base: String::new(),
        }
    }
}
