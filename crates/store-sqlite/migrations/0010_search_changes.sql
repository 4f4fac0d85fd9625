-- The catalogue's in-memory search index (catalog/index.rs) is a copy of dataset_search,
-- dataset_facets and a few dataset columns. Every change that can alter what a search finds,
-- how it counts facets or how it sorts leaves the dataset's id here, so that each process
-- brings its copy up to date with the changed datasets only, whichever process wrote them
-- (the server, or `civitas catalog import` beside it).
CREATE TABLE search_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL
);
CREATE TRIGGER datasets_search_insert AFTER INSERT ON datasets
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (new.id);
END;
-- Text and facets change with the record (which moves updated_at), status with withdrawal,
-- the freshness facet and the due-date order with an assessment. A harvest that only marks a
-- dataset as seen changes nothing a search shows, and leaves nothing here.
CREATE TRIGGER datasets_search_update
AFTER UPDATE OF status, updated_at, title_zh, agency, freshness_state, freshness_due_at ON datasets
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (new.id);
END;
CREATE TRIGGER datasets_search_delete AFTER DELETE ON datasets
BEGIN
    INSERT INTO search_changes (dataset_id) VALUES (old.id);
END;
-- Keep the last 100,000 changes; a copy older than that is rebuilt whole.
CREATE TRIGGER search_changes_prune AFTER INSERT ON search_changes WHEN new.seq % 10000 = 0
BEGIN
    DELETE FROM search_changes WHERE seq <= new.seq - 100000;
END;
