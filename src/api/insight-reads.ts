/**
 * Reads triggered insights from PostgreSQL, many readers at a time: one statement per kind of
 * insight whatever the number of readers.
 *
 * Each statement reaches its rows through an index that starts with user_id: the primary keys
 * (user_id, code), (user_id, tag), (user_id, started_at) and user_insight_state's (user_id), and
 * user_spotlights' (user_id, created_at DESC). Where only the newest rows are wanted (the latest
 * spotlight, the last n sessions) a lateral subquery per reader walks that index from the newest
 * end and stops after n rows, so a reader's long history costs nothing.
 */
import { TOP_SESSION_TAGS } from '../insights/facts.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  topSessionTags,
  type Achievement,
  type EmergingInterest,
  type Session,
  type Spotlight,
} from './insights.ts';

/** A reader and how many of their latest sessions are wanted. */
export interface SessionsWanted {
  userId: string;
  last: number;
}

interface SpotlightRow {
  user_id: string;
  text: string;
  model: string;
  fallback_from: string | null;
  session_started_at: Date;
  session_ended_at: Date;
  created_at: Date;
}

interface SessionRow {
  user_id: string;
  last: number;
  started_at: Date;
  ended_at: Date;
  events: number;
  tag_counts: unknown;
  top_tags: string[] | null;
  closed_by: string | null;
  ongoing: boolean;
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/** The newest spotlight of each of `ids` that has one, by reader id. */
export async function readLatestSpotlights(
  prisma: PrismaClient,
  ids: readonly string[],
): Promise<Map<string, Spotlight>> {
  const spotlights = new Map<string, Spotlight>();
  if (ids.length === 0) return spotlights;

  const rows = await prisma.$queryRaw<SpotlightRow[]>`
    SELECT wanted.user_id, newest.text, newest.model, newest.fallback_from,
           newest.session_started_at, newest.session_ended_at, newest.created_at
    FROM unnest(${[...ids]}::text[]) AS wanted(user_id)
    CROSS JOIN LATERAL (
      SELECT text, model, fallback_from, session_started_at, session_ended_at, created_at
      FROM user_spotlights
      WHERE user_spotlights.user_id = wanted.user_id
      ORDER BY created_at DESC
      LIMIT 1
    ) AS newest`;

  for (const row of rows) {
    spotlights.set(row.user_id, {
      text: row.text,
      model: row.model,
      fallbackFrom: row.fallback_from,
      sessionStartedAt: row.session_started_at,
      sessionEndedAt: row.session_ended_at,
      createdAt: row.created_at,
    });
  }
  return spotlights;
}

/** Each reader's achievements, earliest reached first (ties by code), in the order of `ids`. */
export async function readAchievements(
  prisma: PrismaClient,
  ids: readonly string[],
): Promise<Achievement[][]> {
  if (ids.length === 0) return [];

  const rows = await prisma.userAchievement.findMany({
    where: { userId: { in: [...ids] } },
    select: { userId: true, code: true, kind: true, threshold: true, reachedAt: true },
    orderBy: [{ userId: 'asc' }, { reachedAt: 'asc' }, { code: 'asc' }],
  });

  const byUser = groupBy(rows, (row) => row.userId);
  return ids.map((id) =>
    (byUser.get(id) ?? []).map(({ code, kind, threshold, reachedAt }) => ({
      code,
      kind,
      threshold,
      reachedAt,
    })),
  );
}

/** Each reader's emerging interests, most recently emerged first (ties by tag). */
export async function readEmergingInterests(
  prisma: PrismaClient,
  ids: readonly string[],
): Promise<EmergingInterest[][]> {
  if (ids.length === 0) return [];

  const rows = await prisma.userEmergingInterest.findMany({
    where: { userId: { in: [...ids] } },
    select: { userId: true, tag: true, firstSeenAt: true, emergedAt: true, events: true },
    orderBy: [{ userId: 'asc' }, { emergedAt: 'desc' }, { tag: 'asc' }],
  });

  const byUser = groupBy(rows, (row) => row.userId);
  return ids.map((id) =>
    (byUser.get(id) ?? []).map(({ tag, firstSeenAt, emergedAt, events }) => ({
      tag,
      firstSeenAt,
      emergedAt,
      events,
    })),
  );
}

function closedSession(row: SessionRow): Session {
  const counts = (row.tag_counts ?? {}) as Record<string, unknown>;
  return {
    startedAt: row.started_at,
    endedAt: row.ended_at,
    events: row.events,
    topTags: (row.top_tags ?? []).map((tag) => {
      const count = counts[tag];
      return { tag, count: Number.isSafeInteger(count) ? (count as number) : 0 };
    }),
    closedBy: row.closed_by,
    ongoing: false,
  };
}

function ongoingSession(row: SessionRow): Session {
  return {
    startedAt: row.started_at,
    endedAt: row.ended_at,
    events: row.events,
    topTags: topSessionTags(row.tag_counts, TOP_SESSION_TAGS),
    closedBy: null,
    ongoing: true,
  };
}

/**
 * For each of `wanted`, the reader's latest `last` sessions, newest first: the open session
 * (from user_insight_state) ahead of the closed ones (from user_sessions). One statement for the
 * whole batch, however the readers' `last` differ.
 */
export async function readSessions(
  prisma: PrismaClient,
  wanted: readonly SessionsWanted[],
): Promise<Session[][]> {
  if (wanted.length === 0) return [];

  const rows = await prisma.$queryRaw<SessionRow[]>`
    SELECT wanted.user_id, wanted.last, latest.*
    FROM unnest(${wanted.map((entry) => entry.userId)}::text[],
                ${wanted.map((entry) => entry.last)}::int[]) AS wanted(user_id, last)
    CROSS JOIN LATERAL (
      (SELECT session_started_at AS started_at,
              COALESCE(session_last_event_at, session_started_at) AS ended_at,
              session_events AS events, session_tag_counts AS tag_counts,
              NULL::text[] AS top_tags, NULL::text AS closed_by, true AS ongoing
       FROM user_insight_state
       WHERE user_insight_state.user_id = wanted.user_id
         AND session_started_at IS NOT NULL)
      UNION ALL
      (SELECT started_at, ended_at, events, tag_counts, top_tags, closed_by, false
       FROM user_sessions
       WHERE user_sessions.user_id = wanted.user_id
       ORDER BY started_at DESC
       LIMIT wanted.last)
    ) AS latest`;

  const byKey = groupBy(rows, (row) => sessionsKey(row.user_id, row.last));
  return wanted.map(({ userId, last }) => {
    const found = byKey.get(sessionsKey(userId, last)) ?? [];
    const ongoing = found.filter((row) => row.ongoing).map(ongoingSession);
    const closed = found
      .filter((row) => !row.ongoing)
      .sort((a, b) => b.started_at.getTime() - a.started_at.getTime())
      .map(closedSession);
    return [...ongoing, ...closed].slice(0, last);
  });
}

/** The key one reader's `last` sessions are batched and cached under. */
export function sessionsKey(userId: string, last: number): string {
  return `${last}:${userId}`;
}
