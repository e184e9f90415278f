/**
 * Reads and writes the per-user insight state inside the aggregator's batch transaction, so a
 * session, milestone or interest is recorded exactly when the counts that reveal it commit.
 * A fixed number of statements per batch, whatever its size: each reads or writes every user of
 * the batch at once through arrays.
 */
import type pg from 'pg';
import type { AcceptedEvent } from '../events/contract.ts';
import {
  detectUserInsights,
  EMPTY_STATE,
  topTags,
  type ClosedSession,
  type InsightSettings,
  type TagStatus,
  type UserInsights,
  type UserInsightState,
} from './detect.ts';
import { factIds, type InsightFact } from './facts.ts';
import { timed, type StageTimings } from '../stream/stage-timings.ts';

/** Each user's events of the batch seen for the first time (the aggregator's UserDelta). */
export type FreshEvents = ReadonlyMap<string, { readonly fresh: readonly AcceptedEvent[] }>;

export interface DetectedInsights {
  /** Facts recorded by this batch, to publish on the insights topic. */
  facts: InsightFact[];
  /** Each user's open session after the batch, for the Redis copy. */
  openSessions: Map<string, { startedAt: number; lastEventAt: number; events: number }>;
}

interface StateRow {
  id: string;
  total_events: string | null;
  first_event_at: Date | null;
  last_event_at: Date | null;
  session_started_at: Date | null;
  session_last_event_at: Date | null;
  session_events: number | null;
  session_tag_counts: Record<string, number> | null;
  streak_day: number | null;
  streak_days: number | null;
  last_session_ended_at: Date | null;
}

const ms = (date: Date | null) => (date === null ? null : date.getTime());
const seconds = (time: number) => time / 1000;

/**
 * Detects and records the insights of a batch's fresh events. Must run before the batch's counts
 * are written: it reads each user's totals and tags as they stood before the batch.
 */
export async function recordInsights(
  client: pg.PoolClient,
  freshByUser: FreshEvents,
  now: number,
  settings: InsightSettings,
  timings?: StageTimings,
): Promise<DetectedInsights> {
  const detected: DetectedInsights = { facts: [], openSessions: new Map() };
  if (freshByUser.size === 0) return detected;

  const states = await timed(timings, 'insights-state', () =>
    loadStates(client, [...freshByUser.keys()]),
  );
  // A reader seen for the first time had no tags: only known readers' tags need looking up.
  const known = new Map([...freshByUser].filter(([userId]) => states.has(userId)));
  const tagStatuses = await timed(timings, 'insights-tags', () => loadTagStatuses(client, known));
  const detectStart = performance.now();

  const outcomes = new Map<string, UserInsights>();
  for (const [userId, { fresh: events }] of freshByUser) {
    const outcome = detectUserInsights(
      states.get(userId) ?? EMPTY_STATE,
      events,
      tagStatuses.get(userId) ?? newTags(events),
      settings,
      now,
    );
    outcomes.set(userId, outcome);
    const open = outcome.state.session;
    if (open) detected.openSessions.set(userId, open);
  }

  if (timings) {
    timings['insights-detect'] =
      (timings['insights-detect'] ?? 0) + performance.now() - detectStart;
  }

  await timed(timings, 'insights-write-state', () => writeStates(client, outcomes, now));
  const sessions = await timed(timings, 'insights-sessions', () =>
    insertSessions(client, outcomes, now),
  );
  await timed(timings, 'insights-late', () =>
    recordLateEvents(client, outcomes, settings.sessionIdleMs),
  );
  await timed(timings, 'insights-trials', () => writeTrials(client, outcomes));
  const achievements = await timed(timings, 'insights-achievements', () =>
    insertAchievements(client, outcomes, now),
  );
  const interests = await timed(timings, 'insights-interests', () =>
    insertInterests(client, outcomes, now),
  );
  detected.facts.push(...sessions, ...achievements, ...interests);
  return detected;
}

function newTags(events: readonly AcceptedEvent[]): Map<string, TagStatus> {
  const statuses = new Map<string, TagStatus>();
  for (const event of events) for (const tag of event.tags) statuses.set(tag, { kind: 'new' });
  return statuses;
}

async function loadStates(
  client: pg.PoolClient,
  userIds: string[],
): Promise<Map<string, UserInsightState>> {
  // The state rows are locked: the idle-session sweeper may be closing one of these sessions.
  // Readers with neither counts nor state are new, and left out of the map.
  const { rows } = await client.query<StateRow>(
    `WITH state AS (
       SELECT * FROM user_insight_state WHERE user_id = ANY($1::text[]) FOR UPDATE
     )
     SELECT i.id, u.total_events, u.first_event_at, u.last_event_at,
            s.session_started_at, s.session_last_event_at, s.session_events,
            s.session_tag_counts, s.streak_day, s.streak_days, s.last_session_ended_at
     FROM unnest($1::text[]) AS i(id)
     LEFT JOIN users u ON u.id = i.id
     LEFT JOIN state s ON s.user_id = i.id`,
    [userIds],
  );

  const states = new Map<string, UserInsightState>();
  for (const row of rows) {
    if (row.total_events === null && row.streak_days === null) continue;
    states.set(row.id, {
      session:
        row.session_started_at === null
          ? null
          : {
              startedAt: row.session_started_at.getTime(),
              lastEventAt: row.session_last_event_at!.getTime(),
              events: row.session_events ?? 0,
              tagCounts: new Map(Object.entries(row.session_tag_counts ?? {})),
            },
      lastSessionEndedAt: ms(row.last_session_ended_at),
      streakDay: row.streak_day,
      streakDays: row.streak_days ?? 0,
      totalEvents: Number(row.total_events ?? 0),
      firstEventAt: ms(row.first_event_at),
      lastEventAt: ms(row.last_event_at),
    });
  }
  return states;
}

/** Each (user, tag) of the batch: had before, on trial, or new. */
async function loadTagStatuses(
  client: pg.PoolClient,
  freshByUser: FreshEvents,
): Promise<Map<string, Map<string, TagStatus>>> {
  const users: string[] = [];
  const tags: string[] = [];
  for (const [userId, { fresh: events }] of freshByUser) {
    const seen = new Set<string>();
    for (const event of events) for (const tag of event.tags) seen.add(tag);
    for (const tag of seen) {
      users.push(userId);
      tags.push(tag);
    }
  }

  const statuses = new Map<string, Map<string, TagStatus>>();
  if (users.length === 0) return statuses;

  const { rows } = await client.query<{
    user_id: string;
    tag: string;
    had: boolean;
    first_seen_at: Date | null;
    events: number | null;
  }>(
    `SELECT p.user_id, p.tag, c.user_id IS NOT NULL AS had, t.first_seen_at, t.events
     FROM unnest($1::text[], $2::text[]) AS p(user_id, tag)
     LEFT JOIN user_tag_counts c ON c.user_id = p.user_id AND c.tag = p.tag
     LEFT JOIN user_tag_trials t ON t.user_id = p.user_id AND t.tag = p.tag`,
    [users, tags],
  );
  for (const row of rows) {
    let byTag = statuses.get(row.user_id);
    if (!byTag) statuses.set(row.user_id, (byTag = new Map()));
    const status: TagStatus =
      row.first_seen_at !== null
        ? { kind: 'trial', firstSeenAt: row.first_seen_at.getTime(), events: row.events ?? 0 }
        : row.had
          ? { kind: 'settled' }
          : { kind: 'new' };
    byTag.set(row.tag, status);
  }
  return statuses;
}

async function writeStates(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
  now: number,
): Promise<void> {
  const ids: string[] = [];
  const started: (number | null)[] = [];
  const last: (number | null)[] = [];
  const events: number[] = [];
  const tagCounts: string[] = [];
  const streakDay: (number | null)[] = [];
  const streakDays: number[] = [];
  const lastEnded: (number | null)[] = [];
  for (const [userId, { state }] of outcomes) {
    lastEnded.push(state.lastSessionEndedAt === null ? null : seconds(state.lastSessionEndedAt));
    ids.push(userId);
    started.push(state.session ? seconds(state.session.startedAt) : null);
    last.push(state.session ? seconds(state.session.lastEventAt) : null);
    events.push(state.session?.events ?? 0);
    tagCounts.push(JSON.stringify(Object.fromEntries(state.session?.tagCounts ?? [])));
    streakDay.push(state.streakDay);
    streakDays.push(state.streakDays);
  }

  await client.query(
    `INSERT INTO user_insight_state AS s (user_id, session_started_at, session_last_event_at,
       session_events, session_tag_counts, session_seen_at, streak_day, streak_days,
       last_session_ended_at)
     SELECT id, to_timestamp(st), to_timestamp(la), ev, tc::jsonb,
            CASE WHEN st IS NULL THEN NULL ELSE to_timestamp($8) END, sd, sn, to_timestamp(le)
     FROM unnest($1::text[], $2::float8[], $3::float8[], $4::int[], $5::text[], $6::int[],
                 $7::int[], $9::float8[]) AS t(id, st, la, ev, tc, sd, sn, le)
     ON CONFLICT (user_id) DO UPDATE SET
       session_started_at = excluded.session_started_at,
       session_last_event_at = excluded.session_last_event_at,
       session_events = excluded.session_events,
       session_tag_counts = excluded.session_tag_counts,
       session_seen_at = excluded.session_seen_at,
       streak_day = excluded.streak_day,
       streak_days = excluded.streak_days,
       last_session_ended_at = excluded.last_session_ended_at`,
    [ids, started, last, events, tagCounts, streakDay, streakDays, seconds(now), lastEnded],
  );
}

/** Records closed sessions and returns a fact for each one recorded now. */
export async function insertClosedSessions(
  client: pg.PoolClient | pg.Pool,
  closed: { userId: string; session: ClosedSession }[],
  now: number,
): Promise<InsightFact[]> {
  if (closed.length === 0) return [];
  const tops = closed.map(({ session }) => topTags(session.tagCounts));
  const { rows } = await client.query<{ user_id: string; started_at: Date }>(
    `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
       closed_by, closed_at)
     SELECT id, to_timestamp(st), to_timestamp(en), ev, tc::jsonb,
            ARRAY(SELECT jsonb_array_elements_text(tt::jsonb)), cb, to_timestamp($8)
     FROM unnest($1::text[], $2::float8[], $3::float8[], $4::int[], $5::text[], $6::text[],
                 $7::text[]) AS t(id, st, en, ev, tc, tt, cb)
     ON CONFLICT (user_id, started_at) DO NOTHING
     RETURNING user_id, started_at`,
    [
      closed.map(({ userId }) => userId),
      closed.map(({ session }) => seconds(session.startedAt)),
      closed.map(({ session }) => seconds(session.lastEventAt)),
      closed.map(({ session }) => session.events),
      closed.map(({ session }) => JSON.stringify(Object.fromEntries(session.tagCounts))),
      tops.map((top) => JSON.stringify(top.map((entry) => entry.tag))),
      closed.map(({ session }) => session.closedBy),
      seconds(now),
    ],
  );

  const recorded = new Set(rows.map((row) => `${row.user_id}\u0000${row.started_at.getTime()}`));
  return closed
    .map((entry, index) => ({ ...entry, top: tops[index]! }))
    .filter(({ userId, session }) => recorded.has(`${userId}\u0000${session.startedAt}`))
    .map(({ userId, session, top }) => ({
      id: factIds.sessionEnded(userId, session.startedAt),
      kind: 'session-ended' as const,
      userId,
      occurredAt: session.lastEventAt,
      detectedAt: now,
      session: {
        startedAt: session.startedAt,
        endedAt: session.lastEventAt,
        events: session.events,
        topTags: top,
        closedBy: session.closedBy,
      },
    }));
}

function insertSessions(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
  now: number,
): Promise<InsightFact[]> {
  const closed = [...outcomes].flatMap(([userId, outcome]) =>
    outcome.closedSessions.map((session) => ({ userId, session })),
  );
  return insertClosedSessions(client, closed, now);
}

/**
 * History that arrives after later events were sessionised joins the recorded sessions within the
 * idle limit of it, merging them when it bridges two, or else is recorded as a session of its
 * own ('late'). It is history, so it prompts nothing. Rare by construction (replays are produced
 * in time order per reader), so it goes one event at a time.
 */
async function recordLateEvents(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
  idleMs: number,
): Promise<void> {
  for (const [userId, outcome] of outcomes) {
    for (const event of outcome.lateEvents) {
      const { rows } = await client.query<{
        started_at: Date;
        ended_at: Date;
        events: number;
        tag_counts: Record<string, number>;
        closed_by: string;
      }>(
        `SELECT started_at, ended_at, events, tag_counts, closed_by FROM user_sessions
         WHERE user_id = $1
           AND started_at <= to_timestamp($2) + $3 * interval '1 millisecond'
           AND ended_at >= to_timestamp($2) - $3 * interval '1 millisecond'
         ORDER BY started_at
         FOR UPDATE`,
        [userId, seconds(event.time), idleMs],
      );

      const tagCounts = new Map<string, number>();
      const add = (tag: string, count: number) =>
        tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + count);
      for (const tag of event.tags) add(tag, 1);
      for (const row of rows) {
        for (const [tag, count] of Object.entries(row.tag_counts)) add(tag, count);
      }
      const startedAt = Math.min(event.time, ...rows.map((row) => row.started_at.getTime()));
      const endedAt = Math.max(event.time, ...rows.map((row) => row.ended_at.getTime()));
      const events = 1 + rows.reduce((sum, row) => sum + row.events, 0);

      if (rows.length > 0) {
        await client.query(
          `DELETE FROM user_sessions WHERE user_id = $1 AND started_at = ANY($2::timestamptz[])`,
          [userId, rows.map((row) => row.started_at)],
        );
      }
      await client.query(
        `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
           closed_by)
         VALUES ($1, to_timestamp($2), to_timestamp($3), $4, $5::jsonb, $6::text[], $7)`,
        [
          userId,
          seconds(startedAt),
          seconds(endedAt),
          events,
          JSON.stringify(Object.fromEntries(tagCounts)),
          topTags(tagCounts).map((entry) => entry.tag),
          // A session joined keeps how it was closed; one of its own was never open.
          rows[0]?.closed_by ?? 'late',
        ],
      );
    }
  }
}

async function writeTrials(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
): Promise<void> {
  const users: string[] = [];
  const tags: string[] = [];
  const firsts: number[] = [];
  const counts: number[] = [];
  const endedUsers: string[] = [];
  const endedTags: string[] = [];
  for (const [userId, outcome] of outcomes) {
    for (const trial of outcome.trials) {
      users.push(userId);
      tags.push(trial.tag);
      firsts.push(seconds(trial.firstSeenAt));
      counts.push(trial.events);
    }
    for (const tag of outcome.endedTrials) {
      endedUsers.push(userId);
      endedTags.push(tag);
    }
  }

  if (users.length > 0) {
    await client.query(
      `INSERT INTO user_tag_trials (user_id, tag, first_seen_at, events)
       SELECT u, t, to_timestamp(f), c
       FROM unnest($1::text[], $2::text[], $3::float8[], $4::int[]) AS x(u, t, f, c)
       ON CONFLICT (user_id, tag) DO UPDATE SET
         first_seen_at = least(user_tag_trials.first_seen_at, excluded.first_seen_at),
         events = excluded.events`,
      [users, tags, firsts, counts],
    );
  }
  if (endedUsers.length > 0) {
    await client.query(
      `DELETE FROM user_tag_trials t
       USING unnest($1::text[], $2::text[]) AS x(u, tag)
       WHERE t.user_id = x.u AND t.tag = x.tag`,
      [endedUsers, endedTags],
    );
  }
}

async function insertAchievements(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
  now: number,
): Promise<InsightFact[]> {
  const rows = [...outcomes].flatMap(([userId, outcome]) =>
    outcome.achievements.map((achievement) => ({ userId, achievement })),
  );
  if (rows.length === 0) return [];

  const inserted = await client.query<{ user_id: string; code: string }>(
    `INSERT INTO user_achievements (user_id, code, kind, threshold, reached_at, recorded_at)
     SELECT u, c, k, t, to_timestamp(r), to_timestamp($6)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[]) AS x(u, c, k, t, r)
     ON CONFLICT (user_id, code) DO NOTHING
     RETURNING user_id, code`,
    [
      rows.map((row) => row.userId),
      rows.map((row) => row.achievement.code),
      rows.map((row) => row.achievement.kind),
      rows.map((row) => row.achievement.threshold),
      rows.map((row) => seconds(row.achievement.reachedAt)),
      seconds(now),
    ],
  );
  const recorded = new Set(inserted.rows.map((row) => `${row.user_id}\u0000${row.code}`));
  return rows
    .filter((row) => recorded.has(`${row.userId}\u0000${row.achievement.code}`))
    .map(({ userId, achievement }) => ({
      id: factIds.achievement(userId, achievement.code),
      kind: 'achievement' as const,
      userId,
      occurredAt: achievement.reachedAt,
      detectedAt: now,
      achievement,
    }));
}

async function insertInterests(
  client: pg.PoolClient,
  outcomes: Map<string, UserInsights>,
  now: number,
): Promise<InsightFact[]> {
  const rows = [...outcomes].flatMap(([userId, outcome]) =>
    outcome.interests.map((interest) => ({ userId, interest })),
  );
  if (rows.length === 0) return [];

  const inserted = await client.query<{ user_id: string; tag: string }>(
    `INSERT INTO user_emerging_interests (user_id, tag, first_seen_at, emerged_at, events,
       recorded_at)
     SELECT u, t, to_timestamp(f), to_timestamp(e), n, to_timestamp($6)
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int[]) AS x(u, t, f, e, n)
     ON CONFLICT (user_id, tag) DO NOTHING
     RETURNING user_id, tag`,
    [
      rows.map((row) => row.userId),
      rows.map((row) => row.interest.tag),
      rows.map((row) => seconds(row.interest.firstSeenAt)),
      rows.map((row) => seconds(row.interest.emergedAt)),
      rows.map((row) => row.interest.events),
      seconds(now),
    ],
  );
  const recorded = new Set(inserted.rows.map((row) => `${row.user_id}\u0000${row.tag}`));
  return rows
    .filter((row) => recorded.has(`${row.userId}\u0000${row.interest.tag}`))
    .map(({ userId, interest }) => ({
      id: factIds.emergingInterest(userId, interest.tag),
      kind: 'emerging-interest' as const,
      userId,
      occurredAt: interest.emergedAt,
      detectedAt: now,
      interest,
    }));
}
