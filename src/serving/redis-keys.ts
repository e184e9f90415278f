/**
 * Redis key names and lifetimes for the hot per-user data. The prefix from configuration is
 * applied by the client (ioredis keyPrefix), not here.
 */
export const REDIS_TTL_SECONDS = {
  profile: 60 * 60,
  recent: 24 * 60 * 60,
  session: 30 * 60,
  spotlight: 24 * 60 * 60,
} as const;

/** How many events `user:{id}:recent` keeps. */
export const RECENT_EVENTS_KEPT = 50;

export const redisKeys = {
  /** Sorted set of the last 50 events as JSON, scored by event time in ms. */
  recent: (userId: string) => `user:${userId}:recent`,
  /** JSON of the current session: SessionState in stream/hot-state.ts. */
  session: (userId: string) => `user:${userId}:session`,
  /** JSON of the serving profile; deleted whenever the user's aggregates change. */
  profile: (userId: string) => `user:${userId}:profile`,
  spotlight: (userId: string) => `user:${userId}:spotlight`,
  /** A spotlight written but not yet stored in PostgreSQL, by queue job id; see spotlight-job. */
  spotlightDraft: (jobId: string) => `spotlight-draft:${jobId}`,
};
