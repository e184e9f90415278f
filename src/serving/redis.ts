import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';

/** A Redis client for the configured server and key prefix. */
export function createRedis(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>): Redis {
  return new Redis(config.redisUrl, {
    keyPrefix: config.redisKeyPrefix,
    maxRetriesPerRequest: 3,
    lazyConnect: false,
  });
}
