/** The redis-server fallback, on free ports. */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.ts';
import { findFreePort } from '../../../src/services/port.ts';
import { processCommandLine } from '../../../src/services/process.ts';
import {
  isRedisReachable,
  startRedisServer,
  type LocalRedis,
} from '../../../src/services/redis-server.ts';

const silent = silentLogger;
let home: string;
const running: LocalRedis[] = [];

async function start(redisUrl: string): Promise<LocalRedis> {
  const server = await startRedisServer({ redisUrl, homeDir: home }, { log: silent });
  running.push(server);
  return server;
}

/** PONG, or the server's refusal (which ioredis reports as an 'error' event). */
async function ping(redisUrl: string): Promise<string> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  const refusals: string[] = [];
  client.on('error', (error: Error) => refusals.push(error.message));
  try {
    await client.connect();
    return await client.ping();
  } catch (error) {
    return [...refusals, (error as Error).message].join('; ');
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-redis-'));
});

afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
  await fs.rm(home, { recursive: true, force: true });
});

describe('the local redis-server', () => {
  it('answers PING on the port in the URL, and is gone after stop', async () => {
    const port = await findFreePort();
    const url = `redis://127.0.0.1:${port}`;
    expect(await isRedisReachable(url)).toBe(false);

    const server = await start(url);
    expect(server).toMatchObject({ redisUrl: url, port });
    expect(await ping(url)).toBe('PONG');
    expect((await processCommandLine(server.pid))?.join(' ')).toContain(`127.0.0.1:${port}`);

    await server.stop();
    expect(await isRedisReachable(url)).toBe(false);
    expect(await processCommandLine(server.pid)).toBeNull();
  });

  it('requires the password from the URL, without showing it in the process list', async () => {
    const port = await findFreePort();
    const server = await start(`redis://:s3cret-pass@127.0.0.1:${port}`);

    expect(await ping(`redis://127.0.0.1:${port}`)).toMatch(/NOAUTH/);
    expect(await isRedisReachable(`redis://127.0.0.1:${port}`)).toBe(true);
    expect(await ping(`redis://:s3cret-pass@127.0.0.1:${port}`)).toBe('PONG');
    expect((await processCommandLine(server.pid))?.join(' ')).not.toContain('s3cret');
    await server.stop();
  });

  it('moves to a free port when the URL names one held by something else', async () => {
    const holder = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;

    try {
      const server = await start(`redis://127.0.0.1:${taken}/2`);
      expect(server.port).not.toBe(taken);
      expect(server.redisUrl).toBe(`redis://127.0.0.1:${server.port}/2`);
      expect(await ping(server.redisUrl)).toBe('PONG');
      await server.stop();
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('says REDIS_MISSING, with what to install, when redis-server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = home;
    try {
      await expect(start(`redis://127.0.0.1:${await findFreePort()}`)).rejects.toMatchObject({
        code: 'REDIS_MISSING',
        hint: expect.stringContaining('apt-get install redis-server'),
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
