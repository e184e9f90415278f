/**
 * A message on the insights topic that parses as JSON and has a fact's envelope, but whose
 * payload is not what its kind promises, is dead-lettered with its reason; the facts around it,
 * on the same partition, become jobs and every offset is committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { encodeFact, factJobId } from '../../../src/insights/facts.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import {
  achievement,
  createTriggeredStack,
  groupProgress,
  pollUntil,
  sessionEnded,
  readInsightDeadLetters,
} from '../../support/triggered.ts';

// Only the bridge runs, so the queue's bound is set above everything the test produces.
const stack = createTriggeredStack('poison_fact', {
  env: { ALMANAC_BRIDGE_MAX_WAITING: '100000' },
  worker: false,
});
const { ns, bridge, queue } = stack;
const topics = topicNames(ns.config);

const POISON = [
  '{"id":"x","userId":"u","occurredAt":1,"detectedAt":1,"kind":"session-ended","session":null}',
  '{"id":"y","userId":"u","occurredAt":1,"detectedAt":1,"kind":"achievement","achievement":[]}',
  '{"id":"z","userId":"u","occurredAt":1,"detectedAt":1,"kind":"emerging-interest",' +
    '"interest":{"tag":7,"firstSeenAt":1,"emergedAt":1,"events":1}}',
];

beforeAll(async () => {
  await stack.prepare();
  await stack.start();
});

afterAll(async () => {
  await stack.stop();
});

/** Produces the values in order under one key, so they share a partition. */
async function produceInOrder(values: Buffer[]): Promise<void> {
  const producer = createKafka(ns.config, 'test-poison').producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({
      topic: topics.insights,
      acks: -1,
      messages: values.map((value) => ({ key: 'u', value })),
    });
  } finally {
    await producer.disconnect();
  }
}

function readDeadLetters(count: number) {
  return readInsightDeadLetters(ns.config, `${ns.id}.dlq-reader`, count);
}

describe('a poison message on the insights topic', () => {
  it('is dead-lettered, and the facts before and after it become jobs', async () => {
    const before = [sessionEnded('u', 10), achievement('u', 100)];
    const after = [sessionEnded('u', 5), achievement('u', 1000)];
    await produceInOrder([
      ...before.map(encodeFact),
      ...POISON.map((value) => Buffer.from(value)),
      ...after.map(encodeFact),
    ]);

    await pollUntil(
      async () => {
        const { total, committed } = await groupProgress(
          ns.config,
          ns.config.bridgeGroup,
          topics.insights,
        );
        return total === 7 && committed === 7;
      },
      30_000,
      'the bridge to commit every message',
      200,
    );

    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1);
    expect(new Set(jobs.map((job) => job.id))).toEqual(
      new Set([...before, ...after].map(factJobId)),
    );
    expect(bridge.totals).toMatchObject({ messages: 7, enqueued: 4, deadLettered: 3 });

    const letters = await readDeadLetters(3);
    expect(letters.map((letter) => letter.value)).toEqual(POISON);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({
        'almanac-reason-code': 'INSIGHT_FACT_INVALID',
        'almanac-source-topic': topics.insights,
      });
    }
    expect(letters.map((letter) => letter.headers['almanac-reason'])).toEqual([
      'insight fact session must be an object',
      'insight fact achievement must be an object',
      'insight fact interest.tag must be a string of 1 to 200 characters',
    ]);
  });
});
