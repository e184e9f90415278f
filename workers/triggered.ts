/**
 * The triggered worker as a process of its own: `almanac worker`, or this file directly. It runs
 * the queue's jobs (spotlights, profile refreshes, the idle-session sweep); run as many as the
 * narrator's rate limits allow. Stop with SIGTERM or Ctrl-C: jobs in hand finish first.
 */
import { loadConfig } from '../src/config/config.ts';
import { closeIdleSessions } from '../src/insights/session-sweeper.ts';
import { createLogger, setLogLevel } from '../src/logger.ts';
import { migrate } from '../src/serving/migrate.ts';
import { ensureDatabase } from '../src/serving/postgres.ts';
import { TriggeredWorker, type TriggeredWorkerOptions } from '../src/triggered/worker.ts';

export async function runTriggeredWorker(
  options: Omit<TriggeredWorkerOptions, 'closeIdleSessions'> = {},
): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);

  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const worker = new TriggeredWorker(config, {
    log: createLogger('worker'),
    ...options,
    closeIdleSessions,
  });
  await worker.start();
  process.send?.({ type: 'ready' });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('disconnect', resolve);
  });
  await worker.stop();
}
