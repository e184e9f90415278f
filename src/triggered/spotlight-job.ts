/**
 * The spotlight job: a reader's session ended, so write a few sentences about their recent
 * reading, keep them in PostgreSQL, make them the reader's newest spotlight in Redis and tell
 * live subscribers.
 *
 * Idempotent by the fact id: a spotlight already stored for it is reused without asking the
 * narrator again, whether the job is a retry after a Redis failure, a job that stalled when its
 * worker died, or a fact the bridge queued again after its job record was removed.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { SessionEndedFact } from '../insights/facts.ts';
import type { Narrator } from '../llm/narrator.ts';
import type { Logger } from '../logger.ts';
import { channels } from '../serving/channels.ts';
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
  log: Logger;
}

export interface SpotlightOutcome {
  /** 'written' when the narrator wrote it now, 'reused' when it was stored before. */
  spotlight: 'written' | 'reused' | 'too-old';
  /** Whether it became the reader's newest spotlight and was announced. */
  published: boolean;
  model?: string;
}

export async function runSpotlightJob(
  context: SpotlightJobContext,
  fact: SessionEndedFact,
  now = Date.now(),
): Promise<SpotlightOutcome> {
  let spotlight = await findSpotlight(context.pool, fact.id);
  let written = false;

  if (!spotlight) {
    // The bridge leaves old sessions out; this catches a job that waited past the window in the
    // queue (a long backlog, a retry much later).
    if (!isSpotlightDue(fact.session.endedAt, now, context.spotlightWindowMs)) {
      context.log.debug('session ended too long ago for a spotlight', { factId: fact.id });
      return { spotlight: 'too-old', published: false };
    }
    const facts = await loadSpotlightFacts(context.pool, fact, context.spotlightWindowMs);
    const narration = await context.narrator.spotlight(facts, { work: 'triggered' });
    spotlight = await insertSpotlight(context.pool, fact, narration);
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
