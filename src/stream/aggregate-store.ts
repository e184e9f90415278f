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
import { foldEvents, type UserDelta } from './fold.ts';

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

const counts = (values: readonly number[]) => `{${values.join(',')}}`;
const seconds = (time: number) => time / 1000;

function countsJson(map: Map<string, number>): string {
  return JSON.stringify(Object.fromEntries(map));
}

/** Milliseconds spent per stage, summed over batches: where the time goes. */
export type StageTimings = Record<string, number>;

export async function timed<T>(
  timings: StageTimings | undefined,
  stage: string,
  work: () => Promise<T>,
) {
  const start = performance.now();
  try {
    return await work();
  } finally {
    if (timings) timings[stage] = (timings[stage] ?? 0) + performance.now() - start;
  }
}

export async function applyBatch(
  client: pg.PoolClient,
  batch: PartitionBatch,
  now: number,
  beforeCommit?: BeforeCommit,
  timings?: StageTimings,
): Promise<AppliedBatch> {
  await client.query('BEGIN');
  try {
    const result = await applyInTransaction(client, batch, now, timings);
    if (beforeCommit) await timed(timings, 'before-commit', () => beforeCommit(result));
    await timed(timings, 'commit', () => client.query('COMMIT'));
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Locks the partition's offset row, creating it on first sight, and returns what it holds. */
async function lockOffset(client: pg.PoolClient, batch: PartitionBatch) {
  const { rows } = await client.query<{
    next_offset: string;
    cluster_id: string;
    last_fingerprint: string | null;
  }>(
    `INSERT INTO stream_offsets AS o (consumer_group, topic, partition, next_offset, cluster_id)
     VALUES ($1, $2, $3, 0, $4)
     ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = o.next_offset
     RETURNING next_offset, cluster_id, last_fingerprint`,
    [batch.consumerGroup, batch.topic, batch.partition, batch.clusterId],
  );
  return {
    nextOffset: BigInt(rows[0]!.next_offset),
    clusterId: rows[0]!.cluster_id,
    lastFingerprint: rows[0]!.last_fingerprint,
  };
}

/** A digest of one message, to recognise it again at its offset. */
export function messageFingerprint(message: PartitionMessage): string {
  return createHash('md5')
    .update(message.key ?? '')
    .update('\u0000')
    .update(message.value ?? Buffer.alloc(0))
    .digest('hex');
}

async function resetOffset(client: pg.PoolClient, batch: PartitionBatch): Promise<void> {
  await client.query(
    `UPDATE stream_offsets SET next_offset = 0, last_fingerprint = NULL, events_applied = 0,
       events_duplicate = 0, events_dead_lettered = 0, updated_at = now()
     WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [batch.consumerGroup, batch.topic, batch.partition],
  );
}

async function applyInTransaction(
  client: pg.PoolClient,
  batch: PartitionBatch,
  now: number,
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
  await writeCounts(client, result.users, timings);
  await client.query(
    `UPDATE stream_offsets SET
       next_offset = $4, cluster_id = $5, last_fingerprint = $9, updated_at = now(),
       events_applied = (CASE WHEN $10 THEN 0 ELSE events_applied END) + $6,
       events_duplicate = (CASE WHEN $10 THEN 0 ELSE events_duplicate END) + $7,
       events_dead_lettered = (CASE WHEN $10 THEN 0 ELSE events_dead_lettered END) + $8
     WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [
      batch.consumerGroup,
      batch.topic,
      batch.partition,
      result.nextOffset.toString(),
      batch.clusterId,
      result.applied,
      result.duplicates,
      result.deadLettered,
      messageFingerprint(pending[pending.length - 1]!),
      offsetsReset,
    ],
  );
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

/**
 * The counting statements. Rows are written in user order so two transactions never lock the
 * same rows in opposite orders. Foreign keys are deferred, which lets the day rows go first: the
 * days that are new to a user are what its active_days grows by.
 */
async function writeCounts(
  client: pg.PoolClient,
  users: Map<string, UserDelta>,
  timings?: StageTimings,
): Promise<void> {
  if (users.size === 0) return;
  const deltas = [...users.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1));

  const days = deltas.flatMap((delta) =>
    [...delta.days].map(([day, events]) => ({ userId: delta.userId, day, events })),
  );
  const { rows: newDays } = await timed(timings, 'sql-days', () =>
    client.query<{ user_id: string; day: string }>(
      `WITH upserted AS (
       INSERT INTO user_active_days AS d (user_id, day, events)
       SELECT * FROM unnest($1::text[], $2::date[], $3::int[])
       ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + EXCLUDED.events
       RETURNING user_id, to_char(day, 'YYYY-MM-DD') AS day, (xmax = 0) AS inserted
     )
     SELECT user_id, day FROM upserted WHERE inserted`,
      [days.map((d) => d.userId), days.map((d) => d.day), days.map((d) => d.events)],
    ),
  );

  const newDaysByUser = new Map<string, number>();
  const newDaysByMonth = new Map<string, number>();
  for (const { user_id: userId, day } of newDays) {
    newDaysByUser.set(userId, (newDaysByUser.get(userId) ?? 0) + 1);
    const monthKey = `${userId}\u0000${day.slice(0, 7)}-01`;
    newDaysByMonth.set(monthKey, (newDaysByMonth.get(monthKey) ?? 0) + 1);
  }

  await timed(timings, 'sql-users', () =>
    client.query(
      `INSERT INTO users AS u
       (id, total_events, active_days, first_event_at, last_event_at, hour_counts, weekday_counts)
     SELECT id, n, a, to_timestamp(f), to_timestamp(l), h::int[], w::int[]
     FROM unnest($1::text[], $2::bigint[], $3::int[], $4::float8[], $5::float8[], $6::text[], $7::text[])
       AS t(id, n, a, f, l, h, w)
     ON CONFLICT (id) DO UPDATE SET
       total_events = u.total_events + EXCLUDED.total_events,
       active_days = u.active_days + EXCLUDED.active_days,
       first_event_at = LEAST(u.first_event_at, EXCLUDED.first_event_at),
       last_event_at = GREATEST(u.last_event_at, EXCLUDED.last_event_at),
       hour_counts = almanac_add_counts(u.hour_counts, EXCLUDED.hour_counts),
       weekday_counts = almanac_add_counts(u.weekday_counts, EXCLUDED.weekday_counts),
       updated_at = now()`,
      [
        deltas.map((d) => d.userId),
        deltas.map((d) => d.events),
        deltas.map((d) => newDaysByUser.get(d.userId) ?? 0),
        deltas.map((d) => seconds(d.first)),
        deltas.map((d) => seconds(d.last)),
        deltas.map((d) => counts(d.hours)),
        deltas.map((d) => counts(d.weekdays)),
      ],
    ),
  );

  await timed(timings, 'sql-tags', () =>
    writeFirstLastCounts(client, 'user_tag_counts', 'tag', deltas, (d) => d.tags),
  );
  await timed(timings, 'sql-publications', () =>
    writeFirstLastCounts(client, 'user_publication_counts', 'domain', deltas, (d) => d.domains),
  );

  const months = deltas.flatMap((delta) => [...delta.months.values()].map((m) => ({ delta, m })));
  await timed(timings, 'sql-monthly', () =>
    client.query(
      `INSERT INTO user_monthly_stats AS m
       (user_id, month, events, active_days, first_event_at, last_event_at,
        hour_counts, weekday_counts, tag_counts, publication_counts)
     SELECT u, mo, n, a, to_timestamp(f), to_timestamp(l), h::int[], w::int[], t::jsonb, p::jsonb
     FROM unnest($1::text[], $2::date[], $3::bigint[], $4::int[], $5::float8[], $6::float8[],
                 $7::text[], $8::text[], $9::text[], $10::text[])
       AS x(u, mo, n, a, f, l, h, w, t, p)
     ON CONFLICT (user_id, month) DO UPDATE SET
       events = m.events + EXCLUDED.events,
       active_days = m.active_days + EXCLUDED.active_days,
       first_event_at = LEAST(m.first_event_at, EXCLUDED.first_event_at),
       last_event_at = GREATEST(m.last_event_at, EXCLUDED.last_event_at),
       hour_counts = almanac_add_counts(m.hour_counts, EXCLUDED.hour_counts),
       weekday_counts = almanac_add_counts(m.weekday_counts, EXCLUDED.weekday_counts),
       tag_counts = almanac_merge_counts(m.tag_counts, EXCLUDED.tag_counts),
       publication_counts = almanac_merge_counts(m.publication_counts, EXCLUDED.publication_counts)`,
      [
        months.map(({ delta }) => delta.userId),
        months.map(({ m }) => m.month),
        months.map(({ m }) => m.events),
        months.map(({ delta, m }) => newDaysByMonth.get(`${delta.userId}\u0000${m.month}`) ?? 0),
        months.map(({ m }) => seconds(m.first)),
        months.map(({ m }) => seconds(m.last)),
        months.map(({ m }) => counts(m.hours)),
        months.map(({ m }) => counts(m.weekdays)),
        months.map(({ m }) => countsJson(m.tags)),
        months.map(({ m }) => countsJson(m.domains)),
      ],
    ),
  );
}

async function writeFirstLastCounts(
  client: pg.PoolClient,
  table: 'user_tag_counts' | 'user_publication_counts',
  column: 'tag' | 'domain',
  deltas: UserDelta[],
  pick: (delta: UserDelta) => Map<string, { count: number; first: number; last: number }>,
): Promise<void> {
  const rows = deltas.flatMap((delta) =>
    [...pick(delta)].map(([name, entry]) => ({ userId: delta.userId, name, ...entry })),
  );
  if (rows.length === 0) return;

  await client.query(
    `INSERT INTO ${table} AS c (user_id, ${column}, count, first_seen_at, last_seen_at)
     SELECT u, k, n, to_timestamp(f), to_timestamp(l)
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[])
       AS t(u, k, n, f, l)
     ON CONFLICT (user_id, ${column}) DO UPDATE SET
       count = c.count + EXCLUDED.count,
       first_seen_at = LEAST(c.first_seen_at, EXCLUDED.first_seen_at),
       last_seen_at = GREATEST(c.last_seen_at, EXCLUDED.last_seen_at)`,
    [
      rows.map((row) => row.userId),
      rows.map((row) => row.name),
      rows.map((row) => row.count),
      rows.map((row) => seconds(row.first)),
      rows.map((row) => seconds(row.last)),
    ],
  );
}
