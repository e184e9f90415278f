/**
 * The stream_offsets row of each consumer group and partition: where the group stands, what it
 * did with every message so far, and a digest of the last message applied, which tells a topic
 * created anew from the one the offsets belong to. Every function here runs inside the batch's
 * transaction, after lockOffset.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AppliedBatch, PartitionBatch, PartitionMessage } from './aggregate-store.ts';

/** Locks the partition's offset row, creating it on first sight, and returns what it holds. */
export async function lockOffset(client: pg.PoolClient, batch: PartitionBatch) {
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

/** Starts the partition over: offset 0 and no counts, as for a topic seen for the first time. */
export async function resetOffset(client: pg.PoolClient, batch: PartitionBatch): Promise<void> {
  await client.query(
    `UPDATE stream_offsets SET next_offset = 0, last_fingerprint = NULL, events_applied = 0,
       events_duplicate = 0, events_dead_lettered = 0, updated_at = now()
     WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [batch.consumerGroup, batch.topic, batch.partition],
  );
}

/** Moves the partition past the batch and adds what the batch did to its counts. */
export async function advanceOffset(
  client: pg.PoolClient,
  batch: PartitionBatch,
  result: AppliedBatch,
  fingerprint: string,
): Promise<void> {
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
      fingerprint,
      result.offsetsReset,
    ],
  );
}
