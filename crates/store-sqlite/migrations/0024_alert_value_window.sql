-- Top values over the dashboard's default period (issue 4): the twelve months up to this one.
-- Each value's totals over that window are kept by triggers on alert_value_months, ranked by
-- count, so that "top ten target addresses of the last twelve months" reads ten rows however
-- flat the distribution is (the threshold algorithm over monthly leaders proves nothing when
-- thousands of values have about the same count). The window moves once a month: the store
-- rebuilds it from alert_value_months (`refresh_alert_value_window`); until then a query for
-- another period does not use it. No bounds row: no window yet.
CREATE TABLE alert_value_window_bounds (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    from_month  TEXT NOT NULL,
    to_month    TEXT NOT NULL
);

CREATE TABLE alert_value_window (
    dimension    TEXT   NOT NULL,
    value        TEXT   NOT NULL,
    alert_count  BIGINT NOT NULL,
    -- Months of the window in which the value has alerts.
    months_seen  BIGINT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    PRIMARY KEY (dimension, value)
) WITHOUT ROWID;
CREATE INDEX alert_value_window_ranked ON alert_value_window (dimension, alert_count DESC, value);

CREATE TRIGGER alert_value_window_insert AFTER INSERT ON alert_value_months
WHEN EXISTS (SELECT 1 FROM alert_value_window_bounds
             WHERE NEW.month >= from_month AND NEW.month <= to_month)
BEGIN
    INSERT INTO alert_value_window (dimension, value, alert_count, months_seen, first_seen, last_seen)
    VALUES (NEW.dimension, NEW.value, NEW.alert_count, NEW.alert_count > 0, NEW.first_seen,
            NEW.last_seen)
    ON CONFLICT (dimension, value) DO UPDATE SET
        alert_count = alert_count + excluded.alert_count,
        months_seen = months_seen + excluded.months_seen,
        first_seen = MIN(first_seen, excluded.first_seen),
        last_seen = MAX(last_seen, excluded.last_seen);
END;

CREATE TRIGGER alert_value_window_update AFTER UPDATE ON alert_value_months
WHEN EXISTS (SELECT 1 FROM alert_value_window_bounds
             WHERE NEW.month >= from_month AND NEW.month <= to_month)
BEGIN
    INSERT INTO alert_value_window (dimension, value, alert_count, months_seen, first_seen, last_seen)
    VALUES (NEW.dimension, NEW.value, NEW.alert_count, NEW.alert_count > 0, NEW.first_seen,
            NEW.last_seen)
    ON CONFLICT (dimension, value) DO UPDATE SET
        alert_count = alert_count - OLD.alert_count + NEW.alert_count,
        months_seen = months_seen - (OLD.alert_count > 0) + (NEW.alert_count > 0),
        first_seen = MIN(first_seen, NEW.first_seen),
        last_seen = MAX(last_seen, NEW.last_seen);
END;
