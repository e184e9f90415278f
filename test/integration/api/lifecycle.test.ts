import net from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlmanacError } from '../../../src/errors.ts';
import { startApi, type RunningApi } from '../../../src/api/server.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createNamespace } from '../../support/namespace.ts';
import { ask, recordingLogger, seedUsers } from './api-fixtures.ts';

const ns = createNamespace('api_lifecycle');
const quiet = () => recordingLogger();
let pool: pg.Pool;
let api: RunningApi;

/** A loopback server holding a port, for the tests that need one taken. */
async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startFails(config: typeof ns.config): Promise<AlmanacError> {
  const error = await startApi(config, quiet()).then(
    async (running) => {
      await running.stop();
      throw new Error('startApi should have failed');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(AlmanacError);
  return error as AlmanacError;
}

beforeAll(async () => {
  await ns.migrate();
  pool = createPool(ns.config.databaseUrl);
  await seedUsers(pool, [{ id: 'reader', tags: { art: 1 } }]);
  api = await startApi(ns.config, quiet());
});

afterAll(async () => {
  await api?.stop();
  await pool?.end();
  await ns.cleanup();
});

describe('arguments', () => {
  it.each([
    ['topTags(limit: 101) { tag }', 'limit must be from 0 to 100, got 101'],
    ['topTags(limit: -1) { tag }', 'limit must be from 0 to 100, got -1'],
    ['topPublications(limit: 1000) { domain }', 'limit must be from 0 to 100, got 1000'],
    ['recentEvents(limit: 51) { eventId }', 'limit must be from 0 to 50, got 51'],
    ['sessions(last: 0) { events }', 'last must be from 1 to 100, got 0'],
  ])('refuses %s with BAD_USER_INPUT', async (selection, message) => {
    const answer = await ask(api.url, `{ user(id: "reader") { ${selection} } }`);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]).toMatchObject({
      message,
      path: ['user', selection.slice(0, selection.indexOf('('))],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('refuses a limit that is not an Int before any resolver runs', async () => {
    const answer = await ask(api.url, '{ user(id: "reader") { topTags(limit: "ten") { tag } } }');
    expect(answer.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('query size', () => {
  it('refuses an operation that selects too many fields through aliases', async () => {
    const aliases = Array.from({ length: 300 }, (_, i) => `u${i}: user(id: "reader") { id }`);
    const answer = await ask(api.url, `{ ${aliases.join(' ')} }`);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.message).toMatch(/selects more than 500 fields/);
  });

  it('counts fields inside fragments each time they are spread', async () => {
    const fragment = 'fragment F on User { id totalEvents activeDays }';
    const spreads = Array.from({ length: 150 }, (_, i) => `u${i}: user(id: "reader") { ...F }`);
    const answer = await ask(api.url, `{ ${spreads.join(' ')} } ${fragment}`);
    expect(answer.errors?.[0]?.message).toMatch(/selects more than 500 fields/);
  });

  it('lets a full profile of 100 readers through', async () => {
    const ids = JSON.stringify(Array.from({ length: 100 }, (_, i) => `r${i}`));
    const answer = await ask(
      api.url,
      `{ users(ids: ${ids}) { id totalEvents activeDays firstEventAt lastEventAt
         topTags { tag count } topPublications { domain count }
         temporalPatterns { hourOfDay dayOfWeek }
         recentEvents { eventId timestamp type url domain title tags }
         spotlight { text model fallbackFrom sessionStartedAt sessionEndedAt createdAt }
         achievements { code kind threshold reachedAt }
         emergingInterests { tag firstSeenAt emergedAt events }
         sessions { startedAt endedAt events topTags { tag count } closedBy ongoing } } }`,
    );
    expect(answer.errors).toBeUndefined();
  });
});

describe('unreadable requests', () => {
  it.each([
    ['a body that is not JSON', 'not json', 400, 'the request body is not valid JSON'],
    [
      'a body over 1 MB',
      JSON.stringify({ query: `{ user(id: "${'x'.repeat(1_100_000)}") { id } }` }),
      413,
      'the request body is larger than 1 MB',
    ],
  ])('answers %s with a JSON error and no stack trace', async (_, body, status, message) => {
    const response = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const text = await response.text();
    expect(text).not.toMatch(/node_modules|\bat \w+ \(/);
    expect(JSON.parse(text)).toEqual({
      errors: [{ message, extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});

describe('starting and stopping', () => {
  it('listens on loopback ports of its own and routes the gateway to the subgraph', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(api.subgraphUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(api.url).not.toBe(api.subgraphUrl);
    expect((await ask(api.url, '{ user(id: "reader") { id } }')).data).toEqual({
      user: { id: 'reader' },
    });
  });

  it('fails with API_PORT_TAKEN naming PORT when the gateway port is in use', async () => {
    const held = await holdPort();
    const subgraphPort = await holdPort();
    await subgraphPort.release();
    try {
      const error = await startFails({
        ...ns.config,
        gatewayPort: held.port,
        profilesSubgraphPort: subgraphPort.port,
      });
      expect(error.code).toBe('API_PORT_TAKEN');
      expect(error.message).toBe(`port ${held.port} on 127.0.0.1 is already in use`);
      expect(error.hint).toMatch(/^Set PORT /);

      // The subgraph it had started is stopped again: its port is free.
      const again = net.createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(subgraphPort.port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await held.release();
    }
  });

  it('fails with API_PORT_TAKEN naming ALMANAC_PROFILES_PORT for the subgraph port', async () => {
    const held = await holdPort();
    try {
      const error = await startFails({ ...ns.config, profilesSubgraphPort: held.port });
      expect(error.code).toBe('API_PORT_TAKEN');
      expect(error.hint).toMatch(/^Set ALMANAC_PROFILES_PORT /);
    } finally {
      await held.release();
    }
  });

  it('fails with REDIS_UNREACHABLE when nothing answers at REDIS_URL', async () => {
    const vacant = await holdPort();
    await vacant.release();
    const error = await startFails({ ...ns.config, redisUrl: `redis://127.0.0.1:${vacant.port}` });
    expect(error.code).toBe('REDIS_UNREACHABLE');
  });

  it('fails with POSTGRES_NOT_MIGRATED when the schema has no tables', async () => {
    const databaseUrl = ns.config.databaseUrl.replace(`schema=${ns.id}`, `schema=${ns.id}_empty`);
    const error = await startFails({ ...ns.config, databaseUrl });
    expect(error.code).toBe('POSTGRES_NOT_MIGRATED');
    expect(error.hint).toBe('Run `almanac migrate` first');
  });

  it('stops serving on stop(), and a second stop() is harmless', async () => {
    const extra = await startApi(ns.config, quiet());
    expect((await ask(extra.url, '{ user(id: "reader") { id } }')).data).toBeDefined();

    await extra.stop();
    await extra.stop();
    expect(extra.httpServer.listening).toBe(false);
    await expect(fetch(extra.url, { method: 'POST' })).rejects.toThrow();
    await expect(fetch(extra.subgraphUrl, { method: 'POST' })).rejects.toThrow();
  });
});
