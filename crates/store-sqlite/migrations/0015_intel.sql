-- Threat intelligence (issue 4, point 6). STIX 2.1 objects are kept verbatim, one row per
-- version: the id and its `modified` are the identity, so re-importing a bundle adds nothing and
-- a newer version is a new row while the older one stays (no longer current). Indicators are
-- also kept as the matcher needs them: one row each (its newest version) and one row per test
-- of its pattern's match plan, indexed by value. Import runs and their rejected objects are the
-- shared import_runs / import_rejects (kind 'stix').

CREATE TABLE intel_objects (
    id              INTEGER PRIMARY KEY,
    stix_id         TEXT    NOT NULL,
    object_type     TEXT    NOT NULL,
    -- `modified` (or `created`) exactly as written; '' for cyber-observables (STIX does not
    -- version them).
    version         TEXT    NOT NULL,
    -- The version as Unix milliseconds, for ordering; NULL for observables.
    version_at      BIGINT,
    import_run_id   INTEGER REFERENCES import_runs(id),
    stored_at       BIGINT  NOT NULL,
    -- 1 for the newest version of its id.
    current         INTEGER NOT NULL,
    revoked         INTEGER NOT NULL,
    created_by_ref  TEXT,
    raw             TEXT    NOT NULL,
    UNIQUE (stix_id, version)
);
CREATE INDEX intel_objects_current ON intel_objects(object_type, current, created_by_ref);
CREATE INDEX intel_objects_id_current ON intel_objects(stix_id, current);

CREATE TABLE intel_indicators (
    stix_id         TEXT    PRIMARY KEY,
    -- The newest version's row; it only grows, so MAX(object_id) tells when indicators changed.
    object_id       INTEGER NOT NULL UNIQUE REFERENCES intel_objects(id),
    name            TEXT,
    pattern         TEXT    NOT NULL,
    pattern_type    TEXT    NOT NULL,
    valid_from      BIGINT  NOT NULL,
    valid_until     BIGINT,
    revoked         INTEGER NOT NULL,
    -- NULL when civitas matches the pattern; otherwise why not, as JSON {zh, en}.
    not_matchable   TEXT,
    created_by_ref  TEXT,
    modified        TEXT    NOT NULL,
    modified_at     BIGINT  NOT NULL
);
CREATE INDEX intel_indicators_modified ON intel_indicators(modified_at);

-- The match plan: an indicator matches an alert when every test of one alternative is met.
-- kind: ipv4-addr, ipv6-addr, domain-name, url, email-addr or file:hashes.<ALGORITHM>; value in
-- normal form, an address block written network/prefix.
CREATE TABLE intel_indicator_tests (
    stix_id         TEXT    NOT NULL REFERENCES intel_indicators(stix_id),
    alternative     INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    value           TEXT    NOT NULL,
    PRIMARY KEY (stix_id, alternative, position)
);
CREATE INDEX intel_indicator_tests_value ON intel_indicator_tests(value, kind);

-- The city's sightings: one per indicator and notification (警訊通報), as STIX versions them.
CREATE TABLE intel_sightings (
    stix_id         TEXT    PRIMARY KEY,
    indicator       TEXT    NOT NULL,
    group_id        INTEGER NOT NULL REFERENCES alert_groups(id),
    group_key       TEXT    NOT NULL,
    where_sighted   TEXT    NOT NULL,
    first_seen      BIGINT  NOT NULL,
    last_seen       BIGINT  NOT NULL,
    alert_count     BIGINT  NOT NULL,
    created         TEXT    NOT NULL,
    modified        TEXT    NOT NULL,
    UNIQUE (indicator, group_id)
);
CREATE INDEX intel_sightings_last_seen ON intel_sightings(last_seen);

-- Which alert matched which indicator, once each: the sightings add these up.
CREATE TABLE intel_matches (
    alert_id        INTEGER NOT NULL REFERENCES alerts(id),
    indicator       TEXT    NOT NULL,
    matched_at      BIGINT  NOT NULL,
    PRIMARY KEY (alert_id, indicator)
);
CREATE INDEX intel_matches_indicator ON intel_matches(indicator);

-- Where the next TAXII 2.1 poll of a collection starts: after the last object added that the
-- previous poll read (the server's X-TAXII-Date-Added-Last), by API root and collection.
CREATE TABLE intel_taxii_polls (
    collection_key  TEXT    PRIMARY KEY,
    added_after     TEXT    NOT NULL,
    polled_at       BIGINT  NOT NULL
);
