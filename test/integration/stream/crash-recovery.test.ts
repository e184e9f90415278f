/**
 * kill -9 the aggregator mid-import, twice, then let two aggregators share the partitions: every
 * count, session, milestone and emerging interest must equal the truth computed from the CSV
 * files, and the recent lists hold no repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MOVIELENS } from '../../../src/config/config.ts';
import { importMovieLens } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { redisKeys } from '../../../src/serving/redis-keys.ts';
import { streamProgress, waitForCatchUp } from '../../../src/stream/progress.ts';
import { readStoredUsers, waitUntil } from '../../support/aggregates.ts';
import {
  expectAchievementsMatch,
  expectInterestsMatch,
  expectSessionsMatch,
} from '../../support/insight-truth.ts';
import { movieLensEventsByUser, movieLensTruth } from '../../support/movielens-truth.ts';
import { createNamespace } from '../../support/namespace.ts';
import { startAggregatorProcess, type AggregatorProcess } from '../../support/processes.ts';

const ns = createNamespace('crash');
const pool = createPool(ns.config.databaseUrl, 2);
const kafka = createKafka(ns.config, 'test');
const running: AggregatorProcess[] = [];

beforeAll(async () => {
  await ns.migrate();
});

afterAll(async () => {
  await Promise.all(running.map((aggregator) => aggregator.stop()));
  await pool.end();
  await ns.cleanup();
});

async function applied(): Promise<number> {
  const { rows } = await pool.query<{ n: string | null }>(
    'SELECT sum(events_applied) AS n FROM stream_offsets',
  );
  return Number(rows[0]?.n ?? 0);
}

describe('an aggregator killed mid-import', () => {
  it('ends with every count equal to the truth', async () => {
    const first = await startAggregatorProcess(ns.config);
    running.push(first);
    const importing = importMovieLens(ns.config, BUNDLED_MOVIELENS);

    await waitUntil(async () => (await applied()) >= 10_000, 120_000, '10k events applied');
    await first.crash();
    const atFirstCrash = await applied();

    const second = await startAggregatorProcess(ns.config);
    running.push(second);
    await waitUntil(async () => (await applied()) >= atFirstCrash + 20_000, 120_000, 'progress');
    await second.crash();
    const atSecondCrash = await applied();

    running.push(await startAggregatorProcess(ns.config), await startAggregatorProcess(ns.config));
    await importing;
    const progress = await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });

    expect(atFirstCrash).toBeGreaterThanOrEqual(10_000);
    expect(atSecondCrash).toBeLessThan(104_519);

    const truth = movieLensTruth(BUNDLED_MOVIELENS);
    const stored = await readStoredUsers(pool);
    expect(stored.size).toBe(truth.size);
    for (const [userId, expected] of truth) {
      const actual = stored.get(userId);
      expect(actual, `user ${userId}`).toBeDefined();
      expect(actual!.totalEvents, `user ${userId} total`).toBe(expected.totalEvents);
      expect(actual!.activeDays, `user ${userId} days`).toBe(expected.activeDays);
      expect(actual!.first, `user ${userId} first`).toBe(expected.firstSeconds);
      expect(actual!.last, `user ${userId} last`).toBe(expected.lastSeconds);
      expect(actual!.hours, `user ${userId} hours`).toEqual(expected.hours);
      expect(actual!.weekdays, `user ${userId} weekdays`).toEqual(expected.weekdays);
      expect(actual!.tags, `user ${userId} tags`).toEqual(expected.tags);
      expect(actual!.monthEvents, `user ${userId} months`).toEqual(expected.months);
    }

    // Sessions, milestones and interests were each recorded once, despite the replays.
    const history = movieLensEventsByUser(BUNDLED_MOVIELENS);
    await expectSessionsMatch(pool, history, ns.config);
    await expectAchievementsMatch(pool, history);
    await expectInterestsMatch(pool, history, ns.config);

    // Every message in the topic is accounted for exactly once.
    expect(progress.lag).toBe(0n);
    expect(progress.applied + progress.duplicates + progress.deadLettered).toBe(progress.total);
    expect(progress.applied).toBe(104_519n);
    const again = await streamProgress(kafka, pool, ns.config);
    expect(again.applied).toBe(104_519n);

    const redis = createRedis(ns.config);
    try {
      for (const userId of ['1', '414', '599', '610']) {
        const members = await redis.zrange(redisKeys.recent(userId), 0, -1);
        const ids = members.map((member) => (JSON.parse(member) as { event_id: string }).event_id);
        expect(ids.length).toBe(Math.min(50, truth.get(userId)!.totalEvents));
        expect(new Set(ids).size).toBe(ids.length);
      }
    } finally {
      redis.disconnect();
    }
  });
});
