import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { createPool } from '../../../src/serving/postgres.ts';
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
  sqlStatements,
  storedSpotlight,
} from './api-fixtures.ts';

const ns = createNamespace('api_batching');
const log = recordingLogger();
let pool: pg.Pool;
let redis: Redis;
let api: RunningApi;

const ids = Array.from({ length: 50 }, (_, i) => `reader-${String(i).padStart(2, '0')}`);

const LIST_QUERY = `query ($ids: [ID!]!) {
  users(ids: $ids) {
    id totalEvents
    topTags(limit: 3) { tag count }
    topPublications { domain count }
    temporalPatterns { hourOfDay }
  }
}`;

const INSIGHTS_QUERY = `query ($ids: [ID!]!) {
  users(ids: $ids) {
    id
    spotlight { text }
    achievements { code }
    emergingInterests { tag }
    sessions(last: 3) { events ongoing }
    latest: sessions(last: 1) { startedAt }
  }
}`;

async function dropCachedProfiles(): Promise<void> {
  await redis.del(...ids.map((id) => `user:${id}:profile`));
}

async function dropCachedSpotlights(): Promise<void> {
  await redis.del(...ids.map((id) => `user:${id}:spotlight`));
}

beforeAll(async () => {
  await ns.migrate();
  pool = createPool(ns.config.databaseUrl);
  redis = createRedis(ns.config);
  await seedUsers(
    pool,
    ids.map((id, i) => ({
      id,
      totalEvents: 1000 + i,
      tags: { [`tag-${i}`]: i + 1, shared: 1 },
      publications: { [`site-${i}.example`]: 2 },
    })),
  );
  for (const [i, id] of ids.entries()) {
    await seedSpotlights(pool, [storedSpotlight(id, { factId: `spotlight-${id}` })]);
    await seedAchievements(pool, id, [[`events-${i}`, 'events', i, '2024-01-01T00:00:00Z']]);
    await seedEmergingInterests(pool, id, [
      [`tag-${i}`, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 3],
    ]);
    await seedSessions(pool, [
      {
        userId: id,
        startedAt: '2024-01-01T09:00:00Z',
        endedAt: '2024-01-01T09:30:00Z',
        events: i + 1,
        tagCounts: {},
        topTags: [],
        closedBy: 'gap',
      },
    ]);
    if (i % 2 === 0) {
      await seedOpenSession(pool, {
        userId: id,
        startedAt: '2024-01-02T09:00:00Z',
        lastEventAt: '2024-01-02T09:10:00Z',
        events: 2,
        tagCounts: { [`tag-${i}`]: 2 },
      });
    }
  }
  api = await startApi(ns.config, log);
});

beforeEach(async () => {
  await dropCachedProfiles();
  await dropCachedSpotlights();
  log.records.length = 0;
});

afterAll(async () => {
  await api?.stop();
  await pool?.end();
  redis?.disconnect();
  await ns.cleanup();
});

describe('reading many readers', () => {
  it('costs the same three SQL statements for one reader as for fifty', async () => {
    const one = await ask(api.url, LIST_QUERY, { ids: ids.slice(0, 1) });
    expect(one.errors).toBeUndefined();
    const forOne = sqlStatements(log.records);

    await dropCachedProfiles();
    log.records.length = 0;
    const fifty = await ask<{ users: { id: string; totalEvents: number; topTags: unknown[] }[] }>(
      api.url,
      LIST_QUERY,
      { ids },
    );
    const forFifty = sqlStatements(log.records);

    expect(forOne).toBe(3);
    expect(forFifty).toBe(3);
    expect(fifty.data!.users).toHaveLength(50);
    expect(fifty.data!.users[7]).toMatchObject({
      id: 'reader-07',
      totalEvents: 1007,
      topTags: [
        { tag: 'tag-7', count: 8 },
        { tag: 'shared', count: 1 },
      ],
    });
  });

  it('batches single-reader fields of one query together', async () => {
    const fields = ids
      .slice(0, 20)
      .map((id, i) => `r${i}: user(id: "${id}") { totalEvents topTags { tag } }`)
      .join('\n');
    const answer = await ask(api.url, `{ ${fields} }`);

    expect(answer.errors).toBeUndefined();
    expect(sqlStatements(log.records)).toBe(3);
  });

  it('runs no SQL at all once the profiles are cached', async () => {
    await ask(api.url, LIST_QUERY, { ids });
    log.records.length = 0;

    const again = await ask<{ users: unknown[] }>(api.url, LIST_QUERY, { ids });
    expect(again.data!.users).toHaveLength(50);
    expect(sqlStatements(log.records)).toBe(0);
  });

  it('reads only the uncached readers from PostgreSQL', async () => {
    await ask(api.url, LIST_QUERY, { ids: ids.slice(0, 25) });
    log.records.length = 0;

    await ask(api.url, LIST_QUERY, { ids });
    const batch = log.records.find((record) => record.message === 'profiles read');
    expect(batch?.context).toEqual({ cached: 25, fromDatabase: 25, unknown: 0 });
    expect(sqlStatements(log.records)).toBe(3);
  });

  it('reads the insights of one reader and of fifty in the same seven statements', async () => {
    const one = await ask(api.url, INSIGHTS_QUERY, { ids: ids.slice(0, 1) });
    expect(one.errors).toBeUndefined();
    const forOne = sqlStatements(log.records);

    await dropCachedProfiles();
    log.records.length = 0;
    const fifty = await ask<{ users: Record<string, unknown>[] }>(api.url, INSIGHTS_QUERY, { ids });
    const forFifty = sqlStatements(log.records);

    // Three for the profiles; one each for spotlights, achievements, interests and sessions,
    // the two sessions fields of different lengths included.
    expect(forOne).toBe(7);
    expect(forFifty).toBe(7);
    expect(fifty.errors).toBeUndefined();
    expect(fifty.data!.users[6]).toEqual({
      id: 'reader-06',
      spotlight: { text: 'Spotlight for reader-06.' },
      achievements: [{ code: 'events-6' }],
      emergingInterests: [{ tag: 'tag-6' }],
      sessions: [
        { events: 2, ongoing: true },
        { events: 7, ongoing: false },
      ],
      latest: [{ startedAt: '2024-01-02T09:00:00.000Z' }],
    });
    expect(fifty.data!.users[7]).toMatchObject({
      sessions: [{ events: 8, ongoing: false }],
      latest: [{ startedAt: '2024-01-01T09:00:00.000Z' }],
    });
  });

  it('reads spotlights from PostgreSQL only for the readers Redis lacks', async () => {
    for (const id of ids)
      await cacheSpotlight(redis, storedSpotlight(id, { text: `Cached ${id}.` }));
    await ask(api.url, LIST_QUERY, { ids });
    log.records.length = 0;

    // Profiles and spotlights cached: achievements, interests and sessions remain.
    const cached = await ask<{ users: { spotlight: { text: string } }[] }>(
      api.url,
      INSIGHTS_QUERY,
      { ids },
    );
    expect(sqlStatements(log.records)).toBe(3);
    expect(cached.data!.users[3]!.spotlight).toEqual({ text: 'Cached reader-03.' });

    await redis.del('user:reader-03:spotlight');
    log.records.length = 0;
    const partly = await ask<{ users: { spotlight: { text: string } }[] }>(
      api.url,
      INSIGHTS_QUERY,
      { ids },
    );
    expect(sqlStatements(log.records)).toBe(4);
    expect(partly.data!.users[3]!.spotlight).toEqual({ text: 'Spotlight for reader-03.' });
    expect(partly.data!.users[4]!.spotlight).toEqual({ text: 'Cached reader-04.' });
  });

  it('refuses more than 100 ids with BAD_USER_INPUT', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `x${i}`);
    const answer = await ask(api.url, LIST_QUERY, { ids: tooMany });
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toBe('ids may name at most 100 readers, got 101');
    expect(sqlStatements(log.records)).toBe(0);
  });
});
