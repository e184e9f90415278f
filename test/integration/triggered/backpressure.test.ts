/**
 * With no worker running, the bridge stops at ALMANAC_BRIDGE_MAX_WAITING queued jobs and leaves
 * the rest in Kafka; once a worker drains the queue it resumes, and every fact ends up run once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { factJobId } from '../../../src/insights/facts.ts';
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
import { TriggeredWorker } from '../../../src/triggered/worker.ts';
import { createNamespace } from '../../support/namespace.ts';
import {
  CountingNarrator,
  achievement,
  groupProgress,
  pollUntil,
  produceFacts,
} from '../../support/triggered.ts';

const BOUND = 40;
/** The bridge adds at most half the bound at a time. */
const SLICE = BOUND / 2;
const FACTS = 400;

const ns = createNamespace('backpressure', { ALMANAC_BRIDGE_MAX_WAITING: String(BOUND) });
const connection = createQueueConnection(ns.config);
const bridge = new InsightBridge(ns.config, { log: silentLogger, pollIntervalMs: 50 });
const worker = new TriggeredWorker(ns.config, {
  narrator: new CountingNarrator(),
  closeIdleSessions: async () => 0,
  scheduleSweep: false,
  concurrency: 4,
  log: silentLogger,
});
let queue: InsightsQueue;
let sampling: NodeJS.Timeout | undefined;
let mostPending = 0;

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(createKafka(ns.config, 'test'), ns.config);
  queue = openInsightsQueue(ns.config, connection);
});

afterAll(async () => {
  clearInterval(sampling);
  await bridge.stop();
  await worker.stop();
  await queue.close();
  connection.disconnect();
  await ns.cleanup();
});

describe('a full queue', () => {
  const facts = Array.from({ length: FACTS }, (_, index) => achievement(`r${index}`, 100));

  it('pauses the bridge at the bound, with the rest left in Kafka', async () => {
    await produceFacts(ns.config, facts);
    sampling = setInterval(() => {
      void pendingJobs(queue).then((pending) => (mostPending = Math.max(mostPending, pending)));
    }, 10);
    await bridge.start();

    await pollUntil(async () => bridge.totals.pauses >= 1, 60_000, 'the bridge to pause');
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const pending = await pendingJobs(queue);
    expect(pending).toBeLessThanOrEqual(BOUND);
    expect(pending).toBeGreaterThan(BOUND - SLICE);
    const progress = await groupProgress(
      ns.config,
      ns.config.bridgeGroup,
      topicNames(ns.config).insights,
    );
    expect(progress.committed).toBeLessThanOrEqual(pending);
    expect(mostPending).toBeLessThanOrEqual(BOUND);
  });

  it('resumes as a worker drains the queue, and runs every fact once', async () => {
    await worker.start();
    await pollUntil(
      async () => (await queue.getCompletedCount()) === FACTS,
      120_000,
      'every job to complete',
      100,
    );
    clearInterval(sampling);

    expect(await pendingJobs(queue)).toBe(0);
    expect(await queue.getFailedCount()).toBe(0);
    const completed = await queue.getCompleted(0, -1);
    expect(new Set(completed.map((job) => job.id))).toEqual(new Set(facts.map(factJobId)));
    expect(bridge.totals.enqueued).toBeGreaterThanOrEqual(FACTS);
    expect(bridge.totals.pauses).toBeGreaterThanOrEqual(2);
    expect(mostPending).toBeLessThanOrEqual(BOUND + SLICE);
  });
});
