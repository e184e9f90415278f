/** Aggregator processes for tests that kill them, started exactly as `almanac aggregate` runs. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../src/config/config.ts';

export interface AggregatorProcess {
  child: ChildProcess;
  /** SIGKILL, no goodbye: what a crash or an OOM kill looks like. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

function configEnv(config: Config): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    ALMANAC_REDIS_PREFIX: config.redisKeyPrefix,
    KAFKA_BROKERS: config.kafkaBrokers.join(','),
    ALMANAC_TOPIC_PREFIX: config.topicPrefix,
    ALMANAC_EVENT_PARTITIONS: String(config.eventPartitions),
    ALMANAC_DEDUPE_WINDOW_DAYS: String(config.dedupeWindowMs / 86_400_000),
    LOG_LEVEL: 'warn',
  };
}

export async function startAggregatorProcess(config: Config): Promise<AggregatorProcess> {
  const child = fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), ['aggregate'], {
    env: { ...process.env, ...configEnv(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('aggregator did not start in 60 s')), 60_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`aggregator exited early with ${code}`)));
  });

  return {
    child,
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
