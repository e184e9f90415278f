/**
 * Applies one partition's batch of messages to PostgreSQL in one transaction: the counts, the
 * dedupe record, the dead letters and the partition's next offset commit together, so replaying
 * any message (after a crash, a rebalance, or a Kafka offset commit that never happened) changes
 * nothing. The offset row is locked first; a second consumer that still holds the partition after
 * a rebalance waits, then sees the offsets already applied and skips them.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { decodeEvent, type AcceptedEvent, type RejectionCode } from '../events/contract.ts';
import { DEFAULT_INSIGHT_SETTINGS, type InsightSettings } from '../insights/detect.ts';
import { recordInsights, type DetectedInsights } from '../insights/insight-store.ts';
import { writeCounts } from './count-writer.ts';
import { timed, type StageTimings } from './stage-timings.ts';
import { foldEvents, type UserDelta } from './fold.ts';
import { advanceOffset, lockOffset, messageFingerprint, resetOffset } from './partition-offsets.ts';

export interface PartitionMessage {
  offset: bigint;
  key: string | null;
  value: Buffer | null;
}

export interface PartitionBatch {
  consumerGroup: string;
  topic: string;
  partition: number;
  clusterId: string;
  /** The partition's end offset when the batch was fetched. */
  highWatermark: bigint;
  /** In offset order. */
  messages: PartitionMessage[];
  /** Messages to dead-letter whatever they hold, with the reason: ones the store refused. */
  refused?: Map<bigint, string>;
}

export interface Rejection {
  offset: bigint;
  code: RejectionCode;
  reason: string;
  value: Buffer;
  key: string | null;
}

export interface AppliedBatch {
  applied: number;
  duplicates: number;
  deadLettered: number;
  /** Messages at offsets already applied earlier, ignored. */
  alreadyApplied: number;
  nextOffset: bigint;
  /** True when the stored offsets belonged to another log (a new cluster or a recreated topic). */
  offsetsReset: boolean;
  /**
   * True when the message at the last applied offset is not the one applied there: the topic
   * was created anew and earlier batches of it were skipped for offsets of the old one. The
   * stored offset is now reset; the consumer must read the partition again from its start.
   */
  rewind: boolean;
  users: Map<string, UserDelta>;
  rejections: Rejection[];
  /** Sessions, milestones and interests the batch revealed, recorded with its counts. */
  insights: DetectedInsights;
}

/**
 * Runs inside the transaction, after the counts are written and before COMMIT: work that must
 * happen at least once whenever the counts commit (dead-letter publishing, the Redis recent list).
 * It must be idempotent, since a crash after it and before COMMIT replays the batch.
 */
export type BeforeCommit = (result: AppliedBatch) => Promise<void>;

/**
 * A 128-bit digest of user_id and event_id, stored as a uuid: fixed size, however long the id.
 * Ids are unique per user, so one producer's ids cannot swallow another user's events, and the
 * dedupe of a user's events happens wholly within that user's partition.
 */
export function eventKey(userId: string, eventId: string): string {
  const hex = createHash('md5').update(`${userId}\u0000${eventId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const seconds = (time: number) => time / 1000;

export async function applyBatch(
  client: pg.PoolClient,
  batch: PartitionBatch,
  now: number,
  beforeCommit?: BeforeCommit,
  timings?: StageTimings,
  settings: InsightSettings = DEFAULT_INSIGHT_SETTINGS,
): Promise<AppliedBatch> {
  await client.query('BEGIN');
  try {
    const result = await applyInTransaction(client, batch, now, settings, timings);
    if (beforeCommit) await timed(timings, 'before-commit', () => beforeCommit(result));
    await timed(timings, 'commit', () => client.query('COMMIT'));
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function applyInTransaction(
  client: pg.PoolClient,
  batch: PartitionBatch,
  now: number,
  settings: InsightSettings,
  timings?: StageTimings,
): Promise<AppliedBatch> {
  const stored = await timed(timings, 'lock-offset', () => lockOffset(client, batch));

  // Offsets from another cluster, or beyond the end of the log, mean the topic was recreated:
  // its offsets start again, and the old ones would make us skip new events.
  const offsetsReset =
    stored.clusterId !== batch.clusterId || stored.nextOffset > batch.highWatermark;
  const from = offsetsReset ? -1n : stored.nextOffset;

  const pending = batch.messages.filter((message) => message.offset >= from);
  const result: AppliedBatch = {
    applied: 0,
    duplicates: 0,
    deadLettered: 0,
    alreadyApplied: batch.messages.length - pending.length,
    nextOffset: offsetsReset ? 0n : stored.nextOffset,
    offsetsReset,
    rewind: false,
    users: new Map(),
    rejections: [],
    insights: { facts: [], openSessions: new Map() },
  };

  const lastApplied = batch.messages.find((message) => message.offset === stored.nextOffset - 1n);
  if (
    !offsetsReset &&
    lastApplied &&
    stored.lastFingerprint !== null &&
    messageFingerprint(lastApplied) !== stored.lastFingerprint
  ) {
    await resetOffset(client, batch);
    return { ...result, nextOffset: 0n, offsetsReset: true, rewind: true };
  }
  if (pending.length === 0) return result;
  result.nextOffset = pending[pending.length - 1]!.offset + 1n;

  const decodeStart = performance.now();
  const accepted: AcceptedEvent[] = [];
  for (const message of pending) {
    const refusal = batch.refused?.get(message.offset);
    const decoded = refusal
      ? ({ ok: false, code: 'UNSTORABLE', reason: refusal } as const)
      : decodeEvent(message.value, now, message.key);
    if (decoded.ok) accepted.push(decoded.event);
    else {
      result.rejections.push({
        offset: message.offset,
        code: decoded.code,
        reason: decoded.reason,
        value: message.value ?? Buffer.alloc(0),
        key: message.key,
      });
    }
  }

  if (timings) timings.decode = (timings.decode ?? 0) + performance.now() - decodeStart;

  const fresh = await timed(timings, 'dedupe', () => claimEventIds(client, accepted, now));
  result.applied = fresh.length;
  result.duplicates = accepted.length - fresh.length;
  result.deadLettered = result.rejections.length;
  const foldStart = performance.now();
  result.users = foldEvents(fresh);
  if (timings) timings.fold = (timings.fold ?? 0) + performance.now() - foldStart;

  await writeDeadLetters(client, batch, result.rejections);
  // Before the counts: the insights compare the batch with the totals and tags before it.
  result.insights = await recordInsights(client, result.users, now, settings, timings);
  await writeCounts(client, result.users, timings);
  await advanceOffset(client, batch, result, messageFingerprint(pending[pending.length - 1]!));

  return result;
}

/**
 * Records each event id as processed and returns the events seen for the first time, in order.
 * A repeat inside the batch, or of an id recorded within the dedupe window, is dropped.
 */
async function claimEventIds(
  client: pg.PoolClient,
  events: AcceptedEvent[],
  now: number,
): Promise<AcceptedEvent[]> {
  if (events.length === 0) return [];

  const firstByKey = new Map<string, AcceptedEvent>();
  for (const event of events) {
    const key = eventKey(event.userId, event.eventId);
    if (!firstByKey.has(key)) firstByKey.set(key, event);
  }

  // Only the repeats come back: they are rare, and the batch can be thousands of ids.
  const { rows } = await client.query<{ event_key: string }>(
    `WITH claimed AS (
       INSERT INTO processed_events (event_key, processed_at)
       SELECT key, to_timestamp($2) FROM unnest($1::uuid[]) AS key
       ON CONFLICT DO NOTHING RETURNING event_key
     )
     SELECT key AS event_key FROM unnest($1::uuid[]) AS key
     WHERE key NOT IN (SELECT event_key FROM claimed)`,
    [[...firstByKey.keys()], seconds(now)],
  );
  const repeated = new Set(rows.map((row) => row.event_key));
  return [...firstByKey].filter(([key]) => !repeated.has(key)).map(([, event]) => event);
}

async function writeDeadLetters(
  client: pg.PoolClient,
  batch: PartitionBatch,
  rejections: Rejection[],
): Promise<void> {
  if (rejections.length === 0) return;
  await client.query(
    `INSERT INTO dead_letters (topic, partition, "offset", reason_code, reason, payload)
     SELECT $1, $2, o, c, r, p FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bytea[])
       AS t(o, c, r, p)
     ON CONFLICT DO NOTHING`,
    [
      batch.topic,
      batch.partition,
      rejections.map((rejection) => rejection.offset.toString()),
      rejections.map((rejection) => rejection.code),
      rejections.map((rejection) => rejection.reason),
      rejections.map((rejection) => rejection.value),
    ],
  );
}
