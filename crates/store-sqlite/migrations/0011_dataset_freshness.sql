-- Each dataset's freshness assessment moves out of the dataset row into a narrow table of its
-- own (issue 3, BENCHMARKS.md). A dataset row carries its whole description as JSON, often
-- beyond one page: rewriting its state rewrote every page of it, and a reassessment that
-- moves thousands of states wrote hundreds of megabytes. Reads that want the assessment
-- beside the description use the view datasets_assessed, which has the old column names.
CREATE TABLE dataset_freshness (
    dataset_id      INTEGER PRIMARY KEY REFERENCES datasets(id),
    state           TEXT NOT NULL,
    assessed_at     BIGINT NOT NULL,
    due_at          BIGINT,
    explanation_zh  TEXT NOT NULL,
    explanation_en  TEXT NOT NULL
);
INSERT INTO dataset_freshness (dataset_id, state, assessed_at, due_at, explanation_zh, explanation_en)
SELECT id, freshness_state, COALESCE(freshness_assessed_at, updated_at), freshness_due_at,
       COALESCE(freshness_explanation_zh, ''), COALESCE(freshness_explanation_en, '')
FROM datasets WHERE freshness_state IS NOT NULL;

DROP TRIGGER datasets_search_update;
DROP INDEX datasets_freshness;
DROP INDEX datasets_freshness_inputs;
ALTER TABLE datasets DROP COLUMN freshness_state;
ALTER TABLE datasets DROP COLUMN freshness_assessed_at;
ALTER TABLE datasets DROP COLUMN freshness_due_at;
ALTER TABLE datasets DROP COLUMN freshness_explanation_zh;
ALTER TABLE datasets DROP COLUMN freshness_explanation_en;

-- The recompute's inputs, read from one index instead of the rows.
CREATE INDEX datasets_freshness_inputs ON datasets(
    status, agency, frequency, data_updated_at, reviewed_at, series, series_year
);

-- The search index's change log (0010), now fed by both tables.
CREATE TRIGGER datasets_search_update AFTER UPDATE OF status, updated_at, title_zh, agency ON datasets
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (new.id);
END;
CREATE TRIGGER dataset_freshness_search_insert AFTER INSERT ON dataset_freshness
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (new.dataset_id);
END;
-- A new explanation alone (the same state and due date) changes nothing a search shows.
CREATE TRIGGER dataset_freshness_search_update AFTER UPDATE OF state, due_at ON dataset_freshness
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (new.dataset_id);
END;

CREATE VIEW datasets_assessed AS
SELECT d.*, f.state AS freshness_state, f.assessed_at AS freshness_assessed_at,
       f.due_at AS freshness_due_at, f.explanation_zh AS freshness_explanation_zh,
       f.explanation_en AS freshness_explanation_en
FROM datasets d LEFT JOIN dataset_freshness f ON f.dataset_id = d.id;
