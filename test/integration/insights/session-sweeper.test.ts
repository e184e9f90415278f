/**
 * The idle timer for live traffic: a session no event has reached for the idle limit of wall
 * time is closed once, by one sweeper, never while the aggregator is adding to it, and the next
 * event starts a new session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { topicNames } from '../../../src/config/config.ts';
import type { InsightFact } from '../../../src/insights/facts.ts';
import { closeIdleSessions } from '../../../src/insights/session-sweeper.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitUntil } from '../../support/aggregates.ts';
import { createNamespace } from '../../support/namespace.ts';

const IDLE_SECONDS = 5;
const ns = createNamespace('sweeper', { ALMANAC_SESSION_IDLE_SECONDS: String(IDLE_SECONDS) });
const pool = createPool(ns.config.databaseUrl, 4);
const kafka = createKafka(ns.config, 'test');
const aggregator = new StreamAggregator(ns.config);
let producer: Producer;
let sequence = 0;

async function read(userId: string, tags: string[], secondsAgo = 0): Promise<void> {
  const event = {
    event_id: `live-${sequence++}`,
    user_id: userId,
    timestamp: new Date(Date.now() - secondsAgo * 1000).toISOString(),
    type: 'read',
    domain: 'paper.example',
    tags,
  };
  await producer.send({
    topic: topicNames(ns.config).events,
    acks: -1,
    messages: [{ key: userId, value: JSON.stringify(event) }],
  });
}

async function totalEvents(userId: string): Promise<number> {
  const { rows } = await pool.query('SELECT total_events FROM users WHERE id = $1', [userId]);
  return Number(rows[0]?.total_events ?? 0);
}

async function sessions(userId: string) {
  const { rows } = await pool.query<{ events: number; closed_by: string }>(
    'SELECT events, closed_by FROM user_sessions WHERE user_id = $1 ORDER BY started_at',
    [userId],
  );
  return rows;
}

beforeAll(async () => {
  await ns.migrate();
  await aggregator.start();
  producer = kafka.producer({ idempotent: true });
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await aggregator.stop();
  await pool.end();
  await ns.cleanup();
});

describe('closing idle sessions', () => {
  it('closes a live session once the idle limit of wall time has passed, and only then', async () => {
    // Read a while ago (their arrival, not their time, starts the idle timer): the next event,
    // stamped now, is then well past the idle limit in event time too.
    await read('ada', ['chess'], 4 * IDLE_SECONDS);
    await read('ada', ['chess', 'go'], 4 * IDLE_SECONDS - 1);
    await waitUntil(async () => (await totalEvents('ada')) === 2, 30_000, 'two events applied');

    const published: InsightFact[] = [];
    const publish = async (facts: InsightFact[]) => void published.push(...facts);
    const options = { idleMs: ns.config.sessionIdleMs };

    expect(await closeIdleSessions(pool, publish, { ...options, now: Date.now() })).toBe(0);
    expect(await sessions('ada')).toEqual([]);

    const later = Date.now() + IDLE_SECONDS * 1000 + 1000;
    expect(await closeIdleSessions(pool, publish, { ...options, now: later })).toBe(1);
    expect(await closeIdleSessions(pool, publish, { ...options, now: later })).toBe(0);

    expect(await sessions('ada')).toEqual([{ events: 2, closed_by: 'idle' }]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      kind: 'session-ended',
      userId: 'ada',
      session: {
        events: 2,
        closedBy: 'idle',
        topTags: [
          { tag: 'chess', count: 2 },
          { tag: 'go', count: 1 },
        ],
      },
    });

    // The next event opens a new session rather than reopening the closed one.
    await read('ada', ['go']);
    await waitUntil(async () => (await totalEvents('ada')) === 3, 30_000, 'third event applied');
    const { rows } = await pool.query(
      'SELECT session_events FROM user_insight_state WHERE user_id = $1',
      ['ada'],
    );
    expect(rows[0].session_events).toBe(1);
  });

  it('leaves a session alone while another transaction holds it, and publishes nothing twice on a failed sweep', async () => {
    await read('bo', ['go']);
    await waitUntil(async () => (await totalEvents('bo')) === 1, 30_000, 'event applied');
    const later = Date.now() + IDLE_SECONDS * 1000 + 1000;
    const published: InsightFact[] = [];
    const options = { idleMs: ns.config.sessionIdleMs, now: later };

    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM user_insight_state WHERE user_id = $1 FOR UPDATE', ['bo']);
      await closeIdleSessions(pool, async (facts) => void published.push(...facts), options);
      expect(published.filter((fact) => fact.userId === 'bo')).toEqual([]);
      expect(await sessions('bo')).toEqual([]);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }

    // A publish that fails rolls the sweep back: the session is still open and is closed by the
    // next sweep, under the same fact id.
    const failing = async () => {
      throw new Error('broker gone');
    };
    await expect(closeIdleSessions(pool, failing, options)).rejects.toThrow('broker gone');
    expect(await sessions('bo')).toEqual([]);

    await closeIdleSessions(pool, async (facts) => void published.push(...facts), options);
    expect(await sessions('bo')).toEqual([{ events: 1, closed_by: 'idle' }]);
    expect(published.filter((fact) => fact.userId === 'bo').map((fact) => fact.id)).toHaveLength(1);
  });
});
