/**
 * kill -9 a worker while its spotlights wait on the model: once the jobs' locks run out another
 * worker finds them stalled and runs them again. Each reader ends with one spotlight, one notice
 * and one cost-ledger row; nothing is lost and nothing is done twice.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId } from '../../../src/insights/facts.ts';
import { channels } from '../../../src/serving/channels.ts';
import {
  addReaders,
  createTriggeredStack,
  pollUntil,
  produceFacts,
  sessionEnded,
  startTriggeredProcess,
  waitForJob,
  type TriggeredProcess,
} from '../../support/triggered.ts';
import {
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

// The workers here are processes, so that one can be killed.
const stack = createTriggeredStack('worker_crash', { worker: false });
const { ns, pool, queue } = stack;
const subscriber = new Redis(ns.config.redisUrl);
const notices: string[] = [];
const running: TriggeredProcess[] = [];
let api: FakeMessagesApi;

beforeAll(async () => {
  await stack.prepare();
  api = await startFakeMessagesApi();
  subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
    notices.push(message),
  );
  await subscriber.psubscribe(channels(ns.config.redisKeyPrefix).spotlight('*'));
  await addReaders(pool, ['k1', 'k2', 'k3']);
  await stack.start();
});

afterAll(async () => {
  await Promise.all(running.map((worker) => worker.stop()));
  subscriber.disconnect();
  await stack.stop();
  await api.close();
});

/** The worker narrates through the stand-in API, which takes as long as the test wants. */
const modelEnv = {
  ANTHROPIC_API_KEY: 'sk-test-key',
  ALMANAC_LLM_TIMEOUT_MS: '120000',
  // The stalled jobs are expected here; the warning about them would only be noise.
  LOG_LEVEL: 'error',
};

describe('a worker killed mid-job', () => {
  it('loses nothing and repeats nothing once another worker takes over', async () => {
    const facts = ['k1', 'k2', 'k3'].map((userId, index) => sessionEnded(userId, 10 + index));
    api.script({ hang: true }, { hang: true }, { hang: true });

    const first = await startTriggeredProcess('worker', ns.config, {
      ...modelEnv,
      ANTHROPIC_BASE_URL: api.baseUrl,
    });
    running.push(first);
    await produceFacts(ns.config, facts);
    await pollUntil(async () => api.requests.length === 3, 60_000, 'three model calls');
    for (const fact of facts) expect(await queue.getJobState(factJobId(fact))).toBe('active');

    await first.crash();
    api.script(
      ...facts.map(() =>
        messageAnswer('A quiet week of reading.', { input_tokens: 90, output_tokens: 12 }),
      ),
    );
    const second = await startTriggeredProcess('worker', ns.config, {
      ...modelEnv,
      ANTHROPIC_BASE_URL: api.baseUrl,
    });
    running.push(second);
    for (const fact of facts) await waitForJob(queue, factJobId(fact), 'completed', 60_000);

    expect(api.requests).toHaveLength(6);
    expect(await queue.getFailedCount()).toBe(0);
    for (const fact of facts) {
      const job = await queue.getJob(factJobId(fact));
      expect(job?.attemptsStarted, fact.userId).toBe(2);
      expect(job?.returnvalue).toMatchObject({ spotlight: 'written', published: true });
    }

    const spotlights = await pool.query(
      'SELECT user_id, text, model FROM user_spotlights ORDER BY user_id',
    );
    expect(spotlights.rows).toEqual(
      ['k1', 'k2', 'k3'].map((userId) => ({
        user_id: userId,
        text: 'A quiet week of reading.',
        model: 'claude-haiku-4-5',
      })),
    );
    const costs = await pool.query('SELECT model, input_tokens FROM llm_costs');
    expect(costs.rows).toEqual(facts.map(() => ({ model: 'claude-haiku-4-5', input_tokens: 90 })));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(notices.map((notice) => JSON.parse(notice).userId).sort()).toEqual(['k1', 'k2', 'k3']);
  });
});
