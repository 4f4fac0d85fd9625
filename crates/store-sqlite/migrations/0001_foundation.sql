-- Foundation: agencies, accounts, sessions, API tokens, the audit chain and import runs.
-- Portable SQL: the PostgreSQL store keeps the same tables and column names.
-- Times are Unix milliseconds (BIGINT); booleans are 0/1 INTEGERs.

CREATE TABLE agencies (
    id              INTEGER PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE,
    name_zh         TEXT    NOT NULL,
    name_en         TEXT,
    short_name_zh   TEXT,
    parent_code     TEXT    REFERENCES agencies(code),
    kind            TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    retired_at      BIGINT,
    successor_code  TEXT    REFERENCES agencies(code),
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX agencies_parent ON agencies(parent_code);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    email               TEXT,
    home_agency         TEXT    REFERENCES agencies(code),
    active              INTEGER NOT NULL DEFAULT 1,
    language            TEXT    NOT NULL,
    date_style          TEXT    NOT NULL,
    password_hash       TEXT    NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    last_login_at       BIGINT,
    password_changed_at BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX users_home_agency ON users(home_agency);

CREATE TABLE role_grants (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    role        TEXT    NOT NULL,
    agency      TEXT    REFERENCES agencies(code),  -- NULL: city-wide
    granted_at  BIGINT  NOT NULL,
    granted_by  TEXT    NOT NULL
);
CREATE UNIQUE INDEX role_grants_unique ON role_grants(user_id, role, COALESCE(agency, ''));

CREATE TABLE sessions (
    id_hash             TEXT    PRIMARY KEY,
    user_id             BIGINT  NOT NULL REFERENCES users(id),
    csrf_token          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    last_seen_at        BIGINT  NOT NULL,
    expires_at          BIGINT  NOT NULL,
    absolute_expires_at BIGINT  NOT NULL,
    source_ip           TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    label         TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE api_token_grants (
    token_id  BIGINT NOT NULL REFERENCES api_tokens(id),
    role      TEXT   NOT NULL,
    agency    TEXT   REFERENCES agencies(code)
);
CREATE INDEX api_token_grants_token ON api_token_grants(token_id);

-- The audit trail. seq is assigned by the chain, not by the database.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             BIGINT  NOT NULL,
    actor_user_id  BIGINT,
    actor_name     TEXT    NOT NULL,
    acting_agency  TEXT,
    action         TEXT    NOT NULL,
    object_type    TEXT    NOT NULL,
    object_id      TEXT    NOT NULL,
    source_ip      TEXT,
    outcome        TEXT    NOT NULL,
    summary        TEXT    NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_action ON audit_log(action);
CREATE INDEX audit_log_actor ON audit_log(actor_name);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);

-- The newest entry's seq and hash: deleting entries from the end shows up against this.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT  NOT NULL,
    hash  TEXT    NOT NULL
);

-- Guard against the application itself rewriting history. (Someone with the file can drop
-- these; the hash chain is what catches them.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

CREATE TABLE import_runs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    actor_name   TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT  NOT NULL,
    received     BIGINT  NOT NULL,
    created      BIGINT  NOT NULL,
    updated      BIGINT  NOT NULL,
    unchanged    BIGINT  NOT NULL,
    duplicates   BIGINT  NOT NULL,
    rejected     BIGINT  NOT NULL
);
CREATE INDEX import_runs_kind ON import_runs(kind, finished_at);

CREATE TABLE import_rejects (
    run_id  BIGINT NOT NULL REFERENCES import_runs(id),
    line       BIGINT NOT NULL,
    reason_zh  TEXT   NOT NULL,
    reason_en  TEXT   NOT NULL,
    raw     TEXT   NOT NULL
);
CREATE INDEX import_rejects_run ON import_rejects(run_id);
