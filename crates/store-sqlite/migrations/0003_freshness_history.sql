-- Freshness over time: each assessment day's counts per agency, frequency class and state,
-- written by the recomputation so that scorecards and trend charts never rescan datasets.
CREATE TABLE freshness_history (
    day              TEXT    NOT NULL,
    agency           TEXT    NOT NULL,
    frequency_class  TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    count            BIGINT  NOT NULL,
    PRIMARY KEY (day, agency, frequency_class, state)
);
