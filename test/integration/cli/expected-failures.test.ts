/**
 * Expected failures print one line that says what is wrong and what to do, and exit non-zero:
 * no stack trace.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/config/config.ts';
import { createNamespace } from '../../support/namespace.ts';
import { runAlmanac } from '../../support/processes.ts';

const ns = createNamespace('cli');

function almanac(args: string[], env: Record<string, string> = {}) {
  return runAlmanac(args, {
    DATABASE_URL: ns.config.databaseUrl,
    ALMANAC_TOPIC_PREFIX: ns.config.topicPrefix,
    ALMANAC_REDIS_PREFIX: ns.config.redisKeyPrefix,
    ...env,
  });
}

function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^almanac: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

let listener: net.Server;
let takenPort: number;
const accepted = new Set<net.Socket>();

beforeAll(async () => {
  await ns.migrate();
  // A port that accepts connections and never answers: the worst case for a client.
  listener = net.createServer((socket) => accepted.add(socket));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  takenPort = (listener.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => listener.close(resolve));
  await ns.cleanup();
});

describe('the almanac command', () => {
  it('names a missing import file', async () => {
    const result = await almanac(['import', 'jsonl', '/nonexistent/events.jsonl']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /\/nonexistent\/events\.jsonl does not exist/);
  });

  it('names the MovieLens file that is missing', async () => {
    const result = await almanac(['import', 'movielens', PROJECT_ROOT]);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /movies\.csv does not exist/);
  });

  it('says how to use import', async () => {
    const result = await almanac(['import', 'csv', 'x']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /usage: almanac import movielens <dir> \| jsonl <file>/);
  });

  it('refuses to start on a port in use, naming the variable to change', async () => {
    const result = await almanac(['start'], { PORT: String(takenPort) });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, new RegExp(`port ${takenPort} .* in use.*set PORT`));
  });

  it('names a configuration variable with a bad value', async () => {
    const result = await almanac(['status'], { ALMANAC_EVENT_PARTITIONS: 'many' });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /ALMANAC_EVENT_PARTITIONS must be a whole number/);
  });

  it('gives up on a PostgreSQL that never answers, saying which', async () => {
    const result = await almanac(['migrate'], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${takenPort}/almanac`,
    });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${takenPort}`));
  });

  it('lists the commands for an unknown one', async () => {
    const result = await almanac(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "frobnicate"/);
    expect(result.stderr).toMatch(/import movielens <dir>/);
  });
});
