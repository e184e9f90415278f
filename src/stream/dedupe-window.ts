import type pg from 'pg';

/** One lock per schema, so that deployments sharing a database prune independently. */
const PRUNE_LOCK = `hashtext('almanac.prune-processed-events.' || current_schema())`;
const PRUNE_CHUNK = 50_000;

/**
 * Forgets event ids processed longer ago than the dedupe window, in chunks so no transaction
 * grows large. One aggregator at a time does it (an advisory lock); the others skip.
 */
export async function pruneProcessedEvents(pool: pg.Pool, windowMs: number): Promise<number> {
  const client = await pool.connect();
  // A checked-out connection the server drops reports it as an event; unheard, it would end the
  // process. The next statement fails instead, and the prune with it.
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${PRUNE_LOCK}) AS locked`,
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
      await client.query(`SELECT pg_advisory_unlock(${PRUNE_LOCK})`);
    }
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
