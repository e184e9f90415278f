/**
 * The idle-session sweep holds a connection checked out (its advisory lock) while it works. When
 * the server drops that connection (a restart, a failover, pg_terminate_backend), the worker
 * process must carry on: the sweep fails, and the next one closes the session.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/serving/postgres.ts';
import {
  createTriggeredStack,
  pollUntil,
  startTriggeredProcess,
  type TriggeredProcess,
} from '../../support/triggered.ts';

const env = { ALMANAC_SESSION_IDLE_SECONDS: '2', ALMANAC_SESSION_SWEEP_SECONDS: '1' };
const stack = createTriggeredStack('sweep_conn', { worker: false, env });
const { ns } = stack;
const target = parseDatabaseUrl(ns.config.databaseUrl);
const observer = new pg.Pool({
  connectionString: target.connectionString,
  options: `-c search_path="${target.schema}"`,
  application_name: 'sweep-connection-test',
  max: 3,
});
let worker: TriggeredProcess | undefined;

beforeAll(async () => {
  await stack.prepare();
  await stack.start();
});
afterAll(async () => {
  await worker?.stop();
  await stack.stop();
  await observer.end();
});

describe('the idle-session sweep and a dropped connection', () => {
  it('does not take the worker process down, and the next sweep does the work', async () => {
    worker = await startTriggeredProcess('worker', ns.config, {
      ...env,
      ALMANAC_TEST_SWEEP: 'on',
      LOG_LEVEL: 'error',
    });
    let exitCode: number | null | undefined;
    worker.child.once('exit', (code, signal) => (exitCode = code ?? (signal ? -1 : null)));

    const locker = await observer.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE user_sessions IN ACCESS EXCLUSIVE MODE');
      await observer.query(
        `INSERT INTO user_insight_state (user_id, session_started_at, session_last_event_at,
           session_events, session_tag_counts, session_seen_at, streak_day, streak_days)
         VALUES ('r1', now() - interval '10 minutes', now() - interval '5 minutes', 2,
                 '{"drama": 2}', now() - interval '5 minutes', 0, 1)`,
      );
      // The sweep is now waiting on the table lock, its lock holder idle and checked out.
      let holder: number | undefined;
      await pollUntil(
        async () => {
          const { rows } = await observer.query(
            `SELECT pid FROM pg_stat_activity
              WHERE application_name = $1 AND state = 'idle' AND query LIKE '%pg_try_advisory_lock%'
                AND EXISTS (SELECT 1 FROM pg_stat_activity w
                             WHERE w.application_name = $1 AND w.wait_event_type = 'Lock')`,
            [`almanac:${ns.id}`],
          );
          holder = rows[0]?.pid;
          return holder !== undefined;
        },
        20_000,
        'a sweep waiting, its lock holder idle',
        100,
      );
      await observer.query('SELECT pg_terminate_backend($1)', [holder]);
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
    expect(exitCode).toBeUndefined();
    // The next sweep closes the session the failed one could not.
    await pollUntil(
      async () =>
        (await observer.query(`SELECT 1 FROM user_sessions WHERE user_id = 'r1'`)).rowCount === 1,
      20_000,
      'the session closed by a later sweep',
      100,
    );
    expect(exitCode).toBeUndefined();
  });
});
