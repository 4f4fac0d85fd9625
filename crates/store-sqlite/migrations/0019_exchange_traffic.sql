-- Per-service traffic of the exchange gateway by hour (issue 6, point 9: "per-service traffic
-- charts (calls, errors, latency)"). Kept exact by a trigger on the message log, so the charts
-- read a few hundred rows whatever the log holds; the log itself is append-only.
--
-- Latency is a histogram with fixed upper bounds (1, 5, 10, 50, 100, 500, 1000, 5000 ms, and
-- above): a percentile is read as the bound of the bucket that holds it.
CREATE TABLE exchange_traffic_hours (
    service        TEXT    NOT NULL,
    -- Start of the UTC hour, milliseconds since the epoch.
    hour           BIGINT  NOT NULL,
    calls          INTEGER NOT NULL,
    client_errors  INTEGER NOT NULL,
    server_errors  INTEGER NOT NULL,
    total_us       BIGINT  NOT NULL,
    le_1ms         INTEGER NOT NULL,
    le_5ms         INTEGER NOT NULL,
    le_10ms        INTEGER NOT NULL,
    le_50ms        INTEGER NOT NULL,
    le_100ms       INTEGER NOT NULL,
    le_500ms       INTEGER NOT NULL,
    le_1s          INTEGER NOT NULL,
    le_5s          INTEGER NOT NULL,
    over_5s        INTEGER NOT NULL,
    PRIMARY KEY (service, hour)
) WITHOUT ROWID;

CREATE TRIGGER exchange_traffic_on_message AFTER INSERT ON exchange_messages
WHEN NEW.service IS NOT NULL
BEGIN
    INSERT INTO exchange_traffic_hours (service, hour, calls, client_errors, server_errors, total_us,
        le_1ms, le_5ms, le_10ms, le_50ms, le_100ms, le_500ms, le_1s, le_5s, over_5s)
    VALUES (
        NEW.service,
        NEW.started_at - (NEW.started_at % 3600000),
        1,
        NEW.status >= 400 AND NEW.status < 500,
        NEW.status >= 500,
        NEW.duration_us,
        NEW.duration_us <= 1000,
        NEW.duration_us > 1000 AND NEW.duration_us <= 5000,
        NEW.duration_us > 5000 AND NEW.duration_us <= 10000,
        NEW.duration_us > 10000 AND NEW.duration_us <= 50000,
        NEW.duration_us > 50000 AND NEW.duration_us <= 100000,
        NEW.duration_us > 100000 AND NEW.duration_us <= 500000,
        NEW.duration_us > 500000 AND NEW.duration_us <= 1000000,
        NEW.duration_us > 1000000 AND NEW.duration_us <= 5000000,
        NEW.duration_us > 5000000
    )
    ON CONFLICT (service, hour) DO UPDATE SET
        calls = calls + excluded.calls,
        client_errors = client_errors + excluded.client_errors,
        server_errors = server_errors + excluded.server_errors,
        total_us = total_us + excluded.total_us,
        le_1ms = le_1ms + excluded.le_1ms,
        le_5ms = le_5ms + excluded.le_5ms,
        le_10ms = le_10ms + excluded.le_10ms,
        le_50ms = le_50ms + excluded.le_50ms,
        le_100ms = le_100ms + excluded.le_100ms,
        le_500ms = le_500ms + excluded.le_500ms,
        le_1s = le_1s + excluded.le_1s,
        le_5s = le_5s + excluded.le_5s,
        over_5s = over_5s + excluded.over_5s;
END;

-- The calls logged before this migration.
INSERT INTO exchange_traffic_hours (service, hour, calls, client_errors, server_errors, total_us,
    le_1ms, le_5ms, le_10ms, le_50ms, le_100ms, le_500ms, le_1s, le_5s, over_5s)
SELECT service, started_at - (started_at % 3600000), COUNT(*),
    SUM(status >= 400 AND status < 500), SUM(status >= 500), SUM(duration_us),
    SUM(duration_us <= 1000),
    SUM(duration_us > 1000 AND duration_us <= 5000),
    SUM(duration_us > 5000 AND duration_us <= 10000),
    SUM(duration_us > 10000 AND duration_us <= 50000),
    SUM(duration_us > 50000 AND duration_us <= 100000),
    SUM(duration_us > 100000 AND duration_us <= 500000),
    SUM(duration_us > 500000 AND duration_us <= 1000000),
    SUM(duration_us > 1000000 AND duration_us <= 5000000),
    SUM(duration_us > 5000000)
FROM exchange_messages
WHERE service IS NOT NULL
GROUP BY service, started_at - (started_at % 3600000);
