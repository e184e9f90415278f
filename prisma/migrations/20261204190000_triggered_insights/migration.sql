-- Triggered insights: sessions, achievements, emerging interests and spotlights.
--
-- The aggregator detects sessions, milestones and new interests in the same transaction that
-- writes a batch's counts, reading and writing the per-user state below, so each is recorded
-- exactly once whatever is replayed. Every fact it records also goes to the insights topic,
-- from which the bridge makes queue jobs.

-- What the aggregator carries from one batch to the next for each user: the open session and
-- the run of consecutive active days. A user's row is written only by the aggregator that owns
-- the user's partition, and by the sweeper that closes sessions idle in wall time.
CREATE TABLE "user_insight_state" (
    "user_id" TEXT NOT NULL,
    "session_started_at" TIMESTAMPTZ(3),
    "session_last_event_at" TIMESTAMPTZ(3),
    "session_events" INTEGER NOT NULL DEFAULT 0,
    "session_tag_counts" JSONB NOT NULL DEFAULT '{}',
    -- Wall time at which the open session last received an event: the idle timer runs on it.
    "session_seen_at" TIMESTAMPTZ(3),
    -- Days since 1970-01-01 (UTC) of the latest active day, and how many days in a row end there.
    "streak_day" INTEGER,
    "streak_days" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "user_insight_state_pkey" PRIMARY KEY ("user_id")
);
CREATE INDEX "user_insight_state_open_sessions_idx" ON "user_insight_state"("session_seen_at")
    WHERE "session_started_at" IS NOT NULL;

-- Closed sessions. Times are event times; closed_at is the wall time it was closed.
CREATE TABLE "user_sessions" (
    "user_id" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,
    "tag_counts" JSONB NOT NULL,
    "top_tags" TEXT[] NOT NULL,
    -- 'gap': a later event came after the idle limit; 'idle': the wall-time timer closed it.
    "closed_by" TEXT NOT NULL,
    "closed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_sessions_pkey" PRIMARY KEY ("user_id", "started_at")
);

-- Milestones: 'events-100', 'anniversary-1', 'streak-7' and so on, each once per user.
CREATE TABLE "user_achievements" (
    "user_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    -- Event time at which the milestone was reached.
    "reached_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_achievements_pkey" PRIMARY KEY ("user_id", "code")
);

-- Tags new to a user, still inside the window in which they may become an emerging interest.
CREATE TABLE "user_tag_trials" (
    "user_id" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,
    CONSTRAINT "user_tag_trials_pkey" PRIMARY KEY ("user_id", "tag")
);

CREATE TABLE "user_emerging_interests" (
    "user_id" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,
    -- Event time of the event that brought the tag to the threshold.
    "emerged_at" TIMESTAMPTZ(3) NOT NULL,
    "events" INTEGER NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_emerging_interests_pkey" PRIMARY KEY ("user_id", "tag")
);

-- Spotlights, one per session narrated; the newest is also cached in Redis for a day.
CREATE TABLE "user_spotlights" (
    "fact_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "fallback_from" TEXT,
    "session_started_at" TIMESTAMPTZ(3) NOT NULL,
    "session_ended_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_spotlights_pkey" PRIMARY KEY ("fact_id")
);
CREATE INDEX "user_spotlights_user_id_created_at_idx" ON "user_spotlights"("user_id", "created_at" DESC);
