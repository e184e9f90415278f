-- Almanac's stream layer in ksqlDB, 1 of 6: the events.
--
-- almanac_events_raw reads the events topic as producers write it (JSON values keyed by
-- user_id). almanac_events keeps the events the contract accepts, normalised the way the
-- built-in aggregator normalises them (src/events/contract.ts), keyed by user_id and stamped
-- with their own event time. almanac_event_tags has one row per event and tag. Every later file
-- reads from these three. See ksql/README.md for what differs from the built-in aggregator.

SET 'auto.offset.reset' = 'earliest';
SET 'processing.guarantee' = 'exactly_once_v2';

-- The topic is created by the aggregator (or `almanac start`) with 12 partitions. This statement
-- only registers it and fails if it does not exist yet. Record timestamps here are the producer's
-- clock, not event time: the contract's timestamps vary too much for one TIMESTAMP_FORMAT (zero
-- to nine fraction digits, Z or an offset), so event time is set one step later, once normalised.
CREATE STREAM IF NOT EXISTS almanac_events_raw (
  message_key STRING KEY,
  schema_version INT,
  event_id STRING,
  user_id STRING,
  `timestamp` STRING,
  `type` STRING,
  url STRING,
  domain STRING,
  title STRING,
  tags ARRAY<STRING>
) WITH (
  KAFKA_TOPIC = 'almanac.events.v1',
  KEY_FORMAT = 'KAFKA',
  VALUE_FORMAT = 'JSON'
);

-- The accepted events. EVENT_TIME is the event's own timestamp rewritten to exactly three
-- fraction digits (padded, or cut as the built-in cuts to milliseconds) with its zone kept, so a
-- single TIMESTAMP_FORMAT parses every form the contract allows. It becomes ROWTIME for every
-- query that reads this stream, and the timestamp of the records written to its topic.
--
-- The WHERE clause is the contract's rules that ksqlDB can express. An event failing any of them
-- is dropped here, where the built-in aggregator would dead-letter it. The calendar check
-- round-trips the date, because the parser turns 2018-02-31 into 2018-02-28 instead of
-- refusing it. The upper time bound reads the ksqlDB server's clock, like the built-in's.
CREATE STREAM IF NOT EXISTS almanac_events WITH (
  KAFKA_TOPIC = 'almanac.ksql.events',
  TIMESTAMP = 'EVENT_TIME',
  TIMESTAMP_FORMAT = 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'
) AS
SELECT
  user_id,
  event_id,
  `type` AS event_type,
  url,
  LCASE(domain) AS domain,
  title,
  -- Trimmed, lower case, each run of white space one hyphen, empties dropped, repeats removed.
  ARRAY_DISTINCT(
    FILTER(
      TRANSFORM(tags, tag => REGEXP_REPLACE(LCASE(TRIM(tag)), '\s+', '-')),
      tag => tag IS NOT NULL AND tag <> ''
    )
  ) AS tags,
  CONCAT(
    SUBSTRING(`timestamp`, 1, 19),
    '.',
    RPAD(COALESCE(REGEXP_EXTRACT('[.]([0-9]+)', `timestamp`, 1), ''), 3, '0'),
    REGEXP_EXTRACT('(Z|[+-][0-9]{2}:[0-9]{2})$', `timestamp`)
  ) AS event_time
FROM almanac_events_raw
WHERE (schema_version IS NULL OR schema_version = 1)
  AND REGEXP_EXTRACT('^[\x21-\x7e]{1,200}$', event_id) IS NOT NULL
  AND REGEXP_EXTRACT('^[A-Za-z0-9._:-]{1,128}$', user_id) IS NOT NULL
  AND message_key = user_id
  AND REGEXP_EXTRACT('^[a-z][a-z0-9_.-]{0,31}$', `type`) IS NOT NULL
  AND REGEXP_EXTRACT(
    '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([.]\d{1,9})?(Z|[+-]\d{2}:\d{2})$',
    `timestamp`
  ) IS NOT NULL
  AND FORMAT_DATE(PARSE_DATE(SUBSTRING(`timestamp`, 1, 10), 'yyyy-MM-dd'), 'yyyy-MM-dd')
    = SUBSTRING(`timestamp`, 1, 10)
  AND UNIX_TIMESTAMP(
    PARSE_TIMESTAMP(
      CONCAT(
        SUBSTRING(`timestamp`, 1, 19),
        '.',
        RPAD(COALESCE(REGEXP_EXTRACT('[.]([0-9]+)', `timestamp`, 1), ''), 3, '0'),
        REGEXP_EXTRACT('(Z|[+-][0-9]{2}:[0-9]{2})$', `timestamp`)
      ),
      'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'
    )
  ) BETWEEN 631152000000 AND UNIX_TIMESTAMP() + 86400000
  AND (url IS NULL OR (LEN(url) <= 2048 AND REGEXP_EXTRACT('^https?://[^\s]+$', url) IS NOT NULL))
  AND (
    domain IS NULL
    OR (
      LEN(domain) <= 253
      AND REGEXP_EXTRACT(
        '(?i)^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?([.][a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*$',
        domain
      ) IS NOT NULL
    )
  )
  AND (title IS NULL OR LEN(title) <= 500)
  AND (
    tags IS NULL
    OR (
      ARRAY_LENGTH(tags) <= 50
      AND ARRAY_LENGTH(FILTER(tags, tag => tag IS NULL OR LEN(tag) < 1 OR LEN(tag) > 100)) = 0
    )
  )
PARTITION BY user_id
EMIT CHANGES;

-- One row per event and tag, for the tag counts. EXPLODE gives every row its event's ROWTIME.
CREATE STREAM IF NOT EXISTS almanac_event_tags WITH (
  KAFKA_TOPIC = 'almanac.ksql.event-tags'
) AS
SELECT
  user_id,
  event_id,
  EXPLODE(tags) AS tag
FROM almanac_events
EMIT CHANGES;
