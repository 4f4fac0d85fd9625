-- Uploaded files, kept by their SHA-256: the same content is stored once.
CREATE TABLE blobs (
    sha256      TEXT    PRIMARY KEY,
    media_type  TEXT    NOT NULL,
    byte_size   BIGINT  NOT NULL,
    content     BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- Sharing requests between agencies. fields and granted_fields are JSON arrays of names.
CREATE TABLE access_requests (
    id                  INTEGER PRIMARY KEY,
    dataset_id          BIGINT  NOT NULL REFERENCES datasets(id),
    dataset_title       TEXT    NOT NULL,
    requesting_agency   TEXT    NOT NULL REFERENCES agencies(code),
    providing_agency    TEXT    NOT NULL REFERENCES agencies(code),
    requester           TEXT    NOT NULL,
    purpose             TEXT    NOT NULL,
    legal_basis         TEXT,
    fields              TEXT    NOT NULL,
    period_from         TEXT,
    period_to           TEXT,
    days                INTEGER NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('pending', 'awaiting_second_approval', 'approved',
                                                           'partly_approved', 'refused', 'withdrawn')),
    created_at          BIGINT  NOT NULL,
    first_approver      TEXT,
    decided_by          TEXT,
    decided_at          BIGINT,
    reason              TEXT,
    granted_fields      TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX access_requests_dataset ON access_requests(dataset_id, status);
CREATE INDEX access_requests_requesting ON access_requests(requesting_agency, status);
CREATE INDEX access_requests_providing ON access_requests(providing_agency, status);

CREATE TABLE sharing_grants (
    id                  INTEGER PRIMARY KEY,
    request_id          BIGINT  NOT NULL UNIQUE REFERENCES access_requests(id),
    dataset_id          BIGINT  NOT NULL REFERENCES datasets(id),
    providing_agency    TEXT    NOT NULL REFERENCES agencies(code),
    grantee_agency      TEXT    NOT NULL REFERENCES agencies(code),
    fields              TEXT    NOT NULL,
    valid_from          BIGINT  NOT NULL,
    valid_until         BIGINT  NOT NULL,
    approved_by         TEXT    NOT NULL,
    second_approved_by  TEXT,
    revoked_at          BIGINT
);
CREATE INDEX sharing_grants_dataset ON sharing_grants(dataset_id);
CREATE INDEX sharing_grants_grantee ON sharing_grants(grantee_agency);

-- Keys for programs reading one grant's data; only the hash is kept.
CREATE TABLE sharing_keys (
    id            INTEGER PRIMARY KEY,
    grant_id      BIGINT  NOT NULL REFERENCES sharing_grants(id),
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    label         TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX sharing_keys_grant ON sharing_keys(grant_id);

-- Every access to data: who, for which agency, which dataset, how many rows, when.
CREATE TABLE data_access_log (
    id          INTEGER PRIMARY KEY,
    at          BIGINT  NOT NULL,
    user_name   TEXT    NOT NULL,
    agency      TEXT,
    dataset_id  BIGINT  NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('view', 'download', 'api')),
    rows        BIGINT  NOT NULL,
    grant_id    BIGINT
);
CREATE INDEX data_access_log_dataset ON data_access_log(dataset_id, at);

-- Rollups kept as accesses are logged, so use reports never scan the log.
CREATE TABLE dataset_usage_daily (
    dataset_id  BIGINT  NOT NULL,
    day         TEXT    NOT NULL,
    views       BIGINT  NOT NULL DEFAULT 0,
    downloads   BIGINT  NOT NULL DEFAULT 0,
    api_calls   BIGINT  NOT NULL DEFAULT 0,
    rows        BIGINT  NOT NULL DEFAULT 0,
    last_at     BIGINT  NOT NULL,
    PRIMARY KEY (dataset_id, day)
);
CREATE INDEX dataset_usage_daily_day ON dataset_usage_daily(day);

CREATE TABLE dataset_usage_agencies (
    dataset_id  BIGINT  NOT NULL,
    day         TEXT    NOT NULL,
    agency      TEXT    NOT NULL,
    PRIMARY KEY (dataset_id, day, agency)
);
