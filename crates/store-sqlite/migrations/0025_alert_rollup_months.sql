-- The analysis page reads whole months (shares of the period, the 24-month trend, agencies and
-- sources): the daily rollups summed per month, kept by triggers on alert_rollups on every path
-- that changes them (ingest, re-classification), so that it reads a few thousand rows instead
-- of every day's.
CREATE TABLE alert_rollup_months (
    month       TEXT   NOT NULL,
    agency      TEXT   NOT NULL,
    category    TEXT   NOT NULL,
    sub_bucket  TEXT   NOT NULL,
    severity    TEXT   NOT NULL,
    source      TEXT   NOT NULL,
    alert_count BIGINT NOT NULL,
    PRIMARY KEY (month, agency, category, sub_bucket, severity, source)
) WITHOUT ROWID;

INSERT INTO alert_rollup_months (month, agency, category, sub_bucket, severity, source, alert_count)
SELECT substr(day, 1, 7), agency, category, sub_bucket, severity, source, SUM(alert_count)
FROM alert_rollups
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER alert_rollup_months_insert AFTER INSERT ON alert_rollups
BEGIN
    INSERT INTO alert_rollup_months (month, agency, category, sub_bucket, severity, source, alert_count)
    VALUES (substr(NEW.day, 1, 7), NEW.agency, NEW.category, NEW.sub_bucket, NEW.severity,
            NEW.source, NEW.alert_count)
    ON CONFLICT (month, agency, category, sub_bucket, severity, source) DO UPDATE SET
        alert_count = alert_count + excluded.alert_count;
END;

CREATE TRIGGER alert_rollup_months_update AFTER UPDATE ON alert_rollups
BEGIN
    UPDATE alert_rollup_months SET alert_count = alert_count - OLD.alert_count
    WHERE month = substr(OLD.day, 1, 7) AND agency = OLD.agency AND category = OLD.category
      AND sub_bucket = OLD.sub_bucket AND severity = OLD.severity AND source = OLD.source;
    INSERT INTO alert_rollup_months (month, agency, category, sub_bucket, severity, source, alert_count)
    VALUES (substr(NEW.day, 1, 7), NEW.agency, NEW.category, NEW.sub_bucket, NEW.severity,
            NEW.source, NEW.alert_count)
    ON CONFLICT (month, agency, category, sub_bucket, severity, source) DO UPDATE SET
        alert_count = alert_count + excluded.alert_count;
END;

CREATE TRIGGER alert_rollup_months_delete AFTER DELETE ON alert_rollups
BEGIN
    UPDATE alert_rollup_months SET alert_count = alert_count - OLD.alert_count
    WHERE month = substr(OLD.day, 1, 7) AND agency = OLD.agency AND category = OLD.category
      AND sub_bucket = OLD.sub_bucket AND severity = OLD.severity AND source = OLD.source;
END;
