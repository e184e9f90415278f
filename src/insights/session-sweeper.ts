/**
 * The idle timer for live traffic: a session whose last event arrived more than the idle limit
 * ago, in wall time, is closed even though no later event came to close it.
 *
 * Each call closes a bounded number of sessions per transaction. Rows the aggregator holds are
 * skipped (it is adding to those sessions right now) and rows locked by another sweeper too, so
 * any number of sweepers may run. The facts are published before the transaction commits: a crash
 * in between publishes them again on the next sweep, under the same ids, and the queue ignores
 * the repeat.
 */
import type pg from 'pg';
import type { ClosedSession } from './detect.ts';
import type { InsightFact } from './facts.ts';
import { insertClosedSessions } from './insight-store.ts';

export interface SweepOptions {
  idleMs: number;
  /** Wall time now, ms. */
  now: number;
  /** Sessions closed per transaction; the sweep goes on until none is left. */
  limit?: number;
}

export async function closeIdleSessions(
  pool: pg.Pool,
  publish: (facts: InsightFact[]) => Promise<void>,
  options: SweepOptions,
): Promise<number> {
  const limit = options.limit ?? 1000;
  let closed = 0;
  for (;;) {
    const count = await closeSome(pool, publish, options, limit);
    closed += count;
    if (count < limit) return closed;
  }
}

async function closeSome(
  pool: pg.Pool,
  publish: (facts: InsightFact[]) => Promise<void>,
  { idleMs, now }: SweepOptions,
  limit: number,
): Promise<number> {
  const client = await pool.connect();
  // The connection idles in its transaction while the facts are published; should the server
  // drop it then, the event must not end the process: COMMIT fails and the sweep with it.
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{
      user_id: string;
      session_started_at: Date;
      session_last_event_at: Date;
      session_events: number;
      session_tag_counts: Record<string, number>;
    }>(
      `SELECT user_id, session_started_at, session_last_event_at, session_events,
              session_tag_counts
       FROM user_insight_state
       WHERE session_started_at IS NOT NULL AND session_seen_at < to_timestamp($1)
       ORDER BY session_seen_at
       LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [(now - idleMs) / 1000, limit],
    );
    if (rows.length === 0) {
      await client.query('COMMIT');
      return 0;
    }

    const sessions = rows.map((row) => ({
      userId: row.user_id,
      session: {
        startedAt: row.session_started_at.getTime(),
        lastEventAt: row.session_last_event_at.getTime(),
        events: row.session_events,
        tagCounts: new Map(Object.entries(row.session_tag_counts)),
        closedBy: 'idle',
      } satisfies ClosedSession,
    }));
    const facts = await insertClosedSessions(client, sessions, now);
    await client.query(
      `UPDATE user_insight_state SET session_started_at = NULL, session_last_event_at = NULL,
         session_events = 0, session_tag_counts = '{}', session_seen_at = NULL,
         last_session_ended_at = session_last_event_at
       WHERE user_id = ANY($1::text[])`,
      [rows.map((row) => row.user_id)],
    );
    await publish(facts);
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
