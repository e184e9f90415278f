/**
 * The bundled MovieLens history through Kafka and the aggregator, then every user's sessions,
 * milestones and emerging interests against a computation from the CSV files that sees each
 * history whole and in time order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MOVIELENS, topicNames } from '../../../src/config/config.ts';
import { importMovieLens } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { topicEnds } from '../../../src/kafka/topics.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { achievementsOf, interestsOf, sessionsOf } from '../../support/insight-truth.ts';
import { movieLensEventsByUser } from '../../support/movielens-truth.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('insights');
const pool = createPool(ns.config.databaseUrl, 2);
const aggregator = new StreamAggregator(ns.config);
const history = movieLensEventsByUser(BUNDLED_MOVIELENS);
const seconds = (date: Date) => date.getTime() / 1000;

function group<T extends { user_id: string }>(rows: T[]): Map<string, T[]> {
  const byUser = new Map<string, T[]>();
  for (const row of rows) {
    if (!byUser.has(row.user_id)) byUser.set(row.user_id, []);
    byUser.get(row.user_id)!.push(row);
  }
  return byUser;
}

beforeAll(async () => {
  await ns.migrate();
  await aggregator.start();
  const imported = await importMovieLens(ns.config, BUNDLED_MOVIELENS);
  expect(imported.produced).toBe(104_519);
  await waitForCatchUp(createKafka(ns.config, 'test'), pool, ns.config, { stallTimeoutMs: 60_000 });
});

afterAll(async () => {
  await aggregator.stop();
  await pool.end();
  await ns.cleanup();
});

describe('insights of the MovieLens history', () => {
  it('has every session of every user, with its start, end and events', async () => {
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
      const expected = sessionsOf(events, ns.config.sessionIdleMs / 1000);
      sessions += expected.length;
      const actual = (stored.get(userId) ?? []).map((row) => ({
        start: seconds(row.started_at),
        end: seconds(row.ended_at),
        events: row.events,
      }));
      expect(actual, `sessions of user ${userId}`).toEqual(expected);
    }
    // The history has many sessions per user; a broken splitter could not pass by luck.
    expect(sessions).toBeGreaterThan(history.size * 3);

    const open = await pool.query(
      'SELECT count(*)::int AS n FROM user_insight_state WHERE session_started_at IS NOT NULL',
    );
    expect(open.rows[0].n).toBe(history.size);
  });

  it('has the milestones of every user, each once, at the event time it was reached', async () => {
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
    const kinds = new Set(rows.map((row) => row.code.split('-')[0]));
    expect(kinds).toEqual(new Set(['events', 'anniversary', 'streak']));
    expect(rows).toHaveLength(milestones);
  });

  it('has the emerging interests of every user, at the event that made each one', async () => {
    const { rows } = await pool.query<{ user_id: string; tag: string; emerged_at: Date }>(
      'SELECT user_id, tag, emerged_at FROM user_emerging_interests',
    );
    const stored = group(rows);
    for (const [userId, events] of history) {
      const expected = interestsOf(
        events,
        ns.config.interestMinEvents,
        ns.config.interestWindowMs / 1000,
      );
      const actual = new Map(
        (stored.get(userId) ?? []).map((row) => [row.tag, seconds(row.emerged_at)]),
      );
      expect(actual, `interests of user ${userId}`).toEqual(expected);
    }
    expect(rows.length).toBeGreaterThan(history.size);
  });

  it('publishes one fact on the insights topic for each thing it recorded', async () => {
    const counts = await pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM user_sessions)
            + (SELECT count(*) FROM user_achievements)
            + (SELECT count(*) FROM user_emerging_interests) AS n`,
    );
    const { ends } = await topicEnds(
      createKafka(ns.config, 'test'),
      topicNames(ns.config).insights,
    );
    const published = [...ends.values()].reduce((sum, end) => sum + end, 0n);
    expect(published).toBe(BigInt(counts.rows[0]!.n));
  });
});
