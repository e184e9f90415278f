/**
 * The stream aggregator: a Kafka consumer group member that turns raw events into per-user
 * counts. Any number of aggregator processes may run; Kafka spreads the partitions among them,
 * and since events are keyed by user each user's counts are written by one of them at a time.
 *
 * Exactly-once effect: each partition's batch commits to PostgreSQL together with the
 * partition's next offset (see aggregate-store.ts). Offsets are committed to Kafka afterwards,
 * every few seconds, only to spare a restarted consumer from re-reading; PostgreSQL decides.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { topicNames, type Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { printable } from '../events/contract.ts';
import { encodeFact, publishableFacts } from '../insights/facts.ts';
import { createKafka } from '../kafka/client.ts';
import { exitOnConsumerCrash } from '../kafka/consumer-crash.ts';
import { clusterId as fetchClusterId, ensureTopics } from '../kafka/topics.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createPool } from '../serving/postgres.ts';
import { channels } from '../serving/channels.ts';
import { createRedis } from '../serving/redis.ts';
import { applyBatch, type AppliedBatch, type PartitionBatch } from './aggregate-store.ts';
import { timed, type StageTimings } from './stage-timings.ts';
import { addRecentEvents, afterCountsCommitted } from './hot-state.ts';
import { pruneProcessedEvents } from './dedupe-window.ts';

/** Largest slice of a fetched batch written in one transaction. */
const MAX_MESSAGES_PER_TRANSACTION = 5000;
const RETRIABLE_POSTGRES_CODES = new Set(['40001', '40P01']);

/** PostgreSQL's data exceptions (class 22) and limits (class 54): the data, not the system. */
function isDataRefusal(error: unknown): boolean {
  const code = ((error as { cause?: { code?: unknown } }).cause?.code ?? '') as string;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;
/**
 * The broker refuses a request's record batch over its message.max.bytes (1 MiB by default), so
 * dead letters and insight facts go in requests of at most this many bytes, and each carries at most the first
 * MAX_DEAD_LETTER_BYTES of its message (the dead_letters table keeps the whole of it).
 */
const PRODUCE_REQUEST_BYTES = 768 * 1024;
const MAX_DEAD_LETTER_BYTES = 256 * 1024;

/** Splits messages into runs whose values add up to at most `maxBytes` (one message at least). */
export function chunkByBytes<T extends { value: Buffer }>(messages: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (chunk.length > 0 && bytes + message.value.length > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += message.value.length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export interface AggregatorTotals {
  applied: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
}

export class StreamAggregator {
  readonly totals: AggregatorTotals = { applied: 0, duplicates: 0, deadLettered: 0, batches: 0 };
  /** Milliseconds per stage since start; stages overlap across concurrently consumed partitions. */
  readonly timings: StageTimings = {};
  private readonly config: Config;
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly pool: pg.Pool;
  private readonly redis: Redis;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private clusterId = '';
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly liveChannels: ReturnType<typeof channels>;

  constructor(config: Config, log: Logger = createLogger('aggregator')) {
    this.config = config;
    this.log = log;
    this.kafka = createKafka(config, 'aggregator');
    this.pool = createPool(config.databaseUrl, 8);
    this.redis = createRedis(config);
    this.liveChannels = channels(config.redisKeyPrefix);
  }

  async start(): Promise<void> {
    const topics = topicNames(this.config);
    await ensureTopics(this.kafka, this.config);
    this.clusterId = await fetchClusterId(this.kafka);

    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();

    this.consumer = this.kafka.consumer({
      groupId: this.config.aggregatorGroup,
      // A crashed member holds its partitions until this runs out; ten seconds keeps that pause
      // short while still riding out a long garbage collection.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
    exitOnConsumerCrash(this.consumer, this.log);
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: topics.events, fromBeginning: true });
    await this.consumer.run({
      // Offsets reach Kafka only after their batch committed to PostgreSQL (resolveOffset comes
      // after the commit), and only to spare a restarted consumer some re-reading.
      autoCommit: true,
      autoCommitInterval: 5000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 6,
      eachBatch: (payload) => this.handleBatch(payload),
    });

    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    this.log.info('aggregator started', {
      topic: topics.events,
      group: this.config.aggregatorGroup,
    });
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    // Leaving the group waits for the batch in hand; a batch that hangs must not hold the
    // process, and anything it did not commit is replayed by the next owner.
    await Promise.race([
      this.consumer?.disconnect().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 15_000).unref()),
    ]);
    await this.producer?.disconnect().catch(() => undefined);
    this.redis.disconnect();
    await this.pool.end().catch(() => undefined);
    const timings = Object.fromEntries(
      Object.entries(this.timings).map(([stage, ms]) => [stage, Math.round(ms)]),
    );
    this.log.info('aggregator stopped', { ...this.totals, stageMs: timings });
  }

  private async handleBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload) {
    for (let start = 0; start < batch.messages.length; start += MAX_MESSAGES_PER_TRANSACTION) {
      if (!isRunning() || isStale()) return;

      const slice = batch.messages.slice(start, start + MAX_MESSAGES_PER_TRANSACTION);
      const partitionBatch: PartitionBatch = {
        consumerGroup: this.config.aggregatorGroup,
        topic: batch.topic,
        partition: batch.partition,
        clusterId: this.clusterId,
        highWatermark: BigInt(batch.highWatermark),
        messages: slice.map((message) => ({
          offset: BigInt(message.offset),
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value,
        })),
      };

      let results: AppliedBatch[];
      try {
        results = await this.applyOrIsolate(partitionBatch);
      } catch (error) {
        // kafkajs restarts the consumer and the batch is fetched again: nothing is lost, but a
        // failure that persists holds this partition, so say so loudly.
        this.log.error('could not apply a batch; it will be retried', {
          partition: batch.partition,
          firstOffset: slice[0]?.offset,
          error,
          cause: (error as { cause?: unknown }).cause,
        });
        throw error;
      }

      if (results.some((result) => result.rewind)) {
        this.log.warn('the topic was created anew; reading the partition again from its start', {
          partition: batch.partition,
        });
        this.consumer!.seek({ topic: batch.topic, partition: batch.partition, offset: '0' });
        return;
      }

      resolveOffset(slice[slice.length - 1]!.offset);
      for (const result of results) {
        this.record(partitionBatch, result);
        await timed(this.timings, 'after-commit', () =>
          afterCountsCommitted(this.redis, result, this.liveChannels).catch((error) =>
            this.log.warn('hot state update failed', { error }),
          ),
        );
      }
      await heartbeat();
    }
  }

  /**
   * Applies a batch. Should PostgreSQL refuse its data (a value the contract let through but the
   * store cannot hold), the batch is applied one message at a time instead, and each message it
   * still refuses is dead-lettered with PostgreSQL's reason: one bad event must not hold a
   * partition.
   */
  private async applyOrIsolate(batch: PartitionBatch): Promise<AppliedBatch[]> {
    try {
      return [await this.applyWithRetry(batch)];
    } catch (error) {
      if (!isDataRefusal(error)) throw error;
    }

    this.log.warn('PostgreSQL refused a batch; isolating the message at fault', {
      partition: batch.partition,
      messages: batch.messages.length,
    });
    const results: AppliedBatch[] = [];
    for (const message of batch.messages) {
      const single = { ...batch, messages: [message] };
      try {
        results.push(await this.applyWithRetry(single));
      } catch (error) {
        if (!isDataRefusal(error)) throw error;
        const cause = (error as AlmanacError).cause as { code?: string; message?: string };
        const reason = `the store refused it (${cause.code}): ${printable(cause.message ?? '')}`;
        results.push(
          await this.applyWithRetry({ ...single, refused: new Map([[message.offset, reason]]) }),
        );
      }
    }
    return results;
  }

  private async applyWithRetry(batch: PartitionBatch): Promise<AppliedBatch> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      // A connection the server drops between two statements is reported as an event, not to a
      // query; unheard, it would end the process. The next statement fails and the batch with it.
      const onError = (error: Error) => this.log.warn('PostgreSQL connection lost', { error });
      client.on('error', onError);
      let broken = false;
      try {
        return await applyBatch(
          client,
          batch,
          Date.now(),
          (result) => this.beforeCommit(batch, result),
          this.timings,
          this.config,
        );
      } catch (error) {
        const code = (error as { code?: string }).code;
        // PostgreSQL refusing the data or the transaction leaves the connection sound; anything
        // else (a dropped connection, a shutdown, a network error) may not.
        broken = !code || !/^(22|23|40|54)/.test(code);
        if (attempt >= 5 || !code || !RETRIABLE_POSTGRES_CODES.has(code)) {
          throw new AlmanacError('POSTGRES_BATCH_FAILED', 'could not apply a batch of events', {
            cause: error,
            retriable: true,
            context: { partition: batch.partition, firstOffset: String(batch.messages[0]?.offset) },
          });
        }
        this.log.warn('batch conflicted, retrying', { partition: batch.partition, attempt, code });
      } finally {
        client.off('error', onError);
        // A client whose failure was not PostgreSQL's answer may be broken: do not reuse it.
        client.release(broken);
      }
    }
  }

  /** Dead letters and the recent list are written before COMMIT; both are idempotent. */
  private async beforeCommit(batch: PartitionBatch, result: AppliedBatch): Promise<void> {
    const letters = result.rejections.map((rejection) => ({
      key: `${batch.topic}:${batch.partition}:${rejection.offset}`,
      value: rejection.value.subarray(0, MAX_DEAD_LETTER_BYTES),
      headers: {
        'almanac-reason-code': rejection.code,
        'almanac-reason': rejection.reason,
        'almanac-source-topic': batch.topic,
        'almanac-source-partition': String(batch.partition),
        'almanac-source-offset': rejection.offset.toString(),
        ...(rejection.value.length > MAX_DEAD_LETTER_BYTES
          ? { 'almanac-original-bytes': String(rejection.value.length) }
          : {}),
      },
    }));
    for (const messages of chunkByBytes(letters, PRODUCE_REQUEST_BYTES)) {
      await this.producer!.send({ topic: topicNames(this.config).deadLetters, acks: -1, messages });
    }
    // Facts go out before COMMIT, so none is lost to a crash; a replay sends the same ids again.
    // Only recent ones: history (a backfill, a replayed year) is recorded with the counts, but
    // would trigger nothing, and publishing it was the larger part of what insights cost.
    const facts = publishableFacts(
      result.insights.facts,
      Date.now(),
      this.config.spotlightWindowMs,
    ).map((fact) => ({ key: fact.userId, value: encodeFact(fact) }));
    for (const messages of chunkByBytes(facts, PRODUCE_REQUEST_BYTES)) {
      await this.producer!.send({ topic: topicNames(this.config).insights, acks: -1, messages });
    }
    await addRecentEvents(this.redis, result.users.values());
  }

  private record(batch: PartitionBatch, result: AppliedBatch): void {
    this.totals.applied += result.applied;
    this.totals.duplicates += result.duplicates;
    this.totals.deadLettered += result.deadLettered;
    this.totals.batches++;

    if (result.offsetsReset) {
      this.log.warn('stored offsets belong to another log; reading this partition from its start', {
        partition: batch.partition,
      });
    }
    for (const rejection of result.rejections) {
      this.log.debug('event dead-lettered', {
        partition: batch.partition,
        offset: rejection.offset.toString(),
        code: rejection.code,
      });
    }
    this.log.debug('batch applied', {
      partition: batch.partition,
      applied: result.applied,
      duplicates: result.duplicates,
      deadLettered: result.deadLettered,
      nextOffset: result.nextOffset.toString(),
    });
  }

  private async prune(): Promise<void> {
    try {
      const removed = await pruneProcessedEvents(this.pool, this.config.dedupeWindowMs);
      if (removed > 0) this.log.info('dedupe window pruned', { removed });
    } catch (error) {
      this.log.warn('dedupe window prune failed', { error });
    }
  }
}
