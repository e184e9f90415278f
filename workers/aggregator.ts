/**
 * The stream aggregator as a process of its own: `almanac aggregate`, or this file directly.
 * Run as many as there are partitions to share; stop with SIGTERM or Ctrl-C.
 */
import { loadConfig } from '../src/config/config.ts';
import { createLogger, setLogLevel } from '../src/logger.ts';
import { migrate } from '../src/serving/migrate.ts';
import { ensureDatabase } from '../src/serving/postgres.ts';
import { StreamAggregator } from '../src/stream/aggregator.ts';

export async function runAggregator(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const log = createLogger('aggregator');

  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const aggregator = new StreamAggregator(config, log);
  await aggregator.start();
  process.send?.({ type: 'ready' });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('disconnect', resolve);
  });
  await aggregator.stop();
}
