-- Demand for other agencies' data, matched to datasets (supply) or left as a gap.
-- fields is a JSON array of names.
CREATE TABLE demands (
    id              INTEGER PRIMARY KEY,
    needing_agency  TEXT    NOT NULL REFERENCES agencies(code),
    title           TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    fields          TEXT    NOT NULL DEFAULT '[]',
    purpose         TEXT    NOT NULL,
    legal_basis     TEXT,
    urgency         TEXT    NOT NULL CHECK (urgency IN ('high', 'medium', 'low')),
    likely_holder   TEXT    REFERENCES agencies(code),
    search_words    TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL CHECK (status IN ('open', 'matched', 'met', 'withdrawn')),
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX demands_needing ON demands(needing_agency, status);

CREATE TABLE demand_matches (
    demand_id         BIGINT  NOT NULL REFERENCES demands(id),
    dataset_id        BIGINT  NOT NULL REFERENCES datasets(id),
    dataset_title     TEXT    NOT NULL,
    providing_agency  TEXT    NOT NULL REFERENCES agencies(code),
    confirmed_by      TEXT    NOT NULL,
    confirmed_at      BIGINT  NOT NULL,
    PRIMARY KEY (demand_id, dataset_id)
);

-- The city's platforms and what they cost per ROC year (NT$). No cost row: not entered.
-- operator is a code without a foreign key: a retired platform keeps the agency that ran it.
CREATE TABLE platforms (
    id            INTEGER PRIMARY KEY,
    name_zh       TEXT    NOT NULL UNIQUE,
    name_en       TEXT,
    operator      TEXT    NOT NULL,
    since_year    INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'retired')),
    retired_year  INTEGER,
    note          TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE platform_costs (
    platform_id  BIGINT  NOT NULL REFERENCES platforms(id),
    roc_year     INTEGER NOT NULL,
    amount       BIGINT  NOT NULL CHECK (amount >= 0),
    note         TEXT,
    PRIMARY KEY (platform_id, roc_year)
);

-- Which platform a harvest source's datasets come from (datasets.source).
CREATE TABLE platform_sources (
    source       TEXT    PRIMARY KEY,
    platform_id  BIGINT  NOT NULL REFERENCES platforms(id),
    mapped_at    BIGINT  NOT NULL
);

-- Distinct people and data keys per dataset and day, kept as accesses are logged, so the
-- benefit report counts active users without scanning the access log. Filled from the log
-- once here.
CREATE TABLE dataset_usage_users (
    dataset_id  BIGINT  NOT NULL,
    day         TEXT    NOT NULL,
    user_name   TEXT    NOT NULL,
    PRIMARY KEY (dataset_id, day, user_name)
);
INSERT OR IGNORE INTO dataset_usage_users (dataset_id, day, user_name)
    SELECT dataset_id, date(at / 1000, 'unixepoch', '+8 hours'), user_name FROM data_access_log;
