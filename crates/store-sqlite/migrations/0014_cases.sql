-- Incidents and forensics (issue 5). Each record is kept whole as the domain's JSON (`record`)
-- beside the columns lists and reports filter on; every part of its history is also a row of
-- its own, appended and never deleted: level assessments, timeline entries (a corrected entry
-- is marked withdrawn, not removed), the deadlines as computed at each assessment with the
-- legal rule set used, report versions (the file itself in `blobs`, by SHA-256), findings,
-- an action's status changes, evidence and extensions, and evidence hand-overs. Every saved
-- revision of a record is kept in `case_revisions`, so no edit overwrites what was there.

-- The numbers behind INC-2026-0007 and its kin, per prefix and year.
CREATE TABLE case_counters (
    prefix  TEXT    NOT NULL,
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE incidents (
    id              TEXT    PRIMARY KEY,
    title           TEXT    NOT NULL,
    agency          TEXT    NOT NULL REFERENCES agencies(code),
    category        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    determination   TEXT    NOT NULL,
    -- The latest assessed level (1–4), NULL until assessed.
    level           INTEGER,
    -- The legal rule set in force when the agency became aware (pinned).
    rule_set        TEXT    NOT NULL,
    aware_at        BIGINT  NOT NULL,
    -- The earliest open legal deadline as last computed, for the board's sort.
    next_due_at     BIGINT,
    opened_at       BIGINT  NOT NULL,
    opened_by       TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL,
    revision        INTEGER NOT NULL,
    record          TEXT    NOT NULL
);
CREATE INDEX incidents_agency ON incidents(agency, status);
CREATE INDEX incidents_status ON incidents(status, next_due_at);

-- The alert notifications (alert_groups) an incident was opened from.
CREATE TABLE incident_notifications (
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    group_id        INTEGER NOT NULL REFERENCES alert_groups(id),
    PRIMARY KEY (incident_id, group_id)
);
CREATE INDEX incident_notifications_group ON incident_notifications(group_id);

CREATE TABLE incident_levels (
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    seq             INTEGER NOT NULL,
    at              BIGINT  NOT NULL,
    by_user         TEXT    NOT NULL,
    previous_level  INTEGER,
    level           INTEGER NOT NULL,
    why             TEXT,
    -- The effects and the decision with its reasons, as JSON.
    assessment      TEXT    NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE incident_timeline (
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    seq             INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    at              BIGINT  NOT NULL,
    recorded_at     BIGINT  NOT NULL,
    by_user         TEXT    NOT NULL,
    note            TEXT,
    withdrawn_at    BIGINT,
    withdrawn_by    TEXT,
    withdrawn_why   TEXT,
    PRIMARY KEY (incident_id, seq)
);

-- The deadlines as computed when the incident was opened or (re-)assessed, with the rule set
-- used: a later amendment adds rule files, it never rewrites these rows.
CREATE TABLE incident_deadlines (
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    revision        INTEGER NOT NULL,
    obligation      TEXT    NOT NULL,
    rule_set        TEXT    NOT NULL,
    level           INTEGER,
    started_at      BIGINT,
    due_at          BIGINT,
    computed_at     BIGINT  NOT NULL,
    -- The deadline with its source and explanation, as JSON.
    deadline        TEXT    NOT NULL,
    PRIMARY KEY (incident_id, revision, obligation)
);

CREATE TABLE forensic_engagements (
    id              TEXT    PRIMARY KEY,
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    vendor          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    report_due      BIGINT  NOT NULL,
    requested_at    BIGINT  NOT NULL,
    revision        INTEGER NOT NULL,
    record          TEXT    NOT NULL
);
CREATE INDEX forensic_engagements_incident ON forensic_engagements(incident_id);

CREATE TABLE forensic_reports (
    engagement_id   TEXT    NOT NULL REFERENCES forensic_engagements(id),
    version         INTEGER NOT NULL,
    sha256          TEXT    NOT NULL REFERENCES blobs(sha256),
    file_name       TEXT    NOT NULL,
    byte_size       BIGINT  NOT NULL,
    received_at     BIGINT  NOT NULL,
    received_by     TEXT    NOT NULL,
    sections        TEXT    NOT NULL,
    PRIMARY KEY (engagement_id, version),
    UNIQUE (engagement_id, sha256)
);

CREATE TABLE forensic_findings (
    engagement_id   TEXT    NOT NULL REFERENCES forensic_engagements(id),
    finding_id      TEXT    NOT NULL,
    root_cause      TEXT    NOT NULL,
    report_version  INTEGER NOT NULL,
    recorded_at     BIGINT  NOT NULL,
    recorded_by     TEXT    NOT NULL,
    -- Detail, IOCs, hosts and recommendations, as JSON.
    finding         TEXT    NOT NULL,
    PRIMARY KEY (engagement_id, finding_id)
);

CREATE TABLE case_actions (
    id              TEXT    PRIMARY KEY,
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    finding_id      TEXT,
    owner_agency    TEXT    NOT NULL REFERENCES agencies(code),
    owner           TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    due_at          BIGINT  NOT NULL,
    verified_at     BIGINT,
    verified_by     TEXT,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    -- Optimistic concurrency: a write names the revision it read.
    revision        INTEGER NOT NULL,
    record          TEXT    NOT NULL
);
CREATE INDEX case_actions_incident ON case_actions(incident_id);
CREATE INDEX case_actions_owner ON case_actions(owner, status);
CREATE INDEX case_actions_agency ON case_actions(owner_agency, status, due_at);

CREATE TABLE case_action_history (
    action_id       TEXT    NOT NULL REFERENCES case_actions(id),
    seq             INTEGER NOT NULL,
    from_status     TEXT    NOT NULL,
    to_status       TEXT    NOT NULL,
    at              BIGINT  NOT NULL,
    -- NULL when civitas itself decided (a recurrence reopen).
    by_user         TEXT,
    note            TEXT,
    PRIMARY KEY (action_id, seq)
);

CREATE TABLE case_action_evidence (
    action_id       TEXT    NOT NULL REFERENCES case_actions(id),
    seq             INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    sha256          TEXT    NOT NULL REFERENCES blobs(sha256),
    added_by        TEXT    NOT NULL,
    added_at        BIGINT  NOT NULL,
    PRIMARY KEY (action_id, seq)
);

CREATE TABLE case_action_extensions (
    action_id       TEXT    NOT NULL REFERENCES case_actions(id),
    seq             INTEGER NOT NULL,
    from_due        BIGINT  NOT NULL,
    to_due          BIGINT  NOT NULL,
    reason          TEXT    NOT NULL,
    requested_by    TEXT    NOT NULL,
    approved_by     TEXT    NOT NULL,
    at              BIGINT  NOT NULL,
    PRIMARY KEY (action_id, seq)
);

CREATE TABLE case_action_recurrence_checks (
    action_id       TEXT    NOT NULL REFERENCES case_actions(id),
    seq             INTEGER NOT NULL,
    after_days      INTEGER NOT NULL,
    at              BIGINT  NOT NULL,
    -- The evidence found (empty: a clean check), as JSON.
    evidence        TEXT    NOT NULL,
    PRIMARY KEY (action_id, seq)
);

CREATE TABLE evidence_items (
    id              TEXT    PRIMARY KEY,
    incident_id     TEXT    NOT NULL REFERENCES incidents(id),
    name            TEXT    NOT NULL,
    collected_by    TEXT    NOT NULL,
    collected_at    BIGINT  NOT NULL,
    sha256          TEXT    NOT NULL,
    record          TEXT    NOT NULL
);
CREATE INDEX evidence_items_incident ON evidence_items(incident_id);

CREATE TABLE evidence_handovers (
    item_id         TEXT    NOT NULL REFERENCES evidence_items(id),
    seq             INTEGER NOT NULL,
    from_holder     TEXT    NOT NULL,
    to_holder       TEXT    NOT NULL,
    at              BIGINT  NOT NULL,
    purpose         TEXT    NOT NULL,
    recorded_by     TEXT    NOT NULL,
    PRIMARY KEY (item_id, seq)
);

-- Every saved revision of every case record, whole.
CREATE TABLE case_revisions (
    object_type     TEXT    NOT NULL,
    object_id       TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    saved_at        BIGINT  NOT NULL,
    record          TEXT    NOT NULL,
    PRIMARY KEY (object_type, object_id, revision)
);
