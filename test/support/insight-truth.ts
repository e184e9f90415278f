/**
 * Sessions, milestones and emerging interests computed from a user's whole history at once, in
 * time order, with none of the application's code: what the aggregator, which sees the history
 * a batch at a time, must have recorded.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import type { Config } from '../../src/config/config.ts';
import type { TruthEvent } from './movielens-truth.ts';

export interface TruthSession {
  start: number;
  end: number;
  events: number;
}

/** Seconds. A gap of more than `idleSeconds` between consecutive events starts a new session. */
export function sessionsOf(events: TruthEvent[], idleSeconds: number): TruthSession[] {
  const sessions: TruthSession[] = [];
  for (const { seconds } of events) {
    const current = sessions[sessions.length - 1];
    if (current && seconds - current.end <= idleSeconds) {
      current.end = seconds;
      current.events++;
    } else sessions.push({ start: seconds, end: seconds, events: 1 });
  }
  return sessions;
}

/** Achievement code to the second it was reached. */
export function achievementsOf(events: TruthEvent[]): Map<string, number> {
  const reached = new Map<string, number>();
  for (const n of [100, 500, 1000, 5000]) {
    if (events.length >= n) reached.set(`events-${n}`, events[n - 1]!.seconds);
  }

  const first = events[0]!.seconds;
  const last = events[events.length - 1]!.seconds;
  for (let years = 1; ; years++) {
    const date = new Date(first * 1000);
    const month = date.getUTCMonth();
    const day = date.getUTCDate();
    // 29 February's anniversary in a common year is 1 March.
    const target = new Date(
      Date.UTC(
        date.getUTCFullYear() + years,
        month,
        day,
        date.getUTCHours(),
        date.getUTCMinutes(),
        date.getUTCSeconds(),
      ),
    );
    const at = target.getTime() / 1000;
    if (at > last) break;
    reached.set(`anniversary-${years}`, at);
  }

  let run = 0;
  let previousDay: number | undefined;
  for (const { seconds } of events) {
    const day = Math.floor(seconds / 86_400);
    if (day === previousDay) continue;
    run = previousDay !== undefined && day === previousDay + 1 ? run + 1 : 1;
    previousDay = day;
    if (run === 7 && !reached.has('streak-7')) reached.set('streak-7', seconds);
  }
  return reached;
}

/** Tag to the second it emerged: its `minEvents`-th event within `windowSeconds` of its first. */
export function interestsOf(
  events: TruthEvent[],
  minEvents: number,
  windowSeconds: number,
): Map<string, number> {
  const byTag = new Map<string, number[]>();
  for (const { seconds, tags } of events) {
    for (const tag of tags) {
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(seconds);
    }
  }
  const emerged = new Map<string, number>();
  for (const [tag, times] of byTag) {
    const early = times.filter((seconds) => seconds - times[0]! <= windowSeconds);
    if (early.length >= minEvents) emerged.set(tag, early[minEvents - 1]!);
  }
  return emerged;
}

const seconds = (date: Date) => date.getTime() / 1000;

function group<T extends { user_id: string }>(rows: T[]): Map<string, T[]> {
  const byUser = new Map<string, T[]>();
  for (const row of rows) {
    if (!byUser.has(row.user_id)) byUser.set(row.user_id, []);
    byUser.get(row.user_id)!.push(row);
  }
  return byUser;
}

/** Every stored session (closed and open) of every user equals the truth. Returns how many. */
export async function expectSessionsMatch(
  pool: pg.Pool,
  history: Map<string, TruthEvent[]>,
  config: Pick<Config, 'sessionIdleMs'>,
): Promise<number> {
  const { rows } = await pool.query<{
    user_id: string;
    started_at: Date;
    ended_at: Date;
    events: number;
  }>(
    `SELECT user_id, started_at, ended_at, events FROM user_sessions
     UNION ALL
     SELECT user_id, session_started_at, session_last_event_at, session_events
     FROM user_insight_state WHERE session_started_at IS NOT NULL
     ORDER BY user_id, started_at`,
  );
  const stored = group(rows);
  expect(stored.size).toBe(history.size);

  let sessions = 0;
  for (const [userId, events] of history) {
    const expected = sessionsOf(events, config.sessionIdleMs / 1000);
    sessions += expected.length;
    const actual = (stored.get(userId) ?? []).map((row) => ({
      start: seconds(row.started_at),
      end: seconds(row.ended_at),
      events: row.events,
    }));
    expect(actual, `sessions of user ${userId}`).toEqual(expected);
  }
  return sessions;
}

/** Every user's milestones equal the truth, each once. Returns the stored codes. */
export async function expectAchievementsMatch(
  pool: pg.Pool,
  history: Map<string, TruthEvent[]>,
): Promise<string[]> {
  const { rows } = await pool.query<{ user_id: string; code: string; reached_at: Date }>(
    'SELECT user_id, code, reached_at FROM user_achievements',
  );
  const stored = group(rows);
  let milestones = 0;
  for (const [userId, events] of history) {
    const expected = achievementsOf(events);
    milestones += expected.size;
    const actual = new Map(
      (stored.get(userId) ?? []).map((row) => [row.code, seconds(row.reached_at)]),
    );
    expect(actual, `milestones of user ${userId}`).toEqual(expected);
  }
  expect(rows).toHaveLength(milestones);
  return rows.map((row) => row.code);
}

/** Every user's emerging interests equal the truth. Returns how many are stored. */
export async function expectInterestsMatch(
  pool: pg.Pool,
  history: Map<string, TruthEvent[]>,
  config: Pick<Config, 'interestMinEvents' | 'interestWindowMs'>,
): Promise<number> {
  const { rows } = await pool.query<{ user_id: string; tag: string; emerged_at: Date }>(
    'SELECT user_id, tag, emerged_at FROM user_emerging_interests',
  );
  const stored = group(rows);
  for (const [userId, events] of history) {
    const expected = interestsOf(events, config.interestMinEvents, config.interestWindowMs / 1000);
    const actual = new Map(
      (stored.get(userId) ?? []).map((row) => [row.tag, seconds(row.emerged_at)]),
    );
    expect(actual, `interests of user ${userId}`).toEqual(expected);
  }
  return rows.length;
}
