/**
 * Makes sure the services Almanac needs answer: uses each one where it is configured when it
 * answers there, and otherwise, for loopback addresses only, starts a local one (an embedded
 * PostgreSQL, the redis-server on PATH, a Kafka broker fetched with Maven). A service configured
 * on another host that does not answer is an error, never replaced by a local one.
 */
import type { Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { rootLogger, type Logger } from '../logger.ts';
import {
  isPostgresReachable,
  postgresAddress,
  startEmbeddedPostgres,
} from './embedded-postgres.ts';
import { isKafkaReachable, startLocalBroker, stopLocalBroker } from './kafka-broker.ts';
import { isLoopbackHost, parseHostPort } from './port.ts';
import { isRedisReachable, redisAddress, startRedisServer } from './redis-server.ts';

export interface StartedServices {
  /** The configuration given, with each URL pointing at what actually runs. */
  config: Config;
  /** One human-readable line per service this call started, e.g. "Redis at 127.0.0.1:6379". */
  started: string[];
  /** Stops what this call started (nothing else); safe to call twice. */
  stop(): Promise<void>;
}

export interface WantedServices {
  postgres: boolean;
  redis: boolean;
  kafka: boolean;
}

interface Outcome {
  patch: Partial<Config>;
  started?: string;
  stop?: () => Promise<void>;
}

/**
 * Checks, and where needed starts, the wanted services (in parallel). If any of them fails,
 * those this call already started are stopped again before the error is thrown.
 */
export async function ensureServices(
  config: Config,
  wanted: WantedServices,
  log: Logger = rootLogger.child('services'),
): Promise<StartedServices> {
  const tasks: Array<Promise<Outcome>> = [];
  if (wanted.postgres) tasks.push(ensurePostgres(config, log));
  if (wanted.redis) tasks.push(ensureRedis(config, log));
  if (wanted.kafka) tasks.push(ensureKafka(config, log));

  const settled = await Promise.allSettled(tasks);
  const outcomes = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const stops = outcomes.flatMap((outcome) => (outcome.stop ? [outcome.stop] : []));

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopAll(stops, log);
    return stopping;
  };

  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }

  return {
    config: Object.assign({ ...config }, ...outcomes.map((outcome) => outcome.patch)) as Config,
    started: outcomes.flatMap((outcome) => (outcome.started ? [outcome.started] : [])),
    stop,
  };
}

/** Stops services side by side (they do not depend on each other); failures are logged. */
async function stopAll(stops: Array<() => Promise<void>>, log: Logger): Promise<void> {
  const results = await Promise.allSettled(stops.map((stop) => stop()));
  for (const result of results) {
    if (result.status === 'rejected') {
      log.warn('a local service did not stop cleanly', { error: result.reason as unknown });
    }
  }
}

async function ensurePostgres(config: Config, log: Logger): Promise<Outcome> {
  const { host, port } = postgresAddress(config.databaseUrl);
  const address = `${host}:${port}`;
  if (await isPostgresReachable(config.databaseUrl)) {
    log.info('PostgreSQL answers', { address });
    return { patch: {} };
  }

  if (!isLoopbackHost(host)) {
    throw new AlmanacError('POSTGRES_UNREACHABLE', `No PostgreSQL answers at ${address}`, {
      hint: 'Check DATABASE_URL, or unset it to use a local server',
      retriable: true,
    });
  }

  log.info('no PostgreSQL answers; starting a local one', { address });
  const server = await startEmbeddedPostgres(config, { log: log.child('postgres') });
  return {
    patch: { databaseUrl: server.databaseUrl },
    started: server.startedByUs ? `PostgreSQL at 127.0.0.1:${server.port}` : undefined,
    stop: server.stop,
  };
}

async function ensureRedis(config: Config, log: Logger): Promise<Outcome> {
  const { host, port } = redisAddress(config.redisUrl);
  const address = `${host}:${port}`;
  if (await isRedisReachable(config.redisUrl)) {
    log.info('Redis answers', { address });
    return { patch: {} };
  }

  if (!isLoopbackHost(host)) {
    throw new AlmanacError('REDIS_UNREACHABLE', `No Redis answers at ${address}`, {
      hint: 'Check REDIS_URL, or unset it to use a local server',
      retriable: true,
    });
  }

  log.info('no Redis answers; starting a local one', { address });
  const server = await startRedisServer(config, { log: log.child('redis') });
  return {
    patch: { redisUrl: server.redisUrl },
    started: `Redis at 127.0.0.1:${server.port}`,
    stop: server.stop,
  };
}

async function ensureKafka(config: Config, log: Logger): Promise<Outcome> {
  const brokers = config.kafkaBrokers.join(',');
  if (await isKafkaReachable(config.kafkaBrokers)) {
    log.info('Kafka answers', { brokers });
    return { patch: {} };
  }

  const local = config.kafkaBrokers.every((broker) =>
    isLoopbackHost(parseHostPort(broker, 9092).host),
  );
  if (!local) {
    throw new AlmanacError('KAFKA_UNREACHABLE', `No Kafka broker answers at ${brokers}`, {
      hint: 'Check KAFKA_BROKERS, or unset it to use a local broker',
      retriable: true,
    });
  }

  log.info('no Kafka answers; starting the local broker', { brokers });
  const broker = await startLocalBroker(config, { log: log.child('kafka') });
  return {
    patch: { kafkaBrokers: broker.brokers },
    started: broker.startedByUs ? `Kafka at ${broker.brokers.join(',')}` : undefined,
    stop: broker.startedByUs
      ? async () => {
          await stopLocalBroker(config, { log: log.child('kafka') });
        }
      : undefined,
  };
}
