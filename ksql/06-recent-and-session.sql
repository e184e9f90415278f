-- Almanac's stream layer in ksqlDB, 6 of 6: the last 50 events and the current session.
--
-- The built-in aggregator keeps both in Redis (user:<id>:recent and user:<id>:session, see
-- src/stream/hot-state.ts). Here they are two tables.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

-- Each user's last 50 events, oldest first, each as the JSON the API shows: the shape of
-- toPublicEvent in src/events/contract.ts, its field names kept lower case by the backquotes.
-- LATEST_BY_OFFSET keeps values of simple types only, hence one JSON string per event.
--
-- Approximate: "last" means last to arrive, by offset, where the built-in list is ordered by
-- event time, so a late event stays at the end here instead of taking its place in time. A
-- repeated event is kept twice. Missing fields are written as null rather than left out.
CREATE TABLE IF NOT EXISTS almanac_user_recent_events WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-recent-events'
) AS
SELECT
  user_id,
  LATEST_BY_OFFSET(
    TO_JSON_STRING(
      STRUCT(
        `event_id` := event_id,
        `timestamp` := FORMAT_TIMESTAMP(
          FROM_UNIXTIME(ROWTIME),
          'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''',
          'UTC'
        ),
        `type` := event_type,
        `url` := url,
        `domain` := domain,
        `title` := title,
        `tags` := tags
      )
    ),
    50
  ) AS recent_events
FROM almanac_events
GROUP BY user_id
EMIT CHANGES;

-- Sessions: runs of events with gaps of at most 30 minutes of event time
-- (ALMANAC_SESSION_IDLE_MINUTES in the built-in aggregator). One row per user and session. An
-- event that falls between two sessions merges them, and ksqlDB then deletes the two old rows.
-- A user's current session is the row with the latest WINDOWEND. While WINDOWEND is less than
-- 30 minutes old, the session is still open:
--
--   SELECT * FROM almanac_user_sessions
--     WHERE user_id = '42' AND WINDOWEND >= <now minus 30 minutes, in ms>
--
-- An event more than the grace period behind the newest event time seen on its partition is too
-- late for any session and is left out of this table only. Sessions are kept for two days.
CREATE TABLE IF NOT EXISTS almanac_user_sessions WITH (
  KAFKA_TOPIC = 'almanac.ksql.user-sessions'
) AS
SELECT
  user_id,
  COUNT(*) AS events,
  MIN(ROWTIME) AS started_ms,
  MAX(ROWTIME) AS last_event_ms
FROM almanac_events
WINDOW SESSION (30 MINUTES, RETENTION 2 DAYS, GRACE PERIOD 1 HOUR)
GROUP BY user_id
EMIT CHANGES;
