/**
 * Triggered-work benchmark: synthetic session-ended facts (recent, so each is narrated) and
 * achievements on a fresh insights topic; then one bridge and K workers, as `almanac bridge` and
 * `almanac worker` run, with the offline narrator. Prints jobs/second from the bridge's start to
 * the last completed job, per kind, and the size of the prompt the Anthropic adapter would send
 * for these spotlights.
 *
 *   npm run bench:triggered                      # 10,000 spotlights, 10,000 achievements, 2 workers
 *   BENCH_SPOTLIGHTS=2000 BENCH_WORKERS=1 npm run bench:triggered
 *
 * Each reader has a few earlier sessions in the spotlight window and the one before, and some
 * active days, so a spotlight reads what it reads in production. Work happens in a schema, key
 * prefix and topics of its own, removed afterwards.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import pg from 'pg';
import { PROJECT_ROOT, loadConfig, topicNames, type Config } from '../src/config/config.ts';
import {
  encodeFact,
  factIds,
  type AchievementFact,
  type InsightFact,
  type SessionEndedFact,
} from '../src/insights/facts.ts';
import { createKafka } from '../src/kafka/client.ts';
import { ensureTopics } from '../src/kafka/topics.ts';
import { createNarrator } from '../src/llm/create-narrator.ts';
import { loadLlmConfig } from '../src/llm/llm-config.ts';
import { SPOTLIGHT_SYSTEM_PROMPT } from '../src/llm/spotlight-prompt.ts';
import { silentLogger } from '../src/logger.ts';
import { ensureServices } from '../src/services/local-services.ts';
import { migrate } from '../src/serving/migrate.ts';
import { createPool, ensureDatabase, parseDatabaseUrl } from '../src/serving/postgres.ts';
import { createRedis } from '../src/serving/redis.ts';
import { createQueueConnection, openInsightsQueue } from '../src/triggered/queue.ts';
import { loadSpotlightFacts } from '../src/triggered/spotlight-input.ts';
import { messageAnswer, startFakeMessagesApi } from '../test/unit/llm/support/fake-messages-api.ts';

const SPOTLIGHTS = Number(process.env.BENCH_SPOTLIGHTS ?? 10_000);
const ACHIEVEMENTS = Number(process.env.BENCH_ACHIEVEMENTS ?? 10_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
/** Spotlights whose prompt is rebuilt and measured. */
const PROMPT_SAMPLE = 200;
const run = `bench_triggered_${Date.now().toString(36)}`;

const MINUTE = 60_000;
const DAY = 86_400_000;
const TAGS = [
  'drama',
  'comedy',
  'thriller',
  'romance',
  'science',
  'climate',
  'politics',
  'history',
  'poetry',
  'travel',
  'football',
  'cooking',
  'economics',
  'health',
  'music',
  'film',
];

/** A small deterministic generator, so two runs read the same synthetic history. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function pickTags(next: () => number, count: number): Record<string, number> {
  const tags: Record<string, number> = {};
  for (let index = 0; index < count; index++) {
    const tag = TAGS[Math.floor(next() * TAGS.length)]!;
    tags[tag] = (tags[tag] ?? 0) + 1 + Math.floor(next() * 4);
  }
  return tags;
}

interface Reader {
  userId: string;
  fact: SessionEndedFact;
}

/** Readers with a session that just ended, and their earlier sessions and days in PostgreSQL. */
async function seedReaders(pool: pg.Pool, now: number): Promise<Reader[]> {
  const next = random(42);
  const readers: Reader[] = [];
  const rows = {
    user: [] as string[],
    start: [] as Date[],
    end: [] as Date[],
    events: [] as number[],
    tags: [] as string[],
  };
  const days = { user: [] as string[], day: [] as number[] };
  const tagCounts = { user: [] as string[], tag: [] as string[], count: [] as number[] };

  for (let index = 0; index < SPOTLIGHTS; index++) {
    const userId = `bench-reader-${index}`;
    const endedAt = now - Math.floor(next() * 60) * MINUTE;
    const startedAt = endedAt - (5 + Math.floor(next() * 55)) * MINUTE;
    const tags = pickTags(next, 3);
    const events = Object.values(tags).reduce((sum, count) => sum + count, 0);
    // The reader's tag counts, from which a spotlight learns which tags enough readers share.
    const readerTags = new Map(Object.entries(tags));
    readers.push({
      userId,
      fact: {
        id: factIds.sessionEnded(userId, startedAt),
        kind: 'session-ended',
        userId,
        occurredAt: endedAt,
        detectedAt: now,
        session: {
          startedAt,
          endedAt,
          events,
          topTags: Object.entries(tags)
            .map(([tag, count]) => ({ tag, count }))
            .sort((a, b) => b.count - a.count),
          closedBy: 'gap',
        },
      },
    });

    // Four earlier sessions across the last fortnight: some in the window, some before it.
    for (let session = 1; session <= 4; session++) {
      const end = endedAt - session * 3.3 * DAY;
      const earlier = pickTags(next, 3);
      rows.user.push(userId);
      rows.start.push(new Date(end - 30 * MINUTE));
      rows.end.push(new Date(end));
      rows.events.push(Object.values(earlier).reduce((sum, count) => sum + count, 0));
      rows.tags.push(JSON.stringify(earlier));
      for (const [tag, count] of Object.entries(earlier)) {
        readerTags.set(tag, (readerTags.get(tag) ?? 0) + count);
      }
    }
    for (const [tag, count] of readerTags) {
      tagCounts.user.push(userId);
      tagCounts.tag.push(tag);
      tagCounts.count.push(count);
    }
    const today = Math.floor(endedAt / DAY);
    for (const back of [1, 2, 4]) {
      days.user.push(userId);
      days.day.push(today - back);
    }
  }

  for (let start = 0; start < rows.user.length; start += 5000) {
    const end = start + 5000;
    await pool.query(
      `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
         closed_by)
       SELECT u, s, e, n, t::jsonb, ARRAY(SELECT jsonb_object_keys(t::jsonb)), 'gap'
       FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::text[])
            AS x(u, s, e, n, t)`,
      [
        rows.user.slice(start, end),
        rows.start.slice(start, end),
        rows.end.slice(start, end),
        rows.events.slice(start, end),
        rows.tags.slice(start, end),
      ],
    );
  }
  await pool.query(
    `INSERT INTO user_tag_counts (user_id, tag, count, first_seen_at, last_seen_at)
     SELECT u, t, n, now(), now() FROM unnest($1::text[], $2::text[], $3::int[]) AS x(u, t, n)`,
    [tagCounts.user, tagCounts.tag, tagCounts.count],
  );
  // A spotlight is written only for a stored reader.
  await pool.query(`INSERT INTO users (id) SELECT unnest($1::text[])`, [
    readers.map((reader) => reader.userId),
  ]);
  await pool.query(
    `INSERT INTO user_active_days (user_id, day, events)
     SELECT u, DATE '1970-01-01' + d, 5 FROM unnest($1::text[], $2::int[]) AS x(u, d)`,
    [days.user, days.day],
  );
  return readers;
}

function achievements(now: number): AchievementFact[] {
  return Array.from({ length: ACHIEVEMENTS }, (_, index) => {
    const userId = `bench-reader-${index}`;
    return {
      id: factIds.achievement(userId, 'events-100'),
      kind: 'achievement',
      userId,
      occurredAt: now - MINUTE,
      detectedAt: now,
      achievement: { code: 'events-100', kind: 'events', threshold: 100, reachedAt: now - MINUTE },
    };
  });
}

async function produce(config: Config, facts: InsightFact[]): Promise<void> {
  const producer = createKafka(config, 'bench').producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  for (let start = 0; start < facts.length; start += 1000) {
    await producer.send({
      topic: topicNames(config).insights,
      acks: -1,
      messages: facts
        .slice(start, start + 1000)
        .map((fact) => ({ key: fact.userId, value: encodeFact(fact) })),
    });
  }
  await producer.disconnect();
}

function startProcess(command: 'bridge' | 'worker', env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = fork(path.join(PROJECT_ROOT, 'bin', 'almanac.js'), [command], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

async function stopProcesses(children: ChildProcess[]): Promise<void> {
  const exits = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(exits);
}

/** CPU seconds used so far by every process on the machine, summed by program name. */
async function cpuByProgram(names: Map<number, string>): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const match = /^\d+ \((.*)\) \S+ (?:\S+ ){10}(\d+) (\d+)/.exec(stat);
    if (!match) continue;
    const name = names.get(Number(entry)) ?? match[1]!;
    const seconds = (Number(match[2]) + Number(match[3])) / 100;
    totals.set(name, (totals.get(name) ?? 0) + seconds);
  }
  return totals;
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;
}

/** Every completed job's kind and times, read a page at a time. */
async function completedJobs(queue: ReturnType<typeof openInsightsQueue>): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let start = 0; ; start += 1000) {
    const page = (await queue.getCompleted(start, start + 999)) as Job[];
    jobs.push(...page);
    if (page.length < 1000) return jobs;
  }
}

/**
 * The requests the Anthropic adapter sends for a sample of these spotlights, captured by a
 * stand-in for the API on 127.0.0.1: the exact bodies the SDK writes.
 */
async function measurePrompts(pool: pg.Pool, config: Config, readers: Reader[]) {
  const api = await startFakeMessagesApi();
  const llm = loadLlmConfig({ ANTHROPIC_API_KEY: 'sk-bench', ANTHROPIC_BASE_URL: api.baseUrl });
  const narrator = createNarrator(llm, { log: silentLogger });
  const sample = readers.slice(0, PROMPT_SAMPLE);
  api.script(
    ...sample.map(() => messageAnswer('A week of reading.', { input_tokens: 1, output_tokens: 1 })),
  );
  for (const reader of sample) {
    await narrator.spotlight(
      await loadSpotlightFacts(pool, reader.fact, config.spotlightWindowMs, llm.minTagReaders),
    );
  }
  await api.close();

  const bodies = api.requests.map((request) => Buffer.byteLength(request.raw));
  const users = api.requests.map((request) => {
    const messages = request.body.messages as { content: string }[];
    return messages[0]!.content.length;
  });
  const average = (values: number[]) =>
    values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    requests: api.requests.length,
    bodyBytes: average(bodies),
    systemChars: SPOTLIGHT_SYSTEM_PROMPT.length,
    userChars: average(users),
  };
}

async function main() {
  const base = loadConfig();
  const services = await ensureServices(base, { postgres: true, redis: true, kafka: true });
  const target = parseDatabaseUrl(services.config.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `${target.connectionString}?schema=${run}`,
    REDIS_URL: services.config.redisUrl,
    KAFKA_BROKERS: services.config.kafkaBrokers.join(','),
    ALMANAC_TOPIC_PREFIX: run,
    ALMANAC_REDIS_PREFIX: `${run}:`,
    LOG_LEVEL: 'warn',
  };
  // The offline narrator: the benchmark measures the pipeline, not a model's latency.
  delete env.ANTHROPIC_API_KEY;
  const config = loadConfig(env);

  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const kafka = createKafka(config, 'bench');
  await ensureTopics(kafka, config);
  const pool = createPool(config.databaseUrl, 4);
  const connection = createQueueConnection(config);
  const queue = openInsightsQueue(config, connection);

  const now = Date.now();
  console.log(`seeding ${SPOTLIGHTS} readers with 4 earlier sessions each ...`);
  const readers = await seedReaders(pool, now);
  const facts: InsightFact[] = [...readers.map((reader) => reader.fact), ...achievements(now)];
  await produce(config, facts);
  console.log(`produced ${readers.length} session-ended facts and ${ACHIEVEMENTS} achievements`);

  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () => startProcess('worker', env)),
  );
  const names = new Map<number, string>(workers.map((worker) => [worker.pid!, 'worker (node)']));
  const start = performance.now();
  const startedAt = Date.now();
  const bridge = await startProcess('bridge', env);
  names.set(bridge.pid!, 'bridge (node)');
  const cpuBefore = await cpuByProgram(names);

  let lastReport = 0;
  for (;;) {
    const done = await queue.getCompletedCount();
    const seconds = (performance.now() - start) / 1000;
    if (seconds - lastReport >= 5 || done >= facts.length) {
      lastReport = seconds;
      console.log(`  ${String(done).padStart(7)} jobs done  ${seconds.toFixed(1).padStart(6)} s`);
    }
    if (done >= facts.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = await cpuByProgram(names);
  await stopProcesses([bridge, ...workers]);

  const jobs = await completedJobs(queue);
  const failed = await queue.getFailedCount();
  const spotlights = await pool.query<{ n: number; offline: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE model = 'offline')::int AS offline
       FROM user_spotlights`,
  );

  console.log('');
  console.log(`jobs             ${jobs.length} completed, ${failed} failed`);
  const firstRan = Math.min(...jobs.map((job) => job.processedOn ?? Date.now()));
  const lastDone = Math.max(...jobs.map((job) => job.finishedOn ?? 0));
  console.log(`end to end       ${seconds.toFixed(1)} s from starting the bridge to the last job`);
  console.log(
    `                 (the first job ran ${((firstRan - startedAt) / 1000).toFixed(1)} s in)`,
  );
  console.log(
    `throughput       ${Math.round(jobs.length / seconds)} jobs/s end to end, ` +
      `${Math.round(jobs.length / ((lastDone - firstRan) / 1000))} jobs/s from the first job to the last`,
  );
  console.log(`workers          ${WORKERS} process(es), 8 jobs at once each`);
  for (const kind of ['session-ended', 'achievement']) {
    const ofKind = jobs.filter((job) => job.name === kind);
    if (ofKind.length === 0) continue;
    const first = Math.min(...ofKind.map((job) => job.processedOn ?? startedAt));
    const last = Math.max(...ofKind.map((job) => job.finishedOn ?? startedAt));
    const runs = ofKind
      .map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0))
      .sort((a, b) => a - b);
    const waits = ofKind.map((job) => (job.finishedOn ?? 0) - job.timestamp).sort((a, b) => a - b);
    console.log(
      `  ${kind.padEnd(14)} ${String(ofKind.length).padStart(6)} jobs  ` +
        `${Math.round(ofKind.length / ((last - first) / 1000))} jobs/s while they ran  ` +
        `run p50 ${percentile(runs, 0.5)} ms, p95 ${percentile(runs, 0.95)} ms  ` +
        `queued to done p50 ${(percentile(waits, 0.5) / 1000).toFixed(1)} s`,
    );
  }
  console.log(
    `spotlights       ${spotlights.rows[0]!.n} stored (${spotlights.rows[0]!.offline} offline)`,
  );

  console.log(
    `\nCPU seconds while the jobs ran (${seconds.toFixed(1)} s on ${cpus().length} cores):`,
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

  const prompts = await measurePrompts(pool, config, readers);
  const textChars = prompts.systemChars + prompts.userChars;
  console.log(`\nAnthropic request per spotlight (${prompts.requests} captured from the adapter):`);
  console.log(
    `  request body     ${Math.round(prompts.bodyBytes)} bytes of JSON as the SDK sends it`,
  );
  console.log(`  system prompt    ${prompts.systemChars} characters (the same in every request)`);
  console.log(`  user message     ${Math.round(prompts.userChars)} characters on average`);
  console.log(
    `  input tokens     about ${Math.round(textChars / 4)}-${Math.round(textChars / 3)} ` +
      `(prompt text at 3 to 4 characters a token), plus at most 200 output tokens`,
  );

  await queue.close();
  connection.disconnect();
  await pool.end();
  await cleanUp(config, target.connectionString);
  await services.stop();
}

async function cleanUp(config: Config, connectionString: string): Promise<void> {
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  await admin.query(`DROP SCHEMA "${run}" CASCADE`);
  await admin.end();

  const kafkaAdmin = createKafka(config, 'bench').admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.deleteGroups([config.bridgeGroup]).catch(() => undefined);
  await kafkaAdmin.deleteTopics({ topics: Object.values(topicNames(config)) });
  await kafkaAdmin.disconnect();

  // The queue's keys share the run's prefix, so this removes them with the spotlights.
  const redis = createRedis({ redisUrl: config.redisUrl, redisKeyPrefix: '' });
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${run}:*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

await main();
