import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { createNamespace } from '../../support/namespace.ts';
import { ask, seedRecentEvents, seedUsers, type SeedEvent } from './api-fixtures.ts';

const ns = createNamespace('api_profile');
let pool: pg.Pool;
let redis: Redis;
let api: RunningApi;

const hours = Array.from({ length: 24 }, (_, hour) => hour * 10);
const weekdays = [7, 1, 2, 3, 4, 5, 6];

function event(index: number): SeedEvent {
  return {
    event_id: `e${index}`,
    timestamp: new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString(),
    type: index % 2 === 0 ? 'read' : 'view',
    url: `https://news.example/${index}`,
    domain: 'news.example',
    title: `Story ${index}`,
    tags: [`t${index}`],
  };
}

beforeAll(async () => {
  await ns.migrate();
  pool = createPool(ns.config.databaseUrl);
  redis = createRedis(ns.config);

  await seedUsers(pool, [
    {
      id: 'reader-1',
      totalEvents: 5_000_000_000n,
      activeDays: 42,
      firstEventAt: '2023-05-01T08:30:00Z',
      lastEventAt: '2024-01-01T00:54:00.123Z',
      hourCounts: hours,
      weekdayCounts: weekdays,
      tags: {
        science: 5,
        'sci-fi': 5,
        history: 9,
        art: 1,
        ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`filler-${i}`, 2])),
      },
      publications: { 'b.example': 3, 'a.example': 3, 'c.example': 8 },
    },
    {
      id: 'many-tags',
      totalEvents: 105,
      tags: Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`tag-${1000 + i}`, i + 1])),
    },
    { id: 'quiet', totalEvents: 0 },
  ]);

  // 55 events, one a minute; the stream layer keeps 50, but the API must cope with more.
  await seedRecentEvents(
    redis,
    'reader-1',
    Array.from({ length: 55 }, (_, index) => event(index)),
  );

  api = await startApi(ns.config);
});

afterAll(async () => {
  await api?.stop();
  await pool?.end();
  redis?.disconnect();
  await ns.cleanup();
});

describe('user(id)', () => {
  it('answers null, not an error, for an unknown or impossible id', async () => {
    const answer = await ask(
      api.url,
      '{ a: user(id: "nobody") { id } b: user(id: "no such/id") { id } }',
    );
    expect(answer).toEqual({ data: { a: null, b: null } });
  });

  it('gives the stored counts exactly, totalEvents beyond 2^31 included', async () => {
    const answer = await ask(
      api.url,
      `{ user(id: "reader-1") { id totalEvents activeDays firstEventAt lastEventAt } }`,
    );
    expect(answer).toEqual({
      data: {
        user: {
          id: 'reader-1',
          totalEvents: 5_000_000_000,
          activeDays: 42,
          firstEventAt: '2023-05-01T08:30:00.000Z',
          lastEventAt: '2024-01-01T00:54:00.123Z',
        },
      },
    });
  });

  it('orders top tags by count, ties by tag in code point order, 10 by default', async () => {
    const answer = await ask<{ user: { top: unknown[]; two: unknown[]; none: unknown[] } }>(
      api.url,
      `{ user(id: "reader-1") {
           top: topTags { tag count }
           two: topTags(limit: 2) { tag count }
           none: topTags(limit: 0) { tag }
         } }`,
    );
    const user = answer.data!.user;
    expect(user.two).toEqual([
      { tag: 'history', count: 9 },
      { tag: 'sci-fi', count: 5 },
    ]);
    expect(user.top).toEqual([
      { tag: 'history', count: 9 },
      { tag: 'sci-fi', count: 5 },
      { tag: 'science', count: 5 },
      ...Array.from({ length: 7 }, (_, i) => ({ tag: `filler-${i}`, count: 2 })),
    ]);
    expect(user.none).toEqual([]);
  });

  it('gives up to 100 tags when asked', async () => {
    const answer = await ask<{ user: { topTags: { tag: string; count: number }[] } }>(
      api.url,
      '{ user(id: "many-tags") { topTags(limit: 100) { tag count } } }',
    );
    const tags = answer.data!.user.topTags;
    expect(tags).toHaveLength(100);
    expect(tags[0]).toEqual({ tag: 'tag-1104', count: 105 });
    expect(tags[99]).toEqual({ tag: 'tag-1005', count: 6 });
  });

  it('orders top publications by count then domain, 5 by default', async () => {
    const answer = await ask(
      api.url,
      `{ user(id: "reader-1") {
           all: topPublications { domain count }
           one: topPublications(limit: 1) { domain count }
         } }`,
    );
    expect(answer.data).toEqual({
      user: {
        all: [
          { domain: 'c.example', count: 8 },
          { domain: 'a.example', count: 3 },
          { domain: 'b.example', count: 3 },
        ],
        one: [{ domain: 'c.example', count: 8 }],
      },
    });
  });

  it('gives 24 hourly counts from 00 and 7 daily counts from Monday', async () => {
    const answer = await ask(
      api.url,
      `{ a: user(id: "reader-1") { temporalPatterns { hourOfDay dayOfWeek } }
         b: user(id: "quiet") { temporalPatterns { hourOfDay dayOfWeek } topTags { tag } } }`,
    );
    expect(answer.data).toEqual({
      a: { temporalPatterns: { hourOfDay: hours, dayOfWeek: weekdays } },
      b: {
        temporalPatterns: { hourOfDay: Array(24).fill(0), dayOfWeek: Array(7).fill(0) },
        topTags: [],
      },
    });
  });

  it('gives recent events newest first, 50 by default', async () => {
    const answer = await ask<{
      user: { all: { eventId: string }[]; three: unknown[] };
      quiet: { recentEvents: unknown[] };
    }>(
      api.url,
      `{ user(id: "reader-1") {
           all: recentEvents { eventId }
           three: recentEvents(limit: 3) { eventId timestamp type url domain title tags }
         }
         quiet: user(id: "quiet") { recentEvents { eventId } } }`,
    );
    const { all, three } = answer.data!.user;
    expect(all.map((entry) => entry.eventId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `e${54 - i}`),
    );
    expect(three).toEqual(
      [54, 53, 52].map((index) => {
        const { event_id, ...rest } = event(index);
        return { eventId: event_id, ...rest, timestamp: event(index).timestamp };
      }),
    );
    expect(answer.data!.quiet).toEqual({ recentEvents: [] });
  });

  it('skips members of the recent set that are not events', async () => {
    await seedUsers(pool, [{ id: 'junk-reader' }]);
    await seedRecentEvents(redis, 'junk-reader', [event(1), event(2)]);
    await redis.zadd('user:junk-reader:recent', Date.UTC(2030, 0, 1), 'not json');

    const answer = await ask(api.url, '{ user(id: "junk-reader") { recentEvents { eventId } } }');
    expect(answer).toEqual({
      data: { user: { recentEvents: [{ eventId: 'e2' }, { eventId: 'e1' }] } },
    });
  });

  it('gives null url, domain and title when an event has none', async () => {
    await seedRecentEvents(redis, 'quiet', [
      { event_id: 'bare', timestamp: '2024-02-02T10:00:00Z', type: 'rating', tags: [] },
    ]);
    const answer = await ask(
      api.url,
      '{ user(id: "quiet") { recentEvents { eventId timestamp type url domain title tags } } }',
    );
    expect(answer.data).toEqual({
      user: {
        recentEvents: [
          {
            eventId: 'bare',
            timestamp: '2024-02-02T10:00:00.000Z',
            type: 'rating',
            url: null,
            domain: null,
            title: null,
            tags: [],
          },
        ],
      },
    });
  });
});

describe('users(ids)', () => {
  it('answers in the order asked, with null for unknown ids and repeats allowed', async () => {
    const answer = await ask(
      api.url,
      '{ users(ids: ["quiet", "nobody", "reader-1", "quiet"]) { id activeDays } }',
    );
    expect(answer).toEqual({
      data: {
        users: [
          { id: 'quiet', activeDays: 0 },
          null,
          { id: 'reader-1', activeDays: 42 },
          { id: 'quiet', activeDays: 0 },
        ],
      },
    });
  });

  it('answers an empty list with an empty list', async () => {
    expect(await ask(api.url, '{ users(ids: []) { id } }')).toEqual({ data: { users: [] } });
  });
});

describe('the User entity', () => {
  it('resolves references by id for other subgraphs, null when unknown', async () => {
    const answer = await ask(
      api.subgraphUrl,
      `query ($representations: [_Any!]!) {
         _entities(representations: $representations) { ... on User { id totalEvents } }
       }`,
      {
        representations: [
          { __typename: 'User', id: 'reader-1' },
          { __typename: 'User', id: 'nobody' },
        ],
      },
    );
    expect(answer).toEqual({
      data: { _entities: [{ id: 'reader-1', totalEvents: 5_000_000_000 }, null] },
    });
  });
});
