-- Catalogue sources harvested on a schedule, mirrored from the configuration at start (a
-- source taken out of the configuration stays, unconfigured, with its history), and each
-- harvest run with its counts and the reason it stopped early, if it did.
CREATE TABLE harvest_sources (
    name              TEXT    PRIMARY KEY,
    kind              TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    interval_seconds  BIGINT,
    configured        INTEGER NOT NULL,
    run_requested_at  BIGINT,
    run_requested_by  TEXT,
    updated_at        BIGINT  NOT NULL
);

CREATE TABLE harvest_runs (
    id                INTEGER PRIMARY KEY,
    source            TEXT    NOT NULL REFERENCES harvest_sources(name),
    trigger           TEXT    NOT NULL CHECK (trigger IN ('schedule', 'request', 'cli')),
    started_at        BIGINT  NOT NULL,
    finished_at       BIGINT,
    import_run_id     BIGINT  REFERENCES import_runs(id),
    received          BIGINT  NOT NULL DEFAULT 0,
    created           BIGINT  NOT NULL DEFAULT 0,
    updated           BIGINT  NOT NULL DEFAULT 0,
    unchanged         BIGINT  NOT NULL DEFAULT 0,
    duplicates        BIGINT  NOT NULL DEFAULT 0,
    rejected          BIGINT  NOT NULL DEFAULT 0,
    withdrawn         BIGINT  NOT NULL DEFAULT 0,
    pages_read        BIGINT  NOT NULL DEFAULT 0,
    complete          INTEGER NOT NULL DEFAULT 0,
    error_zh          TEXT,
    error_en          TEXT
);
CREATE INDEX harvest_runs_by_source ON harvest_runs(source, started_at);
