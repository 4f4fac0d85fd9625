-- Message-log archives (issue 6, point 6; research notes §3.4): time-stamped records are
-- written to hash-linked ZIP archives of ASiC-E containers (X-Road's `linkinginfo` format).
-- Each archive row keeps its file name and its last linking digest, which the next archive
-- starts from; a record names the archive it went into, so nothing is archived twice.
CREATE TABLE exchange_archives (
    id            INTEGER PRIMARY KEY,
    file_name     TEXT    NOT NULL UNIQUE,
    -- hex SHA-512: the last linking digest (the next archive's start).
    last_digest   TEXT    NOT NULL,
    -- The linking digest this archive started from ('' for the first).
    prev_digest   TEXT    NOT NULL,
    records       INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    created_at    BIGINT  NOT NULL
);

ALTER TABLE exchange_evidence ADD COLUMN archive_id INTEGER REFERENCES exchange_archives(id);

-- The archiving queue: stamped records not yet archived, oldest first.
CREATE INDEX exchange_evidence_unarchived ON exchange_evidence(id)
    WHERE archive_id IS NULL AND timestamp_id IS NOT NULL;
