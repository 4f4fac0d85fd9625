-- The last check of each distribution address: validators for the next conditional request,
-- the content checksum (a change is evidence of a data update), and failures in a row (two
-- make the address dead; a dataset whose every address is dead is "unreachable").
CREATE TABLE link_checks (
    dataset_id   INTEGER NOT NULL REFERENCES datasets (id),
    url          TEXT NOT NULL,
    etag         TEXT,
    last_modified TEXT,
    sha256       TEXT,
    bytes        INTEGER,
    http_status  INTEGER,
    ok           INTEGER NOT NULL,
    reason_zh    TEXT,
    reason_en    TEXT,
    checked_at   INTEGER NOT NULL,
    last_ok_at   INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dataset_id, url)
);
