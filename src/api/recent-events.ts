/**
 * Reads readers' latest events from `user:{id}:recent`, a sorted set of event JSON scored by
 * event time in ms that the stream layer trims to RECENT_EVENTS_KEPT. Highest score first is
 * newest first. These events live only in Redis; they are never part of the profile cache.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { RECENT_EVENTS_KEPT, redisKeys } from '../serving/redis-keys.ts';
import type { RecentEvent } from './profile.ts';

function optionalText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** One member of the sorted set as an event, or null when it is not one. */
export function parseRecentEvent(member: string): RecentEvent | null {
  try {
    return toRecentEvent(JSON.parse(member));
  } catch {
    return null;
  }
}

/**
 * An event in its public JSON form (what the stream layer stores in the sorted set and publishes
 * on the recent channel) as a RecentEvent, or null when `value` is not one.
 */
export function toRecentEvent(value: unknown): RecentEvent | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;

  const event = value as Record<string, unknown>;
  if (typeof event.event_id !== 'string' || typeof event.type !== 'string') return null;
  if (typeof event.timestamp !== 'string' || Number.isNaN(Date.parse(event.timestamp))) {
    return null;
  }

  return {
    eventId: event.event_id,
    timestamp: event.timestamp,
    type: event.type,
    url: optionalText(event.url),
    domain: optionalText(event.domain),
    title: optionalText(event.title),
    tags: Array.isArray(event.tags)
      ? event.tags.filter((tag): tag is string => typeof tag === 'string')
      : [],
  };
}

/**
 * Every kept event of each of `ids`, newest first, in one round trip. Members that are not events
 * are skipped and counted in a warning rather than failing the request. When Redis cannot be
 * read at all the readers get no recent events, with a warning: a profile without its latest
 * events is better than no profile, which is what an error in this non-null field would give.
 */
export async function readRecentEvents(
  redis: Redis,
  ids: readonly string[],
  log: Logger,
): Promise<(RecentEvent[] | Error)[]> {
  if (ids.length === 0) return [];

  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.zrevrange(redisKeys.recent(id), 0, RECENT_EVENTS_KEPT - 1);
  let results: [Error | null, unknown][];
  try {
    results = (await pipeline.exec()) ?? [];
  } catch (error) {
    log.warn('recent events unavailable; answering none', { error, readers: ids.length });
    return ids.map(() => []);
  }

  let skipped = 0;
  const events = ids.map((_, index): RecentEvent[] | Error => {
    const [error, members] = results[index] ?? [new Error('no reply from Redis'), null];
    if (error) return error;

    const parsed: RecentEvent[] = [];
    for (const member of members as string[]) {
      const event = parseRecentEvent(member);
      if (event) parsed.push(event);
      else skipped += 1;
    }
    return parsed;
  });

  if (skipped > 0) log.warn('skipped recent events that are not event JSON', { skipped });
  return events;
}
