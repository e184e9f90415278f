/**
 * The triggered worker: runs the jobs of the insights queue.
 *
 * - `session-ended`: the spotlight (spotlight-job.ts).
 * - `achievement`, `emerging-interest`: the aggregator recorded them with the batch that revealed
 *   them, and dropped the reader's cached profile after its commit; the job drops it once more,
 *   for facts published by a batch whose cache step was lost to a crash, so the API shows them.
 * - `close-idle-sessions`: the idle-session sweep (idle-session-sweep.ts), created by a job
 *   scheduler that every worker upserts on start, so one exists while any worker runs.
 *
 * A job that throws is retried ALMANAC_JOB_ATTEMPTS times in all, with exponential backoff, and
 * then stays in the failed set (`almanac queues`). A job whose worker dies is found stalled once
 * its lock runs out and is run again by another worker; every handler is idempotent for that.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { topicNames, type Config } from '../config/config.ts';
import type { InsightFact } from '../insights/facts.ts';
import { createKafka } from '../kafka/client.ts';
import { PostgresCostLedger } from '../llm/cost-ledger.ts';
import { createNarrator } from '../llm/create-narrator.ts';
import { loadLlmConfig, type LlmConfig } from '../llm/llm-config.ts';
import type { Narrator } from '../llm/narrator.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createPool } from '../serving/postgres.ts';
import { createRedis } from '../serving/redis.ts';
import { redisKeys } from '../serving/redis-keys.ts';
import {
  sweepIdleSessions,
  type CloseIdleSessions,
  type SweepOutcome,
} from './idle-session-sweep.ts';
import {
  CLOSE_IDLE_SESSIONS,
  INSIGHTS_QUEUE,
  createQueueConnection,
  openInsightsQueue,
  type InsightJobData,
  type InsightJobName,
} from './queue.ts';
import { runSpotlightJob, type SpotlightOutcome } from './spotlight-job.ts';

export interface TriggeredWorkerOptions {
  /** Closes idle sessions; closeIdleSessions() from src/insights/session-sweeper.ts. */
  closeIdleSessions: CloseIdleSessions;
  log?: Logger;
  /** The language-model settings; loadLlmConfig() from the environment unless given. */
  llm?: LlmConfig;
  /** The narrator from the language-model settings (createNarrator) unless given. */
  narrator?: Narrator;
  /** Jobs run at once; spotlights mostly wait on the model and PostgreSQL. */
  concurrency?: number;
  /** Upsert the sweep's scheduler on start; true unless given. */
  scheduleSweep?: boolean;
  /**
   * How long a job's lock lasts without renewal, and how often stalled jobs are looked for.
   * A job whose worker died is run again within about the sum; BullMQ's 30 s each by default.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

type JobResult = SpotlightOutcome | SweepOutcome | { profileDropped: boolean };

export class TriggeredWorker {
  private readonly config: Config;
  private readonly options: TriggeredWorkerOptions;
  private readonly log: Logger;
  private readonly pool: pg.Pool;
  private readonly redis: Redis;
  private readonly narrator: Narrator;
  private readonly minTagReaders: number;
  private connection: Redis | undefined;
  private worker: Worker<InsightJobData, JobResult, InsightJobName> | undefined;
  private producer: Producer | undefined;

  constructor(config: Config, options: TriggeredWorkerOptions) {
    this.config = config;
    this.options = options;
    this.log = options.log ?? createLogger('worker');
    const concurrency = options.concurrency ?? 8;
    // Each spotlight reads its history with four queries at once.
    this.pool = createPool(config.databaseUrl, Math.min(40, concurrency * 2 + 2));
    this.redis = createRedis(config);
    const llm = options.llm ?? loadLlmConfig();
    // The shared-tag rule keeps rare, possibly personal tags out of what leaves for a model's
    // API; the offline narrator sends nothing anywhere and writes for the reader alone, so it
    // may use every tag the reader has.
    this.minTagReaders = llm.apiKey || options.narrator ? llm.minTagReaders : 1;
    this.narrator =
      options.narrator ??
      createNarrator(llm, {
        ledger: new PostgresCostLedger(this.pool),
        log: this.log.child('llm'),
      });
  }

  async start(): Promise<void> {
    const kafka = createKafka(this.config, 'worker');
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();

    this.connection = createQueueConnection(this.config);
    if (this.options.scheduleSweep ?? true) await this.scheduleSweep();

    this.worker = new Worker<InsightJobData, JobResult, InsightJobName>(
      INSIGHTS_QUEUE,
      (job) => this.process(job),
      {
        connection: this.connection,
        prefix: this.config.queuePrefix,
        concurrency: this.options.concurrency ?? 8,
        // A job whose worker died is run again as often as a failing job would be retried.
        maxStalledCount: this.config.jobAttempts,
        ...(this.options.lockDurationMs ? { lockDuration: this.options.lockDurationMs } : {}),
        ...(this.options.stalledIntervalMs
          ? { stalledInterval: this.options.stalledIntervalMs }
          : {}),
      },
    );
    this.worker.on('failed', (job, error) => this.reportFailure(job, error));
    this.worker.on('stalled', (jobId) =>
      this.log.warn('job stalled (its worker stopped answering); running it again', { jobId }),
    );
    this.worker.on('error', (error) => this.log.warn('queue worker error', { error }));
    await this.worker.waitUntilReady();
    this.log.info('worker started', {
      queue: INSIGHTS_QUEUE,
      concurrency: this.options.concurrency ?? 8,
    });
  }

  async stop(): Promise<void> {
    // close() lets the jobs in hand finish; one that does not within the time is left to the
    // stalled-job check of another worker.
    await Promise.race([
      this.worker?.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 20_000).unref()),
    ]);
    await this.producer?.disconnect().catch(() => undefined);
    this.connection?.disconnect();
    this.redis.disconnect();
    await this.pool.end().catch(() => undefined);
    this.log.info('worker stopped');
  }

  private async scheduleSweep(): Promise<void> {
    const queue = openInsightsQueue(this.config, this.connection!);
    try {
      await queue.upsertJobScheduler(
        CLOSE_IDLE_SESSIONS,
        { every: this.config.sessionSweepIntervalMs },
        {
          name: CLOSE_IDLE_SESSIONS,
          data: {},
          // A sweep that fails is simply run again at the next interval, and one that succeeds
          // leaves no record: a count limit here would trim the completed facts' records too,
          // which the bridge relies on to recognise a repeat.
          opts: { attempts: 1, removeOnComplete: true },
        },
      );
    } finally {
      await queue.close();
    }
  }

  private async process(job: Job<InsightJobData, JobResult, InsightJobName>): Promise<JobResult> {
    if (job.name === CLOSE_IDLE_SESSIONS) {
      return sweepIdleSessions({
        pool: this.pool,
        producer: this.producer!,
        insightsTopic: topicNames(this.config).insights,
        idleMs: this.config.sessionIdleMs,
        closeIdleSessions: this.options.closeIdleSessions,
        log: this.log.child('sweep'),
      });
    }

    const fact = job.data as InsightFact;
    if (typeof fact.userId !== 'string' || fact.kind !== job.name) {
      throw new UnrecoverableError(`job data is not a ${job.name} fact`);
    }
    switch (fact.kind) {
      case 'session-ended':
        return runSpotlightJob(
          {
            pool: this.pool,
            redis: this.redis,
            narrator: this.narrator,
            redisKeyPrefix: this.config.redisKeyPrefix,
            spotlightWindowMs: this.config.spotlightWindowMs,
            minTagReaders: this.minTagReaders,
            log: this.log.child('spotlight'),
          },
          fact,
        );
      case 'achievement':
      case 'emerging-interest': {
        const dropped = await this.redis.del(redisKeys.profile(fact.userId));
        this.log.debug(`${fact.kind} shown`, { factId: fact.id, profileDropped: dropped > 0 });
        return { profileDropped: dropped > 0 };
      }
      default:
        throw new UnrecoverableError(`no handler for jobs named ${String(job.name)}`);
    }
  }

  private reportFailure(
    job: Job<InsightJobData, JobResult, InsightJobName> | undefined,
    error: Error,
  ): void {
    const attempts = job?.opts.attempts ?? 1;
    const context = {
      jobId: job?.id,
      job: job?.name,
      attempt: job?.attemptsMade,
      attempts,
      error,
    };
    if (job && job.attemptsMade < attempts && !(error instanceof UnrecoverableError)) {
      this.log.warn('job failed; will retry', context);
    } else {
      this.log.error('job failed for good; kept in the failed set', context);
    }
  }
}
