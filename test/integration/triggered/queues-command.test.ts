/**
 * `almanac queues show` and `retry` take job ids only, and say so in one line for anything else
 * (the queue's own keys included); a Redis refusal is one line too. What the command prints from
 * a job (its id, name, user, reason, result) reaches the terminal with control characters
 * escaped, whatever the fact carried.
 */
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesCommand } from '../../../src/cli/commands/queues.ts';
import { factJobId } from '../../../src/insights/facts.ts';
import {
  INSIGHTS_QUEUE,
  createQueueConnection,
  openInsightsQueue,
  type InsightsQueue,
} from '../../../src/triggered/queue.ts';
import { createNamespace } from '../../support/namespace.ts';
import { runAlmanac } from '../../support/processes.ts';
import { achievement, waitForJob } from '../../support/triggered.ts';

const ns = createNamespace('queues_command');
const connection = createQueueConnection(ns.config);
let queue: InsightsQueue;

/** A reader id and a failure reason that would clear the screen and retitle the terminal. */
const ESCAPING_USER = '\u001b[2J\u001b]0;retitled\u0007reader';
const ESCAPING_REASON = 'boom \u001b[31mred\u001b[0m\rover\u009b2J';
const escaping = achievement(ESCAPING_USER, 100);
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function almanac(args: string[]) {
  return runAlmanac(args, {
    REDIS_URL: ns.config.redisUrl,
    ALMANAC_REDIS_PREFIX: ns.config.redisKeyPrefix,
    ALMANAC_QUEUE_PREFIX: ns.config.queuePrefix,
  });
}

function expectOneLine(result: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^almanac: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  queue = openInsightsQueue(ns.config, connection);
  // A job that fails for good, whose reader id and reason hold escape sequences.
  await queue.add('achievement', escaping, { jobId: factJobId(escaping), attempts: 1 });
  const workerConnection = createQueueConnection(ns.config);
  const worker = new Worker(
    INSIGHTS_QUEUE,
    async () => {
      throw new Error(ESCAPING_REASON);
    },
    { connection: workerConnection, prefix: ns.config.queuePrefix },
  );
  await waitForJob(queue, factJobId(escaping), 'failed');
  await worker.close();
  workerConnection.disconnect();
});

afterAll(async () => {
  await queue.close();
  connection.disconnect();
  await ns.cleanup();
});

describe('almanac queues', () => {
  it("refuses the queue's own keys and other strings as job ids, in one line", async () => {
    for (const target of ['events', 'wait', 'id', 'meta', 'failed', 'achievement-123', '']) {
      expectOneLine(await almanac(['queues', 'show', target]), /is not a job id/);
    }
    expectOneLine(await almanac(['queues', 'retry', 'meta']), /is not a job id/);
  });

  it('names the shapes a job id has', async () => {
    await expect(
      queuesCommand(['show', 'meta'], { out: () => undefined }, ns.config),
    ).rejects.toMatchObject({
      code: 'QUEUE_JOB_ID_INVALID',
      message:
        '"meta" is not a job id: a fact job is <kind>-<32 hex digits>, the idle-session ' +
        'sweep repeat:close-idle-sessions:<ms>',
    });
  });

  it('escapes what it echoes of a refused id', async () => {
    const result = await almanac(['queues', 'show', '\u001b[2Jx']);
    expectOneLine(result, /"\\u001b\[2Jx" is not a job id/);
    expect(result.stderr).not.toMatch(CONTROL);
  });

  it('looks up ids of both shapes', async () => {
    expectOneLine(
      await almanac(['queues', 'show', 'repeat:close-idle-sessions:1767225600000']),
      /no job repeat:close-idle-sessions:1767225600000 in queue insights/,
    );
    expectOneLine(
      await almanac(['queues', 'retry', `emerging-interest-${'a'.repeat(32)}`]),
      /no job emerging-interest-a{32} in queue insights/,
    );
  });

  it('turns a Redis refusal into one line', async () => {
    const jobId = `achievement-${'0'.repeat(32)}`;
    await connection.set(`${ns.config.queuePrefix}:${INSIGHTS_QUEUE}:${jobId}`, 'not a job');
    const result = await almanac(['queues', 'show', jobId]);
    expectOneLine(result, /Redis refused .*WRONGTYPE/);
  });

  it('escapes control characters in the failed jobs it lists', async () => {
    const result = await almanac(['queues']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(factJobId(escaping));
    expect(result.stdout).toContain('\\u001b[2J\\u001b]0;retitled\\u0007reader');
    expect(result.stdout).toContain('boom \\u001b[31mred\\u001b[0m over\\u009b2J');
    expect(result.stdout).not.toMatch(CONTROL);
  });

  it('escapes control characters in the job it shows', async () => {
    const result = await almanac(['queues', 'show', factJobId(escaping)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^state\s+failed$/m);
    expect(result.stdout).toContain('\\u001b[2J\\u001b]0;retitled\\u0007reader');
    expect(result.stdout).not.toMatch(CONTROL);
  });
});
