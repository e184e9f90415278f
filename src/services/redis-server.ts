/**
 * A Redis server for machines where none runs: the `redis-server` on PATH, as a child of this
 * process, on 127.0.0.1 only, with persistence off (Almanac keeps only rebuildable hot data in
 * Redis). A password in REDIS_URL becomes the server's `requirepass`, passed on stdin so it does
 * not show in the process list. ACL users other than `default` are not set up.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { rootLogger, type Logger } from '../logger.ts';
import { findFreePort, isLoopbackHost, isPortOpen } from './port.ts';
import { findExecutable, lastLines, waitUntil } from './process.ts';

const moduleLog = rootLogger.child('services').child('redis');

export const DEFAULT_REDIS_PORT = 6379;

export interface LocalRedis {
  /** REDIS_URL for this server: the configured one with the port actually used. */
  redisUrl: string;
  port: number;
  pid: number;
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
}

/** Whether a Redis server answers PING at `redisUrl` (an authentication error counts). */
export async function isRedisReachable(redisUrl: string, timeoutMs = 2000): Promise<boolean> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
  });
  // A server that wants a password refuses the client's opening handshake; the refusal arrives
  // as an 'error' event, and the promise then only says the connection closed.
  const refusals: string[] = [];
  client.on('error', (error: Error) => refusals.push(error.message));

  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch (error) {
    // A server that demands a password (or another one) is still a Redis server answering.
    const messages = [(error as Error).message, ...refusals].join('\n');
    return /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(messages);
  } finally {
    client.disconnect();
  }
}

/** Host and port of a REDIS_URL. */
export function redisAddress(redisUrl: string): { host: string; port: number; tls: boolean } {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch (cause) {
    throw new AlmanacError('CONFIG_INVALID', 'REDIS_URL is not a valid URL', { cause });
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : DEFAULT_REDIS_PORT,
    tls: url.protocol === 'rediss:',
  };
}

/**
 * Starts `redis-server` for `config.redisUrl` (a loopback, non-TLS URL) and waits until it
 * answers. Uses the URL's port when free, else a free port that the returned URL names.
 */
export async function startRedisServer(
  config: Pick<Config, 'redisUrl' | 'homeDir'>,
  options: { startTimeoutMs?: number; log?: Logger } = {},
): Promise<LocalRedis> {
  const log = options.log ?? moduleLog;
  const { host, port: wantedPort, tls } = redisAddress(config.redisUrl);
  if (!isLoopbackHost(host) || tls) {
    throw new AlmanacError(
      'REDIS_NOT_LOCAL',
      `Will not start a Redis server for ${config.redisUrl.startsWith('rediss:') ? 'a TLS URL' : host}`,
      { hint: 'Point REDIS_URL at redis://127.0.0.1:<port>, or at a server that runs' },
    );
  }

  const executable = await findExecutable('redis-server');
  if (!executable) {
    throw new AlmanacError('REDIS_MISSING', 'No Redis answers and redis-server is not on PATH', {
      hint: 'apt-get install redis-server, or set REDIS_URL to a running server',
    });
  }

  let port = wantedPort;
  if (await isPortOpen('127.0.0.1', port)) {
    port = await findFreePort();
    log.warn('the Redis port is taken by something else; using another', {
      wanted: wantedPort,
      port,
    });
  }

  // Persistence is off, but Redis still resolves relative paths against its directory; give it
  // one of ours rather than whatever the current directory is.
  const dir = path.join(config.homeDir, 'redis');
  await fs.mkdir(dir, { recursive: true });
  const password = decodeURIComponent(new URL(config.redisUrl).password);
  const args = [
    ...(password ? ['-'] : []),
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];

  const started = Date.now();
  const child = spawn(executable, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.stdin.on('error', () => undefined);
  child.stdin.end(password ? `requirepass "${password.replace(/(["\\])/g, '\\$1')}"\n` : '');

  const outcome: { exited: boolean; error: Error | null } = { exited: false, error: null };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      outcome.exited = true;
      resolve();
    });
  });
  child.once('error', (error) => {
    outcome.error = error;
    outcome.exited = true;
  });

  const redisUrl = withPort(config.redisUrl, port);
  const ready = await waitUntil(() => isRedisReachable(redisUrl, 1000), {
    timeoutMs: options.startTimeoutMs ?? 15_000,
    intervalMs: 100,
    stop: () => outcome.exited,
  });

  const stop = stopper(child, exited, () => outcome.exited, port, log);
  if (!ready || child.pid === undefined) {
    await stop();
    throw new AlmanacError(
      'REDIS_START_FAILED',
      `redis-server did not start on 127.0.0.1:${port}` +
        (outcome.error ? `: ${outcome.error.message}` : ''),
      {
        hint: 'Its last lines are in the error context; or set REDIS_URL to a running server',
        context: { output: lastLines(output, 20), port },
      },
    );
  }

  log.info('started the local Redis server', { port, pid: child.pid, ms: Date.now() - started });
  return { redisUrl, port, pid: child.pid, stop };
}

function stopper(
  child: ReturnType<typeof spawn>,
  exited: Promise<void>,
  hasExited: () => boolean,
  port: number,
  log: Logger,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (hasExited()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      log.info('stopped the local Redis server', { port });
    })();
    return stopping;
  };
}

/** `redisUrl` with its port replaced, every other part kept. */
export function withPort(redisUrl: string, port: number): string {
  const url = new URL(redisUrl);
  url.port = String(port);
  return url.toString();
}
