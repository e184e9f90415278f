/**
 * Almanac processes for tests, started exactly as the `almanac` command runs them: long-running
 * ones (aggregator, bridge, worker) that tests may kill, and one-off commands whose output they
 * read.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../src/config/config.ts';

export interface ManagedProcess {
  child: ChildProcess;
  /** SIGKILL, no goodbye: what a crash or an OOM kill looks like. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export type AggregatorProcess = ManagedProcess;

/** The environment that points a child process at a test namespace. */
export function configEnv(config: Config): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    ALMANAC_REDIS_PREFIX: config.redisKeyPrefix,
    KAFKA_BROKERS: config.kafkaBrokers.join(','),
    ALMANAC_TOPIC_PREFIX: config.topicPrefix,
    ALMANAC_EVENT_PARTITIONS: String(config.eventPartitions),
    ALMANAC_DEDUPE_WINDOW_DAYS: String(config.dedupeWindowMs / 86_400_000),
    ALMANAC_BRIDGE_MAX_WAITING: String(config.bridgeMaxWaiting),
    ALMANAC_QUEUE_PREFIX: config.queuePrefix,
    ALMANAC_JOB_ATTEMPTS: String(config.jobAttempts),
    LOG_LEVEL: 'warn',
  };
}

/** Waits for a forked process's 'ready' message, then hands it over to be stopped or killed. */
export async function whenReady(child: ChildProcess, name: string): Promise<ManagedProcess> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s`)), 60_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early with ${code}`)));
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

export function startAggregatorProcess(config: Config): Promise<AggregatorProcess> {
  const child = fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), ['aggregate'], {
    env: { ...process.env, ...configEnv(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return whenReady(child, 'aggregator');
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `almanac <args>` to its end with `env` over this process's environment. */
export function runAlmanac(args: string[], env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'almanac.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
