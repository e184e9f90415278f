/**
 * The queue of triggered work: one BullMQ queue, `insights`, whose jobs are insight facts (named
 * by their kind, with ids derived from the fact) and the idle-session sweep.
 *
 * BullMQ keeps its own key prefix (ALMANAC_QUEUE_PREFIX) and refuses an ioredis client that
 * prefixes keys itself, so the queue has connections of its own, separate from the prefixed
 * client that holds the hot per-user data.
 */
import { Queue, type DefaultJobOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import type { InsightFact } from '../insights/facts.ts';
import { createLogger } from '../logger.ts';

/** The one queue's name; its keys are `<queuePrefix>:insights:*`. */
export const INSIGHTS_QUEUE = 'insights';

/** The repeatable job that closes sessions idle in wall time, and its scheduler's id. */
export const CLOSE_IDLE_SESSIONS = 'close-idle-sessions';

/** Job names: a fact's kind, or the sweep. */
export type InsightJobName = InsightFact['kind'] | typeof CLOSE_IDLE_SESSIONS;

/** Job data: the fact itself, or nothing for the sweep. */
export type InsightJobData = InsightFact | Record<string, never>;

export type InsightsQueue = Queue<InsightJobData, unknown, InsightJobName>;

/**
 * Completed jobs are kept this long so that a fact the bridge adds again (after a crash or a
 * rebalance replays part of the topic) finds its job and is ignored. Past it, or past the count
 * below, a repeat runs again, and the handlers are idempotent for that case.
 */
export const KEEP_COMPLETED_SECONDS = 7 * 86_400;
export const KEEP_COMPLETED_JOBS = 100_000;
/** Failed jobs stay for inspection and `almanac queues retry` for a month. */
export const KEEP_FAILED_SECONDS = 30 * 86_400;
/** The first retry waits this long; each next one twice as long. */
export const FIRST_RETRY_DELAY_MS = 1000;

const log = createLogger('queue');
const ERROR_LOG_INTERVAL_MS = 10_000;

/** The options every job gets: retries with exponential backoff, and how long it is kept. */
export function insightJobOptions(config: Pick<Config, 'jobAttempts'>): DefaultJobOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: FIRST_RETRY_DELAY_MS },
    removeOnComplete: { age: KEEP_COMPLETED_SECONDS, count: KEEP_COMPLETED_JOBS },
    removeOnFail: { age: KEEP_FAILED_SECONDS },
  };
}

export interface QueueConnectionOptions {
  /**
   * Give up at once instead of waiting for Redis to come back: for commands a person runs, who
   * is better served by one line saying Redis is down. Workers and the bridge wait (BullMQ
   * requires it of a worker's connection). A fail-fast connection is made by `connect()`.
   */
  failFast?: boolean;
}

/** A Redis connection for BullMQ: no key prefix (BullMQ applies its own), retries unbounded. */
export function createQueueConnection(
  config: Pick<Config, 'redisUrl'>,
  options: QueueConnectionOptions = {},
): Redis {
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    ...(options.failFast
      ? { lazyConnect: true, retryStrategy: () => null, connectTimeout: 5000 }
      : {}),
  });

  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (options.failFast || Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    log.warn('queue connection to Redis failed; retrying', { error });
  });
  return redis;
}

/** The insights queue on the given connection, which the caller closes after the queue. */
export function openInsightsQueue(
  config: Pick<Config, 'queuePrefix' | 'jobAttempts'>,
  connection: Redis,
): InsightsQueue {
  const queue: InsightsQueue = new Queue(INSIGHTS_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: insightJobOptions(config),
  });
  // Connection trouble is reported by the connection's own listener; without one here BullMQ's
  // emitter would turn each report into an uncaught exception.
  queue.on('error', () => undefined);
  return queue;
}

/** Jobs waiting to run, delayed ones (retries, the next sweep) included. */
export function pendingJobs(queue: InsightsQueue): Promise<number> {
  return queue.getJobCountByTypes('waiting', 'prioritized', 'delayed');
}
