/**
 * The GraphQL API in one call: the profiles subgraph and, in front of it, the gateway that
 * clients use, each on its own port of config.host, with the Prisma and Redis clients they read
 * through; on the gateway's port and path, live subscriptions over WebSocket, with a Redis
 * connection of their own. PostgreSQL and Redis are checked before anything listens, so a missing
 * service is one clear error at start rather than a failure on the first query; so is an
 * unmigrated schema.
 */
import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { rootLogger, type Logger } from '../logger.ts';
import { describeConnectError, parseDatabaseUrl } from '../serving/postgres.ts';
import { createPrisma } from '../serving/prisma.ts';
import { createRedis } from '../serving/redis.ts';
import { readSupergraph } from './compose.ts';
import { startGateway } from './gateway.ts';
import type { RunningServer } from './http-server.ts';
import { startProfilesSubgraph } from './profiles-subgraph.ts';
import { startLiveServer, type LiveStats } from './subscriptions/live-server.ts';

export { composeSupergraph, writeSupergraph } from './compose.ts';

export interface RunningApi {
  /** The gateway's GraphQL URL: what clients use. */
  url: string;
  /** The profiles subgraph's GraphQL URL; only the gateway needs it. */
  subgraphUrl: string;
  /** The gateway's HTTP server, which the subscriptions' WebSocket server shares. */
  httpServer: Server;
  /** What the live subscriptions hold right now. */
  liveStats(): LiveStats;
  /**
   * Closes the subscriptions' connections, stops both servers, letting requests in flight
   * finish, then closes the clients.
   */
  stop(): Promise<void>;
}

async function checkPostgres(prisma: PrismaClient, databaseUrl: string): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  let rows: { migrated: boolean }[];
  try {
    rows = await prisma.$queryRaw`SELECT to_regclass('users') IS NOT NULL AS migrated`;
  } catch (error) {
    throw describeConnectError(error, target);
  }

  if (!rows[0]?.migrated) {
    throw new AlmanacError(
      'POSTGRES_NOT_MIGRATED',
      `schema ${target.schema} of database ${target.database} has no users table`,
      { hint: 'Run `almanac migrate` first' },
    );
  }
}

/** How long the API waits for Redis at start; its client fails fast afterwards. */
const REDIS_READY_TIMEOUT_MS = 5000;

async function checkRedis(redis: Redis, redisUrl: string): Promise<void> {
  try {
    if (redis.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no answer within ${REDIS_READY_TIMEOUT_MS / 1000} s`)),
          REDIS_READY_TIMEOUT_MS,
        );
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await redis.ping();
  } catch (cause) {
    const where = new URL(redisUrl);
    const address = `${where.hostname}:${where.port || 6379}`;
    throw new AlmanacError(
      'REDIS_UNREACHABLE',
      `Redis at ${address} did not answer: ${(cause as Error).message}`,
      { hint: 'Check REDIS_URL, or unset it to use a local server', retriable: true, cause },
    );
  }
}

/**
 * Starts the profiles subgraph on config.profilesSubgraphPort and the gateway on
 * config.gatewayPort (0: any free port; the gateway always routes to the port the subgraph got).
 * Fails with an AlmanacError, having stopped whatever it started, when a service is unreachable,
 * a port is taken (API_PORT_TAKEN) or schema/supergraph.graphql is missing. It installs no
 * signal handlers: the caller decides when to stop().
 */
export async function startApi(
  config: Config,
  log: Logger = rootLogger.child('api'),
): Promise<RunningApi> {
  const supergraphSdl = await readSupergraph();
  const prisma = createPrisma(config.databaseUrl, { log: log.child('prisma') });
  const redis = createRedis(config, { failFast: true });

  // Undone last first: the servers, then the clients they read through.
  const stops: (() => Promise<unknown>)[] = [
    () => redis.quit().catch(() => redis.disconnect()),
    () => prisma.$disconnect(),
  ];
  const stopAll = async () => {
    for (let stop = stops.pop(); stop; stop = stops.pop()) {
      await stop().catch((error: unknown) => log.warn('error while stopping the API', { error }));
    }
  };

  try {
    await checkPostgres(prisma, config.databaseUrl);
    await checkRedis(redis, config.redisUrl);

    const subgraph: RunningServer = await startProfilesSubgraph({
      host: config.host,
      port: config.profilesSubgraphPort,
      prisma,
      redis,
      log,
    });
    stops.push(subgraph.stop);

    const gateway = await startGateway({
      host: config.host,
      port: config.gatewayPort,
      supergraphSdl,
      subgraphUrls: { profiles: subgraph.url },
      log,
    });
    stops.push(gateway.stop);

    // Channel names carry the prefix themselves, so this connection needs none. Quitting it
    // ends its subscriptions.
    const subscriber = createRedis(
      { redisUrl: config.redisUrl, redisKeyPrefix: '' },
      { failFast: true },
    );
    stops.push(() => subscriber.quit().catch(() => subscriber.disconnect()));
    await checkRedis(subscriber, config.redisUrl);
    // Stopped before the gateway: its HTTP server cannot close while WebSockets are open.
    const live = await startLiveServer({
      httpServer: gateway.httpServer,
      subscriber,
      redisKeyPrefix: config.redisKeyPrefix,
      log,
    });
    stops.push(live.stop);

    let stopping: Promise<void> | undefined;
    return {
      url: gateway.url,
      subgraphUrl: subgraph.url,
      httpServer: gateway.httpServer,
      liveStats: live.stats,
      stop: () => (stopping ??= stopAll().then(() => log.info('API stopped'))),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
