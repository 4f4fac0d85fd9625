-- Dashboards over millions of alerts (issue 4): the spike test reads notifications per Taipei
-- day and agency from this rollup instead of scanning alert_groups. Triggers keep it exact on
-- every path that inserts a notification or moves its first sighting or agency (an earlier
-- alert joining it), so no writer can forget it.
CREATE TABLE alert_group_days (
    day     TEXT   NOT NULL,
    agency  TEXT   NOT NULL,
    groups  BIGINT NOT NULL,
    PRIMARY KEY (day, agency)
) WITHOUT ROWID;

INSERT INTO alert_group_days (day, agency, groups)
SELECT date(first_seen / 1000 + 28800, 'unixepoch'), COALESCE(agency, ''), COUNT(*)
FROM alert_groups
GROUP BY 1, 2;

CREATE TRIGGER alert_group_days_insert AFTER INSERT ON alert_groups
BEGIN
    INSERT INTO alert_group_days (day, agency, groups)
    VALUES (date(NEW.first_seen / 1000 + 28800, 'unixepoch'), COALESCE(NEW.agency, ''), 1)
    ON CONFLICT (day, agency) DO UPDATE SET groups = groups + 1;
END;

CREATE TRIGGER alert_group_days_update AFTER UPDATE OF first_seen, agency ON alert_groups
WHEN date(OLD.first_seen / 1000 + 28800, 'unixepoch') <> date(NEW.first_seen / 1000 + 28800, 'unixepoch')
     OR COALESCE(OLD.agency, '') <> COALESCE(NEW.agency, '')
BEGIN
    UPDATE alert_group_days SET groups = groups - 1
    WHERE day = date(OLD.first_seen / 1000 + 28800, 'unixepoch') AND agency = COALESCE(OLD.agency, '');
    INSERT INTO alert_group_days (day, agency, groups)
    VALUES (date(NEW.first_seen / 1000 + 28800, 'unixepoch'), COALESCE(NEW.agency, ''), 1)
    ON CONFLICT (day, agency) DO UPDATE SET groups = groups + 1;
END;

CREATE TRIGGER alert_group_days_delete AFTER DELETE ON alert_groups
BEGIN
    UPDATE alert_group_days SET groups = groups - 1
    WHERE day = date(OLD.first_seen / 1000 + 28800, 'unixepoch') AND agency = COALESCE(OLD.agency, '');
END;

-- Top values city-wide: each month's count of each value over all agencies, kept by triggers on
-- alert_value_rollups, with each month's values ranked by count. The analysis reads each month's
-- leaders and proves the year's top list exact from them (a threshold algorithm) instead of
-- summing every value of the period.
CREATE TABLE alert_value_months (
    dimension   TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    month       TEXT   NOT NULL,
    alert_count BIGINT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (dimension, value, month)
) WITHOUT ROWID;
CREATE INDEX alert_value_months_ranked ON alert_value_months (dimension, month, alert_count DESC);

INSERT INTO alert_value_months (dimension, value, month, alert_count, first_seen, last_seen)
SELECT dimension, value, month, SUM(alert_count), MIN(first_seen), MAX(last_seen)
FROM alert_value_rollups
GROUP BY dimension, value, month;

CREATE TRIGGER alert_value_months_insert AFTER INSERT ON alert_value_rollups
BEGIN
    INSERT INTO alert_value_months (dimension, value, month, alert_count, first_seen, last_seen)
    VALUES (NEW.dimension, NEW.value, NEW.month, NEW.alert_count, NEW.first_seen, NEW.last_seen)
    ON CONFLICT (dimension, value, month) DO UPDATE SET
        alert_count = alert_count + excluded.alert_count,
        first_seen = MIN(first_seen, excluded.first_seen),
        last_seen = MAX(last_seen, excluded.last_seen);
END;

CREATE TRIGGER alert_value_months_update AFTER UPDATE ON alert_value_rollups
BEGIN
    UPDATE alert_value_months SET
        alert_count = alert_count - OLD.alert_count + NEW.alert_count,
        first_seen = MIN(first_seen, NEW.first_seen),
        last_seen = MAX(last_seen, NEW.last_seen)
    WHERE dimension = NEW.dimension AND value = NEW.value AND month = NEW.month;
END;

CREATE TRIGGER alert_value_months_delete AFTER DELETE ON alert_value_rollups
BEGIN
    UPDATE alert_value_months SET alert_count = alert_count - OLD.alert_count
    WHERE dimension = OLD.dimension AND value = OLD.value AND month = OLD.month;
END;

-- The alert list's full-text search (issue 4, point 8): each alert's searchable words
-- (`civitas_core::alerts::search_text`) in an FTS5 index keyed by the alert's id. Contentless:
-- the words are not stored twice, only indexed. Alerts stored before this migration are indexed
-- from their record here.
CREATE VIRTUAL TABLE alerts_search USING fts5(
    words,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO alerts_search (rowid, words)
SELECT id, concat_ws(' ', signature, json_extract(record, '$.rule.id'),
                     json_extract(record, '$.rule.category'), source_ip, destination_ip,
                     json_extract(record, '$.source.host'), json_extract(record, '$.source.user'),
                     json_extract(record, '$.destination.host'),
                     json_extract(record, '$.destination.user'), json_extract(record, '$.host_name'),
                     json_extract(record, '$.agent_name'), json_extract(record, '$.observer.name'),
                     json_extract(record, '$.app_protocol'), json_extract(record, '$.message'),
                     (SELECT group_concat(json_extract(o.value, '$.value'), ' ')
                      FROM json_each(record, '$.observables') AS o),
                     trim(techniques))
FROM alerts;
