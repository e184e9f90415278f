-- Almanac's stream layer in ksqlDB, 4 of 6: when each reader reads.
--
-- Mirrors users.hour_counts (24 counts, hour 00 first) and users.weekday_counts (7 counts,
-- Monday first), both in UTC. HISTOGRAM gives a map rather than an array: its keys are the
-- array indexes as text, "0" to "23" and "0" to "6", and an index with no events is absent
-- rather than 0.
--
-- Both are plain arithmetic on the epoch milliseconds, which are UTC by definition, so neither
-- depends on the server's time zone or locale. 1970-01-01 was a Thursday, index 3 when Monday is
-- 0, hence the + 3. Events before 1970 never reach here (almanac_events starts at 1990), so the
-- remainders are never negative.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

CREATE TABLE IF NOT EXISTS almanac_user_rhythm WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-rhythm'
) AS
SELECT
  user_id,
  HISTOGRAM(CAST((ROWTIME / 3600000) % 24 AS STRING)) AS hour_counts,
  HISTOGRAM(CAST((ROWTIME / 86400000 + 3) % 7 AS STRING)) AS weekday_counts
FROM almanac_events
GROUP BY user_id
EMIT CHANGES;
