/**
 * The newest spotlight of each reader in Redis (`user:{id}:spotlight`, a day) and the live notice
 * that goes with it, written together by one script so that neither happens without the other.
 *
 * Jobs finish out of order (retries, several workers), so the script keeps the spotlight of the
 * later session: one whose session ended earlier than the stored one's changes nothing. The
 * same spotlight stored again (a retried job) changes nothing either, and is not announced twice.
 */
import type { Redis } from 'ioredis';
import type { StoredSpotlight } from '../insights/stored-spotlight.ts';
import { REDIS_TTL_SECONDS, redisKeys } from '../serving/redis-keys.ts';

// ISO 8601 times in the same format compare as strings in time order, which Lua can do.
const STORE_SPOTLIGHT = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' then
    if stored.factId == ARGV[4] then return 0 end
    local endedAt = tostring(stored.sessionEndedAt or '')
    local startedAt = tostring(stored.sessionStartedAt or '')
    if endedAt > ARGV[5] or (endedAt == ARGV[5] and startedAt >= ARGV[6]) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;

type SpotlightRedis = Redis & {
  almanacStoreSpotlight(
    key: string,
    json: string,
    ttlSeconds: number,
    channel: string,
    factId: string,
    sessionEndedAt: string,
    sessionStartedAt: string,
  ): Promise<number>;
};

function withScript(redis: Redis): SpotlightRedis {
  if (!('almanacStoreSpotlight' in redis)) {
    // A defined command has ioredis apply its key prefix to KEYS[1]; the channel is an argument,
    // which it leaves alone, so it carries the deployment's prefix already (see channels.ts).
    redis.defineCommand('almanacStoreSpotlight', { numberOfKeys: 1, lua: STORE_SPOTLIGHT });
  }
  return redis as SpotlightRedis;
}

/**
 * Stores the spotlight as the reader's newest and publishes it on `channel`, unless the stored
 * one is as new or newer. True when it was stored and published.
 */
export async function storeNewestSpotlight(
  redis: Redis,
  channel: string,
  spotlight: StoredSpotlight,
): Promise<boolean> {
  const stored = await withScript(redis).almanacStoreSpotlight(
    redisKeys.spotlight(spotlight.userId),
    JSON.stringify(spotlight),
    REDIS_TTL_SECONDS.spotlight,
    channel,
    spotlight.factId,
    spotlight.sessionEndedAt,
    spotlight.sessionStartedAt,
  );
  return stored === 1;
}
