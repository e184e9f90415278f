/**
 * The idle-session sweep runs on a job scheduler: a session no event reached for the idle limit
 * is closed, its fact goes to the insights topic, and the bridge and the worker make it a
 * spotlight. Sweeps that overlap (a slow one and the next) run one at a time.
 */
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { factIds } from '../../../src/insights/facts.ts';
import { closeIdleSessions } from '../../../src/insights/session-sweeper.ts';
import { silentLogger } from '../../../src/logger.ts';
import { sweepIdleSessions } from '../../../src/triggered/idle-session-sweep.ts';
import { CLOSE_IDLE_SESSIONS } from '../../../src/triggered/queue.ts';
import { addReaders, createTriggeredStack, pollUntil, shareTags } from '../../support/triggered.ts';

const stack = createTriggeredStack('idle_sweep', {
  env: { ALMANAC_SESSION_IDLE_SECONDS: '5', ALMANAC_SESSION_SWEEP_SECONDS: '1' },
  poolSize: 4,
  closeIdleSessions,
});
const { ns, pool, narrator, queue } = stack;

beforeAll(async () => {
  await stack.prepare();
});

afterAll(async () => {
  await stack.stop();
});

describe('the idle-session sweep', () => {
  // Before any worker runs, whose scheduled sweeps would take the lock too.
  it('lets one sweep run at a time', async () => {
    let calls = 0;
    const slowSweeper = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 500));
      return 2;
    };
    const context = {
      pool,
      producer: {} as Producer,
      insightsTopic: topicNames(ns.config).insights,
      idleMs: ns.config.sessionIdleMs,
      closeIdleSessions: slowSweeper,
      log: silentLogger,
    };

    const outcomes = await Promise.all([sweepIdleSessions(context), sweepIdleSessions(context)]);
    expect(calls).toBe(1);
    expect(outcomes.map((outcome) => outcome.skipped).sort()).toEqual([false, true]);
    expect(outcomes.find((outcome) => !outcome.skipped)?.closed).toBe(2);

    expect(await sweepIdleSessions(context)).toEqual({ closed: 2, skipped: false });
  });

  it('closes a session left idle and has it narrated', async () => {
    const startedAt = Date.now() - 20 * 60_000;
    await pool.query(
      `INSERT INTO user_insight_state (user_id, session_started_at, session_last_event_at,
         session_events, session_tag_counts, session_seen_at)
       VALUES ('idle-reader', $1, $2, 4, '{"drama": 4}', $3)`,
      [new Date(startedAt), new Date(Date.now() - 10 * 60_000), new Date(Date.now() - 60_000)],
    );
    await addReaders(pool, ['idle-reader']);
    await shareTags(pool, ['drama']);

    await stack.start();
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toMatchObject([{ key: CLOSE_IDLE_SESSIONS, every: 1000 }]);

    const factId = factIds.sessionEnded('idle-reader', startedAt);
    await pollUntil(
      async () =>
        (await pool.query('SELECT 1 FROM user_spotlights WHERE fact_id = $1', [factId]))
          .rowCount === 1,
      60_000,
      'the idle session to be narrated',
      200,
    );

    const sessions = await pool.query(
      `SELECT user_id, events, closed_by FROM user_sessions WHERE user_id = 'idle-reader'`,
    );
    expect(sessions.rows).toEqual([{ user_id: 'idle-reader', events: 4, closed_by: 'idle' }]);
    expect(narrator.calls).toBe(1);
    expect(narrator.seen[0]!.topTags).toEqual([{ tag: 'drama', count: 4 }]);
  });
});
