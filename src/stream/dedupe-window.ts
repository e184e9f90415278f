import type pg from 'pg';

const PRUNE_LOCK = 72707370;
const PRUNE_CHUNK = 50_000;

/**
 * Forgets event ids processed longer ago than the dedupe window, in chunks so no transaction
 * grows large. One aggregator at a time does it (an advisory lock); the others skip.
 */
export async function pruneProcessedEvents(pool: pg.Pool, windowMs: number): Promise<number> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [PRUNE_LOCK],
    );
    if (!rows[0]?.locked) return 0;

    let removed = 0;
    try {
      for (;;) {
        const result = await client.query(
          `DELETE FROM processed_events WHERE event_key IN (
             SELECT event_key FROM processed_events
             WHERE processed_at < now() - make_interval(secs => $1)
             LIMIT $2)`,
          [windowMs / 1000, PRUNE_CHUNK],
        );
        removed += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < PRUNE_CHUNK) return removed;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK]);
    }
  } finally {
    client.release();
  }
}
