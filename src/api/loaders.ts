/**
 * The DataLoaders behind every read. A request gets fresh loaders, so nothing is shared between
 * requests except through the stores, and all the lookups a request makes in one tick (a `users`
 * list, the gateway's entity batch) become one batch: one Redis MGET for cached profiles, three
 * SQL statements for the rest, one pipelined round trip for recent events; for the triggered
 * insights, one MGET for cached spotlights and one SQL statement for the spotlights it lacks, and
 * one statement each for achievements, emerging interests and sessions.
 */
import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import {
  readAchievements,
  readEmergingInterests,
  readLatestSpotlights,
  readSessions,
  sessionsKey,
  type SessionsWanted,
} from './insight-reads.ts';
import type { Achievement, EmergingInterest, Session, Spotlight } from './insights.ts';
import { isPossibleUserId, type Profile, type RecentEvent } from './profile.ts';
import { ProfileCache } from './profile-cache.ts';
import { readProfiles } from './profile-store.ts';
import { readRecentEvents } from './recent-events.ts';
import { readCachedSpotlights } from './spotlight-cache.ts';

/** Bounds the ids in one SQL statement or Redis command; bigger batches are split. */
const MAX_BATCH = 500;

/** What the loaders read from; shared by all requests. */
export interface LoaderSources {
  prisma: PrismaClient;
  redis: Redis;
  log: Logger;
}

export interface Loaders {
  /** A reader's profile, or null when there is no such reader. */
  profile: DataLoader<string, Profile | null>;
  /** A reader's kept recent events, newest first (empty when there are none). */
  recentEvents: DataLoader<string, RecentEvent[]>;
  /** A reader's newest spotlight, or null when none was written. */
  spotlight: DataLoader<string, Spotlight | null>;
  /** A reader's achievements, earliest first. */
  achievements: DataLoader<string, Achievement[]>;
  /** A reader's emerging interests, newest first. */
  emergingInterests: DataLoader<string, EmergingInterest[]>;
  /** A reader's latest `last` sessions, the ongoing one first. */
  sessions: DataLoader<SessionsWanted, Session[], string>;
}

/** Profiles from the cache where it has them, from PostgreSQL (then cached) where it does not. */
async function loadProfiles(
  sources: LoaderSources,
  cache: ProfileCache,
  ids: readonly string[],
): Promise<(Profile | null)[]> {
  // DataLoader hands over each id once per batch.
  const possible = ids.filter(isPossibleUserId);
  const profiles = await cache.read(possible);

  const missing = possible.filter((id) => !profiles.has(id));
  if (missing.length > 0) {
    const token = await cache.lease(missing);
    const fresh = await readProfiles(sources.prisma, missing);
    if (token !== null) await cache.fill(token, missing, fresh);
    for (const [id, profile] of fresh) profiles.set(id, profile);

    sources.log.debug('profiles read', {
      cached: possible.length - missing.length,
      fromDatabase: fresh.size,
      unknown: missing.length - fresh.size,
    });
  }

  return ids.map((id) => profiles.get(id) ?? null);
}

/** Spotlights from `user:{id}:spotlight` where Redis has them, from PostgreSQL where not. */
async function loadSpotlights(
  sources: LoaderSources,
  ids: readonly string[],
): Promise<(Spotlight | null)[]> {
  const spotlights = await readCachedSpotlights(sources.redis, ids, sources.log);

  const missing = ids.filter((id) => !spotlights.has(id));
  if (missing.length > 0) {
    for (const [id, spotlight] of await readLatestSpotlights(sources.prisma, missing)) {
      spotlights.set(id, spotlight);
    }
  }
  return ids.map((id) => spotlights.get(id) ?? null);
}

/** Fresh loaders for one request. */
export function createLoaders(sources: LoaderSources): Loaders {
  const cache = new ProfileCache(sources.redis, sources.log);
  return {
    profile: new DataLoader((ids) => loadProfiles(sources, cache, ids), {
      maxBatchSize: MAX_BATCH,
    }),
    recentEvents: new DataLoader((ids) => readRecentEvents(sources.redis, ids, sources.log), {
      maxBatchSize: MAX_BATCH,
    }),
    spotlight: new DataLoader((ids) => loadSpotlights(sources, ids), { maxBatchSize: MAX_BATCH }),
    achievements: new DataLoader((ids) => readAchievements(sources.prisma, ids), {
      maxBatchSize: MAX_BATCH,
    }),
    emergingInterests: new DataLoader((ids) => readEmergingInterests(sources.prisma, ids), {
      maxBatchSize: MAX_BATCH,
    }),
    sessions: new DataLoader((wanted) => readSessions(sources.prisma, wanted), {
      maxBatchSize: MAX_BATCH,
      cacheKeyFn: ({ userId, last }) => sessionsKey(userId, last),
    }),
  };
}
