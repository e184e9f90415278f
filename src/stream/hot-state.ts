/**
 * The hot per-user state in Redis that the stream layer keeps current: the last 50 events, the
 * current session, the invalidation of the cached profile, and the live feed of new events.
 *
 * The recent list is a sorted set scored by event time whose members are the events' JSON, which
 * is the same bytes for the same event: re-adding an event after a replay changes nothing, so the
 * list never holds a duplicate, and late events land in time order.
 */
import type { Redis } from 'ioredis';
import { toPublicEvent } from '../events/contract.ts';
import { RECENT_EVENTS_KEPT, REDIS_TTL_SECONDS, redisKeys } from '../serving/redis-keys.ts';
import type { AppliedBatch } from './aggregate-store.ts';
import type { UserDelta } from './fold.ts';

export interface SessionState {
  /** Event time of the session's first event, ms. */
  startedAt: number;
  /** Event time of its latest event, ms. */
  lastEventAt: number;
  events: number;
}

/**
 * Each user's newest events of the batch, at most as many as the recent list keeps, newest first,
 * as the JSON the list and the live feed carry. Worked out once per batch, for both.
 */
const newestJson = new WeakMap<UserDelta, { time: number; json: string }[]>();

export function newestOf(delta: UserDelta): { time: number; json: string }[] {
  let newest = newestJson.get(delta);
  if (!newest) {
    // Reversed first, so that events of the same time end up in arrival order once the list
    // is turned oldest first for the live feed (the sort is stable).
    newest = [...delta.fresh]
      .reverse()
      .sort((a, b) => b.time - a.time)
      .slice(0, RECENT_EVENTS_KEPT)
      .map((event) => ({ time: event.time, json: JSON.stringify(toPublicEvent(event)) }));
    newestJson.set(delta, newest);
  }
  return newest;
}

export async function addRecentEvents(redis: Redis, users: Iterable<UserDelta>): Promise<void> {
  const pipeline = redis.pipeline();
  let commands = 0;

  for (const delta of users) {
    const key = redisKeys.recent(delta.userId);
    const members = newestOf(delta).flatMap(({ time, json }) => [time, json]);
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

/**
 * After the counts commit: drops each changed user's cached profile, stores its open session and
 * tells live subscribers about its new events. Losing this step to a crash costs a stale cache
 * entry for at most its TTL and a missed live notice, never a wrong count.
 */
export async function afterCountsCommitted(
  redis: Redis,
  result: Pick<AppliedBatch, 'users' | 'insights'>,
  live: { recent: (userId: string) => string },
): Promise<void> {
  if (result.users.size === 0) return;
  const ids = [...result.users.keys()];

  const pipeline = redis.pipeline();
  pipeline.del(...ids.map(redisKeys.profile));
  for (const [userId, delta] of result.users) {
    const session = result.insights.openSessions.get(userId);
    if (session) {
      const state: SessionState = {
        startedAt: session.startedAt,
        lastEventAt: session.lastEventAt,
        events: session.events,
      };
      pipeline.set(
        redisKeys.session(userId),
        JSON.stringify(state),
        'EX',
        REDIS_TTL_SECONDS.session,
      );
    }
    // Oldest first, as they happened; a batch holding more than the recent list keeps is a
    // backfill, of which a live view shows only the newest anyway.
    const events = newestOf(delta)
      .map(({ json }) => json)
      .reverse();
    pipeline.publish(live.recent(userId), `[${events.join(',')}]`);
  }
  await pipeline.exec();
}
