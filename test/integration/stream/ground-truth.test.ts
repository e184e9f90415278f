/**
 * The bundled MovieLens data through the whole platform — Kafka, the aggregator, PostgreSQL,
 * Redis, the federated gateway — against figures computed straight from the CSV files, for
 * every one of the 610 users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { BUNDLED_MOVIELENS } from '../../../src/config/config.ts';
import { importMovieLens } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { movieLensTruth, topTags } from '../../support/movielens-truth.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('truth');
const pool = createPool(ns.config.databaseUrl, 2);
const aggregator = new StreamAggregator(ns.config);
const truth = movieLensTruth(BUNDLED_MOVIELENS);
let api: RunningApi;

interface ApiUser {
  id: string;
  totalEvents: number;
  activeDays: number;
  firstEventAt: string;
  lastEventAt: string;
  topTags: { tag: string; count: number }[];
  topPublications: { domain: string; count: number }[];
  temporalPatterns: { hourOfDay: number[]; dayOfWeek: number[] };
  recentEvents: { timestamp: string; type: string; domain: string }[];
}

async function query<T>(text: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: text, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

beforeAll(async () => {
  await ns.migrate();
  await aggregator.start();
  const imported = await importMovieLens(ns.config, BUNDLED_MOVIELENS);
  expect(imported.produced).toBe(104_519);
  await waitForCatchUp(createKafka(ns.config, 'test'), pool, ns.config, { stallTimeoutMs: 60_000 });
  api = await startApi(ns.config);
});

afterAll(async () => {
  await api?.stop();
  await aggregator.stop();
  await pool.end();
  await ns.cleanup();
});

describe('MovieLens through the whole platform', () => {
  it('answers every user with the counts the CSV files give', async () => {
    const ids = [...truth.keys()];
    const seen = new Set<string>();

    for (let start = 0; start < ids.length; start += 100) {
      const { users } = await query<{ users: ApiUser[] }>(
        `query($ids: [ID!]!) { users(ids: $ids) {
           id totalEvents activeDays firstEventAt lastEventAt
           topTags(limit: 10) { tag count }
           topPublications { domain count }
           temporalPatterns { hourOfDay dayOfWeek }
           recentEvents(limit: 50) { timestamp type domain }
         } }`,
        { ids: ids.slice(start, start + 100) },
      );

      for (const user of users) {
        const expected = truth.get(user.id)!;
        seen.add(user.id);
        expect(user.totalEvents, `user ${user.id}`).toBe(expected.totalEvents);
        expect(user.activeDays, `user ${user.id}`).toBe(expected.activeDays);
        expect(Date.parse(user.firstEventAt) / 1000).toBe(expected.firstSeconds);
        expect(Date.parse(user.lastEventAt) / 1000).toBe(expected.lastSeconds);
        expect(user.topTags, `user ${user.id}`).toEqual(topTags(expected.tags, 10));
        expect(user.topPublications).toEqual([
          { domain: 'movielens.org', count: expected.totalEvents },
        ]);
        expect(user.temporalPatterns.hourOfDay, `user ${user.id}`).toEqual(expected.hours);
        expect(user.temporalPatterns.dayOfWeek, `user ${user.id}`).toEqual(expected.weekdays);

        const recent = user.recentEvents.map((event) => Date.parse(event.timestamp) / 1000);
        expect(recent.length).toBe(Math.min(50, expected.totalEvents));
        expect(recent[0]).toBe(expected.lastSeconds);
        expect(recent).toEqual([...recent].sort((a, b) => b - a));
      }
    }
    expect(seen.size).toBe(610);
  });

  it('answers an unknown id with null', async () => {
    const data = await query<{ user: null }>('query { user(id: "no-such-reader") { id } }', {});
    expect(data.user).toBeNull();
  });
});
