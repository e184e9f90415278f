/**
 * ensureServices against real servers: the machine's own PostgreSQL and Redis where they
 * answer, and every local fallback (embedded PostgreSQL, redis-server, a Kafka broker fetched
 * with Maven into a fresh home) where nothing answers.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import { isPostgresReachable } from '../../../src/services/embedded-postgres.ts';
import {
  isKafkaReachable,
  localBrokerStatus,
  stopLocalBroker,
} from '../../../src/services/kafka-broker.ts';
import { ensureServices, type StartedServices } from '../../../src/services/local-services.ts';
import { findFreePort } from '../../../src/services/port.ts';
import { isRedisReachable } from '../../../src/services/redis-server.ts';

const silent = silentLogger;
let home: string;
const started: StartedServices[] = [];

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-services-'));
  await fs.chmod(home, 0o755); // the embedded PostgreSQL runs as the user postgres when root
});

afterAll(async () => {
  await Promise.all(started.map((services) => services.stop()));
  await stopLocalBroker({ homeDir: home }, { log: silent });
  await fs.rm(home, { recursive: true, force: true });
});

describe('ensureServices', () => {
  it('uses the PostgreSQL and Redis that answer, starting nothing', async () => {
    const config = loadConfig({
      ...process.env,
      ALMANAC_HOME: home,
      // The server the global setup found or started.
      ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    });
    const services = await ensureServices(
      config,
      { postgres: true, redis: true, kafka: false },
      silent,
    );
    started.push(services);

    expect(services.started).toEqual([]);
    expect(services.config.databaseUrl).toBe(config.databaseUrl);
    expect(services.config.redisUrl).toBe(config.redisUrl);
    await services.stop();
    expect(await isRedisReachable(config.redisUrl)).toBe(true);
  });

  it('starts all three where nothing answers, points the config at them, and stops them', async () => {
    const [pgPort, redisPort, kafkaPort] = [
      await findFreePort(),
      await findFreePort(),
      await findFreePort(),
    ];
    const config = loadConfig({
      ALMANAC_HOME: home,
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}/almanac_services`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    });

    const began = Date.now();
    const services = await ensureServices(
      config,
      { postgres: true, redis: true, kafka: true },
      silent,
    );
    started.push(services);
    const tookMs = Date.now() - began;

    expect(services.started.sort()).toEqual([
      `Kafka at 127.0.0.1:${kafkaPort}`,
      `PostgreSQL at 127.0.0.1:${pgPort}`,
      `Redis at 127.0.0.1:${redisPort}`,
    ]);
    expect(services.config.databaseUrl).toBe(config.databaseUrl);
    expect(await isPostgresReachable(services.config.databaseUrl)).toBe(true);
    expect(await isRedisReachable(services.config.redisUrl)).toBe(true);
    expect(await isKafkaReachable(services.config.kafkaBrokers)).toBe(true);

    // A second call finds everything answering and owns nothing.
    const second = await ensureServices(
      services.config,
      { postgres: true, redis: true, kafka: true },
      silent,
    );
    expect(second.started).toEqual([]);
    await second.stop();
    expect(await isKafkaReachable(services.config.kafkaBrokers)).toBe(true);

    await services.stop();
    expect(await isPostgresReachable(services.config.databaseUrl)).toBe(false);
    expect(await isRedisReachable(services.config.redisUrl)).toBe(false);
    expect(await isKafkaReachable(services.config.kafkaBrokers)).toBe(false);
    expect((await localBrokerStatus(config)).running).toBe(false);
    console.info(`ensureServices started PostgreSQL, Redis and Kafka in ${tookMs} ms`);
  });
});
