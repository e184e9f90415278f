/**
 * The hot per-user state in Redis that the stream layer keeps current: the last 50 events, the
 * current session, and the invalidation of the cached profile.
 *
 * The recent list is a sorted set scored by event time whose members are the events' JSON, which
 * is the same bytes for the same event: re-adding an event after a replay changes nothing, so the
 * list never holds a duplicate, and late events land in time order.
 */
import type { Redis } from 'ioredis';
import { toPublicEvent, type AcceptedEvent } from '../events/contract.ts';
import { RECENT_EVENTS_KEPT, REDIS_TTL_SECONDS, redisKeys } from '../serving/redis-keys.ts';
import type { UserDelta } from './fold.ts';

export interface SessionState {
  /** Event time of the session's first event, ms. */
  startedAt: number;
  /** Event time of its latest event, ms. */
  lastEventAt: number;
  events: number;
}

export async function addRecentEvents(redis: Redis, users: Iterable<UserDelta>): Promise<void> {
  const pipeline = redis.pipeline();
  let commands = 0;

  for (const delta of users) {
    const key = redisKeys.recent(delta.userId);
    const newest = [...delta.fresh].sort((a, b) => b.time - a.time).slice(0, RECENT_EVENTS_KEPT);
    const members = newest.flatMap((event) => [event.time, JSON.stringify(toPublicEvent(event))]);
    pipeline.zadd(key, ...members);
    pipeline.zremrangebyrank(key, 0, -RECENT_EVENTS_KEPT - 1);
    pipeline.expire(key, REDIS_TTL_SECONDS.recent);
    commands++;
  }

  if (commands === 0) return;
  // A pipeline reports failures per command; one lost write would leave a hole in the list, so
  // any failure fails the batch, which is then retried.
  for (const [error] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
  }
}

/** Folds events, in event-time order, into a session that ends after `idleMs` without events. */
export function advanceSession(
  state: SessionState | null,
  events: readonly AcceptedEvent[],
  idleMs: number,
): SessionState | null {
  let session = state;
  for (const event of [...events].sort((a, b) => a.time - b.time)) {
    if (!session || event.time - session.lastEventAt > idleMs) {
      session = { startedAt: event.time, lastEventAt: event.time, events: 1 };
    } else if (event.time >= session.startedAt - idleMs) {
      session = {
        startedAt: Math.min(session.startedAt, event.time),
        lastEventAt: Math.max(session.lastEventAt, event.time),
        events: session.events + 1,
      };
    }
  }
  return session;
}

/**
 * After the counts commit: drops each changed user's cached profile and moves its session on.
 * Losing this step to a crash costs a stale cache entry for at most its TTL, never a wrong count.
 */
export async function afterCountsCommitted(
  redis: Redis,
  users: Map<string, UserDelta>,
  sessionIdleMs: number,
): Promise<void> {
  if (users.size === 0) return;
  const ids = [...users.keys()];

  const stored = await redis.mget(ids.map(redisKeys.session));
  const pipeline = redis.pipeline();
  pipeline.del(...ids.map(redisKeys.profile));

  ids.forEach((userId, index) => {
    const previous = stored[index] ? (JSON.parse(stored[index]!) as SessionState) : null;
    const session = advanceSession(previous, users.get(userId)!.fresh, sessionIdleMs);
    if (session) {
      pipeline.set(
        redisKeys.session(userId),
        JSON.stringify(session),
        'EX',
        REDIS_TTL_SECONDS.session,
      );
    }
  });
  await pipeline.exec();
}
