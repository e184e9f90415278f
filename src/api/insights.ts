/**
 * The triggered insights as the API serves them: a reader's spotlight, achievements, emerging
 * interests and sessions, read from the tables the aggregator and the insight workers write
 * (see prisma/migrations/20261204190000_triggered_insights) and from `user:{id}:spotlight`.
 */
import type { StoredSpotlight } from '../insights/stored-spotlight.ts';

export interface Spotlight {
  text: string;
  model: string;
  fallbackFrom: string | null;
  sessionStartedAt: Date;
  sessionEndedAt: Date;
  createdAt: Date;
}

export interface Achievement {
  code: string;
  kind: string;
  threshold: number;
  reachedAt: Date;
}

export interface EmergingInterest {
  tag: string;
  firstSeenAt: Date;
  emergedAt: Date;
  events: number;
}

export interface SessionTagCount {
  tag: string;
  count: number;
}

export interface Session {
  startedAt: Date;
  endedAt: Date;
  events: number;
  /** Most frequent first, at most TOP_SESSION_TAGS. */
  topTags: SessionTagCount[];
  /** 'gap' or 'idle' once closed; null while ongoing. */
  closedBy: string | null;
  ongoing: boolean;
}

/** The most sessions one `sessions(last:)` may ask for. */
export const MAX_SESSIONS = 100;
/** How many sessions `User.sessions` lists when `last` is left out or null. */
export const DEFAULT_SESSIONS = 10;

function instant(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * A spotlight from its stored JSON form (the Redis key's value, or a message on the spotlight
 * channel), or null when `value` is not one: text from another version or a broken write is
 * treated as absent rather than served half-read.
 */
export function spotlightFromStored(value: unknown): Spotlight | null {
  if (typeof value !== 'object' || value === null) return null;

  const stored = value as Partial<Record<keyof StoredSpotlight, unknown>>;
  const sessionStartedAt = instant(stored.sessionStartedAt);
  const sessionEndedAt = instant(stored.sessionEndedAt);
  const createdAt = instant(stored.createdAt);
  if (typeof stored.text !== 'string' || typeof stored.model !== 'string') return null;
  if (!sessionStartedAt || !sessionEndedAt || !createdAt) return null;
  if (stored.fallbackFrom !== undefined && typeof stored.fallbackFrom !== 'string') return null;

  return {
    text: stored.text,
    model: stored.model,
    fallbackFrom: stored.fallbackFrom ?? null,
    sessionStartedAt,
    sessionEndedAt,
    createdAt,
  };
}

/** `spotlightFromStored` of JSON text; null for text that is not JSON. */
export function parseStoredSpotlight(text: string): Spotlight | null {
  try {
    return spotlightFromStored(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * A session's top tags from its tag counts: most frequent first, ties in code point order of
 * tag, at most `limit`. Counts that are not positive whole numbers are left out.
 */
export function topSessionTags(tagCounts: unknown, limit: number): SessionTagCount[] {
  if (typeof tagCounts !== 'object' || tagCounts === null || Array.isArray(tagCounts)) return [];

  return Object.entries(tagCounts as Record<string, unknown>)
    .filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1]))
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([tag, count]) => ({ tag, count }));
}
