/**
 * Ingest benchmark: MovieLens replayed under fresh user ids until there are at least 1M events
 * and 100k users, produced to a fresh topic; then one aggregator process (as `almanac aggregate`
 * runs) consumes it. Prints events/second from topic to committed aggregates, and the
 * aggregator's memory as the number of users grows.
 *
 *   npm run bench:ingest                 # 10 replays, about 1.05M events, 100k users
 *   BENCH_REPLAYS=3 npm run bench:ingest # smaller
 *
 * Each replay splits every MovieLens user into SPLIT readers (by movie), so users grow as fast
 * as events do. Work happens in a schema and topic of its own, dropped afterwards.
 */
import { fork } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { BUNDLED_MOVIELENS, PROJECT_ROOT, loadConfig, topicNames } from '../src/config/config.ts';
import type { ReadingEvent } from '../src/events/contract.ts';
import { readMovieLens } from '../src/events/movielens.ts';
import { EventProducer } from '../src/ingest/event-producer.ts';
import { createKafka } from '../src/kafka/client.ts';
import { ensureTopics } from '../src/kafka/topics.ts';
import { ensureServices } from '../src/services/local-services.ts';
import { migrate } from '../src/serving/migrate.ts';
import { createRedis } from '../src/serving/redis.ts';
import { createPool, ensureDatabase, parseDatabaseUrl } from '../src/serving/postgres.ts';
import { streamProgress } from '../src/stream/progress.ts';

const REPLAYS = Number(process.env.BENCH_REPLAYS ?? 10);
const SPLIT = 19;
const AGGREGATORS = Number(process.env.BENCH_AGGREGATORS ?? 1);
const run = `bench_${Date.now().toString(36)}`;

async function rssOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** CPU seconds used so far by every process on the machine, summed by program name. */
async function cpuByProgram(aggregatorPids: number[]): Promise<Map<string, number>> {
  const ticksPerSecond = 100;
  const totals = new Map<string, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) \S+ (?:\S+ ){10}(\d+) (\d+)/.exec(stat);
    if (!match) continue;
    const name = aggregatorPids.includes(Number(entry)) ? 'aggregator (node)' : match[1]!;
    const seconds = (Number(match[2]) + Number(match[3])) / ticksPerSecond;
    totals.set(name, (totals.get(name) ?? 0) + seconds);
  }
  return totals;
}

/** The largest RSS and peak among the aggregator processes. */
async function memoryOf(pids: number[]): Promise<{ rss: number; peak: number }> {
  const all = await Promise.all(pids.map(rssOf));
  return {
    rss: Math.max(...all.map((memory) => memory.rss)),
    peak: Math.max(...all.map((memory) => memory.peak)),
  };
}

async function main() {
  const base = loadConfig();
  const services = await ensureServices(base, { postgres: true, redis: true, kafka: true });
  const target = parseDatabaseUrl(services.config.databaseUrl);
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: `${target.connectionString}?schema=${run}`,
    REDIS_URL: services.config.redisUrl,
    KAFKA_BROKERS: services.config.kafkaBrokers.join(','),
    ALMANAC_TOPIC_PREFIX: run,
    ALMANAC_REDIS_PREFIX: `${run}:`,
  });

  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const kafka = createKafka(config, 'bench');
  await ensureTopics(kafka, config);

  const source: ReadingEvent[] = [];
  for await (const event of readMovieLens(BUNDLED_MOVIELENS)) source.push(event);

  console.log(`producing ${REPLAYS} replays of ${source.length} events ...`);
  const producer = new EventProducer(kafka, config);
  await producer.connect();
  const produceStart = performance.now();
  const users = new Set<string>();
  for (let replay = 0; replay < REPLAYS; replay++) {
    for (const event of source) {
      const movie = Number(event.url!.slice(event.url!.lastIndexOf('/') + 1));
      const userId = `r${replay}-u${event.user_id}-${movie % SPLIT}`;
      users.add(userId);
      await producer.add({ ...event, event_id: `r${replay}-${event.event_id}`, user_id: userId });
    }
  }
  await producer.flush();
  await producer.disconnect();
  const produceSeconds = (performance.now() - produceStart) / 1000;
  const total = producer.counts.produced;
  console.log(
    `produced ${total} events for ${users.size} users in ${produceSeconds.toFixed(1)} s ` +
      `(${Math.round(total / produceSeconds)} events/s)`,
  );

  const children = Array.from({ length: AGGREGATORS }, () =>
    fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), ['aggregate'], {
      env: {
        ...process.env,
        DATABASE_URL: config.databaseUrl,
        REDIS_URL: config.redisUrl,
        KAFKA_BROKERS: config.kafkaBrokers.join(','),
        ALMANAC_TOPIC_PREFIX: run,
        ALMANAC_REDIS_PREFIX: `${run}:`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_PROFILE=<dir> writes a CPU profile of each aggregator there.
      execArgv: process.env.BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : [],
    }),
  );
  await Promise.all(
    children.map((child) => new Promise((resolve) => child.once('message', resolve))),
  );

  const pool = createPool(config.databaseUrl, 1);
  const pids = children.map((child) => child.pid!);
  const cpuBefore = await cpuByProgram(pids);
  const start = performance.now();
  const samples: { applied: bigint; users: number; rss: number; seconds: number }[] = [];
  let nextReport = 0.1;
  for (;;) {
    const progress = await streamProgress(kafka, pool, config);
    const done = Number(progress.applied) / total;
    if (done >= nextReport || progress.lag === 0n) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      const memory = await memoryOf(children.map((child) => child.pid!));
      const seconds = (performance.now() - start) / 1000;
      samples.push({ applied: progress.applied, users: rows[0]!.n, rss: memory.rss, seconds });
      console.log(
        `  ${String(progress.applied).padStart(8)} events  ${String(rows[0]!.n).padStart(7)} users` +
          `  ${seconds.toFixed(1).padStart(6)} s  rss ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)})`,
      );
      nextReport = Math.floor(done * 10 + 1) / 10;
    }
    if (progress.lag === 0n) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = await cpuByProgram(pids);
  const peak = (await memoryOf(children.map((child) => child.pid!))).peak;

  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));

  const firstHalf = samples.filter((s) => s.applied <= BigInt(Math.floor(total / 2))).at(-1);
  const last = samples.at(-1)!;
  console.log('');
  console.log(`events           ${total}`);
  console.log(`users            ${users.size}`);
  console.log(`aggregate time   ${seconds.toFixed(1)} s (topic to committed aggregates)`);
  console.log(`throughput       ${Math.round(total / seconds)} events/s`);
  console.log(`aggregators      ${AGGREGATORS} process(es)`);
  console.log(`aggregator peak  ${peak.toFixed(0)} MiB RSS (largest process)`);
  if (firstHalf) {
    console.log(
      `memory growth    ${firstHalf.rss.toFixed(0)} MiB at ${firstHalf.users} users -> ` +
        `${last.rss.toFixed(0)} MiB at ${last.users} users`,
    );
  }

  console.log(
    `\nCPU seconds while aggregating (${seconds.toFixed(1)} s on ${cpus().length} cores):`,
  );
  const used = [...cpuAfter]
    .map(([name, after]) => [name, after - (cpuBefore.get(name) ?? 0)] as const)
    .filter(([, cpu]) => cpu >= 0.2)
    .sort((a, b) => b[1] - a[1]);
  for (const [name, cpu] of used) {
    console.log(
      `  ${name.padEnd(20)} ${cpu.toFixed(1).padStart(6)} s  ${((cpu / seconds) * 100).toFixed(0).padStart(4)}% of a core`,
    );
  }

  // Insights cost in proportion to what they find: say how much that was per event.
  const { rows: found } = await pool.query<{
    sessions: number;
    milestones: number;
    interests: number;
  }>(
    `SELECT (SELECT count(*) FROM user_sessions)::int AS sessions,
            (SELECT count(*) FROM user_achievements)::int AS milestones,
            (SELECT count(*) FROM user_emerging_interests)::int AS interests`,
  );
  const perThousand = (n: number) => ((n / total) * 1000).toFixed(0);
  const { sessions, milestones, interests } = found[0]!;
  console.log(
    `\ninsights found   ${sessions} sessions ended, ${milestones} milestones, ` +
      `${interests} emerging interests (${perThousand(sessions + milestones + interests)} facts ` +
      `per 1000 events)`,
  );

  await pool.end();
  const admin = new pg.Client({ connectionString: target.connectionString });
  await admin.connect();
  await admin.query(`DROP SCHEMA "${run}" CASCADE`);
  await admin.end();
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.deleteTopics({ topics: Object.values(topicNames(config)) });
  await kafkaAdmin.disconnect();
  await deleteRedisKeys(config.redisUrl, `${run}:`);
  await services.stop();
}

/** The recent lists and sessions of every benchmark user would otherwise stay for a day. */
async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis({ redisUrl, redisKeyPrefix: '' });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

await main();
