/**
 * PostgreSQL drops the aggregator's connections mid-import, as a restart or a failover does:
 * the aggregator keeps running, retries what failed, and every count ends equal to the truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MOVIELENS } from '../../../src/config/config.ts';
import { importMovieLens } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { readStoredUsers, waitUntil } from '../../support/aggregates.ts';
import { movieLensTruth } from '../../support/movielens-truth.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('pgoutage');
const pool = createPool(ns.config.databaseUrl, 2);
const aggregator = new StreamAggregator(ns.config);

async function applied(): Promise<number> {
  const { rows } = await pool.query(
    'SELECT coalesce(sum(events_applied), 0)::int AS n FROM stream_offsets',
  );
  return rows[0].n;
}

/** Ends every session of this namespace but the caller's own. */
async function dropConnections(): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
     WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [`almanac:${ns.id}`],
  );
  return rows[0].n;
}

beforeAll(async () => {
  await ns.migrate();
  await aggregator.start();
});

afterAll(async () => {
  await aggregator.stop();
  await pool.end();
  await ns.cleanup();
});

describe('PostgreSQL dropping connections mid-import', () => {
  it('costs time, not counts', async () => {
    const importing = importMovieLens(ns.config, BUNDLED_MOVIELENS);

    await waitUntil(async () => (await applied()) >= 10_000, 120_000, '10k events applied');
    const firstDrop = await dropConnections();
    await waitUntil(async () => (await applied()) >= 50_000, 120_000, '50k events applied');
    const secondDrop = await dropConnections();
    expect(firstDrop + secondDrop).toBeGreaterThan(0);

    await importing;
    await waitForCatchUp(createKafka(ns.config, 'test'), pool, ns.config, {
      stallTimeoutMs: 90_000,
    });

    const truth = movieLensTruth(BUNDLED_MOVIELENS);
    const stored = await readStoredUsers(pool);
    expect(stored.size).toBe(truth.size);
    for (const [userId, expected] of truth) {
      expect(stored.get(userId)?.totalEvents, `user ${userId}`).toBe(expected.totalEvents);
      expect(stored.get(userId)?.tags, `user ${userId}`).toEqual(expected.tags);
    }
  });
});
