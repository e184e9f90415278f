-- Where the reader's latest closed session ended (event time): an event arriving after its
-- session was closed, but within the idle limit of its end, joins that session instead of
-- opening one that overlaps it.
ALTER TABLE "user_insight_state" ADD COLUMN "last_session_ended_at" TIMESTAMPTZ(3);

-- user_sessions.closed_by may now also be 'late': a session made of history that arrived after
-- later events, never open.

-- How many readers share a tag, for keeping tags that only one or a few readers typed (and so
-- may be personal) out of language-model prompts.
CREATE INDEX "user_tag_counts_tag_idx" ON "user_tag_counts"("tag");
