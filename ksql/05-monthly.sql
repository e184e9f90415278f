-- Almanac's stream layer in ksqlDB, 5 of 6: the same per UTC calendar month.
--
-- Mirrors user_monthly_stats, whose one row per user and month is four tables here, because each
-- part comes from a different source: the events, the active days of file 2, the exploded tags
-- and the events that name a publication. All four share the key (user_id, event_month), where
-- event_month is the month's first day, YYYY-MM-01, as the built-in aggregator writes it.
--
-- Hour and weekday counts are maps keyed by array index as in file 4. The tag and publication
-- maps come from HISTOGRAM, which stops adding new keys after 1000 distinct ones per row. The
-- built-in aggregator has no such limit.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

CREATE TABLE IF NOT EXISTS almanac_user_monthly_stats WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-monthly-stats',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC') AS event_month,
  COUNT(*) AS events,
  MIN(ROWTIME) AS first_event_ms,
  MAX(ROWTIME) AS last_event_ms,
  HISTOGRAM(CAST((ROWTIME / 3600000) % 24 AS STRING)) AS hour_counts,
  HISTOGRAM(CAST((ROWTIME / 86400000 + 3) % 7 AS STRING)) AS weekday_counts
FROM almanac_events
GROUP BY user_id, FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC')
EMIT CHANGES;

-- Active days per month, exactly, by counting the (user, day) rows of almanac_user_active_days.
CREATE TABLE IF NOT EXISTS almanac_user_monthly_active_days WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-monthly-active-days',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  CONCAT(SUBSTRING(event_day, 1, 7), '-01') AS event_month,
  COUNT(*) AS active_days
FROM almanac_user_active_days
GROUP BY user_id, CONCAT(SUBSTRING(event_day, 1, 7), '-01')
EMIT CHANGES;

CREATE TABLE IF NOT EXISTS almanac_user_monthly_tags WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-monthly-tags',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC') AS event_month,
  HISTOGRAM(tag) AS tag_counts
FROM almanac_event_tags
GROUP BY user_id, FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC')
EMIT CHANGES;

-- HISTOGRAM would count a missing domain under a null key, which the JSON format cannot write,
-- so events without a publication are left out before counting.
CREATE TABLE IF NOT EXISTS almanac_user_monthly_publications WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-monthly-publications',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC') AS event_month,
  HISTOGRAM(domain) AS publication_counts
FROM almanac_events
WHERE domain IS NOT NULL
GROUP BY user_id, FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-01', 'UTC')
EMIT CHANGES;
