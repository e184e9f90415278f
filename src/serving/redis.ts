import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { createLogger } from '../logger.ts';

const log = createLogger('redis');
const ERROR_LOG_INTERVAL_MS = 10_000;

export interface RedisOptions {
  /**
   * Fail commands at once while disconnected instead of queueing them until Redis is back: for
   * request paths that have something better to do than wait (the API falls back to
   * PostgreSQL). Workers keep the queue, so their writes wait out a short outage.
   */
  failFast?: boolean;
}

/** A Redis client for the configured server and key prefix. */
export function createRedis(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>,
  options: RedisOptions = {},
): Redis {
  const redis = new Redis(config.redisUrl, {
    keyPrefix: config.redisKeyPrefix,
    maxRetriesPerRequest: options.failFast ? 1 : 3,
    enableOfflineQueue: !options.failFast,
    lazyConnect: false,
  });

  // Without a listener ioredis prints every failed reconnection as a stack trace; one line every
  // few seconds says the same.
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    log.warn('Redis connection failed; retrying', { error });
  });
  return redis;
}
