-- Almanac's stream layer in ksqlDB, 2 of 6: per-user totals and active days.
--
-- Mirrors users.total_events, first_event_at, last_event_at and active_days, and the
-- user_active_days table. Times are epoch milliseconds (BIGINT), in event time.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

CREATE TABLE IF NOT EXISTS almanac_user_stats WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-stats'
) AS
SELECT
  user_id,
  COUNT(*) AS total_events,
  MIN(ROWTIME) AS first_event_ms,
  MAX(ROWTIME) AS last_event_ms
FROM almanac_events
GROUP BY user_id
EMIT CHANGES;

-- Events per user and UTC day. The key has two columns, which the KAFKA key format cannot hold.
CREATE TABLE IF NOT EXISTS almanac_user_active_days WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-active-days',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-dd', 'UTC') AS event_day,
  COUNT(*) AS events
FROM almanac_events
GROUP BY user_id, FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-dd', 'UTC')
EMIT CHANGES;

-- Active days, exactly: one row per (user, day) above, counted per user. Counting a table rather
-- than a stream means a day's row that changes is taken out and put back, never counted twice.
-- COUNT_DISTINCT on the stream would be one query shorter, but it is a HyperLogLog estimate
-- (about 2% off) where the built-in aggregator's number is exact.
CREATE TABLE IF NOT EXISTS almanac_user_active_day_counts WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-active-day-counts',
  KEY_FORMAT = 'KAFKA'
) AS
SELECT
  user_id,
  COUNT(*) AS active_days
FROM almanac_user_active_days
GROUP BY user_id
EMIT CHANGES;
