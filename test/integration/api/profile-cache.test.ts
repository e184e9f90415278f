import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileCache } from '../../../src/api/profile-cache.ts';
import type { Profile } from '../../../src/api/profile.ts';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { createNamespace } from '../../support/namespace.ts';
import { ask, recordingLogger, seedUsers } from './api-fixtures.ts';

const ns = createNamespace('api_cache');
let pool: pg.Pool;
let redis: Redis;
let api: RunningApi;

const QUERY = '{ user(id: "reader") { totalEvents topTags { tag count } } }';

function profile(id: string, totalEvents: bigint): Profile {
  return {
    id,
    totalEvents,
    activeDays: 1,
    firstEventAt: new Date('2024-01-01T00:00:00Z'),
    lastEventAt: null,
    hourOfDay: Array(24).fill(0),
    dayOfWeek: Array(7).fill(0),
    topTags: [{ tag: 'history', count: 2n }],
    topPublications: [],
  };
}

beforeAll(async () => {
  await ns.migrate();
  pool = createPool(ns.config.databaseUrl);
  redis = createRedis(ns.config);
  await seedUsers(pool, [{ id: 'reader', totalEvents: 10, tags: { history: 4 } }]);
  api = await startApi(ns.config);
});

afterAll(async () => {
  await api?.stop();
  await pool?.end();
  redis?.disconnect();
  await ns.cleanup();
});

describe('the profile cache through the API', () => {
  it('serves the cached profile until the key is deleted, then the new rows', async () => {
    expect((await ask(api.url, QUERY)).data).toEqual({
      user: { totalEvents: 10, topTags: [{ tag: 'history', count: 4 }] },
    });
    const ttl = await redis.ttl('user:reader:profile');
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);

    await pool.query(`UPDATE users SET total_events = 11 WHERE id = 'reader'`);
    await pool.query(`UPDATE user_tag_counts SET count = 5 WHERE user_id = 'reader'`);
    expect((await ask(api.url, QUERY)).data).toEqual({
      user: { totalEvents: 10, topTags: [{ tag: 'history', count: 4 }] },
    });

    // What the stream aggregator does after committing new counts.
    await redis.del('user:reader:profile');
    expect((await ask(api.url, QUERY)).data).toEqual({
      user: { totalEvents: 11, topTags: [{ tag: 'history', count: 5 }] },
    });
  });

  it('does not cache unknown readers', async () => {
    expect((await ask(api.url, '{ user(id: "ghost") { id } }')).data).toEqual({ user: null });
    expect(await redis.exists('user:ghost:profile')).toBe(0);
  });

  it('treats a value in another layout as a miss and replaces it', async () => {
    await redis.set('user:reader:profile', '{"old":"layout"}');
    expect((await ask(api.url, QUERY)).data).toEqual({
      user: { totalEvents: 11, topTags: [{ tag: 'history', count: 5 }] },
    });
    expect(await redis.get('user:reader:profile')).toMatch(/^\{"v":1,/);
  });
});

describe('ProfileCache leases', () => {
  const cache = () => new ProfileCache(redis, recordingLogger());

  it('fills a key whose lease is still in place', async () => {
    const token = await cache().lease(['lease-a']);
    await cache().fill(token!, ['lease-a'], new Map([['lease-a', profile('lease-a', 7n)]]));

    const read = await cache().read(['lease-a']);
    expect(read.get('lease-a')).toEqual(profile('lease-a', 7n));
  });

  it('does not fill a key deleted while its rows were being read', async () => {
    const token = await cache().lease(['lease-b']);
    await redis.del('user:lease-b:profile');
    await cache().fill(token!, ['lease-b'], new Map([['lease-b', profile('lease-b', 7n)]]));

    expect(await redis.exists('user:lease-b:profile')).toBe(0);
  });

  it('leaves the key to a later lease', async () => {
    const first = await cache().lease(['lease-c']);
    const second = await cache().lease(['lease-c']);
    await cache().fill(first!, ['lease-c'], new Map([['lease-c', profile('lease-c', 1n)]]));
    expect((await cache().read(['lease-c'])).size).toBe(0);

    await cache().fill(second!, ['lease-c'], new Map([['lease-c', profile('lease-c', 2n)]]));
    expect((await cache().read(['lease-c'])).get('lease-c')?.totalEvents).toBe(2n);
  });

  it('removes its lease when the reader does not exist', async () => {
    const token = await cache().lease(['lease-d']);
    expect(await redis.get('user:lease-d:profile')).toBe(token);
    await cache().fill(token!, ['lease-d'], new Map());

    expect(await redis.exists('user:lease-d:profile')).toBe(0);
  });

  it('reads a lease as a miss', async () => {
    await cache().lease(['lease-e']);
    expect((await cache().read(['lease-e'])).size).toBe(0);
  });
});
