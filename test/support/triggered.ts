/**
 * For the triggered-work tests: insight facts as the aggregator and the sweeper publish them,
 * produced straight to a namespace's insights topic, and bridge and worker processes started as
 * `almanac bridge` and `almanac worker` start them.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT, topicNames, type Config } from '../../src/config/config.ts';
import {
  encodeFact,
  factIds,
  type AchievementFact,
  type InsightFact,
  type SessionEndedFact,
} from '../../src/insights/facts.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { ensureTopics } from '../../src/kafka/topics.ts';
import type { Narration, Narrator } from '../../src/llm/narrator.ts';
import type { SpotlightFacts } from '../../src/llm/spotlight-facts.ts';
import { silentLogger } from '../../src/logger.ts';
import { createPool } from '../../src/serving/postgres.ts';
import { InsightBridge } from '../../src/triggered/bridge.ts';
import type { CloseIdleSessions } from '../../src/triggered/idle-session-sweep.ts';
import {
  createQueueConnection,
  openInsightsQueue,
  type InsightsQueue,
} from '../../src/triggered/queue.ts';
import { TriggeredWorker } from '../../src/triggered/worker.ts';
import { createNamespace, type TestNamespace } from './namespace.ts';
import { configEnv, whenReady, type ManagedProcess } from './processes.ts';
import type { JobState } from 'bullmq';
import type pg from 'pg';

const MINUTE = 60_000;

/** A session that ended `minutesAgo` before now (wall time), as the aggregator reports it. */
export function sessionEnded(
  userId: string,
  minutesAgo: number,
  options: { minutes?: number; events?: number; tags?: string[] } = {},
): SessionEndedFact {
  const endedAt = Date.now() - minutesAgo * MINUTE;
  const startedAt = endedAt - (options.minutes ?? 20) * MINUTE;
  const events = options.events ?? 6;
  const tags = options.tags ?? ['drama', 'comedy'];
  return {
    id: factIds.sessionEnded(userId, startedAt),
    kind: 'session-ended',
    userId,
    occurredAt: endedAt,
    detectedAt: Date.now(),
    session: {
      startedAt,
      endedAt,
      events,
      topTags: tags.map((tag, index) => ({ tag, count: events - index })),
      closedBy: 'gap',
    },
  };
}

export function achievement(userId: string, threshold: number): AchievementFact {
  const code = `events-${threshold}`;
  return {
    id: factIds.achievement(userId, code),
    kind: 'achievement',
    userId,
    occurredAt: Date.now() - MINUTE,
    detectedAt: Date.now(),
    achievement: { code, kind: 'events', threshold, reachedAt: Date.now() - MINUTE },
  };
}

/**
 * Stores readers as the aggregator does at their first event (a users row each): a spotlight is
 * written only for a reader that is stored.
 */
export async function addReaders(pool: pg.Pool, userIds: readonly string[]): Promise<void> {
  await pool.query(`INSERT INTO users (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING`, [
    userIds,
  ]);
}

/**
 * Has `readers` other readers count each of `tags` (rows in user_tag_counts), so that the tags
 * count as topics and go into a spotlight's input (ALMANAC_LLM_MIN_TAG_READERS, 5 by default).
 */
export async function shareTags(
  pool: pg.Pool,
  tags: readonly string[],
  readers = 5,
): Promise<void> {
  const sharers = Array.from({ length: readers }, (_, index) => `tag-sharer-${index}`);
  await pool.query(
    `INSERT INTO user_tag_counts (user_id, tag, count, first_seen_at, last_seen_at)
     SELECT u, t, 1, now(), now() FROM unnest($1::text[]) AS u CROSS JOIN unnest($2::text[]) AS t
     ON CONFLICT (user_id, tag) DO NOTHING`,
    [sharers, tags],
  );
}

/**
 * Produces facts to the namespace's insights topic, keyed by user, as the aggregator does. The
 * producer is idempotent so that the topic holds each message once: a plain producer that retries
 * a request (a topic created a moment ago, a busy broker) may write part of it twice, which the
 * bridge absorbs but which would blur what a test counts.
 */
export async function produceFacts(
  config: Config,
  facts: readonly InsightFact[],
  raw: readonly Buffer[] = [],
): Promise<void> {
  const producer = createKafka(config, 'test-facts').producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const messages = [
      ...facts.map((fact) => ({ key: fact.userId, value: encodeFact(fact) })),
      ...raw.map((value) => ({ key: 'raw', value })),
    ];
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send({
        topic: topicNames(config).insights,
        acks: -1,
        messages: messages.slice(start, start + 500),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A narrator that counts its calls and can be held up, to catch a job mid-narration. */
export class CountingNarrator implements Narrator {
  calls = 0;
  /** Facts of every call, to check what a spotlight was written from. */
  readonly seen: SpotlightFacts[] = [];
  delayMs = 0;
  failures = 0;

  async spotlight(facts: SpotlightFacts): Promise<Narration> {
    this.calls++;
    this.seen.push(facts);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failures > 0) {
      this.failures--;
      throw new Error('narrator unavailable (test)');
    }
    return { text: `Spotlight number ${this.calls}.`, model: 'test-model' };
  }
}

/**
 * An in-process worker that narrates with `narrator`. It sweeps idle sessions with
 * `closeIdleSessions` on its scheduler when given one; otherwise it schedules no sweep and its
 * sweep closes nothing, so that only the facts a test produces become jobs.
 */
export function narratingWorker(
  config: Config,
  narrator: Narrator,
  closeIdleSessions?: CloseIdleSessions,
): TriggeredWorker {
  return new TriggeredWorker(config, {
    narrator,
    closeIdleSessions: closeIdleSessions ?? (async () => 0),
    scheduleSweep: closeIdleSessions !== undefined,
    log: silentLogger,
  });
}

export interface TriggeredStackOptions {
  /** Settings for the namespace, as environment variables (ALMANAC_JOB_ATTEMPTS, ...). */
  env?: Record<string, string>;
  /** Connections in the test's own pool. */
  poolSize?: number;
  /** False for a test that runs its workers itself: as processes, or one per narrator. */
  worker?: boolean;
  /** Has the worker sweep idle sessions with this, on its scheduler (see narratingWorker). */
  closeIdleSessions?: CloseIdleSessions;
}

/** A namespace with a bridge, a worker and the insights queue, as one test file uses them. */
export interface TriggeredStack {
  ns: TestNamespace;
  pool: pg.Pool;
  narrator: CountingNarrator;
  bridge: InsightBridge;
  /** Undefined when the options asked for no worker. */
  worker: TriggeredWorker | undefined;
  queue: InsightsQueue;
  /** Migrates the namespace's schema and creates its topics; before anything else runs. */
  prepare(): Promise<void>;
  /** Starts the bridge, then the worker. */
  start(): Promise<void>;
  /** Stops the bridge and the worker, closes every connection and removes the namespace. */
  stop(): Promise<void>;
}

/**
 * The bridge and a worker narrating with a CountingNarrator in a namespace of their own. Nothing
 * is started here: a test readies what it needs (readers, subscribers) between prepare() and
 * start().
 */
export function createTriggeredStack(
  name: string,
  options: TriggeredStackOptions = {},
): TriggeredStack {
  const ns = createNamespace(name, options.env);
  const pool = createPool(ns.config.databaseUrl, options.poolSize ?? 2);
  const narrator = new CountingNarrator();
  const bridge = new InsightBridge(ns.config, { log: silentLogger });
  const worker =
    options.worker === false
      ? undefined
      : narratingWorker(ns.config, narrator, options.closeIdleSessions);
  const connection = createQueueConnection(ns.config);
  const queue = openInsightsQueue(ns.config, connection);

  return {
    ns,
    pool,
    narrator,
    bridge,
    worker,
    queue,
    prepare: async () => {
      await ns.migrate();
      await ensureTopics(createKafka(ns.config, 'test'), ns.config);
    },
    start: async () => {
      await bridge.start();
      await worker?.start();
    },
    stop: async () => {
      await bridge.stop();
      await worker?.stop();
      await queue.close();
      connection.disconnect();
      await pool.end();
      await ns.cleanup();
    },
  };
}

export type TriggeredProcess = ManagedProcess;

/**
 * `almanac bridge`, or a triggered worker with short lock timings (test/support/worker-process.ts)
 * so that a killed one's job is found stalled within seconds.
 */
export function startTriggeredProcess(
  kind: 'bridge' | 'worker',
  config: Config,
  env: Record<string, string> = {},
): Promise<TriggeredProcess> {
  const child =
    kind === 'bridge'
      ? fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), ['bridge'], {
          env: { ...process.env, ...configEnv(config), ...env },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
      : fork(path.join(PROJECT_ROOT, 'test', 'support', 'worker-process.ts'), [], {
          env: { ...process.env, ...configEnv(config), ...env },
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
  return whenReady(child, kind);
}

/** Waits until the queue holds the job in `state` (and, if given, `check` holds for it). */
export async function waitForJob(
  queue: InsightsQueue,
  jobId: string,
  state: JobState,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await queue.getJobState(jobId);
    if (current === state) return;
    if (Date.now() > deadline) {
      throw new Error(`job ${jobId} is ${current} after ${timeoutMs} ms, not ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Messages of a topic and how many of them a consumer group has committed. A topic created a
 * moment ago may not have its leaders known to every broker yet; that is asked again.
 */
export async function groupProgress(
  config: Config,
  groupId: string,
  topic: string,
): Promise<{ total: number; committed: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readGroupProgress(config, groupId, topic);
    } catch (error) {
      if (attempt >= 20 || (error as { name?: string }).name !== 'KafkaJSProtocolError')
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function readGroupProgress(
  config: Config,
  groupId: string,
  topic: string,
): Promise<{ total: number; committed: number }> {
  const admin = createKafka(config, 'test-progress').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const lows = new Map(ends.map((end) => [end.partition, Number(end.low)]));
    const committed = (offsets?.partitions ?? []).reduce((sum, { partition, offset }) => {
      const next = Number(offset);
      return sum + (next < 0 ? 0 : next - (lows.get(partition) ?? 0));
    }, 0);
    const total = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
    return { total, committed };
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` every few milliseconds until it holds; fails naming `what`. */
export async function pollUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads the first `count` messages of the insights dead-letter topic, with their headers. */
export async function readInsightDeadLetters(
  config: Config,
  groupId: string,
  count: number,
): Promise<{ headers: Record<string, string>; value: string }[]> {
  const consumer = createKafka(config, 'test-dlq').consumer({ groupId });
  const letters: { headers: Record<string, string>; value: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topicNames(config).insightDeadLetters, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      letters.push({ headers, value: message.value?.toString() ?? '' });
    },
  });
  try {
    await pollUntil(async () => letters.length >= count, 30_000, 'dead letters');
  } finally {
    await consumer.disconnect();
  }
  return letters;
}
