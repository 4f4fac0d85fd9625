-- Security alerts (issue 4): each raw alert stored once by its fingerprint, grouped into
-- notifications (警訊通報), with per-day counts kept at ingest time so that dashboards and the
-- audit's table never scan the alerts. Agencies are codes as configured for the alert sources
-- (no foreign key: a range may name an agency the tree does not hold yet).

CREATE TABLE alert_groups (
    id              INTEGER PRIMARY KEY,
    group_key       TEXT   NOT NULL,
    window_start    BIGINT NOT NULL,
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    alert_count     BIGINT NOT NULL,
    category        TEXT   NOT NULL,
    -- 0 low, 1 medium, 2 high: a number so that "the highest of its members" is MAX().
    severity_rank   INTEGER NOT NULL,
    agency          TEXT,
    UNIQUE (window_start, group_key)
);
CREATE INDEX alert_groups_last_seen ON alert_groups(last_seen);
CREATE INDEX alert_groups_agency ON alert_groups(agency, last_seen);

CREATE TABLE alerts (
    id                  INTEGER PRIMARY KEY,
    fingerprint         BLOB   NOT NULL UNIQUE,
    import_run_id       INTEGER NOT NULL REFERENCES import_runs(id),
    group_id            INTEGER NOT NULL REFERENCES alert_groups(id),
    source_name         TEXT   NOT NULL,
    source_kind         TEXT   NOT NULL,
    observed_at         BIGINT NOT NULL,
    agency              TEXT,
    category            TEXT   NOT NULL,
    sub_bucket          TEXT,
    severity            TEXT   NOT NULL,
    score               INTEGER NOT NULL,
    rsit                TEXT   NOT NULL,
    rule_set_version    TEXT   NOT NULL,
    matched_rule_id     TEXT,
    signature           TEXT   NOT NULL,
    source_ip           TEXT,
    source_port         INTEGER,
    destination_ip      TEXT,
    destination_port    INTEGER,
    -- The classification's reasons and the agency's, as JSON [{zh, en}].
    reasons             TEXT   NOT NULL,
    agency_reason       TEXT   NOT NULL,
    -- The normalised alert as JSON, its raw record verbatim inside.
    record              TEXT   NOT NULL
);
CREATE INDEX alerts_observed ON alerts(observed_at);
CREATE INDEX alerts_agency ON alerts(agency, observed_at);
CREATE INDEX alerts_category ON alerts(category, severity, observed_at);
CREATE INDEX alerts_group ON alerts(group_id);

-- '' stands for "no agency" and "no sub-bucket" so that the key is always comparable.
CREATE TABLE alert_rollups (
    day         TEXT   NOT NULL,
    agency      TEXT   NOT NULL,
    category    TEXT   NOT NULL,
    sub_bucket  TEXT   NOT NULL,
    severity    TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    alert_count BIGINT NOT NULL,
    PRIMARY KEY (day, agency, category, sub_bucket, severity, source)
);
