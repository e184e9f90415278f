/**
 * A spotlight the model wrote but PostgreSQL could not store: the retry stores the same text
 * from its Redis draft instead of paying the model again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId } from '../../../src/insights/facts.ts';
import type { Narration, Narrator } from '../../../src/llm/narrator.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { redisKeys } from '../../../src/serving/redis-keys.ts';
import { runSpotlightJob } from '../../../src/triggered/spotlight-job.ts';
import { createNamespace } from '../../support/namespace.ts';
import { addReaders, sessionEnded } from '../../support/triggered.ts';

const ns = createNamespace('draft');
const pool = createPool(ns.config.databaseUrl, 2);
const redis = createRedis(ns.config);

/** A model whose every answer is new, and which takes the spotlights table away as it answers. */
class BreakingNarrator implements Narrator {
  calls = 0;
  async spotlight(): Promise<Narration> {
    this.calls++;
    if (this.calls === 1) await pool.query('ALTER TABLE user_spotlights RENAME TO away');
    return { text: `Answer number ${this.calls}.`, model: 'claude-haiku-4-5' };
  }
}

beforeAll(async () => {
  await ns.migrate();
  await addReaders(pool, ['ada']);
});

afterAll(async () => {
  redis.disconnect();
  await pool.end();
  await ns.cleanup();
});

describe('a spotlight PostgreSQL failed to store', () => {
  it('is stored from its draft on the retry, with no second model call', async () => {
    const narrator = new BreakingNarrator();
    const context = {
      pool,
      redis,
      narrator,
      redisKeyPrefix: ns.config.redisKeyPrefix,
      spotlightWindowMs: ns.config.spotlightWindowMs,
      minTagReaders: 1,
      log: silentLogger,
    };
    const fact = sessionEnded('ada', 5);

    await expect(runSpotlightJob(context, fact)).rejects.toThrow();
    expect(await redis.get(redisKeys.spotlightDraft(factJobId(fact)))).toContain(
      'Answer number 1.',
    );

    await pool.query('ALTER TABLE away RENAME TO user_spotlights');
    expect(await runSpotlightJob(context, fact)).toMatchObject({ spotlight: 'written' });
    expect(narrator.calls).toBe(1);
    const { rows } = await pool.query('SELECT text FROM user_spotlights');
    expect(rows).toEqual([{ text: 'Answer number 1.' }]);
    expect(await redis.exists(redisKeys.spotlightDraft(factJobId(fact)))).toBe(0);
  });
});
