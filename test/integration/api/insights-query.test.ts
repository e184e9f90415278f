import net from 'node:net';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoaders } from '../../../src/api/loaders.ts';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createPrisma } from '../../../src/serving/prisma.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { createNamespace } from '../../support/namespace.ts';
import {
  ask,
  cacheSpotlight,
  recordingLogger,
  seedAchievements,
  seedEmergingInterests,
  seedOpenSession,
  seedSessions,
  seedSpotlights,
  seedUsers,
  storedSpotlight,
  type SeedSession,
} from './api-fixtures.ts';

const ns = createNamespace('api_insights');
let pool: pg.Pool;
let redis: Redis;
let api: RunningApi;

const SPOTLIGHT = 'spotlight { text model fallbackFrom sessionStartedAt sessionEndedAt createdAt }';

/** Closed session `index` of reader `userId`: an hour each, a day apart, from 2024-03-01. */
function closedSession(userId: string, index: number): SeedSession {
  const start = Date.UTC(2024, 2, 1 + index, 9);
  return {
    userId,
    startedAt: new Date(start).toISOString(),
    endedAt: new Date(start + 3_600_000).toISOString(),
    events: 10 + index,
    tagCounts: { [`tag-${index}`]: 7, shared: 3, rare: 1 },
    topTags: [`tag-${index}`, 'shared', 'rare'],
    closedBy: index % 2 === 0 ? 'gap' : 'idle',
  };
}

function sessionAnswer(session: SeedSession) {
  return {
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    events: session.events,
    topTags: session.topTags.map((tag) => ({ tag, count: session.tagCounts[tag] })),
    closedBy: session.closedBy,
    ongoing: false,
  };
}

const readerSessions = Array.from({ length: 12 }, (_, index) => closedSession('reader', index));

beforeAll(async () => {
  await ns.migrate();
  pool = createPool(ns.config.databaseUrl);
  redis = createRedis(ns.config);

  await seedUsers(pool, [
    { id: 'reader' },
    { id: 'cached' },
    { id: 'stale-cache' },
    { id: 'closed-only' },
    { id: 'quiet' },
  ]);

  await seedSpotlights(pool, [
    storedSpotlight('reader', {
      factId: 'older',
      text: 'Older.',
      createdAt: '2024-05-01T00:00:00Z',
    }),
    storedSpotlight('reader', {
      factId: 'newest',
      text: 'Newest, written offline.',
      model: 'offline',
      fallbackFrom: 'claude-haiku-4-5',
      createdAt: '2024-06-02T08:00:00Z',
    }),
    storedSpotlight('reader', {
      factId: 'middle',
      text: 'Middle.',
      createdAt: '2024-06-01T00:00:00Z',
    }),
    storedSpotlight('cached', { factId: 'in-table', text: 'From the table.' }),
    storedSpotlight('stale-cache', { factId: 'stale', text: 'From the table, not the junk.' }),
  ]);
  await cacheSpotlight(redis, storedSpotlight('cached', { text: 'From Redis.' }));
  await redis.set('user:stale-cache:spotlight', '{"v":0,"words":"not a spotlight"}');

  await seedAchievements(pool, 'reader', [
    ['streak-7', 'streak', 7, '2024-03-07T21:00:00Z'],
    ['events-100', 'events', 100, '2024-02-10T12:00:00Z'],
    ['anniversary-1', 'anniversary', 1, '2024-03-07T21:00:00Z'],
  ]);
  await seedEmergingInterests(pool, 'reader', [
    ['astronomy', '2024-03-01T09:00:00Z', '2024-03-02T10:00:00Z', 3],
    ['poetry', '2024-03-05T09:00:00Z', '2024-03-09T10:00:00Z', 4],
    ['chess', '2024-02-01T09:00:00Z', '2024-02-03T10:00:00Z', 3],
  ]);

  await seedSessions(pool, readerSessions);
  await seedSessions(pool, [closedSession('closed-only', 0), closedSession('closed-only', 1)]);
  await seedOpenSession(pool, {
    userId: 'reader',
    startedAt: '2024-04-01T08:00:00Z',
    lastEventAt: '2024-04-01T08:25:30Z',
    events: 9,
    tagCounts: { b: 2, a: 2, c: 1, top: 4, d: 1, e: 1, f: 1 },
  });
  // A reader whose state row has no open session.
  await pool.query(
    `INSERT INTO user_insight_state (user_id, streak_days) VALUES ('closed-only', 3)`,
  );

  api = await startApi(ns.config, recordingLogger());
});

afterAll(async () => {
  await api?.stop();
  await pool?.end();
  redis?.disconnect();
  await ns.cleanup();
});

describe('User.spotlight', () => {
  it('gives the newest spotlight from PostgreSQL when Redis has none', async () => {
    const answer = await ask(api.url, `{ user(id: "reader") { ${SPOTLIGHT} } }`);
    expect(answer).toEqual({
      data: {
        user: {
          spotlight: {
            text: 'Newest, written offline.',
            model: 'offline',
            fallbackFrom: 'claude-haiku-4-5',
            sessionStartedAt: '2024-06-01T10:00:00.000Z',
            sessionEndedAt: '2024-06-01T10:40:00.000Z',
            createdAt: '2024-06-02T08:00:00.000Z',
          },
        },
      },
    });
  });

  it('prefers the copy in Redis', async () => {
    const answer = await ask(api.url, `{ user(id: "cached") { ${SPOTLIGHT} } }`);
    expect(answer.data).toEqual({
      user: {
        spotlight: {
          text: 'From Redis.',
          model: 'claude-haiku-4-5',
          fallbackFrom: null,
          sessionStartedAt: '2024-06-01T10:00:00.000Z',
          sessionEndedAt: '2024-06-01T10:40:00.000Z',
          createdAt: '2024-06-01T11:15:00.000Z',
        },
      },
    });
  });

  it('reads PostgreSQL when the Redis value is not a spotlight', async () => {
    const answer = await ask(api.url, '{ user(id: "stale-cache") { spotlight { text } } }');
    expect(answer.data).toEqual({ user: { spotlight: { text: 'From the table, not the junk.' } } });
  });

  it('is null for a reader without one', async () => {
    const answer = await ask(api.url, '{ user(id: "quiet") { spotlight { text } } }');
    expect(answer).toEqual({ data: { user: { spotlight: null } } });
  });

  it('reads PostgreSQL when Redis is down', async () => {
    const vacant = net.createServer();
    await new Promise<void>((resolve) => vacant.listen(0, '127.0.0.1', resolve));
    const port = (vacant.address() as net.AddressInfo).port;
    await new Promise((resolve) => vacant.close(resolve));

    const log = recordingLogger();
    const prisma = createPrisma(ns.config.databaseUrl);
    const deadRedis = createRedis(
      { redisUrl: `redis://127.0.0.1:${port}`, redisKeyPrefix: ns.config.redisKeyPrefix },
      { failFast: true },
    );
    deadRedis.on('error', () => undefined);
    try {
      const loaders = createLoaders({ prisma, redis: deadRedis, log });
      const [cached, reader] = await Promise.all([
        loaders.spotlight.load('cached'),
        loaders.spotlight.load('reader'),
      ]);
      expect(cached?.text).toBe('From the table.');
      expect(reader?.text).toBe('Newest, written offline.');
      expect(log.records.map((record) => record.message)).toContain(
        'spotlight cache unreadable; reading PostgreSQL',
      );
    } finally {
      deadRedis.disconnect();
      await prisma.$disconnect();
    }
  });
});

describe('User.achievements and User.emergingInterests', () => {
  it('gives achievements earliest first, ties by code', async () => {
    const answer = await ask(
      api.url,
      '{ user(id: "reader") { achievements { code kind threshold reachedAt } } }',
    );
    expect(answer.data).toEqual({
      user: {
        achievements: [
          {
            code: 'events-100',
            kind: 'events',
            threshold: 100,
            reachedAt: '2024-02-10T12:00:00.000Z',
          },
          {
            code: 'anniversary-1',
            kind: 'anniversary',
            threshold: 1,
            reachedAt: '2024-03-07T21:00:00.000Z',
          },
          { code: 'streak-7', kind: 'streak', threshold: 7, reachedAt: '2024-03-07T21:00:00.000Z' },
        ],
      },
    });
  });

  it('gives emerging interests newest first', async () => {
    const answer = await ask(
      api.url,
      '{ user(id: "reader") { emergingInterests { tag firstSeenAt emergedAt events } } }',
    );
    expect(answer.data).toEqual({
      user: {
        emergingInterests: [
          {
            tag: 'poetry',
            firstSeenAt: '2024-03-05T09:00:00.000Z',
            emergedAt: '2024-03-09T10:00:00.000Z',
            events: 4,
          },
          {
            tag: 'astronomy',
            firstSeenAt: '2024-03-01T09:00:00.000Z',
            emergedAt: '2024-03-02T10:00:00.000Z',
            events: 3,
          },
          {
            tag: 'chess',
            firstSeenAt: '2024-02-01T09:00:00.000Z',
            emergedAt: '2024-02-03T10:00:00.000Z',
            events: 3,
          },
        ],
      },
    });
  });

  it('gives empty lists to a reader with neither', async () => {
    const answer = await ask(
      api.url,
      '{ user(id: "quiet") { achievements { code } emergingInterests { tag } sessions { events } } }',
    );
    expect(answer.data).toEqual({
      user: { achievements: [], emergingInterests: [], sessions: [] },
    });
  });
});

describe('User.sessions', () => {
  const FIELDS = 'startedAt endedAt events topTags { tag count } closedBy ongoing';

  it('puts the ongoing session first, then the closed ones newest first, 10 in all', async () => {
    const answer = await ask<{ user: { sessions: unknown[] } }>(
      api.url,
      `{ user(id: "reader") { sessions { ${FIELDS} } } }`,
    );
    const sessions = answer.data!.user.sessions;
    expect(sessions).toHaveLength(10);
    expect(sessions[0]).toEqual({
      startedAt: '2024-04-01T08:00:00.000Z',
      endedAt: '2024-04-01T08:25:30.000Z',
      events: 9,
      // Most first, ties in code point order, at most five.
      topTags: [
        { tag: 'top', count: 4 },
        { tag: 'a', count: 2 },
        { tag: 'b', count: 2 },
        { tag: 'c', count: 1 },
        { tag: 'd', count: 1 },
      ],
      closedBy: null,
      ongoing: true,
    });
    expect(sessions.slice(1)).toEqual(
      readerSessions
        .slice(3)
        .reverse()
        .map((session) => sessionAnswer(session)),
    );
  });

  it('takes last from 1 to 100, several values in one query', async () => {
    const answer = await ask<{
      user: {
        one: { ongoing: boolean }[];
        three: { ongoing: boolean }[];
        all: unknown[];
        unset: unknown[];
        omitted: unknown[];
      };
    }>(
      api.url,
      `{ user(id: "reader") {
           one: sessions(last: 1) { ongoing }
           three: sessions(last: 3) { ongoing }
           all: sessions(last: 100) { startedAt }
           unset: sessions(last: null) { startedAt }
           omitted: sessions { startedAt }
         } }`,
    );
    const { one, three, all, unset, omitted } = answer.data!.user;
    expect(one).toEqual([{ ongoing: true }]);
    expect(three).toEqual([{ ongoing: true }, { ongoing: false }, { ongoing: false }]);
    expect(all).toHaveLength(13);
    // Left out or null, last is 10.
    expect(unset).toEqual(all.slice(0, 10));
    expect(omitted).toEqual(all.slice(0, 10));
  });

  it('gives only closed sessions to a reader with none open', async () => {
    const answer = await ask(api.url, `{ user(id: "closed-only") { sessions { ${FIELDS} } } }`);
    expect(answer.data).toEqual({
      user: {
        sessions: [
          sessionAnswer(closedSession('closed-only', 1)),
          sessionAnswer(closedSession('closed-only', 0)),
        ],
      },
    });
  });

  it.each([0, 101, -5])('refuses last: %i with BAD_USER_INPUT', async (last) => {
    const answer = await ask(
      api.url,
      `{ user(id: "reader") { sessions(last: ${last}) { events } } }`,
    );
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]).toMatchObject({
      message: `last must be from 1 to 100, got ${last}`,
      path: ['user', 'sessions'],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('several readers', () => {
  it('answers each reader with their own insights, null for an unknown one', async () => {
    const answer = await ask(
      api.url,
      `{ users(ids: ["cached", "nobody", "closed-only", "reader"]) {
           id spotlight { text } achievements { code } sessions(last: 1) { ongoing events }
         } }`,
    );
    expect(answer.data).toEqual({
      users: [
        { id: 'cached', spotlight: { text: 'From Redis.' }, achievements: [], sessions: [] },
        null,
        {
          id: 'closed-only',
          spotlight: null,
          achievements: [],
          sessions: [{ ongoing: false, events: 11 }],
        },
        {
          id: 'reader',
          spotlight: { text: 'Newest, written offline.' },
          achievements: [{ code: 'events-100' }, { code: 'anniversary-1' }, { code: 'streak-7' }],
          sessions: [{ ongoing: true, events: 9 }],
        },
      ],
    });
  });
});
