-- Alert analysis (issue 4, point 5): what an analyst ranks and follows, kept at ingest time so
-- that "top ten this month" and "does it come back" never scan the alerts.

-- The ATT&CK techniques of each alert, space-delimited with a space at both ends
-- (' T1190 T1059.001 '), so that a drill-down from a technique can find its alerts.
ALTER TABLE alerts ADD COLUMN techniques TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_signature ON alerts(signature, observed_at);
CREATE INDEX alerts_source_ip ON alerts(source_ip, observed_at);

-- Per Taipei month, agency ('' = none) and dimension ('signature', 'source_ip',
-- 'destination_ip', 'technique'): how many alerts carried the value and when it was first and
-- last seen that month. A value seen in several months is a recurrence.
CREATE TABLE alert_value_rollups (
    month       TEXT   NOT NULL,
    dimension   TEXT   NOT NULL,
    agency      TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    alert_count BIGINT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (dimension, month, agency, value)
);

-- The analyst's notes on a pattern (a category, signature, address or technique, for one
-- agency or the whole city): the cause found and the countermeasure taken, so that the next
-- report can say what was done. Notes are added, never edited in place.
CREATE TABLE alert_notes (
    id             INTEGER PRIMARY KEY,
    dimension      TEXT   NOT NULL,
    value          TEXT   NOT NULL,
    agency         TEXT,
    cause          TEXT   NOT NULL,
    countermeasure TEXT   NOT NULL,
    author         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX alert_notes_pattern ON alert_notes(dimension, value, created_at);
CREATE INDEX alert_notes_created ON alert_notes(created_at);

-- What the severity score knew when the alert was classified (target criticality, intel match,
-- recurrence, evidence of success) as JSON, so that re-applying rules to history scores each
-- alert on the same facts.
ALTER TABLE alerts ADD COLUMN score_context TEXT NOT NULL DEFAULT '{}';

-- Classification rule sets an administrator saved; the newest is in force (a file named in the
-- configuration, or the built-in rules, when there is none). Kept forever: every alert names the
-- version that classified it.
CREATE TABLE alert_rule_sets (
    id        INTEGER PRIMARY KEY,
    version   TEXT   NOT NULL UNIQUE,
    rules     TEXT   NOT NULL,
    saved_by  TEXT   NOT NULL,
    saved_at  BIGINT NOT NULL
);

-- Each time rules were re-applied to stored alerts: which version, over which alerts, how many
-- changed.
CREATE TABLE alert_reclassifications (
    id               INTEGER PRIMARY KEY,
    rule_set_version TEXT   NOT NULL,
    from_at          BIGINT,
    to_at            BIGINT,
    examined         BIGINT NOT NULL,
    changed          BIGINT NOT NULL,
    actor            TEXT   NOT NULL,
    at               BIGINT NOT NULL
);

-- The monthly SOC report's commentary, written by an analyst for a month and the whole city
-- ('' agency) or one agency. Each save is a new row; the newest is shown, the rest are history.
CREATE TABLE alert_report_commentary (
    id          INTEGER PRIMARY KEY,
    month       TEXT   NOT NULL,
    agency      TEXT   NOT NULL,
    commentary  TEXT   NOT NULL,
    saved_by    TEXT   NOT NULL,
    saved_at    BIGINT NOT NULL
);
CREATE INDEX alert_report_commentary_month ON alert_report_commentary(month, agency, id);
