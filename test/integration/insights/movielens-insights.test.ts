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
import {
  expectAchievementsMatch,
  expectInterestsMatch,
  expectSessionsMatch,
} from '../../support/insight-truth.ts';
import { movieLensEventsByUser } from '../../support/movielens-truth.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('insights');
const pool = createPool(ns.config.databaseUrl, 2);
const aggregator = new StreamAggregator(ns.config);
const history = movieLensEventsByUser(BUNDLED_MOVIELENS);

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
    const sessions = await expectSessionsMatch(pool, history, ns.config);
    // The history has many sessions per user; a broken splitter could not pass by luck.
    expect(sessions).toBeGreaterThan(history.size * 3);
    const open = await pool.query(
      'SELECT count(*)::int AS n FROM user_insight_state WHERE session_started_at IS NOT NULL',
    );
    expect(open.rows[0].n).toBe(history.size);
  });

  it('has the milestones of every user, each once, at the event time it was reached', async () => {
    const codes = await expectAchievementsMatch(pool, history);
    const kinds = new Set(codes.map((code) => code.split('-')[0]));
    expect(kinds).toEqual(new Set(['events', 'anniversary', 'streak']));
  });

  it('has the emerging interests of every user, at the event that made each one', async () => {
    expect(await expectInterestsMatch(pool, history, ns.config)).toBeGreaterThan(history.size);
  });

  it('publishes no fact about history, which would trigger nothing', async () => {
    const { ends } = await topicEnds(
      createKafka(ns.config, 'test'),
      topicNames(ns.config).insights,
    );
    expect([...ends.values()].reduce((sum, end) => sum + end, 0n)).toBe(0n);
  });
});
