/**
 * A bridge whose consumer crashed for good says so at error level and ends its process, so that
 * its supervisor starts a fresh one; it does not live on without reading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import type { Logger } from '../../../src/logger.ts';
import { InsightBridge } from '../../../src/triggered/bridge.ts';
import { createNamespace } from '../../support/namespace.ts';
import { achievement, pollUntil, produceFacts } from '../../support/triggered.ts';

const ns = createNamespace('bridge_crash', { ALMANAC_BRIDGE_MAX_WAITING: '100000' });
const errors: { message: string; context: Record<string, unknown> }[] = [];
const exits: number[] = [];

/**
 * A logger that fails on the bridge's per-slice line, after the jobs were added: a stand-in for
 * any fault in the batch handler that kafkajs cannot retry.
 */
const faultyLogger: Logger = {
  debug: (message) => {
    if (message === 'facts queued') throw new TypeError('the log is gone');
  },
  info: () => undefined,
  warn: () => undefined,
  error: (message, context = {}) => void errors.push({ message, context }),
  child: () => faultyLogger,
};

const bridge = new InsightBridge(ns.config, {
  log: faultyLogger,
  exit: (code) => void exits.push(code),
});

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(createKafka(ns.config, 'test'), ns.config);
  await bridge.start();
});

afterAll(async () => {
  await bridge.stop();
  await ns.cleanup();
});

describe('a bridge whose consumer crashed for good', () => {
  it('logs the crash as an error and ends the process with a non-zero code', async () => {
    await produceFacts(ns.config, [achievement('reader-1', 100)]);

    await pollUntil(async () => exits.length > 0, 30_000, 'the bridge to exit');
    expect(exits).toEqual([1]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('Kafka consumer crashed and will not restart; exiting');
    expect(String(errors[0]!.context.error)).toMatch(/the log is gone/);
  });
});
