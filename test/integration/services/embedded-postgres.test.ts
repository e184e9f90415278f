/**
 * The embedded PostgreSQL, on a free port (the machine's own server holds 5432) in a home
 * directory of its own.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.ts';
import {
  isPostgresReachable,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../../src/services/embedded-postgres.ts';
import { findFreePort } from '../../../src/services/port.ts';
import { parseDatabaseUrl } from '../../../src/serving/postgres.ts';

const silent = silentLogger;
let home: string;
const running: EmbeddedPostgres[] = [];

async function start(databaseUrl: string): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ databaseUrl, homeDir: home }, { log: silent });
  running.push(server);
  return server;
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string) {
  const client = new pg.Client({
    connectionString: parseDatabaseUrl(databaseUrl).connectionString,
  });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-postgres-'));
  // Running as root, the server runs as the user postgres, which must reach its data directory.
  await fs.chmod(home, 0o755);
});

afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
  await fs.rm(home, { recursive: true, force: true });
});

describe('the embedded PostgreSQL', () => {
  it('answers on the port in the URL, creates the database, and keeps data across restarts', async () => {
    const port = await findFreePort();
    const url = `postgresql://postgres@127.0.0.1:${port}/almanac_embedded?schema=s1`;
    expect(await isPostgresReachable(url)).toBe(false);

    const server = await start(url);
    expect(server).toMatchObject({ databaseUrl: url, port, startedByUs: true });
    expect(await query(url, 'SELECT 1 AS one, current_database() AS db')).toEqual([
      { one: 1, db: 'almanac_embedded' },
    ]);
    const [{ listen } = { listen: '' }] = await query<{ listen: string }>(
      url,
      "SELECT current_setting('listen_addresses') AS listen",
    );
    expect(listen).toBe('127.0.0.1');
    await query(url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');

    await server.stop();
    expect(await isPostgresReachable(url)).toBe(false);
    await expect(fs.access(path.join(home, 'postgres', 'postmaster.pid'))).rejects.toThrow();

    const again = await start(url);
    expect(again.startedByUs).toBe(true);
    expect(await query(url, 'SELECT n FROM kept')).toEqual([{ n: 42 }]);
    await again.stop();
    await again.stop(); // twice is harmless
    expect(await isPostgresReachable(url)).toBe(false);
  });

  it('moves to a free port when the URL names one held by something else', async () => {
    const holder = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;

    try {
      const url = `postgresql://postgres@127.0.0.1:${taken}/almanac_embedded`;
      const server = await start(url);
      expect(server.port).not.toBe(taken);
      expect(server.databaseUrl).toBe(
        `postgresql://postgres@127.0.0.1:${server.port}/almanac_embedded`,
      );
      expect(await query(server.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await server.stop();
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('refuses to start a server for a host that is not this machine', async () => {
    await expect(
      startEmbeddedPostgres(
        { databaseUrl: 'postgresql://postgres@db.example.com:5432/almanac', homeDir: home },
        { log: silent },
      ),
    ).rejects.toMatchObject({ code: 'POSTGRES_NOT_LOCAL' });
  });
});
