-- The data catalogue: datasets with their full description (JSON), versions, facet values for
-- filtering and counting, a full-text index of pre-tokenised text, and facet totals kept up to
-- date at write time so that browsing the whole catalogue never scans it.

ALTER TABLE import_runs ADD COLUMN encoding TEXT;
ALTER TABLE import_runs ADD COLUMN withdrawn BIGINT NOT NULL DEFAULT 0;

CREATE TABLE datasets (
    id                          INTEGER PRIMARY KEY,
    source                      TEXT    NOT NULL,
    source_key                  TEXT    NOT NULL,
    identifier                  TEXT    NOT NULL,
    agency                      TEXT    NOT NULL REFERENCES agencies(code),
    title_zh                    TEXT    NOT NULL,
    title_en                    TEXT,
    description_zh              TEXT    NOT NULL,
    frequency                   TEXT    NOT NULL,
    access_level                TEXT    NOT NULL,
    formats                     TEXT    NOT NULL,
    series                      TEXT,
    series_year                 INTEGER,
    record                      TEXT    NOT NULL,
    version                     BIGINT  NOT NULL,
    status                      TEXT    NOT NULL,
    withdrawn_at                BIGINT,
    created_at                  BIGINT  NOT NULL,
    updated_at                  BIGINT  NOT NULL,
    seen_at                     BIGINT  NOT NULL,
    data_updated_at             BIGINT,
    reviewed_at                 BIGINT,
    freshness_state             TEXT,
    freshness_assessed_at       BIGINT,
    freshness_due_at            BIGINT,
    freshness_explanation_zh    TEXT,
    freshness_explanation_en    TEXT,
    UNIQUE (source, source_key)
);
CREATE INDEX datasets_identifier ON datasets(identifier);
CREATE INDEX datasets_agency ON datasets(agency, status);
CREATE INDEX datasets_freshness ON datasets(status, freshness_state);
CREATE INDEX datasets_series ON datasets(series, series_year);

CREATE TABLE dataset_versions (
    dataset_id  BIGINT  NOT NULL REFERENCES datasets(id),
    version     BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    changes     TEXT    NOT NULL,
    PRIMARY KEY (dataset_id, version)
);

-- One row per (dataset, facet, value); formats can give a dataset several values.
CREATE TABLE dataset_facets (
    dataset_id  BIGINT  NOT NULL REFERENCES datasets(id),
    facet       TEXT    NOT NULL,
    value       TEXT    NOT NULL
);
CREATE INDEX dataset_facets_lookup ON dataset_facets(facet, value, dataset_id);
CREATE INDEX dataset_facets_dataset ON dataset_facets(dataset_id, facet);

-- Counts of active datasets per facet value, maintained with every write.
CREATE TABLE dataset_facet_totals (
    facet   TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    count   BIGINT  NOT NULL,
    PRIMARY KEY (facet, value)
);

-- Text is tokenised by civitas (two-character pieces for Chinese, words otherwise) and stored
-- space-separated; rowid = datasets.id.
CREATE VIRTUAL TABLE dataset_search USING fts5(
    title, keywords, description, fields, agency,
    tokenize = 'unicode61 remove_diacritics 0'
);
