/**
 * Repeats: the same file imported twice, an event_id sent twice, a replay of the recent list,
 * and what happens once the dedupe window has passed.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJsonLines } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { redisKeys } from '../../../src/serving/redis-keys.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { pruneProcessedEvents } from '../../../src/stream/dedupe-window.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('dedupe');
const pool = createPool(ns.config.databaseUrl, 2);
const kafka = createKafka(ns.config, 'test');
const redis = createRedis(ns.config);
const aggregator = new StreamAggregator(ns.config);
let file: string;

const event = (n: number, user: string) =>
  JSON.stringify({
    event_id: `evt-${n}`,
    user_id: user,
    timestamp: new Date(Date.UTC(2025, 5, 1, 8, n)).toISOString(),
    type: 'read',
    domain: 'paper.example',
    tags: ['science'],
  });

async function totals(): Promise<Record<string, number>> {
  const { rows } = await pool.query('SELECT id, total_events FROM users ORDER BY id');
  return Object.fromEntries(rows.map((row) => [row.id, Number(row.total_events)]));
}

beforeAll(async () => {
  await ns.migrate();
  await aggregator.start();
  const folder = await mkdtemp(path.join(tmpdir(), 'almanac-dedupe-'));
  file = path.join(folder, 'events.jsonl');
  // Events 0-59 for ann, 0-9 for bob; event 3 appears twice in the file.
  const lines = [
    ...Array.from({ length: 60 }, (_, n) => event(n, 'ann')),
    ...Array.from({ length: 10 }, (_, n) => event(100 + n, 'bob')),
    event(3, 'ann'),
  ];
  await writeFile(file, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await aggregator.stop();
  redis.disconnect();
  await pool.end();
  await ns.cleanup();
});

describe('repeated events', () => {
  it('are counted once, within a file and across imports', async () => {
    const first = await importJsonLines(ns.config, file);
    expect(first).toMatchObject({ produced: 71, skipped: false });
    let progress = await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    expect(await totals()).toEqual({ ann: 60, bob: 10 });
    expect(progress.duplicates).toBe(1n);

    const again = await importJsonLines(ns.config, file);
    expect(again).toMatchObject({ produced: 0, skipped: true });

    await redis.set(redisKeys.profile('ann'), '{"cached":true}');
    const forced = await importJsonLines(ns.config, file, { force: true });
    expect(forced.produced).toBe(71);
    progress = await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    expect(await totals()).toEqual({ ann: 60, bob: 10 });
    expect(progress.duplicates).toBe(72n);
    expect(progress.applied + progress.duplicates + progress.deadLettered).toBe(progress.total);

    const recent = await redis.zrange(redisKeys.recent('ann'), 0, -1);
    const ids = recent.map((member) => (JSON.parse(member) as { event_id: string }).event_id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    expect(ids.at(-1)).toBe('evt-59');
    expect(ids[0]).toBe('evt-10');
    expect(await redis.ttl(redisKeys.recent('ann'))).toBeGreaterThan(86_000);
  });

  it('drop the cached profile of a user whose counts changed', async () => {
    // The forced import above changed no count, so the cache entry set before it may stay;
    // a new event must remove it.
    await redis.set(redisKeys.profile('bob'), '{"cached":true}');
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: `${ns.config.topicPrefix}.events.v1`,
      messages: [{ key: 'bob', value: event(200, 'bob') }],
    });
    await producer.disconnect();
    await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });

    expect(await redis.exists(redisKeys.profile('bob'))).toBe(0);
    expect(await totals()).toEqual({ ann: 60, bob: 11 });
    const session = JSON.parse((await redis.get(redisKeys.session('bob')))!) as { events: number };
    expect(session.events).toBeGreaterThan(0);
  });

  it('are counted again once the dedupe window has passed', async () => {
    const removed = await pruneProcessedEvents(pool, 0);
    expect(removed).toBe(71);

    await importJsonLines(ns.config, file, { force: true });
    await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    expect(await totals()).toEqual({ ann: 120, bob: 21 });
  });
});
