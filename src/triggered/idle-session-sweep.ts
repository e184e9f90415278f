/**
 * The idle-session sweep, run by a job scheduler every ALMANAC_SESSION_SWEEP_SECONDS: sessions
 * that received no event for the idle limit in wall time are closed, and their facts produced to
 * the insights topic like the aggregator's, so the bridge turns them into spotlight jobs.
 *
 * A scheduler creates one job per interval, but the next one as soon as the current one starts,
 * so a sweep slower than the interval would overlap the next, as would one left running by a
 * worker whose lock expired. A PostgreSQL advisory lock, per schema, lets one sweep run at a time;
 * a sweep that finds it taken does nothing. The sweeper also skips rows another holds, so an
 * overlap would cost time, not correctness.
 */
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { encodeFact, type InsightFact } from '../insights/facts.ts';
import type { Logger } from '../logger.ts';

/** closeIdleSessions() in src/insights/session-sweeper.ts. */
export type CloseIdleSessions = (
  pool: pg.Pool,
  publish: (facts: InsightFact[]) => Promise<void>,
  options: { idleMs: number; now: number; limit?: number },
) => Promise<number>;

/** Facts per produce request: a fact is well under a KiB, the broker's limit 1 MiB. */
const FACTS_PER_REQUEST = 500;

export interface SweepContext {
  pool: pg.Pool;
  producer: Producer;
  insightsTopic: string;
  idleMs: number;
  closeIdleSessions: CloseIdleSessions;
  log: Logger;
}

export interface SweepOutcome {
  closed: number;
  /** True when another sweep held the lock. */
  skipped: boolean;
}

/** Produces facts keyed by user, acknowledged by every in-sync replica. */
export function factPublisher(
  producer: Producer,
  topic: string,
): (facts: InsightFact[]) => Promise<void> {
  return async (facts) => {
    for (let start = 0; start < facts.length; start += FACTS_PER_REQUEST) {
      await producer.send({
        topic,
        acks: -1,
        messages: facts
          .slice(start, start + FACTS_PER_REQUEST)
          .map((fact) => ({ key: fact.userId, value: encodeFact(fact) })),
      });
    }
  };
}

const LOCK_KEY = `hashtext('almanac.close-idle-sessions.' || current_schema())`;

export async function sweepIdleSessions(
  context: SweepContext,
  now = Date.now(),
): Promise<SweepOutcome> {
  // A session-level lock lives as long as this connection: a worker that dies mid-sweep
  // releases it with its connection.
  const lockHolder = await context.pool.connect();
  let unlocked = true;
  // It idles through the sweep; a drop the server reports then must not end the process. The
  // unlock below fails instead, and the connection is closed rather than pooled.
  const onError = () => {
    unlocked = false;
  };
  lockHolder.on('error', onError);
  try {
    const { rows } = await lockHolder.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`,
    );
    if (!rows[0]?.locked) {
      context.log.debug('another idle-session sweep is running; skipped');
      return { closed: 0, skipped: true };
    }

    unlocked = false;
    try {
      const closed = await context.closeIdleSessions(
        context.pool,
        factPublisher(context.producer, context.insightsTopic),
        { idleMs: context.idleMs, now },
      );
      if (closed > 0) context.log.info('idle sessions closed', { closed });
      return { closed, skipped: false };
    } finally {
      await lockHolder.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
      unlocked = true;
    }
  } finally {
    // A connection that may still hold the lock is closed rather than pooled, which frees it.
    lockHolder.off('error', onError);
    lockHolder.release(!unlocked);
  }
}
