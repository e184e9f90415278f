/**
 * `npm start`: the whole platform on one machine, on the bundled MovieLens data. Uses the
 * services that answer and starts local ones where none does, runs the stream aggregator, the
 * insights bridge and a triggered worker as child processes, imports the data through Kafka
 * (once: a second start finds it imported), waits for the aggregates, serves the gateway and
 * prints a sample query with its answer. Ctrl-C stops everything it started.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BUNDLED_MOVIELENS, PROJECT_ROOT, loadConfig, type Config } from '../../config/config.ts';
import { AlmanacError } from '../../errors.ts';
import { importMovieLens } from '../../ingest/importer.ts';
import { createKafka } from '../../kafka/client.ts';
import { ensureTopics } from '../../kafka/topics.ts';
import { ensureServices } from '../../services/local-services.ts';
import { migrate } from '../../serving/migrate.ts';
import { createPool, ensureDatabase } from '../../serving/postgres.ts';
import { waitForCatchUp } from '../../stream/progress.ts';
import { startApi } from '../../api/server.ts';
import { assertPortFree } from '../port-check.ts';
import { describeImport } from './import.ts';

const SAMPLE_QUERY = `query Profile($id: ID!) {
  user(id: $id) {
    id
    totalEvents
    activeDays
    firstEventAt
    lastEventAt
    topTags(limit: 5) { tag count }
    topPublications { domain count }
    temporalPatterns { hourOfDay dayOfWeek }
    recentEvents(limit: 3) { timestamp type title tags }
    sessions(last: 2) { startedAt endedAt events topTags { tag count } }
    achievements { code reachedAt }
  }
}`;

const say = (line: string) => console.log(line);

/** A progress line that rewrites itself on a terminal and prints now and then elsewhere. */
function progress(): (line: string) => void {
  let lastPrinted = 0;
  return (line) => {
    if (process.stdout.isTTY) {
      process.stdout.write(`\r${line}`);
    } else if (Date.now() - lastPrinted > 2000) {
      lastPrinted = Date.now();
      say(line);
    }
  };
}

function endProgress(): void {
  if (process.stdout.isTTY) process.stdout.write('\n');
}

export async function startCommand(): Promise<number> {
  const requested = loadConfig();
  await assertPortFree(requested.host, requested.gatewayPort, 'PORT');
  await assertPortFree(requested.host, requested.profilesSubgraphPort, 'ALMANAC_PROFILES_PORT');

  say('Almanac: starting services');
  const services = await ensureServices(requested, { postgres: true, redis: true, kafka: true });
  const config = services.config;
  for (const started of services.started) say(`  started ${started}`);
  say(`  using ${describeServices(config)}`);

  const children: { process: ChildProcess; name: string }[] = [];
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const pool = createPool(config.databaseUrl, 2);

  const shutdown = async () => {
    await api?.stop().catch(() => undefined);
    // The aggregator first, so that the bridge and the worker see the last of its facts.
    for (const child of children) await stopChild(child.process);
    await pool.end().catch(() => undefined);
    await services.stop();
  };

  try {
    await ensureDatabase(config.databaseUrl);
    const migrations = await migrate(config.databaseUrl);
    say(`  database ready (${migrations.applied.length} migrations applied now)`);
    const kafka = createKafka(config, 'start');
    await ensureTopics(kafka, config);

    for (const child of PIPELINE) {
      children.push({ process: await startChild(config, child), name: child.name });
      say(`  ${child.name} running`);
    }

    say(`Importing MovieLens from ${path.relative(process.cwd(), BUNDLED_MOVIELENS) || '.'}`);
    const showImport = progress();
    const imported = await importMovieLens(config, BUNDLED_MOVIELENS, {
      onProgress: (produced) => showImport(`  produced ${produced} events`),
    });
    endProgress();
    say(`  ${describeImport(imported)}`);

    say('Waiting for the aggregates to catch up');
    const showCatchUp = progress();
    const caughtUp = await waitForCatchUp(kafka, pool, config, {
      onProgress: (p) => showCatchUp(`  ${p.total - p.lag} of ${p.total} events aggregated`),
    });
    endProgress();
    say(
      `  ${caughtUp.applied} events counted, ${caughtUp.duplicates} duplicates dropped, ` +
        `${caughtUp.deadLettered} dead-lettered`,
    );

    api = await startApi(config);
    say(`GraphQL gateway: ${api.url}`);
    await printSample(pool, api.url);
    say(
      `\nLive updates: subscriptions over ${api.url.replace(/^http/, 'ws')}, for example\n` +
        `  subscription { recentActivity(userId: "1") { timestamp type tags } }\n` +
        `  subscription { spotlightUpdated(userId: "1") { text model } }`,
    );

    say('\nServing until Ctrl-C.');
    const reason = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
      for (const child of children) {
        child.process.once('exit', (code) => resolve(`the ${child.name} exited (code ${code})`));
      }
      // `npm start` killed with SIGTERM leaves this process behind without telling it; being
      // handed to another parent is the sign to stop too.
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && resolve('signal'), 1000).unref();
    });
    if (reason !== 'signal') {
      console.error(`almanac: ${reason}; stopping`);
      return 1;
    }
    say('Stopping');
    return 0;
  } finally {
    await shutdown();
  }
}

function describeServices(config: Config): string {
  const database = new URL(config.databaseUrl);
  return [
    `PostgreSQL ${database.host}${database.pathname}`,
    `Redis ${new URL(config.redisUrl).host}`,
    `Kafka ${config.kafkaBrokers.join(',')}`,
  ].join(', ');
}

async function printSample(pool: ReturnType<typeof createPool>, url: string): Promise<void> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM users ORDER BY total_events DESC, id LIMIT 1',
  );
  const id = rows[0]?.id ?? '1';

  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: SAMPLE_QUERY, variables: { id } }),
  });
  const answer = (await response.json()) as unknown;

  say(`\nSample query (variables: {"id": "${id}"}):\n${SAMPLE_QUERY}\n`);
  say(`Answer:\n${compactJson(answer)}`);
}

/** Indented JSON with short arrays and flat objects kept on one line, to fit a terminal. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[[{][^[\]{}]*[\]}]/g, (block) => {
    const flat = block
      .replace(/\s*\n\s*/g, ' ')
      .replace(/^\[ /, '[')
      .replace(/ \]$/, ']');
    return flat.length <= 120 ? flat : block;
  });
}

/** The long-running processes of the pipeline, in the order they start. */
const PIPELINE: readonly PipelineProcess[] = [
  { command: 'aggregate', name: 'stream aggregator', code: 'AGGREGATOR_START_FAILED' },
  { command: 'bridge', name: 'insights bridge', code: 'BRIDGE_START_FAILED' },
  { command: 'worker', name: 'triggered worker', code: 'WORKER_START_FAILED' },
];

interface PipelineProcess {
  /** The almanac command that runs it. */
  command: string;
  name: string;
  /** The error code when it does not start. */
  code: string;
}

/** Runs one almanac command as a child process, as it runs in production, until it is up. */
async function startChild(config: Config, child: PipelineProcess): Promise<ChildProcess> {
  const running = fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), [child.command], {
    env: {
      LOG_LEVEL: 'warn',
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AlmanacError(child.code, `the ${child.name} did not start within 60 s`)),
      60_000,
    );
    running.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    running.once('exit', (code) => {
      clearTimeout(timer);
      reject(new AlmanacError(child.code, `the ${child.name} exited with code ${code}`));
    });
  });
  return running;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
