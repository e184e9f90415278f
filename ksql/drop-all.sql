-- Removes everything files 01 to 06 create, readers before what they read, and deletes the
-- topics ksqlDB made for them. Dropping a table or stream also stops the query that fills it.
--
-- The events topic itself, almanac.events.v1, belongs to Almanac and is kept: its stream is
-- dropped without DELETE TOPIC.

DROP TABLE IF EXISTS almanac_user_sessions DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_recent_events DELETE TOPIC;

DROP TABLE IF EXISTS almanac_user_monthly_publications DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_monthly_tags DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_monthly_active_days DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_monthly_stats DELETE TOPIC;

DROP TABLE IF EXISTS almanac_user_rhythm DELETE TOPIC;

DROP TABLE IF EXISTS almanac_user_publication_counts DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_tag_counts DELETE TOPIC;

DROP TABLE IF EXISTS almanac_user_active_day_counts DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_active_days DELETE TOPIC;
DROP TABLE IF EXISTS almanac_user_stats DELETE TOPIC;

DROP STREAM IF EXISTS almanac_event_tags DELETE TOPIC;
DROP STREAM IF EXISTS almanac_events DELETE TOPIC;
DROP STREAM IF EXISTS almanac_events_raw;
