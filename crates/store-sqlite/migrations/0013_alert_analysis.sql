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
