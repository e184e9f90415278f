import type { Socket } from 'node:net';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../../src/api/subscriptions/live-server.ts';
import { channels } from '../../../src/serving/channels.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { waitUntil } from '../../support/aggregates.ts';
import { createNamespace } from '../../support/namespace.ts';
import { recordingLogger, storedSpotlight, type SeedEvent } from './api-fixtures.ts';

const ns = createNamespace('api_live');
const live = channels(ns.config.redisKeyPrefix);
let api: RunningApi;
let publisher: Redis;
const clients: Client[] = [];

const SPOTLIGHT = `subscription ($userId: ID!) {
  spotlightUpdated(userId: $userId) {
    text model fallbackFrom sessionStartedAt sessionEndedAt createdAt
  }
}`;
const ACTIVITY = `subscription ($userId: ID!) {
  recentActivity(userId: $userId) { eventId timestamp type url domain title tags }
}`;

function wsUrl(running: RunningApi): string {
  return running.url.replace(/^http:/, 'ws:');
}

/** A graphql-ws client on `running`'s gateway address, closed after each test. */
function connect(running: RunningApi = api): Client {
  const client = createClient({
    url: wsUrl(running),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

interface Subscription {
  results: FormattedExecutionResult<Record<string, unknown>, unknown>[];
  errors: unknown[];
  completed: boolean;
  stop(): void;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown>) {
  const subscription: Subscription = { results: [], errors: [], completed: false, stop: () => {} };
  subscription.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => subscription.results.push(result),
      error: (error) => subscription.errors.push(error),
      complete: () => {
        subscription.completed = true;
      },
    },
  );
  return subscription;
}

async function subscribers(channel: string): Promise<number> {
  const [, count] = (await publisher.pubsub('NUMSUB', channel)) as [string, number];
  return Number(count);
}

async function untilSubscribers(channel: string, count: number): Promise<void> {
  await waitUntil(
    async () => (await subscribers(channel)) === count,
    10_000,
    `${count} subscribers on ${channel}`,
  );
}

/** Waits until `running` holds no connection, channel or subscription: nothing left behind. */
async function untilIdle(running: RunningApi): Promise<void> {
  const idle = () => Object.values(running.liveStats()).every((count) => count === 0);
  await waitUntil(async () => idle(), 5000, 'the live server to hold nothing');
  expect(running.liveStats()).toEqual({ connections: 0, channels: 0, subscriptions: 0 });
}

function event(id: string, minute: number, extra: Partial<SeedEvent> = {}): SeedEvent {
  return {
    event_id: id,
    timestamp: new Date(Date.UTC(2024, 5, 1, 10, minute)).toISOString(),
    type: 'read',
    tags: ['sea'],
    ...extra,
  };
}

beforeAll(async () => {
  await ns.migrate();
  api = await startApi(ns.config, recordingLogger());
  publisher = createRedis({ redisUrl: ns.config.redisUrl, redisKeyPrefix: '' });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.dispose();
});

afterAll(async () => {
  await api?.stop();
  publisher?.disconnect();
  await ns.cleanup();
});

describe('spotlightUpdated', () => {
  it('delivers exactly the spotlights published on the reader channel', async () => {
    const subscription = subscribe(connect(), SPOTLIGHT, { userId: 'reader-1' });
    await untilSubscribers(live.spotlight('reader-1'), 1);

    const first = storedSpotlight('reader-1', { text: 'First.' });
    const second = storedSpotlight('reader-1', {
      text: 'Second, offline.',
      model: 'offline',
      fallbackFrom: 'claude-haiku-4-5',
      createdAt: '2024-06-01T13:15:00+02:00',
    });
    await publisher.publish(live.spotlight('reader-1'), JSON.stringify(first));
    await publisher.publish(live.spotlight('reader-1'), 'not a spotlight');
    await publisher.publish(live.spotlight('reader-2'), JSON.stringify(first));
    await publisher.publish(live.spotlight('reader-1'), JSON.stringify(second));
    await waitUntil(async () => subscription.results.length >= 2, 10_000, 'two spotlights');

    expect(subscription.results).toEqual([
      {
        data: {
          spotlightUpdated: {
            text: 'First.',
            model: 'claude-haiku-4-5',
            fallbackFrom: null,
            sessionStartedAt: '2024-06-01T10:00:00.000Z',
            sessionEndedAt: '2024-06-01T10:40:00.000Z',
            createdAt: '2024-06-01T11:15:00.000Z',
          },
        },
      },
      {
        data: {
          spotlightUpdated: {
            text: 'Second, offline.',
            model: 'offline',
            fallbackFrom: 'claude-haiku-4-5',
            sessionStartedAt: '2024-06-01T10:00:00.000Z',
            sessionEndedAt: '2024-06-01T10:40:00.000Z',
            createdAt: '2024-06-01T11:15:00.000Z',
          },
        },
      },
    ]);
    expect(subscription.errors).toEqual([]);
  });
});

describe('recentActivity', () => {
  it('delivers each event of each published batch, oldest first', async () => {
    const subscription = subscribe(connect(), ACTIVITY, { userId: 'reader-1' });
    await untilSubscribers(live.recent('reader-1'), 1);

    const full = event('e2', 2, {
      url: 'https://news.example/2',
      domain: 'news.example',
      title: 'Tides',
      tags: ['sea', 'moon'],
    });
    await publisher.publish(live.recent('reader-1'), JSON.stringify([full, event('e1', 1)]));
    await publisher.publish(live.recent('reader-1'), JSON.stringify([event('e3', 3)]));
    await waitUntil(async () => subscription.results.length >= 3, 10_000, 'three events');

    expect(subscription.results.map((result) => result.data)).toEqual([
      {
        recentActivity: {
          eventId: 'e1',
          timestamp: '2024-06-01T10:01:00.000Z',
          type: 'read',
          url: null,
          domain: null,
          title: null,
          tags: ['sea'],
        },
      },
      {
        recentActivity: {
          eventId: 'e2',
          timestamp: '2024-06-01T10:02:00.000Z',
          type: 'read',
          url: 'https://news.example/2',
          domain: 'news.example',
          title: 'Tides',
          tags: ['sea', 'moon'],
        },
      },
      { recentActivity: expect.objectContaining({ eventId: 'e3' }) },
    ]);
  });
});

describe('several API processes', () => {
  it('delivers one publish through every process that has a subscriber', async () => {
    const other = await startApi(ns.config, recordingLogger());
    try {
      expect(other.url).not.toBe(api.url);
      const here = subscribe(connect(api), SPOTLIGHT, { userId: 'shared' });
      const there = subscribe(connect(other), SPOTLIGHT, { userId: 'shared' });
      await untilSubscribers(live.spotlight('shared'), 2);

      await publisher.publish(
        live.spotlight('shared'),
        JSON.stringify(storedSpotlight('shared', { text: 'For both.' })),
      );
      await waitUntil(
        async () => here.results.length === 1 && there.results.length === 1,
        10_000,
        'both subscribers',
      );
      for (const subscription of [here, there]) {
        expect(subscription.results[0]!.data).toMatchObject({
          spotlightUpdated: { text: 'For both.' },
        });
      }
    } finally {
      for (const client of clients.splice(0)) await client.dispose();
      await other.stop();
    }
  });

  it('closes its connections and unsubscribes when it stops', async () => {
    const other = await startApi(ns.config, recordingLogger());
    const closes: number[] = [];
    const client = createClient({
      url: wsUrl(other),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    try {
      const subscription = subscribe(client, ACTIVITY, { userId: 'stopping' });
      await untilSubscribers(live.recent('stopping'), 1);

      await other.stop();
      expect(other.liveStats()).toEqual({ connections: 0, channels: 0, subscriptions: 0 });
      await untilSubscribers(live.recent('stopping'), 0);
      await waitUntil(async () => closes.length === 1, 5000, 'the client to see the close');
      expect(closes).toEqual([1001]);
      expect(subscription.results).toEqual([]);
    } finally {
      await client.dispose();
      await other.stop();
    }
  });
});

describe('leaving', () => {
  it('unsubscribes a channel when its last subscriber leaves, and keeps nothing', async () => {
    const first = connect();
    const second = connect();
    const a = subscribe(first, SPOTLIGHT, { userId: 'leaving' });
    subscribe(second, SPOTLIGHT, { userId: 'leaving' });
    const activity = subscribe(first, ACTIVITY, { userId: 'leaving' });
    await untilSubscribers(live.spotlight('leaving'), 1);
    await untilSubscribers(live.recent('leaving'), 1);
    await waitUntil(async () => api.liveStats().subscriptions === 3, 5000, 'three listeners');
    expect(api.liveStats()).toEqual({ connections: 2, channels: 2, subscriptions: 3 });

    // One subscription completed: its channel goes, the connection and the other stay.
    activity.stop();
    await untilSubscribers(live.recent('leaving'), 0);
    expect(await subscribers(live.spotlight('leaving'))).toBe(1);

    a.stop();
    await waitUntil(async () => api.liveStats().subscriptions === 1, 5000, 'one listener');
    expect(await subscribers(live.spotlight('leaving'))).toBe(1);

    await second.dispose();
    await first.dispose();
    await untilSubscribers(live.spotlight('leaving'), 0);
    await untilIdle(api);
  });

  it('cleans up after a client that vanishes without closing', async () => {
    const socket = new WebSocket(wsUrl(api), 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const acknowledged = new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acknowledged;
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: ACTIVITY, variables: { userId: 'vanishing' } },
      }),
    );
    await untilSubscribers(live.recent('vanishing'), 1);

    socket.terminate();
    await untilSubscribers(live.recent('vanishing'), 0);
    await untilIdle(api);
  });
});

describe('refusals', () => {
  it('refuses an id that cannot name a reader with BAD_USER_INPUT', async () => {
    const subscription = subscribe(connect(), SPOTLIGHT, { userId: 'not an id' });
    await waitUntil(async () => subscription.completed, 5000, 'the refusal');

    // An error in setting up the source stream is a request error: no data at all.
    expect(subscription.results).toEqual([
      {
        errors: [
          expect.objectContaining({
            message:
              'userId must be a reader id: 1 to 128 characters, each a letter, a digit or one of . _ : @ -',
            path: ['spotlightUpdated'],
            extensions: { code: 'BAD_USER_INPUT', argument: 'userId' },
          }),
        ],
      },
    ]);
    expect(api.liveStats().channels).toBe(0);
  });

  it(`refuses more than ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions on one connection`, async () => {
    const client = connect();
    const held = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, (_, i) =>
      subscribe(client, ACTIVITY, { userId: `many-${i}` }),
    );
    await waitUntil(
      async () => api.liveStats().subscriptions === MAX_SUBSCRIPTIONS_PER_CONNECTION,
      10_000,
      'the allowed subscriptions',
    );

    const refused = subscribe(client, ACTIVITY, { userId: 'one-too-many' });
    await waitUntil(async () => refused.errors.length === 1, 5000, 'the refusal');
    expect(refused.errors[0]).toEqual([
      {
        message:
          `a connection may hold at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions; ` +
          'complete one first, or open another connection',
        extensions: { code: 'LIVE_TOO_MANY_SUBSCRIPTIONS' },
      },
    ]);

    // Completing one makes room again.
    held[0]!.stop();
    await waitUntil(
      async () => api.liveStats().subscriptions === MAX_SUBSCRIPTIONS_PER_CONNECTION - 1,
      5000,
      'the completed one to go',
    );
    const again = subscribe(client, ACTIVITY, { userId: 'one-more' });
    await untilSubscribers(live.recent('one-more'), 1);
    expect(again.errors).toEqual([]);
  });

  it('refuses queries and invalid operations with the reason', async () => {
    const client = connect();
    const query = subscribe(client, '{ _subscriptionsOnly }', {});
    const invalid = subscribe(
      client,
      'subscription { spotlightUpdated(userId: "x") { nope } }',
      {},
    );
    await waitUntil(
      async () => query.errors.length === 1 && invalid.errors.length === 1,
      5000,
      'the refusals',
    );

    expect(query.errors[0]).toEqual([
      {
        message:
          'only subscriptions are served over WebSocket; send queries to the same URL over HTTP POST',
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);
    expect(invalid.errors[0]).toEqual([
      expect.objectContaining({ message: 'Cannot query field "nope" on type "Spotlight".' }),
    ]);
  });

  it('closes a connection that sends a message over 64 KiB', async () => {
    const socket = new WebSocket(wsUrl(api), 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(65 * 1024) } }),
    );
    expect(await closed).toBe(1009);
  });

  it('refuses a browser page from another origin', async () => {
    const socket = new WebSocket(wsUrl(api), 'graphql-transport-ws', {
      origin: 'https://elsewhere.example',
    });
    const status = await new Promise<number>((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode!));
      socket.once('open', () => reject(new Error('the connection was accepted')));
    });
    expect(status).toBe(401);
  });
});

describe('a client that does not keep up', () => {
  it('has its subscription ended rather than buffered without bound', async () => {
    const socket = new WebSocket(wsUrl(api), 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const messages: { id?: string; type: string; payload?: unknown }[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await waitUntil(async () => messages.length === 1, 5000, 'the acknowledgement');
    socket.send(
      JSON.stringify({
        id: 'slow',
        type: 'subscribe',
        payload: { query: SPOTLIGHT, variables: { userId: 'slow' } },
      }),
    );
    await untilSubscribers(live.spotlight('slow'), 1);

    // The client stops reading; the server keeps publishing 64 KB spotlights until it gives up.
    (socket as unknown as { _socket: Socket })._socket.pause();
    const spotlight = JSON.stringify(storedSpotlight('slow', { text: 'x'.repeat(64 * 1024) }));
    let published = 0;
    while ((await subscribers(live.spotlight('slow'))) > 0) {
      if (published > 4000) throw new Error('the subscription was never ended');
      const batch = publisher.pipeline();
      for (let i = 0; i < 50; i += 1) batch.publish(live.spotlight('slow'), spotlight);
      await batch.exec();
      published += 50;
    }

    // Unsubscribed while the client still reads nothing; the connection itself stays.
    await waitUntil(async () => api.liveStats().channels === 0, 5000, 'the hub to forget it');
    expect(api.liveStats()).toEqual({ connections: 1, channels: 0, subscriptions: 0 });

    (socket as unknown as { _socket: Socket })._socket.resume();
    await waitUntil(
      async () => messages.some((message) => message.type === 'error'),
      30_000,
      'the error',
    );
    const delivered = messages.filter((message) => message.type === 'next').length;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(published);
    expect(messages.find((message) => message.type === 'error')).toEqual({
      id: 'slow',
      type: 'error',
      payload: [
        {
          message: expect.stringMatching(/^the connection is not reading updates as fast/),
          extensions: { code: 'LIVE_SUBSCRIBER_TOO_SLOW' },
        },
      ],
    });
    socket.close();
  });
});
