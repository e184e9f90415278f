/**
 * The bridge from the insights topic to the queue as a process of its own: `almanac bridge`, or
 * this file directly. Several may run; Kafka shares the partitions among them. Stop with SIGTERM
 * or Ctrl-C.
 */
import { loadConfig } from '../src/config/config.ts';
import { createLogger, setLogLevel } from '../src/logger.ts';
import { InsightBridge } from '../src/triggered/bridge.ts';

export async function runBridge(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);

  const bridge = new InsightBridge(config, { log: createLogger('bridge') });
  await bridge.start();
  process.send?.({ type: 'ready' });

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('disconnect', resolve);
  });
  await bridge.stop();
}
