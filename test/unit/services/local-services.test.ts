/**
 * ensureServices' decisions, with the probes and starters replaced: which services it starts,
 * what the returned configuration points at, what stop() stops, and that a service configured
 * on another host is never replaced by a local one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { silentLogger } from '../../../src/logger.ts';

const calls: string[] = [];
const reachable = { postgres: true, redis: true, kafka: true };

vi.mock('../../../src/services/embedded-postgres.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  isPostgresReachable: async () => reachable.postgres,
  startEmbeddedPostgres: async () => {
    calls.push('start postgres');
    return {
      databaseUrl: 'postgresql://postgres@127.0.0.1:55432/almanac',
      port: 55432,
      startedByUs: true,
      stop: async () => void calls.push('stop postgres'),
    };
  },
}));

vi.mock('../../../src/services/redis-server.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  isRedisReachable: async () => reachable.redis,
  startRedisServer: async () => {
    calls.push('start redis');
    return {
      redisUrl: 'redis://127.0.0.1:56379',
      port: 56379,
      pid: 1,
      stop: async () => void calls.push('stop redis'),
    };
  },
}));

vi.mock('../../../src/services/kafka-broker.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  isKafkaReachable: async () => reachable.kafka,
  startLocalBroker: async () => {
    calls.push('start kafka');
    return { brokers: ['127.0.0.1:59092'], pid: 2, startedByUs: true };
  },
  stopLocalBroker: async () => {
    calls.push('stop kafka');
    return { stopped: true, pid: 2 };
  },
}));

const { ensureServices } = await import('../../../src/services/local-services.ts');

const silent = silentLogger;
const all = { postgres: true, redis: true, kafka: true };

beforeEach(() => {
  calls.length = 0;
  Object.assign(reachable, { postgres: true, redis: true, kafka: true });
});

describe('ensureServices', () => {
  it('uses services that answer and starts nothing', async () => {
    const config = loadConfig({});
    const services = await ensureServices(config, all, silent);

    expect(services.started).toEqual([]);
    expect(services.config).toEqual(config);
    await services.stop();
    expect(calls).toEqual([]);
  });

  it('starts local services for loopback addresses that do not answer, and stops only those', async () => {
    reachable.postgres = false;
    reachable.kafka = false;
    const services = await ensureServices(loadConfig({}), all, silent);

    expect(calls.sort()).toEqual(['start kafka', 'start postgres']);
    expect(services.config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:55432/almanac');
    expect(services.config.kafkaBrokers).toEqual(['127.0.0.1:59092']);
    expect(services.config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(services.started).toHaveLength(2);

    calls.length = 0;
    await services.stop();
    await services.stop();
    expect(calls.sort()).toEqual(['stop kafka', 'stop postgres']);
  });

  it('checks only the services wanted', async () => {
    Object.assign(reachable, { postgres: false, redis: false, kafka: false });
    const services = await ensureServices(
      loadConfig({}),
      { postgres: false, redis: true, kafka: false },
      silent,
    );
    expect(calls).toEqual(['start redis']);
    await services.stop();
  });

  it.each([
    [
      'postgres',
      { DATABASE_URL: 'postgresql://postgres@db.example.com:5432/almanac' },
      'POSTGRES_UNREACHABLE',
    ],
    ['redis', { REDIS_URL: 'redis://cache.example.com:6379' }, 'REDIS_UNREACHABLE'],
    ['kafka', { KAFKA_BROKERS: 'kafka-1.example.com:9092' }, 'KAFKA_UNREACHABLE'],
  ] as const)('fails for %s on another host that does not answer', async (service, env, code) => {
    reachable[service] = false;
    await expect(ensureServices(loadConfig(env), all, silent)).rejects.toMatchObject({
      code,
      hint: expect.stringMatching(/Check [A-Z_]+/),
    });
    expect(calls.filter((call) => call.startsWith('start'))).toEqual([]);
  });

  it('stops what it started when another service fails', async () => {
    reachable.redis = false;
    reachable.kafka = false;
    const config = loadConfig({ KAFKA_BROKERS: 'kafka-1.example.com:9092' });

    await expect(ensureServices(config, all, silent)).rejects.toMatchObject({
      code: 'KAFKA_UNREACHABLE',
    });
    expect(calls).toEqual(['start redis', 'stop redis']);
  });
});
