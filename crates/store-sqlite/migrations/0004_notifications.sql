-- In-app notifications, and the outbox of e-mails and webhook calls that carry them.
-- A notification's key names what was said to whom, so a reassessment never repeats it.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    kind        TEXT    NOT NULL,
    dataset_id  BIGINT  REFERENCES datasets(id),
    key         TEXT    NOT NULL UNIQUE,
    title_zh    TEXT    NOT NULL,
    title_en    TEXT    NOT NULL,
    body_zh     TEXT    NOT NULL,
    body_en     TEXT    NOT NULL,
    link        TEXT,
    created_at  BIGINT  NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_inbox ON notifications(user_id, read_at, id);

-- notification_id is NULL for broadcasts (webhook calls), which are deduplicated by key.
CREATE TABLE notification_deliveries (
    id               INTEGER PRIMARY KEY,
    notification_id  BIGINT  REFERENCES notifications(id),
    key              TEXT    UNIQUE,
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'webhook')),
    target           TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    last_error       TEXT,
    sent_at          BIGINT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX notification_deliveries_notification ON notification_deliveries(notification_id);
