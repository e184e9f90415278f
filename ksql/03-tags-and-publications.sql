-- Almanac's stream layer in ksqlDB, 3 of 6: tag and publication counts.
--
-- Mirror the user_tag_counts and user_publication_counts tables: one row per user and tag (or
-- domain), with how many events carried it and when it was first and last seen, in event time.
-- The keys have two columns, so they are written in the JSON key format.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

CREATE TABLE IF NOT EXISTS almanac_user_tag_counts WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-tag-counts',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  tag,
  COUNT(*) AS events,
  MIN(ROWTIME) AS first_seen_ms,
  MAX(ROWTIME) AS last_seen_ms
FROM almanac_event_tags
GROUP BY user_id, tag
EMIT CHANGES;

CREATE TABLE IF NOT EXISTS almanac_user_publication_counts WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-publication-counts',
  KEY_FORMAT = 'JSON'
) AS
SELECT
  user_id,
  domain,
  COUNT(*) AS events,
  MIN(ROWTIME) AS first_seen_ms,
  MAX(ROWTIME) AS last_seen_ms
FROM almanac_events
WHERE domain IS NOT NULL
GROUP BY user_id, domain
EMIT CHANGES;
