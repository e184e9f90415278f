/**
 * The bridge adds one job per fact, whatever it reads twice: the same facts produced again, or
 * the part of the topic a killed bridge had queued but not committed. Old sessions get no job,
 * and a message that is not a fact goes to the insights dead-letter topic with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { factJobId, type InsightFact } from '../../../src/insights/facts.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import { silentLogger } from '../../../src/logger.ts';
import { InsightBridge } from '../../../src/triggered/bridge.ts';
import {
  createQueueConnection,
  openInsightsQueue,
  pendingJobs,
  type InsightsQueue,
} from '../../../src/triggered/queue.ts';
import { createNamespace } from '../../support/namespace.ts';
import {
  achievement,
  groupProgress,
  pollUntil,
  produceFacts,
  sessionEnded,
  startTriggeredProcess,
  type TriggeredProcess,
  readInsightDeadLetters,
} from '../../support/triggered.ts';

const DAY_MINUTES = 24 * 60;
// No worker runs here, so the queue's bound is set above everything the tests produce.
const ns = createNamespace('bridge_once', {
  ALMANAC_SPOTLIGHT_WINDOW_DAYS: '7',
  ALMANAC_BRIDGE_MAX_WAITING: '100000',
});
const topics = topicNames(ns.config);
const connection = createQueueConnection(ns.config);
const running: TriggeredProcess[] = [];
let queue: InsightsQueue;

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(createKafka(ns.config, 'test'), ns.config);
  queue = openInsightsQueue(ns.config, connection);
});

afterAll(async () => {
  await Promise.all(running.map((bridge) => bridge.stop()));
  await queue.close();
  connection.disconnect();
  await ns.cleanup();
});

async function allCommitted(): Promise<boolean> {
  const { total, committed } = await groupProgress(
    ns.config,
    ns.config.bridgeGroup,
    topics.insights,
  );
  return total > 0 && committed === total;
}

async function jobIdsInQueue(): Promise<Set<string>> {
  const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1);
  return new Set(jobs.map((job) => job.id!));
}

function readDeadLetters(count: number) {
  return readInsightDeadLetters(ns.config, `${ns.id}.dlq-reader`, count);
}

describe('the bridge', () => {
  it('queues each fact once, even when the facts are produced twice', async () => {
    const recent = Array.from({ length: 200 }, (_, index) => sessionEnded(`s${index}`, 30));
    const milestones = Array.from({ length: 100 }, (_, index) => achievement(`a${index}`, 100));
    const old = Array.from({ length: 30 }, (_, index) =>
      sessionEnded(`o${index}`, 8 * DAY_MINUTES),
    );
    const facts: InsightFact[] = [...recent, ...milestones, ...old];
    const notFacts = [Buffer.from('not json'), Buffer.from('{"id":"x","kind":"session-ended"}')];

    const bridge = new InsightBridge(ns.config, { log: silentLogger });
    await bridge.start();
    try {
      await produceFacts(ns.config, facts, notFacts);
      await pollUntil(allCommitted, 60_000, 'the bridge to commit every message', 200);

      const expected = new Set([...recent, ...milestones].map(factJobId));
      expect(await jobIdsInQueue()).toEqual(expected);
      expect(bridge.totals).toMatchObject({
        messages: 332,
        enqueued: 300,
        staleSessions: 30,
        deadLettered: 2,
      });

      await produceFacts(ns.config, facts);
      await pollUntil(async () => bridge.totals.messages === 662, 60_000, 'the second reading');
      expect(await jobIdsInQueue()).toEqual(expected);
      expect(await pendingJobs(queue)).toBe(300);
    } finally {
      await bridge.stop();
    }

    const letters = await readDeadLetters(2);
    expect(letters.map((letter) => letter.value).sort()).toEqual([
      'not json',
      '{"id":"x","kind":"session-ended"}',
    ]);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({
        'almanac-reason-code': 'INSIGHT_FACT_INVALID',
        'almanac-source-topic': topics.insights,
      });
      expect(letter.headers['almanac-reason']).toMatch(/insight fact/);
    }
  });

  it('loses and repeats nothing when killed mid-stream', async () => {
    await queue.obliterate({ force: true });
    const before = await groupProgress(ns.config, ns.config.bridgeGroup, topics.insights);
    const facts = Array.from({ length: 20_000 }, (_, index) => achievement(`k${index}`, 1000));
    await produceFacts(ns.config, facts);

    const first = await startTriggeredProcess('bridge', ns.config);
    running.push(first);
    await pollUntil(async () => (await pendingJobs(queue)) >= 2000, 60_000, '2000 jobs', 5);
    await first.crash();

    // Offsets reach Kafka only after their jobs are in the queue: what is committed is queued.
    const atCrash = await pendingJobs(queue);
    const committed = (await groupProgress(ns.config, ns.config.bridgeGroup, topics.insights))
      .committed;
    expect(atCrash).toBeLessThan(facts.length);
    expect(committed - before.committed).toBeLessThanOrEqual(atCrash);

    const second = await startTriggeredProcess('bridge', ns.config);
    running.push(second);
    await pollUntil(allCommitted, 120_000, 'the second bridge to commit every message', 200);

    expect(await pendingJobs(queue)).toBe(facts.length);
    expect(await jobIdsInQueue()).toEqual(new Set(facts.map(factJobId)));
  });
});
