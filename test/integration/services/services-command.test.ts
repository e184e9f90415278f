/** `almanac services start|status|stop` against a broker on a free port in a home of its own. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesCommand } from '../../../src/cli/commands/services.ts';
import { loadConfig, type Config } from '../../../src/config/config.ts';
import {
  KAFKA_VERSION,
  ensureKafkaLibrary,
  localBrokerStatus,
  stopLocalBroker,
} from '../../../src/services/kafka-broker.ts';
import { findFreePort } from '../../../src/services/port.ts';
import { processCommandLine } from '../../../src/services/process.ts';

let home: string;
let config: Config;

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await servicesCommand(args, config, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-cli-'));
  // The broker's jars come from the default home, fetched there at most once.
  const shared = path.join(loadConfig().homeDir, 'kafka');
  await ensureKafkaLibrary(shared);
  await fs.mkdir(path.join(home, 'kafka'), { recursive: true });
  await fs.symlink(path.join(shared, KAFKA_VERSION), path.join(home, 'kafka', KAFKA_VERSION));
  config = loadConfig({
    ...process.env,
    ALMANAC_HOME: home,
    // The server the global setup found or started, which the status lines must show answering.
    ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    KAFKA_BROKERS: `127.0.0.1:${await findFreePort()}`,
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await stopLocalBroker(config);
  await fs.rm(home, { recursive: true, force: true });
});

describe('almanac services', () => {
  it('start runs a detached broker, status shows it, stop ends it', async () => {
    const broker = config.kafkaBrokers[0]!;

    const before = await run(['status']);
    expect(before.code).toBe(1);
    expect(before.out).toHaveLength(3);
    expect(before.out[0]).toMatch(/^PostgreSQL: +reachable at 127\.0\.0\.1:\d+$/);
    expect(before.out[1]).toMatch(/^Redis: +reachable at 127\.0\.0\.1:\d+$/);
    expect(before.out[2]).toBe(
      `Kafka:      not reachable at ${broker}; no broker of this checkout running`,
    );

    const started = await run(['start']);
    expect(started.code).toBe(0);
    expect(started.err).toEqual([]);
    const pid = Number(/\(pid (\d+)\)/.exec(started.out[0] ?? '')?.[1]);
    expect(started.out[0]).toMatch(
      new RegExp(`^Kafka: started the local broker at ${broker} \\(pid \\d+\\) in [\\d.]+ s$`),
    );
    expect(started.out.slice(1)).toEqual([
      expect.stringMatching(/^PostgreSQL: +reachable/),
      expect.stringMatching(/^Redis: +reachable/),
    ]);

    const again = await run(['start']);
    expect(again.out[0]).toBe(`Kafka: the local broker already runs at ${broker} (pid ${pid})`);

    const running = await run(['status']);
    expect(running.code).toBe(0);
    expect(running.out[2]).toBe(
      `Kafka:      reachable at ${broker}; local broker running (pid ${pid}) at ${broker}`,
    );

    const stopped = await run(['stop']);
    expect(stopped).toEqual({
      code: 0,
      out: [`Kafka: stopped the local broker (pid ${pid})`],
      err: [],
    });
    expect(await processCommandLine(pid)).toBeNull();
    expect((await localBrokerStatus(config)).running).toBe(false);

    expect((await run(['stop'])).out).toEqual(['Kafka: no local broker runs']);
  });
});
