/**
 * Shared by the API tests: seeding readers into a namespace's schema and Redis, asking the
 * gateway over HTTP, and a logger that keeps what it is told so tests can count SQL statements.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
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
