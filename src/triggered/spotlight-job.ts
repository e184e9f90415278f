/**
 * The spotlight job: a reader's session ended, so write a few sentences about their recent
 * reading, keep them in PostgreSQL, make them the reader's newest spotlight in Redis and tell
 * live subscribers.
 *
 * Idempotent by the fact id: a spotlight already stored for it is reused without asking the
 * narrator again, whether the job is a retry after a Redis failure, a job that stalled when its
 * worker died, or a fact the bridge queued again after its job record was removed; one written
 * but not yet stored (PostgreSQL failed in between) is taken from its draft in Redis.
 *
 * Only a stored reader (a users row) gets a spotlight. One who is not (removed since, or a fact
 * about an id that was never counted) gets nothing written, cached or announced, and costs no
 * model call. The aggregator publishes a fact just before the transaction that stores a new
 * reader commits, though, so a reader missing for a fact detected moments ago may be on the way:
 * that job fails and is retried with backoff until READER_COMMIT_GRACE_MS have passed.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { factJobId, type SessionEndedFact } from '../insights/facts.ts';
import type { Narration, Narrator } from '../llm/narrator.ts';
import { AlmanacError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { channels } from '../serving/channels.ts';
import { REDIS_TTL_SECONDS, redisKeys } from '../serving/redis-keys.ts';
import { isSpotlightDue } from './fact-jobs.ts';
import { storeNewestSpotlight } from './spotlight-cache.ts';
import { loadSpotlightFacts } from './spotlight-input.ts';
import { findSpotlight, insertSpotlight } from './spotlight-store.ts';

export interface SpotlightJobContext {
  pool: pg.Pool;
  /** A client with the deployment's key prefix. */
  redis: Redis;
  narrator: Narrator;
  redisKeyPrefix: string;
  spotlightWindowMs: number;
  /** Readers a tag needs before it goes into the narrator's input (LlmConfig.minTagReaders). */
  minTagReaders: number;
  log: Logger;
}

/**
 * How long after a fact's detection (wall time) a missing reader is taken for one whose row is
 * not committed yet, rather than one who is not there. Far longer than a batch's commit takes,
 * and longer than the clocks of two hosts should disagree.
 */
export const READER_COMMIT_GRACE_MS = 30_000;

export interface SpotlightOutcome {
  /**
   * 'written' when the narrator wrote it now, 'reused' when it was stored before, 'no-reader'
   * when the reader is not stored, 'too-old' when the session ended before the window.
   */
  spotlight: 'written' | 'reused' | 'no-reader' | 'too-old';
  /** Whether it became the reader's newest spotlight and was announced. */
  published: boolean;
  model?: string;
}

export async function runSpotlightJob(
  context: SpotlightJobContext,
  fact: SessionEndedFact,
  now = Date.now(),
): Promise<SpotlightOutcome> {
  if (!(await readerIsStored(context.pool, fact.userId))) {
    if (now - fact.detectedAt < READER_COMMIT_GRACE_MS) {
      throw new AlmanacError('SPOTLIGHT_READER_PENDING', 'the reader is not stored yet', {
        retriable: true,
        hint: 'The batch that found the session may not have committed; the job is retried',
      });
    }
    context.log.debug('reader is not stored; no spotlight', { factId: fact.id });
    return { spotlight: 'no-reader', published: false };
  }

  let spotlight = await findSpotlight(context.pool, fact.id);
  let written = false;

  if (!spotlight) {
    // The bridge leaves old sessions out; this catches a job that waited past the window in the
    // queue (a long backlog, a retry much later).
    if (!isSpotlightDue(fact.session.endedAt, now, context.spotlightWindowMs)) {
      context.log.debug('session ended too long ago for a spotlight', { factId: fact.id });
      return { spotlight: 'too-old', published: false };
    }
    const facts = await loadSpotlightFacts(
      context.pool,
      fact,
      context.spotlightWindowMs,
      context.minTagReaders,
    );
    // A narration is kept in Redis until it is stored: should PostgreSQL fail between the two,
    // the retry stores the same text rather than paying the model for another.
    const draftKey = redisKeys.spotlightDraft(factJobId(fact));
    const narration =
      (await readDraft(context.redis, draftKey)) ??
      (await context.narrator.spotlight(facts, { work: 'triggered' }));
    await context.redis
      .set(draftKey, JSON.stringify(narration), 'EX', REDIS_TTL_SECONDS.spotlight)
      .catch(() => undefined);
    spotlight = await insertSpotlight(context.pool, fact, narration);
    await context.redis.del(draftKey).catch(() => undefined);
    written = true;
  }

  const channel = channels(context.redisKeyPrefix).spotlight(fact.userId);
  const published = await storeNewestSpotlight(context.redis, channel, spotlight);
  context.log.debug('spotlight done', {
    factId: fact.id,
    spotlight: written ? 'written' : 'reused',
    published,
    model: spotlight.model,
  });
  return { spotlight: written ? 'written' : 'reused', published, model: spotlight.model };
}

async function readDraft(redis: Redis, key: string): Promise<Narration | null> {
  const stored = await redis.get(key).catch(() => null);
  if (!stored) return null;
  try {
    const draft = JSON.parse(stored) as Narration;
    return typeof draft.text === 'string' && typeof draft.model === 'string' ? draft : null;
  } catch {
    return null;
  }
}

async function readerIsStored(pool: pg.Pool, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM users WHERE id = $1', [userId]);
  return rowCount === 1;
}
