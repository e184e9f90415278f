/**
 * The events topic deleted and created again on the same cluster: its offsets start over, and
 * the offsets stored for the old topic must not make the aggregator skip the new one's events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { waitUntil } from '../../support/aggregates.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('recreated', { ALMANAC_EVENT_PARTITIONS: '1' });
const kafka = createKafka(ns.config, 'test');
const pool = createPool(ns.config.databaseUrl, 2);
const topic = topicNames(ns.config).events;

async function produce(from: number, count: number) {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      key: 'reader',
      value: JSON.stringify({
        event_id: `e-${from + i}`,
        user_id: 'reader',
        timestamp: new Date(Date.UTC(2025, 0, 1, 0, from + i)).toISOString(),
        type: 'read',
      }),
    })),
  });
  await producer.disconnect();
}

async function total(): Promise<number> {
  const { rows } = await pool.query(`SELECT total_events::int AS n FROM users WHERE id = 'reader'`);
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(kafka, ns.config);
});

afterAll(async () => {
  await pool.end();
  await ns.cleanup();
});

describe('a topic created anew', () => {
  it('is read from its start, not from the old topic offsets', async () => {
    const first = new StreamAggregator(ns.config);
    await first.start();
    await produce(0, 30);
    await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    await first.stop();
    expect(await total()).toBe(30);

    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await waitUntil(async () => !(await admin.listTopics()).includes(topic), 30_000, 'deletion');
    await admin.disconnect();
    await ensureTopics(kafka, ns.config);
    await produce(1000, 60);

    const second = new StreamAggregator(ns.config);
    await second.start();
    try {
      await waitUntil(async () => (await total()) === 90, 60_000, 'all 90 events counted');
      await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    } finally {
      await second.stop();
    }
    expect(await total()).toBe(90);

    const { rows } = await pool.query(
      'SELECT next_offset::int AS next, events_applied::int AS applied FROM stream_offsets',
    );
    expect(rows).toEqual([{ next: 60, applied: 60 }]);
  });
});
