/**
 * The bridge: a Kafka consumer group member that reads insight facts from the insights topic and
 * adds a queue job for each (see fact-jobs.ts for which facts get one).
 *
 * Nothing is lost and nothing runs twice: a slice of messages is added to the queue in one
 * addBulk, and only then are its offsets resolved and, every second, committed. A crash between
 * the two replays the slice, and BullMQ ignores a job id it already holds (completed jobs are
 * kept for a week for that reason; the handlers are idempotent for anything older). While Redis
 * is down the bridge waits, and Kafka may hand its partitions to another member meanwhile; what
 * either then reads again is recognised the same way.
 *
 * Backpressure: before each slice the bridge counts the jobs still to run. When the slice would
 * take the queue past ALMANAC_BRIDGE_MAX_WAITING, it pauses the topic and polls until the
 * workers have brought the queue down to half the bound, then resumes. Paused, it fetches
 * nothing, so its memory stays flat however far behind the workers are. Several bridges share
 * the bound, so together they may pass it by one slice each.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { topicNames, type Config } from '../config/config.ts';
import { createKafka } from '../kafka/client.ts';
import { exitOnConsumerCrash } from '../kafka/consumer-crash.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { createLogger, type Logger } from '../logger.ts';
import { planFactJobs, type RejectedFact } from './fact-jobs.ts';
import {
  createQueueConnection,
  openInsightsQueue,
  pendingJobs,
  type InsightsQueue,
} from './queue.ts';

/** The most jobs added in one round trip, and so the most the bound can be passed by. */
const MAX_SLICE = 500;
/** Dead letters carry at most this much of their message, and go this many to a request. */
const MAX_DEAD_LETTER_BYTES = 64 * 1024;
const DEAD_LETTERS_PER_REQUEST = 8;

export interface BridgeTotals {
  /** Messages read, facts or not. */
  messages: number;
  /** Jobs handed to the queue (a job id it already held counts too: it was handed over). */
  enqueued: number;
  /** Session-ended facts too old for a spotlight. */
  staleSessions: number;
  deadLettered: number;
  /** Times the bridge paused for a full queue. */
  pauses: number;
}

export interface BridgeOptions {
  log?: Logger;
  /** How often a paused bridge counts the queue. */
  pollIntervalMs?: number;
  /**
   * Ends the process when the consumer crashed and kafkajs will not restart it (see
   * consumer-crash.ts); process.exit unless given.
   */
  exit?: (code: number) => void;
}

export class InsightBridge {
  readonly totals: BridgeTotals = {
    messages: 0,
    enqueued: 0,
    staleSessions: 0,
    deadLettered: 0,
    pauses: 0,
  };
  private readonly config: Config;
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly topics: ReturnType<typeof topicNames>;
  private readonly pollIntervalMs: number;
  private readonly exit: ((code: number) => void) | undefined;
  private readonly slice: number;
  /** The queue is back under this many pending jobs before a paused bridge resumes. */
  private readonly resumeAt: number;
  private connection: Redis | undefined;
  private queue: InsightsQueue | undefined;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private paused = false;
  private stopping = false;
  private draining: Promise<void> | undefined;

  constructor(config: Config, options: BridgeOptions = {}) {
    this.config = config;
    this.log = options.log ?? createLogger('bridge');
    this.kafka = createKafka(config, 'bridge');
    this.topics = topicNames(config);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.exit = options.exit;
    // A slice of at most half the bound fits again as soon as the bridge resumes.
    this.slice = Math.max(1, Math.min(MAX_SLICE, Math.ceil(config.bridgeMaxWaiting / 2)));
    this.resumeAt = Math.floor(config.bridgeMaxWaiting / 2);
  }

  async start(): Promise<void> {
    await ensureTopics(this.kafka, this.config);
    this.connection = createQueueConnection(this.config);
    this.queue = openInsightsQueue(this.config, this.connection);
    await this.queue.waitUntilReady();

    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();

    this.consumer = this.kafka.consumer({
      groupId: this.config.bridgeGroup,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    exitOnConsumerCrash(this.consumer, this.log, this.exit);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topics.insights, fromBeginning: true });
    await this.consumer.run({
      // Offsets are resolved only after their jobs were added, so committing resolved offsets
      // every second commits nothing that is not in the queue.
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.log.info('bridge started', {
      topic: this.topics.insights,
      group: this.config.bridgeGroup,
      maxWaiting: this.config.bridgeMaxWaiting,
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.race([
      this.consumer?.disconnect().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
    ]);
    await this.draining;
    await this.producer?.disconnect().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.connection?.disconnect();
    this.log.info('bridge stopped', { ...this.totals });
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    for (let start = 0; start < batch.messages.length; start += this.slice) {
      // A batch fetched before the pause is handed over anyway; leaving it unresolved has it
      // fetched again after the resume.
      if (this.paused || !isRunning() || isStale()) return;

      const messages = batch.messages.slice(start, start + this.slice);
      const plan = planFactJobs(messages, Date.now(), this.config.spotlightWindowMs);
      if (plan.jobs.length > 0 && (await this.queueIsFull(plan.jobs.length))) return;

      await this.deadLetter(batch.partition, plan.rejected);
      if (plan.jobs.length > 0) await this.queue!.addBulk(plan.jobs);

      resolveOffset(messages[messages.length - 1]!.offset);
      this.totals.messages += messages.length;
      this.totals.enqueued += plan.jobs.length;
      this.totals.staleSessions += plan.stale;
      this.totals.deadLettered += plan.rejected.length;
      this.log.debug('facts queued', {
        partition: batch.partition,
        lastOffset: messages[messages.length - 1]!.offset,
        enqueued: plan.jobs.length,
        staleSessions: plan.stale,
        deadLettered: plan.rejected.length,
      });
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  /** True, with the bridge paused, when `adding` more jobs would pass the bound. */
  private async queueIsFull(adding: number): Promise<boolean> {
    const pending = await pendingJobs(this.queue!);
    if (pending + adding <= this.config.bridgeMaxWaiting) return false;

    this.paused = true;
    this.totals.pauses++;
    this.consumer!.pause([{ topic: this.topics.insights }]);
    this.log.info('queue is full; bridge paused', {
      pending,
      maxWaiting: this.config.bridgeMaxWaiting,
      resumeAt: this.resumeAt,
    });
    this.draining = this.resumeWhenDrained();
    return true;
  }

  private async resumeWhenDrained(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, this.pollIntervalMs));
      if (this.stopping) return;
      let pending: number;
      try {
        pending = await pendingJobs(this.queue!);
      } catch (error) {
        this.log.warn('could not count the queue; still paused', { error });
        continue;
      }
      if (this.stopping) return;
      if (pending > this.resumeAt) continue;

      this.paused = false;
      this.consumer!.resume([{ topic: this.topics.insights }]);
      this.log.info('queue drained; bridge resumed', { pending });
      return;
    }
  }

  /**
   * Messages that could not be made into jobs go to `<prefix>.insights.dlq` with the reason in
   * headers, as invalid events go to the events' dead-letter topic; the log names only where
   * they were.
   */
  private async deadLetter(partition: number, rejected: RejectedFact[]): Promise<void> {
    if (rejected.length === 0) return;

    const letters = rejected.map((rejection) => ({
      key: `${this.topics.insights}:${partition}:${rejection.offset}`,
      value: rejection.value.subarray(0, MAX_DEAD_LETTER_BYTES),
      headers: {
        'almanac-reason-code': rejection.code,
        'almanac-reason': rejection.reason,
        'almanac-source-topic': this.topics.insights,
        'almanac-source-partition': String(partition),
        'almanac-source-offset': rejection.offset,
        ...(rejection.value.length > MAX_DEAD_LETTER_BYTES
          ? { 'almanac-original-bytes': String(rejection.value.length) }
          : {}),
      },
    }));
    for (let start = 0; start < letters.length; start += DEAD_LETTERS_PER_REQUEST) {
      await this.producer!.send({
        topic: this.topics.insightDeadLetters,
        acks: -1,
        messages: letters.slice(start, start + DEAD_LETTERS_PER_REQUEST),
      });
    }
    for (const rejection of rejected) {
      this.log.warn('message on the insights topic made no job; dead-lettered', {
        partition,
        offset: rejection.offset,
        code: rejection.code,
        reason: rejection.reason,
      });
    }
  }
}
