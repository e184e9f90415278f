/**
 * `almanac queues`: what the triggered work is doing. Counts per state, the latest failed jobs,
 * one job in detail, and retrying failed jobs. Jobs are shown by id, kind and user id; the facts
 * they carry (tags, times) are not printed.
 *
 * A job's data came from a Kafka message, so whatever is printed of it (user id, reason, result)
 * goes through terminalText() first: a user id holding an escape sequence must not reach the
 * terminal as one.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../config/config.ts';
import { AlmanacError, isAlmanacError } from '../../errors.ts';
import { printable } from '../../events/contract.ts';
import { FACT_KINDS } from '../../insights/facts.ts';
import { redisAddress } from '../../services/redis-server.ts';
import {
  CLOSE_IDLE_SESSIONS,
  INSIGHTS_QUEUE,
  createQueueConnection,
  openInsightsQueue,
  type InsightsQueue,
} from '../../triggered/queue.ts';

const USAGE = 'usage: almanac queues [show <jobId> | retry <jobId> | retry --all]';
/** Failed jobs listed by `almanac queues`, newest first. */
const FAILED_SHOWN = 10;
/** Failed jobs read per request by `retry --all`. */
const RETRY_PAGE = 500;

/**
 * The ids jobs of this queue have: the bridge's `<kind>-<32 hex digits>` (factJobId) and the
 * sweep's `repeat:close-idle-sessions:<ms>`, as BullMQ's job scheduler names the job it makes
 * for each interval. Anything else names no job, and may name one of the queue's own keys
 * (events, meta, wait, id), which BullMQ would read as a job or fail on.
 */
const FACT_JOB_ID = `(?:${FACT_KINDS.join('|')})-[0-9a-f]{32}`;
const SWEEP_JOB_ID = `repeat:${CLOSE_IDLE_SESSIONS}:[0-9]{1,16}`;
const JOB_ID = new RegExp(`^(?:${FACT_JOB_ID}|${SWEEP_JOB_ID})$`);

type AnyJob = Job<unknown, unknown, string>;

/** Where the command writes; tests pass their own. */
export interface QueuesOutput {
  out(line: string): void;
}

const consoleOutput: QueuesOutput = { out: (line) => console.log(line) };

export async function queuesCommand(
  args: string[],
  output: QueuesOutput = consoleOutput,
  config: Config = loadConfig(),
): Promise<number> {
  const [action, target, ...rest] = args;
  const valid =
    rest.length === 0 &&
    (action === undefined ||
      (action === 'show' && target !== undefined) ||
      (action === 'retry' && target !== undefined));
  if (!valid) throw new AlmanacError('QUEUES_USAGE', USAGE);

  if (action === 'show' || (action === 'retry' && target !== '--all')) checkJobId(target!);

  const connection = await connect(config);
  const queue = openInsightsQueue(config, connection);
  try {
    if (action === 'show') return await show(queue, target!, output);
    if (action === 'retry') return await retry(queue, target!, output);
    return await summary(queue, config, output);
  } catch (error) {
    throw redisFailure(error) ?? error;
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
  }
}

function checkJobId(jobId: string): void {
  if (JOB_ID.test(jobId)) return;
  const shown = jobId.length > 80 ? `${jobId.slice(0, 77)}...` : jobId;
  throw new AlmanacError(
    'QUEUE_JOB_ID_INVALID',
    `"${terminalText(shown)}" is not a job id: a fact job is <kind>-<32 hex digits>, ` +
      `the idle-session sweep repeat:${CLOSE_IDLE_SESSIONS}:<ms>`,
    { hint: 'almanac queues lists the failed ones' },
  );
}

/**
 * Redis's refusals (a key of the wrong type, a server that went away mid-command) as one line;
 * anything else is left alone, a bug keeping its stack trace.
 */
function redisFailure(error: unknown): AlmanacError | undefined {
  if (isAlmanacError(error)) return undefined;
  const failure = error as { name?: unknown; message?: unknown };
  const refused = failure.name === 'ReplyError' || failure.name === 'MaxRetriesPerRequestError';
  const lost = failure.message === 'Connection is closed.';
  if (!refused && !lost) return undefined;

  return new AlmanacError(
    'REDIS_COMMAND_FAILED',
    `Redis refused the request: ${oneLine(String(failure.message))}`,
    { hint: 'Check REDIS_URL and ALMANAC_QUEUE_PREFIX', retriable: lost, cause: error },
  );
}

async function connect(config: Config): Promise<Redis> {
  const connection = createQueueConnection(config, { failFast: true });
  try {
    await connection.connect();
    return connection;
  } catch (cause) {
    connection.disconnect();
    const { host, port } = redisAddress(config.redisUrl);
    throw new AlmanacError('REDIS_UNREACHABLE', `No Redis answers at ${host}:${port}`, {
      hint: 'Check REDIS_URL and that the server runs (almanac services status)',
      retriable: true,
      cause,
    });
  }
}

async function summary(queue: InsightsQueue, config: Config, output: QueuesOutput) {
  const counts = await queue.getJobCounts(
    'waiting',
    'prioritized',
    'active',
    'delayed',
    'completed',
    'failed',
  );
  const paused = await queue.isPaused();

  output.out(`queue ${INSIGHTS_QUEUE} (keys ${config.queuePrefix}:${INSIGHTS_QUEUE}:*)`);
  const rows: [string, string][] = [
    ['waiting', String((counts.waiting ?? 0) + (counts.prioritized ?? 0))],
    ['active', String(counts.active ?? 0)],
    ['delayed', String(counts.delayed ?? 0)],
    ['completed', String(counts.completed ?? 0)],
    ['failed', String(counts.failed ?? 0)],
    ['paused', paused ? 'yes' : 'no'],
  ];
  for (const [name, value] of rows) output.out(`  ${name.padEnd(10)} ${value.padStart(8)}`);

  const failed = (await queue.getFailed(0, FAILED_SHOWN - 1)) as AnyJob[];
  if (failed.length === 0) return 0;
  output.out(`\nlatest failed jobs (almanac queues retry <id> runs one again):`);
  output.out(
    formatTable([
      ['id', 'name', 'user', 'attempts', 'failed at', 'reason'],
      ...failed.map((job) => [
        terminalText(job.id ?? ''),
        terminalText(job.name),
        userOf(job),
        `${job.attemptsMade}/${job.opts.attempts ?? 1}`,
        time(job.finishedOn),
        oneLine(job.failedReason),
      ]),
    ]),
  );
  return 0;
}

async function show(queue: InsightsQueue, jobId: string, output: QueuesOutput) {
  const job = (await queue.getJob(jobId)) as AnyJob | undefined;
  if (!job) throw notFound(jobId);

  const lines: [string, string][] = [
    ['id', terminalText(job.id ?? jobId)],
    ['name', terminalText(job.name)],
    ['state', await job.getState()],
    ['user', userOf(job)],
    ['attempts', `${job.attemptsMade} of ${job.opts.attempts ?? 1}`],
    ['added', time(job.timestamp)],
    ['started', time(job.processedOn)],
    ['finished', time(job.finishedOn)],
  ];
  if (job.failedReason) lines.push(['reason', oneLine(job.failedReason)]);
  if (job.returnvalue !== null && job.returnvalue !== undefined) {
    lines.push(['result', terminalText(JSON.stringify(job.returnvalue))]);
  }
  for (const [name, value] of lines) output.out(`${name.padEnd(9)} ${value}`);
  return 0;
}

async function retry(queue: InsightsQueue, target: string, output: QueuesOutput) {
  if (target === '--all') {
    const ids: string[] = [];
    for (let start = 0; ; start += RETRY_PAGE) {
      const page = (await queue.getFailed(start, start + RETRY_PAGE - 1)) as AnyJob[];
      ids.push(...page.flatMap((job) => (job.id ? [job.id] : [])));
      if (page.length < RETRY_PAGE) break;
    }
    let retried = 0;
    for (const id of ids) {
      const job = (await queue.getJob(id)) as AnyJob | undefined;
      // A job another command retried meanwhile is no longer failed; it is left alone.
      if (!job || (await job.getState()) !== 'failed') continue;
      await job.retry('failed', { resetAttemptsMade: true });
      retried++;
    }
    output.out(`${retried} failed job${retried === 1 ? '' : 's'} queued again`);
    return 0;
  }

  const job = (await queue.getJob(target)) as AnyJob | undefined;
  if (!job) throw notFound(target);
  const state = await job.getState();
  if (state !== 'failed') {
    throw new AlmanacError('QUEUE_JOB_NOT_FAILED', `job ${target} is ${state}, not failed`, {
      hint: 'Only failed jobs can be retried; almanac queues lists them',
    });
  }
  // A fresh set of attempts, with the same backoff as the first time round.
  await job.retry('failed', { resetAttemptsMade: true });
  output.out(`job ${target} queued again`);
  return 0;
}

function notFound(jobId: string): AlmanacError {
  return new AlmanacError('QUEUE_JOB_NOT_FOUND', `no job ${jobId} in queue ${INSIGHTS_QUEUE}`, {
    hint: 'almanac queues lists the failed ones; completed jobs are kept for a week',
  });
}

function userOf(job: AnyJob): string {
  const userId = (job.data as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' ? terminalText(userId) : '-';
}

function time(ms: number | undefined | null): string {
  return ms ? new Date(ms).toISOString() : '-';
}

/** A failure reason on one line, of a length a terminal shows, with control characters escaped. */
function oneLine(text: string | undefined): string {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return terminalText(line.length > 120 ? `${line.slice(0, 117)}...` : line || '-');
}

/**
 * Text as a terminal shows it, not as it acts on it: C0 controls, DEL and unpaired surrogates
 * (printable()), and the C1 controls and bidirectional overrides a terminal may also act on,
 * each written as \uXXXX.
 */
export function terminalText(text: string): string {
  return printable(text).replace(
    /[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  return rows
    .map((cells) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
