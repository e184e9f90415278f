/**
 * A job that throws is tried ALMANAC_JOB_ATTEMPTS times with backoff, then kept in the failed set;
 * `almanac queues` lists it without the fact's contents, and `almanac queues retry` runs it again
 * with a fresh set of attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesCommand } from '../../../src/cli/commands/queues.ts';
import { factJobId } from '../../../src/insights/facts.ts';
import {
  addReaders,
  createTriggeredStack,
  produceFacts,
  sessionEnded,
  waitForJob,
} from '../../support/triggered.ts';
import { runAlmanac } from '../../support/processes.ts';

const stack = createTriggeredStack('retries', { env: { ALMANAC_JOB_ATTEMPTS: '3' } });
const { ns, pool, narrator, queue } = stack;

beforeAll(async () => {
  await stack.prepare();
  await addReaders(pool, ['reader-7', 'reader-8', 'reader-9']);
  await stack.start();
});

afterAll(async () => {
  await stack.stop();
});

function almanac(args: string[]) {
  return runAlmanac(args, {
    REDIS_URL: ns.config.redisUrl,
    ALMANAC_REDIS_PREFIX: ns.config.redisKeyPrefix,
    ALMANAC_QUEUE_PREFIX: ns.config.queuePrefix,
  });
}

describe('a job that keeps failing', () => {
  const fact = sessionEnded('reader-7', 15, { tags: ['secret-hobby'] });
  const jobId = factJobId(fact);

  it('is tried three times with growing waits, then kept as failed', async () => {
    narrator.failures = 3;
    await produceFacts(ns.config, [fact]);
    await waitForJob(queue, jobId, 'failed');

    const job = await queue.getJob(jobId);
    expect(narrator.calls).toBe(3);
    expect(job?.attemptsMade).toBe(3);
    expect(job?.failedReason).toBe('narrator unavailable (test)');
    // Backoff of 1 s, then 2 s: the last try came at least 3 s after the first.
    expect(job!.finishedOn! - job!.timestamp).toBeGreaterThanOrEqual(3000);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM user_spotlights');
    expect(rows[0].n).toBe(0);
  });

  it('is listed by almanac queues with its user id, and nothing of its fact', async () => {
    const result = await almanac(['queues']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/failed\s+1\n/);
    expect(result.stdout).toContain(jobId);
    expect(result.stdout).toContain('reader-7');
    expect(result.stdout).toContain('3/3');
    expect(result.stdout).toContain('narrator unavailable (test)');
    expect(result.stdout).not.toContain('secret-hobby');

    const shown = await almanac(['queues', 'show', jobId]);
    expect(shown.stdout).toMatch(/^state\s+failed$/m);
    expect(shown.stdout).not.toContain('secret-hobby');
  });

  it('runs again, and succeeds, after almanac queues retry', async () => {
    const lines: string[] = [];
    await queuesCommand(['retry', jobId], { out: (line) => lines.push(line) }, ns.config);
    expect(lines).toEqual([`job ${jobId} queued again`]);
    await waitForJob(queue, jobId, 'completed');

    expect(narrator.calls).toBe(4);
    const { rows } = await pool.query('SELECT fact_id FROM user_spotlights');
    expect(rows).toEqual([{ fact_id: fact.id }]);
  });

  it('refuses, in one line, to retry a job that has not failed', async () => {
    const result = await almanac(['queues', 'retry', jobId]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `almanac: job ${jobId} is completed, not failed. Only failed jobs can be retried; almanac queues lists them`,
    );
  });

  it('retries every failed job with --all', async () => {
    const facts = [sessionEnded('reader-8', 20), sessionEnded('reader-9', 25)];
    narrator.failures = 6;
    await produceFacts(ns.config, facts);
    for (const each of facts) await waitForJob(queue, factJobId(each), 'failed');

    const result = await almanac(['queues', 'retry', '--all']);
    expect(result.stdout.trim()).toBe('2 failed jobs queued again');
    for (const each of facts) await waitForJob(queue, factJobId(each), 'completed');
    expect(await queue.getFailedCount()).toBe(0);
  });
});
