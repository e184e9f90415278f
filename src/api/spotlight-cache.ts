/**
 * Reads readers' newest spotlights from `user:{id}:spotlight`, where the narration worker keeps
 * each for a day (REDIS_TTL_SECONDS.spotlight) after storing it in user_spotlights. The key only
 * saves a PostgreSQL read: what it lacks, for whatever reason, is read from the table instead.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { redisKeys } from '../serving/redis-keys.ts';
import { parseStoredSpotlight, type Spotlight } from './insights.ts';

/**
 * The spotlights Redis holds for `ids`, by reader id, in one round trip. A value that is not a
 * stored spotlight counts as missing, and so does everything when Redis cannot be read (with a
 * warning): the caller then asks PostgreSQL.
 */
export async function readCachedSpotlights(
  redis: Redis,
  ids: readonly string[],
  log: Logger,
): Promise<Map<string, Spotlight>> {
  const found = new Map<string, Spotlight>();
  if (ids.length === 0) return found;

  let values: (string | null)[];
  try {
    values = await redis.mget(ids.map(redisKeys.spotlight));
  } catch (error) {
    log.warn('spotlight cache unreadable; reading PostgreSQL', { error });
    return found;
  }

  let unreadable = 0;
  values.forEach((value, index) => {
    if (value === null) return;
    const spotlight = parseStoredSpotlight(value);
    if (spotlight) found.set(ids[index]!, spotlight);
    else unreadable += 1;
  });
  if (unreadable > 0) log.warn('skipped cached spotlights that are not spotlights', { unreadable });
  return found;
}
