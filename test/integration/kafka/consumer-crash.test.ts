/**
 * A consumer whose batch handler throws something kafkajs cannot retry is stopped for good by
 * kafkajs; exitOnConsumerCrash logs that at error level and ends the process. A crash kafkajs
 * recovers from is logged too, and the process lives on.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { exitOnConsumerCrash } from '../../../src/kafka/consumer-crash.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import type { Logger } from '../../../src/logger.ts';
import { createNamespace } from '../../support/namespace.ts';
import { pollUntil } from '../../support/triggered.ts';

const ns = createNamespace('consumer_crash');
const topic = topicNames(ns.config).insights;
const consumers: Consumer[] = [];

interface LogRecord {
  level: string;
  message: string;
  context: Record<string, unknown>;
}

function recordingLogger(records: LogRecord[]): Logger {
  const keep =
    (level: string) =>
    (message: string, context: Record<string, unknown> = {}) =>
      void records.push({ level, message, context });
  const log: Logger = {
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    child: () => log,
  };
  return log;
}

beforeAll(async () => {
  await ns.migrate();
  const kafka = createKafka(ns.config, 'test');
  await ensureTopics(kafka, ns.config);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'u', value: 'anything' }] });
  await producer.disconnect();
});

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.disconnect().catch(() => undefined)));
  await ns.cleanup();
});

/** A consumer of its own group whose handler throws `failure` at the first batch. */
async function failingConsumer(group: string, failure: () => Error, log: Logger, exits: number[]) {
  // No retries, so that a retriable failure reaches the crash at once.
  const kafka = new Kafka({
    clientId: `${ns.id}-${group}`,
    brokers: ns.config.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0, initialRetryTime: 100 },
  });
  const consumer = kafka.consumer({ groupId: `${ns.id}.${group}`, allowAutoTopicCreation: false });
  consumers.push(consumer);
  exitOnConsumerCrash(consumer, log, (code) => exits.push(code));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async () => {
      throw failure();
    },
  });
  return consumer;
}

describe('a crashed Kafka consumer', () => {
  it('that kafkajs will not restart is logged as an error and ends the process', async () => {
    const records: LogRecord[] = [];
    const exits: number[] = [];
    await failingConsumer(
      'fatal',
      () => new TypeError("Cannot destructure property 'startedAt' of null"),
      recordingLogger(records),
      exits,
    );

    await pollUntil(async () => exits.length > 0, 30_000, 'the crash');
    expect(exits).toEqual([1]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'error',
      message: 'Kafka consumer crashed and will not restart; exiting',
      context: { groupId: `${ns.id}.fatal` },
    });
    expect(String(records[0]!.context.error)).toMatch(/Cannot destructure property 'startedAt'/);
  });

  it('that kafkajs restarts is logged as an error, and the process lives on', async () => {
    const records: LogRecord[] = [];
    const exits: number[] = [];
    await failingConsumer(
      'retriable',
      () => Object.assign(new Error('Redis is away'), { retriable: true }),
      recordingLogger(records),
      exits,
    );

    await pollUntil(async () => records.length > 0, 30_000, 'the crash');
    expect(records[0]).toMatchObject({
      level: 'error',
      message: 'Kafka consumer crashed; kafkajs restarts it',
    });
    expect(exits).toEqual([]);
  });
});
