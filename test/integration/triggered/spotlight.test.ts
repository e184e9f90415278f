/**
 * A session-ended fact on the insights topic becomes one spotlight: one row in user_spotlights,
 * the reader's newest spotlight in Redis for at most a day, one message to live subscribers. Run
 * again under the same job id, the job reuses what it stored and asks the narrator nothing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId, type SessionEndedFact } from '../../../src/insights/facts.ts';
import type { StoredSpotlight } from '../../../src/insights/stored-spotlight.ts';
import { channels } from '../../../src/serving/channels.ts';
import {
  addReaders,
  createTriggeredStack,
  produceFacts,
  sessionEnded,
  shareTags,
  waitForJob,
} from '../../support/triggered.ts';

const DAY = 86_400_000;
const stack = createTriggeredStack('spotlight');
const { ns, pool, narrator, queue } = stack;
const redis = new Redis(ns.config.redisUrl);
const subscriber = new Redis(ns.config.redisUrl);
const announced = new Map<string, string[]>();

beforeAll(async () => {
  await stack.prepare();
  await shareTags(pool, ['science', 'drama', 'comedy', 'history']);
  subscriber.on('message', (channel: string, message: string) => {
    announced.set(channel, [...(announced.get(channel) ?? []), message]);
  });
  await stack.start();
});

afterAll(async () => {
  redis.disconnect();
  subscriber.disconnect();
  await stack.stop();
});

function channelOf(userId: string): string {
  return channels(ns.config.redisKeyPrefix).spotlight(userId);
}

async function storedSpotlight(userId: string): Promise<StoredSpotlight | undefined> {
  const json = await redis.get(`${ns.config.redisKeyPrefix}user:${userId}:spotlight`);
  return json === null ? undefined : (JSON.parse(json) as StoredSpotlight);
}

async function spotlightRows(userId: string) {
  const { rows } = await pool.query(
    `SELECT fact_id, text, model, session_started_at, session_ended_at
       FROM user_spotlights WHERE user_id = $1 ORDER BY session_ended_at`,
    [userId],
  );
  return rows;
}

async function addSession(userId: string, endedAt: number, tags: Record<string, number>) {
  const events = Object.values(tags).reduce((sum, count) => sum + count, 0);
  await pool.query(
    `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
       closed_by)
     VALUES ($1, $2, $3, $4, $5, $6, 'gap')`,
    [
      userId,
      new Date(endedAt - 30 * 60_000),
      new Date(endedAt),
      events,
      JSON.stringify(tags),
      Object.keys(tags),
    ],
  );
}

async function runFact(fact: SessionEndedFact): Promise<void> {
  await addReaders(pool, [fact.userId]);
  await produceFacts(ns.config, [fact]);
  await waitForJob(queue, factJobId(fact), 'completed');
}

describe('a spotlight job', () => {
  const userId = 'reader-1';
  let fact: SessionEndedFact;

  it('stores one spotlight, caches it for at most a day and announces it', async () => {
    fact = sessionEnded(userId, 5, { tags: ['science', 'drama'], events: 9 });
    const end = fact.session.endedAt;
    await addSession(userId, end - 1 * DAY, { drama: 4, comedy: 2 });
    await addSession(userId, end - 3 * DAY, { drama: 3 });
    await addSession(userId, end - 10 * DAY, { history: 7 });
    const today = Math.floor(end / DAY);
    await pool.query(
      `INSERT INTO user_active_days (user_id, day, events)
       SELECT $1, DATE '1970-01-01' + d, 3 FROM unnest($2::int[]) AS d`,
      [userId, [today - 1, today - 2, today - 5]],
    );
    await subscriber.subscribe(channelOf(userId));

    await runFact(fact);

    expect(narrator.calls).toBe(1);
    const rows = await spotlightRows(userId);
    expect(rows).toEqual([
      {
        fact_id: fact.id,
        text: 'Spotlight number 1.',
        model: 'test-model',
        session_started_at: new Date(fact.session.startedAt),
        session_ended_at: new Date(fact.session.endedAt),
      },
    ]);

    const stored = await storedSpotlight(userId);
    expect(stored).toMatchObject({
      userId,
      factId: fact.id,
      text: 'Spotlight number 1.',
      model: 'test-model',
      sessionStartedAt: new Date(fact.session.startedAt).toISOString(),
      sessionEndedAt: new Date(fact.session.endedAt).toISOString(),
    });
    const ttl = await redis.ttl(`${ns.config.redisKeyPrefix}user:${userId}:spotlight`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 60 * 60);

    await expect.poll(() => announced.get(channelOf(userId))?.length ?? 0).toBe(1);
    expect(JSON.parse(announced.get(channelOf(userId))![0]!)).toEqual(stored);
  });

  it('writes from the window before the session, and nothing that names the reader', async () => {
    const facts = narrator.seen[0]!;
    expect(facts.windowDays).toBe(7);
    expect(facts.sessions.map((session) => session.endedAt)).toEqual([
      fact.session.endedAt,
      fact.session.endedAt - 1 * DAY,
      fact.session.endedAt - 3 * DAY,
    ]);
    expect(facts.topTags.slice(0, 3)).toEqual([
      { tag: 'drama', count: 15 },
      { tag: 'science', count: 9 },
      { tag: 'comedy', count: 2 },
    ]);
    expect(facts.previousTopTags).toEqual([{ tag: 'history', count: 7 }]);
    expect(facts.streakDays).toBe(3);
    expect(facts.hourOfDay?.reduce((sum, count) => sum + count, 0)).toBe(9 + 6 + 3);
    expect(JSON.stringify(facts)).not.toContain(userId);
  });

  it('run again after its job record was removed, reuses the spotlight without the narrator', async () => {
    await queue.remove(factJobId(fact));
    await runFact(fact);

    const job = await queue.getJob(factJobId(fact));
    expect(job?.returnvalue).toEqual({
      spotlight: 'reused',
      published: false,
      model: 'test-model',
    });
    expect(narrator.calls).toBe(1);
    expect(await spotlightRows(userId)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(announced.get(channelOf(userId))).toHaveLength(1);
  });

  it('keeps the later session as the newest when an earlier one finishes after it', async () => {
    const other = 'reader-2';
    await subscriber.subscribe(channelOf(other));
    const later = sessionEnded(other, 10);
    const earlier = sessionEnded(other, 90);

    await runFact(later);
    await runFact(earlier);

    expect((await storedSpotlight(other))?.factId).toBe(later.id);
    expect(await spotlightRows(other)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(announced.get(channelOf(other))?.map((message) => JSON.parse(message).factId)).toEqual([
      later.id,
    ]);
  });
});
