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

-- Top values: each month's values by count, so the analysis reads each month's leaders and
-- proves the top list exact from them instead of summing every value of the period.
CREATE INDEX alert_value_rollups_ranked
    ON alert_value_rollups (dimension, month, alert_count DESC);

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
