-- Catalogue speed at 100,000 datasets (issue 3, BENCHMARKS.md). A dataset row carries its whole
-- description as JSON, so reading any column stored after it (status, freshness) reads the
-- whole row. These indexes let search and the freshness recompute answer from narrow indexes:
--   * is a matching dataset active? one seek per match in (status, rowid);
--   * facet counts over the matches: (dataset_id, facet, value) holds the value, so counting
--     never visits the facet table itself (it replaces the index without the value);
--   * the catalogue's first page (newest first) walks (status, updated_at) instead of sorting
--     every row;
--   * the hourly freshness recompute reads its inputs and the stored assessment, and writes the
--     daily history, from one index instead of scanning every row.
CREATE INDEX datasets_status ON datasets(status);
CREATE INDEX datasets_recent ON datasets(status, updated_at);
CREATE INDEX dataset_facets_by_dataset ON dataset_facets(dataset_id, facet, value);
DROP INDEX dataset_facets_dataset;
CREATE INDEX datasets_freshness_inputs ON datasets(
    status, agency, freshness_state, frequency, data_updated_at, reviewed_at, series, series_year,
    freshness_due_at, freshness_explanation_zh, freshness_explanation_en
);
