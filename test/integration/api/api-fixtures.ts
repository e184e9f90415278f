/**
 * Shared by the API tests: seeding readers and their insights into a namespace's schema and
 * Redis, asking the gateway over HTTP, and a logger that keeps what it is told so tests can count
 * SQL statements.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { StoredSpotlight } from '../../../src/insights/stored-spotlight.ts';
import type { Logger } from '../../../src/logger.ts';
import { redisKeys } from '../../../src/serving/redis-keys.ts';

export interface SeedUser {
  id: string;
  totalEvents?: bigint | number;
  activeDays?: number;
  firstEventAt?: string | null;
  lastEventAt?: string | null;
  hourCounts?: number[];
  weekdayCounts?: number[];
  tags?: Record<string, number>;
  publications?: Record<string, number>;
}

/** Inserts readers with their tag and publication counts. */
export async function seedUsers(pool: pg.Pool, users: SeedUser[]): Promise<void> {
  for (const user of users) {
    await pool.query(
      `INSERT INTO users (id, total_events, active_days, first_event_at, last_event_at,
                          hour_counts, weekday_counts)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        user.id,
        String(user.totalEvents ?? 0),
        user.activeDays ?? 0,
        user.firstEventAt ?? null,
        user.lastEventAt ?? null,
        user.hourCounts ?? Array(24).fill(0),
        user.weekdayCounts ?? Array(7).fill(0),
      ],
    );
    for (const [tag, count] of Object.entries(user.tags ?? {})) {
      await pool.query(
        `INSERT INTO user_tag_counts (user_id, tag, count, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, now(), now())`,
        [user.id, tag, count],
      );
    }
    for (const [domain, count] of Object.entries(user.publications ?? {})) {
      await pool.query(
        `INSERT INTO user_publication_counts (user_id, domain, count, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, now(), now())`,
        [user.id, domain, count],
      );
    }
  }
}

export interface SeedEvent {
  event_id: string;
  timestamp: string;
  type: string;
  url?: string;
  domain?: string;
  title?: string;
  tags: string[];
}

/** Adds events to a reader's recent set the way the stream layer does: JSON scored by time. */
export async function seedRecentEvents(
  redis: Redis,
  userId: string,
  events: SeedEvent[],
): Promise<void> {
  const members = events.flatMap((event) => [Date.parse(event.timestamp), JSON.stringify(event)]);
  await redis.zadd(redisKeys.recent(userId), ...members);
}

/** A spotlight as the narration worker stores it, with every field filled unless overridden. */
export function storedSpotlight(
  userId: string,
  overrides: Partial<StoredSpotlight> = {},
): StoredSpotlight {
  return {
    userId,
    factId: `session-ended/${userId}/1717236000000`,
    text: `Spotlight for ${userId}.`,
    model: 'claude-haiku-4-5',
    sessionStartedAt: '2024-06-01T10:00:00.000Z',
    sessionEndedAt: '2024-06-01T10:40:00.000Z',
    createdAt: '2024-06-01T11:15:00.000Z',
    ...overrides,
  };
}

/** Inserts spotlights into user_spotlights. */
export async function seedSpotlights(pool: pg.Pool, spotlights: StoredSpotlight[]): Promise<void> {
  for (const spotlight of spotlights) {
    await pool.query(
      `INSERT INTO user_spotlights (fact_id, user_id, text, model, fallback_from,
                                    session_started_at, session_ended_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        spotlight.factId,
        spotlight.userId,
        spotlight.text,
        spotlight.model,
        spotlight.fallbackFrom ?? null,
        spotlight.sessionStartedAt,
        spotlight.sessionEndedAt,
        spotlight.createdAt,
      ],
    );
  }
}

/** Keeps a spotlight in `user:{id}:spotlight`, as the narration worker does. */
export async function cacheSpotlight(redis: Redis, spotlight: StoredSpotlight): Promise<void> {
  await redis.set(redisKeys.spotlight(spotlight.userId), JSON.stringify(spotlight), 'EX', 86_400);
}

export interface SeedSession {
  userId: string;
  startedAt: string;
  endedAt: string;
  events: number;
  tagCounts: Record<string, number>;
  topTags: string[];
  closedBy: 'gap' | 'idle';
}

/** Inserts closed sessions into user_sessions. */
export async function seedSessions(pool: pg.Pool, sessions: SeedSession[]): Promise<void> {
  for (const session of sessions) {
    await pool.query(
      `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
                                  closed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        session.userId,
        session.startedAt,
        session.endedAt,
        session.events,
        JSON.stringify(session.tagCounts),
        session.topTags,
        session.closedBy,
      ],
    );
  }
}

export interface SeedOpenSession {
  userId: string;
  startedAt: string;
  lastEventAt: string;
  events: number;
  tagCounts: Record<string, number>;
}

/** Sets a reader's open session in user_insight_state. */
export async function seedOpenSession(pool: pg.Pool, session: SeedOpenSession): Promise<void> {
  await pool.query(
    `INSERT INTO user_insight_state (user_id, session_started_at, session_last_event_at,
                                     session_events, session_tag_counts, session_seen_at)
     VALUES ($1, $2, $3, $4, $5, now())`,
    [
      session.userId,
      session.startedAt,
      session.lastEventAt,
      session.events,
      JSON.stringify(session.tagCounts),
    ],
  );
}

/** Inserts achievements: [code, kind, threshold, reachedAt] each. */
export async function seedAchievements(
  pool: pg.Pool,
  userId: string,
  achievements: [string, string, number, string][],
): Promise<void> {
  for (const [code, kind, threshold, reachedAt] of achievements) {
    await pool.query(
      `INSERT INTO user_achievements (user_id, code, kind, threshold, reached_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [userId, code, kind, threshold, reachedAt],
    );
  }
}

/** Inserts emerging interests: [tag, firstSeenAt, emergedAt, events] each. */
export async function seedEmergingInterests(
  pool: pg.Pool,
  userId: string,
  interests: [string, string, string, number][],
): Promise<void> {
  for (const [tag, firstSeenAt, emergedAt, events] of interests) {
    await pool.query(
      `INSERT INTO user_emerging_interests (user_id, tag, first_seen_at, emerged_at, events)
       VALUES ($1, $2, $3, $4, $5)`,
      [userId, tag, firstSeenAt, emergedAt, events],
    );
  }
}

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

/** POSTs a query to a GraphQL endpoint and returns the parsed answer. */
export async function ask<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

export interface LogRecord {
  level: string;
  component: string;
  message: string;
  context: Record<string, unknown>;
}

/** A logger that keeps every record in `records` instead of writing it. */
export function recordingLogger(
  records: LogRecord[] = [],
  component = 'api',
): Logger & { records: LogRecord[] } {
  const keep =
    (level: string) =>
    (message: string, context: Record<string, unknown> = {}) => {
      records.push({ level, component, message, context });
    };
  return {
    records,
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    child: (name) => recordingLogger(records, `${component}.${name}`),
  };
}

/** How many SQL statements the API's Prisma client has run, by its log. */
export function sqlStatements(records: LogRecord[]): number {
  return records.filter((record) => record.message === 'sql query').length;
}
