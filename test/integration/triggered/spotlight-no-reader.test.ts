/**
 * A session-ended fact for a reader who is not stored (no users row: removed, or never counted)
 * gets no spotlight: nothing is recorded in PostgreSQL or Redis, nobody is told, and no model is
 * asked. A fact detected a moment ago is the exception, for a while: the aggregator publishes a
 * fact before its transaction, which stores a new reader, commits, so the job is tried again.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId, type SessionEndedFact } from '../../../src/insights/facts.ts';
import { channels } from '../../../src/serving/channels.ts';
import {
  addReaders,
  createTriggeredStack,
  produceFacts,
  sessionEnded,
  waitForJob,
} from '../../support/triggered.ts';

const stack = createTriggeredStack('spotlight_no_reader', { env: { ALMANAC_JOB_ATTEMPTS: '3' } });
const { ns, pool, narrator, queue } = stack;
const redis = new Redis(ns.config.redisUrl);
const subscriber = new Redis(ns.config.redisUrl);
const notices: string[] = [];

beforeAll(async () => {
  await stack.prepare();
  subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
    notices.push(message),
  );
  await subscriber.psubscribe(channels(ns.config.redisKeyPrefix).spotlight('*'));
  await stack.start();
});

afterAll(async () => {
  redis.disconnect();
  subscriber.disconnect();
  await stack.stop();
});

/** A fact the aggregator found `minutesAgo` before now (wall time). */
function detectedEarlier(fact: SessionEndedFact, minutesAgo: number): SessionEndedFact {
  return { ...fact, detectedAt: Date.now() - minutesAgo * 60_000 };
}

async function spotlightsOf(userId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM user_spotlights WHERE user_id = $1',
    [userId],
  );
  return rows[0]!.n;
}

describe('a spotlight job for a reader who is not stored', () => {
  it('records nothing, asks the narrator nothing and says so', async () => {
    const fact = detectedEarlier(sessionEnded('gone-reader', 5), 2);
    await produceFacts(ns.config, [fact]);
    await waitForJob(queue, factJobId(fact), 'completed');

    const job = await queue.getJob(factJobId(fact));
    expect(job?.returnvalue).toEqual({ spotlight: 'no-reader', published: false });
    expect(job?.attemptsMade).toBe(1);
    expect(narrator.calls).toBe(0);
    expect(await spotlightsOf('gone-reader')).toBe(0);
    expect(await redis.exists(`${ns.config.redisKeyPrefix}user:gone-reader:spotlight`)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(notices).toEqual([]);
  });

  it('does not reuse a spotlight stored before the reader was removed', async () => {
    const fact = detectedEarlier(sessionEnded('removed-reader', 5), 2);
    await addReaders(pool, ['removed-reader']);
    await produceFacts(ns.config, [fact]);
    await waitForJob(queue, factJobId(fact), 'completed');
    expect(await spotlightsOf('removed-reader')).toBe(1);
    await redis.del(`${ns.config.redisKeyPrefix}user:removed-reader:spotlight`);
    notices.length = 0;

    await pool.query(`DELETE FROM users WHERE id = 'removed-reader'`);
    await queue.remove(factJobId(fact));
    await produceFacts(ns.config, [fact]);
    await waitForJob(queue, factJobId(fact), 'completed');

    expect((await queue.getJob(factJobId(fact)))?.returnvalue).toEqual({
      spotlight: 'no-reader',
      published: false,
    });
    expect(narrator.calls).toBe(1);
    expect(await redis.exists(`${ns.config.redisKeyPrefix}user:removed-reader:spotlight`)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(notices).toEqual([]);
  });

  it('is tried again when the fact is new, and written once the reader is stored', async () => {
    const fact = sessionEnded('new-reader', 5);
    await produceFacts(ns.config, [fact]);
    await waitForJob(queue, factJobId(fact), 'delayed');
    expect(narrator.calls).toBe(1);

    await addReaders(pool, ['new-reader']);
    await waitForJob(queue, factJobId(fact), 'completed');
    const job = await queue.getJob(factJobId(fact));
    expect(job?.returnvalue).toMatchObject({ spotlight: 'written', published: true });
    expect(job?.attemptsMade).toBe(2);
    expect(narrator.calls).toBe(2);
    expect(await spotlightsOf('new-reader')).toBe(1);
  });
});
