/**
 * History that arrives out of order: it joins the recorded sessions it belongs to (merging two
 * when it bridges them) instead of overlapping them, and prompts nothing; an event stamped in the
 * future does not turn the reader's real events into history.
 */
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { closeIdleSessions } from '../../../src/insights/session-sweeper.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { topicEnds } from '../../../src/kafka/topics.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitUntil } from '../../support/aggregates.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('late');
const pool = createPool(ns.config.databaseUrl, 2);
const kafka = createKafka(ns.config, 'test');
const aggregator = new StreamAggregator(ns.config);
let producer: Producer;
let sequence = 0;
const MINUTE = 60_000;
// Yesterday, on a whole minute: recent enough that the sessions' facts are published.
const T = Math.floor((Date.now() - 86_400_000) / MINUTE) * MINUTE;

/** Sends one event and waits until it is counted, so each arrives in a batch of its own. */
async function read(userId: string, time: number, tags: string[]): Promise<void> {
  const { rows } = await pool.query('SELECT total_events FROM users WHERE id = $1', [userId]);
  const before = Number(rows[0]?.total_events ?? 0);
  await producer.send({
    topic: topicNames(ns.config).events,
    acks: -1,
    messages: [
      {
        key: userId,
        value: JSON.stringify({
          event_id: `e${sequence++}`,
          user_id: userId,
          timestamp: new Date(time).toISOString(),
          type: 'read',
          tags,
        }),
      },
    ],
  });
  await waitUntil(
    async () => {
      const now = await pool.query('SELECT total_events FROM users WHERE id = $1', [userId]);
      return Number(now.rows[0]?.total_events ?? 0) === before + 1;
    },
    30_000,
    `event of ${userId} counted`,
  );
}

async function sessionsOf(userId: string) {
  const { rows } = await pool.query<{
    started_at: Date;
    ended_at: Date;
    events: number;
    closed_by: string;
    top_tags: string[];
  }>(
    `SELECT started_at, ended_at, events, closed_by, top_tags FROM user_sessions
     WHERE user_id = $1 ORDER BY started_at`,
    [userId],
  );
  return rows.map((row) => ({
    from: (row.started_at.getTime() - T) / MINUTE,
    to: (row.ended_at.getTime() - T) / MINUTE,
    events: row.events,
    closedBy: row.closed_by,
    topTags: row.top_tags,
  }));
}

async function factsPublished(): Promise<bigint> {
  const { ends } = await topicEnds(kafka, topicNames(ns.config).insights);
  return [...ends.values()].reduce((sum, end) => sum + end, 0n);
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

describe('events that arrive late', () => {
  it('join the sessions they belong to, merging two they bridge, and prompt nothing', async () => {
    await read('lee', T, ['a']);
    await read('lee', T + 10 * MINUTE, ['a']);
    await read('lee', T + 100 * MINUTE, ['b']);
    await read('lee', T + 200 * MINUTE, ['c']);
    const published = await factsPublished();
    expect(published).toBeGreaterThanOrEqual(2n);

    // Between two recorded sessions, near neither: a session of its own.
    await read('lee', T + 55 * MINUTE, ['d']);
    expect(await sessionsOf('lee')).toEqual([
      { from: 0, to: 10, events: 2, closedBy: 'gap', topTags: ['a'] },
      { from: 55, to: 55, events: 1, closedBy: 'late', topTags: ['d'] },
      { from: 100, to: 100, events: 1, closedBy: 'gap', topTags: ['b'] },
    ]);

    // Within the idle limit of the first and of the late one: the three become one, as if the
    // events had come in order (0, 10, 35, 55 are never more than 30 minutes apart).
    await read('lee', T + 35 * MINUTE, ['e', 'd']);
    expect(await sessionsOf('lee')).toEqual([
      { from: 0, to: 55, events: 4, closedBy: 'gap', topTags: ['a', 'd', 'e'] },
      { from: 100, to: 100, events: 1, closedBy: 'gap', topTags: ['b'] },
    ]);
    expect(await factsPublished()).toBe(published);
  });

  it('join a session the idle timer closed instead of opening one beside it', async () => {
    const start = Date.now() - 10 * MINUTE;
    await read('mo', start, ['a']);
    await read('mo', start + 5 * MINUTE, ['a']);
    const closed = await closeIdleSessions(pool, async () => undefined, {
      idleMs: ns.config.sessionIdleMs,
      now: Date.now() + ns.config.sessionIdleMs + MINUTE,
    });
    expect(closed).toBeGreaterThanOrEqual(1);

    await read('mo', start + 2 * MINUTE, ['b']);
    const { rows } = await pool.query(
      `SELECT events, closed_by, (ended_at - started_at) = interval '5 minutes' AS span
       FROM user_sessions WHERE user_id = 'mo'`,
    );
    expect(rows).toEqual([{ events: 3, closed_by: 'idle', span: true }]);
    const state = await pool.query(
      `SELECT session_started_at FROM user_insight_state WHERE user_id = 'mo'`,
    );
    expect(state.rows[0].session_started_at).toBeNull();
  });

  it('take an event stamped in the future as happening now', async () => {
    await read('fy', Date.now() + 20 * 60 * MINUTE, ['a']);
    await read('fy', Date.now(), ['b']);
    await read('fy', Date.now(), ['c']);
    const { rows } = await pool.query(
      `SELECT session_events, session_last_event_at <= now() AS not_ahead
       FROM user_insight_state WHERE user_id = 'fy'`,
    );
    expect(rows).toEqual([{ session_events: 3, not_ahead: true }]);
    expect(await sessionsOf('fy')).toEqual([]);
  });
});
