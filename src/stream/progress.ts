/**
 * How far the aggregators are behind the events topic: for each partition, the topic's end
 * offset against the next offset committed with the counts in PostgreSQL.
 */
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { topicNames, type Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { topicEnds } from '../kafka/topics.ts';

export interface StreamProgress {
  /** Messages in the topic not yet applied. */
  lag: bigint;
  /** Messages in the topic. */
  total: bigint;
  applied: bigint;
  duplicates: bigint;
  deadLettered: bigint;
}

export async function streamProgress(
  kafka: Kafka,
  pool: pg.Pool,
  config: Pick<Config, 'topicPrefix' | 'aggregatorGroup'>,
): Promise<StreamProgress> {
  const topic = topicNames(config).events;
  const { ends, clusterId: cluster } = await topicEnds(kafka, topic);
  const { rows } = await pool.query<{
    partition: number;
    next_offset: string;
    cluster_id: string;
    events_applied: string;
    events_duplicate: string;
    events_dead_lettered: string;
  }>(
    `SELECT partition, next_offset, cluster_id, events_applied, events_duplicate,
            events_dead_lettered
     FROM stream_offsets WHERE consumer_group = $1 AND topic = $2`,
    [config.aggregatorGroup, topic],
  );
  const stored = new Map(rows.map((row) => [row.partition, row]));

  const progress: StreamProgress = {
    lag: 0n,
    total: 0n,
    applied: 0n,
    duplicates: 0n,
    deadLettered: 0n,
  };
  for (const [partition, end] of ends) {
    const row = stored.get(partition);
    const next = row && row.cluster_id === cluster ? BigInt(row.next_offset) : 0n;
    progress.total += end;
    progress.lag += end > next ? end - next : 0n;
  }
  for (const row of rows) {
    progress.applied += BigInt(row.events_applied);
    progress.duplicates += BigInt(row.events_duplicate);
    progress.deadLettered += BigInt(row.events_dead_lettered);
  }
  return progress;
}

/** Waits until every message in the topic is applied; fails after `timeoutMs` without progress. */
export async function waitForCatchUp(
  kafka: Kafka,
  pool: pg.Pool,
  config: Pick<Config, 'topicPrefix' | 'aggregatorGroup'>,
  options: { stallTimeoutMs?: number; onProgress?: (progress: StreamProgress) => void } = {},
): Promise<StreamProgress> {
  const stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
  let lastLag = -1n;
  let lastMove = Date.now();

  for (;;) {
    const progress = await streamProgress(kafka, pool, config);
    options.onProgress?.(progress);
    if (progress.lag === 0n) return progress;

    if (progress.lag !== lastLag) {
      lastLag = progress.lag;
      lastMove = Date.now();
    } else if (Date.now() - lastMove > stallTimeoutMs) {
      throw new AlmanacError(
        'STREAM_STALLED',
        `the aggregator made no progress for ${stallTimeoutMs / 1000} s with ${progress.lag} events to go`,
        { hint: 'Check that an aggregator is running (almanac aggregate) and its log' },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
