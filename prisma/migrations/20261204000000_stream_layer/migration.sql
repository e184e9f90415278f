-- The stream layer's aggregates and the bookkeeping that makes them exactly-once.
--
-- The per-user aggregate tables carry no foreign key to users: the aggregator writes a user's
-- row in the same transaction as its aggregates, and a key check per row at commit cost a
-- tenth of the ingest throughput. Deleting a user deletes from each table (see the README).

CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "display_name" TEXT,
    "email" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "total_events" BIGINT NOT NULL DEFAULT 0,
    "active_days" INTEGER NOT NULL DEFAULT 0,
    "first_event_at" TIMESTAMPTZ(3),
    "last_event_at" TIMESTAMPTZ(3),
    "hour_counts" INTEGER[] NOT NULL DEFAULT array_fill(0, ARRAY[24]),
    "weekday_counts" INTEGER[] NOT NULL DEFAULT array_fill(0, ARRAY[7]),
    "engagement_tier" TEXT,
    "engagement_score" DOUBLE PRECISION,
    "churn_risk" DOUBLE PRECISION,
    "engagement_updated_at" TIMESTAMPTZ(3),
    "core_interests" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "interests_updated_at" TIMESTAMPTZ(3),
    "cohort_tags" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "users_last_event_at_idx" ON "users"("last_event_at");
CREATE INDEX "users_engagement_tier_idx" ON "users"("engagement_tier");
CREATE INDEX "users_cohort_tags_idx" ON "users" USING GIN ("cohort_tags");

CREATE TABLE "user_tag_counts" (
    "user_id" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "user_tag_counts_pkey" PRIMARY KEY ("user_id", "tag")
);

CREATE TABLE "user_publication_counts" (
    "user_id" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "count" BIGINT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "user_publication_counts_pkey" PRIMARY KEY ("user_id", "domain")
);

CREATE TABLE "user_active_days" (
    "user_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "events" INTEGER NOT NULL,
    CONSTRAINT "user_active_days_pkey" PRIMARY KEY ("user_id", "day")
);

CREATE TABLE "user_monthly_stats" (
    "user_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "events" BIGINT NOT NULL,
    "active_days" INTEGER NOT NULL,
    "first_event_at" TIMESTAMPTZ(3) NOT NULL,
    "last_event_at" TIMESTAMPTZ(3) NOT NULL,
    "hour_counts" INTEGER[] NOT NULL,
    "weekday_counts" INTEGER[] NOT NULL,
    "tag_counts" JSONB NOT NULL,
    "publication_counts" JSONB NOT NULL,
    CONSTRAINT "user_monthly_stats_pkey" PRIMARY KEY ("user_id", "month")
);
CREATE INDEX "user_monthly_stats_month_idx" ON "user_monthly_stats"("month");

CREATE TABLE "processed_events" (
    "event_key" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("event_key")
);
-- Rows arrive in processed_at order, so a BRIN index finds the expired ones for almost no
-- upkeep on the hot insert path.
CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" USING BRIN ("processed_at");

CREATE TABLE "stream_offsets" (
    "consumer_group" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "next_offset" BIGINT NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "events_applied" BIGINT NOT NULL DEFAULT 0,
    "events_duplicate" BIGINT NOT NULL DEFAULT 0,
    "events_dead_lettered" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "stream_offsets_pkey" PRIMARY KEY ("consumer_group", "topic", "partition")
);

CREATE TABLE "dead_letters" (
    "topic" TEXT NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "reason_code" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("topic", "partition", "offset")
);
CREATE INDEX "dead_letters_created_at_idx" ON "dead_letters"("created_at");

CREATE TABLE "imports" (
    "source" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "events" BIGINT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),
    CONSTRAINT "imports_pkey" PRIMARY KEY ("source", "fingerprint")
);

-- Element-wise sum of two count arrays of the same length (hour-of-day, weekday).
CREATE FUNCTION almanac_add_counts(a INTEGER[], b INTEGER[]) RETURNS INTEGER[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i)
    FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

-- Key-wise sum of two JSON objects of counts ({"tag": 3}).
CREATE FUNCTION almanac_merge_counts(a JSONB, b JSONB) RETURNS JSONB
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, total), '{}'::jsonb)
    FROM (
        SELECT key, sum(value::bigint) AS total
        FROM (
            SELECT key, value FROM jsonb_each_text(a)
            UNION ALL
            SELECT key, value FROM jsonb_each_text(b)
        ) AS pairs
        GROUP BY key
    ) AS sums
$$;
