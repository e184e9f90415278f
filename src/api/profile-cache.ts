/**
 * The hot profile cache: `user:{id}:profile` holds a reader's profile as JSON for an hour
 * (REDIS_TTL_SECONDS.profile). The stream aggregator deletes the key after each commit that
 * changes the reader's counts; this module only ever fills it.
 *
 * Filling naively would race that delete: a reader of the old rows could write them back just
 * after the aggregator deleted the key, and the stale copy would live for the whole hour. So a
 * fill takes a lease first. Before reading PostgreSQL the key is set to a lease token; after the
 * read, the profile replaces the token only if the token is still there. If the aggregator's
 * delete lands between the two, the token is gone and nothing is written; if it landed before the
 * lease, the read already sees the committed rows. This relies on the aggregator deleting after
 * its transaction commits, never before.
 *
 * Redis failures here are not fatal: the API then reads PostgreSQL, and says so at warn.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { redisKeys, REDIS_TTL_SECONDS } from '../serving/redis-keys.ts';
import { decodeProfile, encodeProfile, type Profile } from './profile.ts';

/** How long a lease holds the key for a fill in progress; a fill that takes longer is dropped. */
const LEASE_MS = 10_000;
const LEASE_PREFIX = 'lease:';

// KEYS: the profile keys. ARGV[1]: the lease token, ARGV[2]: the TTL in seconds, ARGV[2 + i]:
// the profile for KEYS[i], or '' when the reader does not exist (the lease is then removed).
const FILL_IF_LEASED = `
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    local value = ARGV[i + 2]
    if value == '' then
      redis.call('DEL', key)
    else
      redis.call('SET', key, value, 'EX', ARGV[2])
    end
  end
end
return 0
`;

/** Reads and fills `user:{id}:profile` for many readers at once: one round trip each. */
export class ProfileCache {
  private readonly redis: Redis;
  private readonly log: Logger;

  constructor(redis: Redis, log: Logger) {
    this.redis = redis;
    this.log = log;
  }

  /** The cached profiles among `ids`, by id; leases, other layouts and failures count as misses. */
  async read(ids: readonly string[]): Promise<Map<string, Profile>> {
    const found = new Map<string, Profile>();
    if (ids.length === 0) return found;

    let values: (string | null)[];
    try {
      values = await this.redis.mget(ids.map(redisKeys.profile));
    } catch (error) {
      this.log.warn('profile cache unreadable; reading PostgreSQL', { error });
      return found;
    }

    values.forEach((value, index) => {
      const profile = value === null ? null : decodeProfile(value);
      if (profile) found.set(ids[index]!, profile);
    });
    return found;
  }

  /**
   * Sets a lease on each of `ids` before their rows are read; returns the token to fill with, or
   * null when the leases could not be set (the fill is then skipped).
   */
  async lease(ids: readonly string[]): Promise<string | null> {
    const token = `${LEASE_PREFIX}${randomUUID()}`;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.set(redisKeys.profile(id), token, 'PX', LEASE_MS);

    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error !== null);
      if (failed) throw failed[0];
      return token;
    } catch (error) {
      this.log.warn('profile cache lease failed; not caching this batch', { error });
      return null;
    }
  }

  /**
   * Stores the profiles read under `token`: a profile for each id found, and the lease removed
   * for each id not found (unknown readers are not cached).
   */
  async fill(token: string, ids: readonly string[], profiles: Map<string, Profile>): Promise<void> {
    if (ids.length === 0) return;

    const values = ids.map((id) => {
      const profile = profiles.get(id);
      return profile ? encodeProfile(profile) : '';
    });
    try {
      await this.redis.eval(
        FILL_IF_LEASED,
        ids.length,
        ...ids.map(redisKeys.profile),
        token,
        REDIS_TTL_SECONDS.profile,
        ...values,
      );
    } catch (error) {
      this.log.warn('profile cache fill failed', { error, readers: ids.length });
    }
  }
}
