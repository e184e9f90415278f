/**
 * One live reading session through every part, as deployed: events into Kafka, the aggregator,
 * the idle timer in a worker, the insights topic, the bridge, the queue, a worker narrating
 * through a stand-in of the Messages API, Redis pub/sub, and a graphql-ws subscriber on the
 * gateway. The worker is killed while the model is writing; the session still ends once and
 * yields one spotlight, which the subscriber receives once.
 */
import { createClient, type Client } from 'graphql-ws';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { topicNames } from '../../../src/config/config.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { redisKeys } from '../../../src/serving/redis-keys.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { InsightBridge } from '../../../src/triggered/bridge.ts';
import { createNamespace } from '../../support/namespace.ts';
import {
  pollUntil,
  shareTags,
  startTriggeredProcess,
  type TriggeredProcess,
} from '../../support/triggered.ts';
import {
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

const IDLE_SECONDS = 4;
const settings = {
  ALMANAC_SESSION_IDLE_SECONDS: String(IDLE_SECONDS),
  ALMANAC_SESSION_SWEEP_SECONDS: '1',
};
const ns = createNamespace('live', settings);
const pool = createPool(ns.config.databaseUrl, 2);
const redis = createRedis(ns.config);
const aggregator = new StreamAggregator(ns.config);
const bridge = new InsightBridge(ns.config, { log: silentLogger });
const workers: TriggeredProcess[] = [];
let model: FakeMessagesApi;
let api: RunningApi;
let client: Client;
let producer: Producer;

const READER = 'reader-7';
const spotlights: { text: string; model: string }[] = [];
const activity: { eventId: string; tags: string[] }[] = [];

function startWorker(): Promise<TriggeredProcess> {
  return startTriggeredProcess('worker', ns.config, {
    ...settings,
    ALMANAC_TEST_SWEEP: 'on',
    ANTHROPIC_API_KEY: 'sk-test-key',
    ANTHROPIC_BASE_URL: model.baseUrl,
    ALMANAC_LLM_TIMEOUT_MS: '120000',
    // The killed worker's stalled job is expected; its warning would only be noise.
    LOG_LEVEL: process.env.LIVE_LOG ?? 'error',
  });
}

async function read(secondsAgo: number, tags: string[], n: number): Promise<void> {
  const event = {
    event_id: `live-${n}`,
    user_id: READER,
    timestamp: new Date(Date.now() - secondsAgo * 1000).toISOString(),
    type: 'read',
    url: `https://paper.example/${n}`,
    domain: 'paper.example',
    title: 'A title that must not reach the model',
    tags,
  };
  await producer.send({
    topic: topicNames(ns.config).events,
    acks: -1,
    messages: [{ key: READER, value: JSON.stringify(event) }],
  });
}

async function graphql<T>(query: string): Promise<T> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

beforeAll(async () => {
  await ns.migrate();
  // Other readers read about chess too, so the tags are topics the model may be told about.
  await shareTags(pool, ['chess', 'openings']);
  model = await startFakeMessagesApi();
  await aggregator.start();
  await bridge.start();
  api = await startApi(ns.config);
  producer = createKafka(ns.config, 'test').producer({ idempotent: true });
  await producer.connect();

  client = createClient({
    url: api.url.replace(/^http:/, 'ws:'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const sink = <T>(into: T[], field: string) => ({
    next: (result: { data?: Record<string, unknown> | null }) => {
      if (result.data?.[field]) into.push(result.data[field] as T);
    },
    error: (error: unknown) => {
      throw error;
    },
    complete: () => undefined,
  });
  client.subscribe(
    { query: `subscription { spotlightUpdated(userId: "${READER}") { text model } }` },
    sink(spotlights, 'spotlightUpdated'),
  );
  client.subscribe(
    { query: `subscription { recentActivity(userId: "${READER}") { eventId tags } }` },
    sink(activity, 'recentActivity'),
  );
  // Both subscriptions are live once the API holds two of them.
  await pollUntil(async () => api.liveStats().subscriptions === 2, 10_000, 'two subscriptions');
});

afterAll(async () => {
  await client?.dispose();
  await Promise.all(workers.map((worker) => worker.stop()));
  await producer?.disconnect();
  await api?.stop();
  await bridge.stop();
  await aggregator.stop();
  await model?.close();
  redis.disconnect();
  await pool.end();
  await ns.cleanup();
});

describe('a live reading session', () => {
  it('streams each event, ends once after the idle limit, and is narrated once through a worker crash', async () => {
    model.script({ hang: true });
    workers.push(await startWorker());

    // Seconds apart, within the shortened idle limit of each other.
    await read(2, ['chess'], 1);
    await read(1, ['chess', 'openings'], 2);
    await read(0, ['chess'], 3);
    await pollUntil(async () => activity.length === 3, 30_000, 'three live events');
    expect(activity.map((event) => event.eventId)).toEqual(['live-1', 'live-2', 'live-3']);

    // The idle limit passes in wall time: the timer closes the session, the bridge queues its
    // spotlight and the worker asks the model, which does not answer.
    await pollUntil(async () => model.requests.length === 1, 60_000, 'the model asked');
    const sessions = await pool.query(
      'SELECT events, closed_by, top_tags FROM user_sessions WHERE user_id = $1',
      [READER],
    );
    expect(sessions.rows).toEqual([
      { events: 3, closed_by: 'idle', top_tags: ['chess', 'openings'] },
    ]);

    // Killed mid-job; the next worker finds the job stalled and runs it again.
    await workers[0]!.crash();
    model.script(
      messageAnswer('Chess had your full attention this week, openings above all.', {
        input_tokens: 310,
        output_tokens: 14,
      }),
    );
    workers.push(await startWorker());
    await pollUntil(async () => spotlights.length === 1, 60_000, 'the spotlight delivered');

    // Give a duplicate time to show up, then count everything once more.
    await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_SECONDS * 1000));
    expect(spotlights).toEqual([
      {
        text: 'Chess had your full attention this week, openings above all.',
        model: 'claude-haiku-4-5',
      },
    ]);
    expect(model.requests).toHaveLength(2);
    for (const request of model.requests) {
      expect(request.raw).not.toContain(READER);
      expect(request.raw).not.toContain('A title that must not reach the model');
      expect(request.raw).toContain('chess');
    }
    const stored = await pool.query('SELECT user_id, model FROM user_spotlights');
    expect(stored.rows).toEqual([{ user_id: READER, model: 'claude-haiku-4-5' }]);
    const costs = await pool.query('SELECT job_kind, input_tokens FROM llm_costs');
    expect(costs.rows).toEqual([{ job_kind: 'spotlight', input_tokens: 310 }]);
    const again = await pool.query('SELECT count(*)::int AS n FROM user_sessions');
    expect(again.rows[0].n).toBe(1);

    const ttl = await redis.ttl(redisKeys.spotlight(READER));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 60 * 60);

    // The API answers what the subscriber heard, and the closed session.
    const { user } = await graphql<{
      user: { spotlight: { text: string }; sessions: { events: number; ongoing: boolean }[] };
    }>(`{ user(id: "${READER}") { spotlight { text } sessions(last: 5) { events ongoing } } }`);
    expect(user.spotlight.text).toBe(spotlights[0]!.text);
    expect(user.sessions).toEqual([{ events: 3, ongoing: false }]);

    // The next event starts a new session rather than reopening the closed one.
    await read(0, ['go'], 4);
    await pollUntil(async () => activity.length === 4, 30_000, 'the fourth live event');
    const next = await graphql<{ user: { sessions: { events: number; ongoing: boolean }[] } }>(
      `{ user(id: "${READER}") { sessions(last: 5) { events ongoing } } }`,
    );
    expect(next.user.sessions).toEqual([
      { events: 1, ongoing: true },
      { events: 3, ongoing: false },
    ]);
  });
});
