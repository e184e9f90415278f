/**
 * Every integration test file works in its own namespace: a PostgreSQL schema, a Redis key
 * prefix and a Kafka topic prefix of its own, so files can run in parallel and leave nothing
 * behind for the next run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { migrate } from '../../src/serving/migrate.ts';
import { createRedis } from '../../src/serving/redis.ts';

const TEST_DATABASE = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestNamespace {
  id: string;
  config: Config;
  /** Applies the migrations to this namespace's schema. */
  migrate(): Promise<void>;
  /** Drops the schema, deletes the Redis keys, and the topics and consumer groups it made. */
  cleanup(): Promise<void>;
}

async function deleteKafkaNamespace(config: Config, id: string): Promise<void> {
  const admin = createKafka(config, 'cleanup').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${id}.`));
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((group) => group.startsWith(id));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export function createNamespace(
  name: string,
  overrides: Record<string, string> = {},
): TestNamespace {
  const id = `t_${name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: `${TEST_DATABASE}?schema=${id}`,
    ALMANAC_REDIS_PREFIX: `${id}:`,
    ALMANAC_TOPIC_PREFIX: id,
    PORT: '0',
    ALMANAC_PROFILES_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...overrides,
  });

  return {
    id,
    config,
    migrate: async () => {
      await migrate(config.databaseUrl);
    },
    cleanup: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${id}" CASCADE`);
      await client.end();

      const redis = createRedis({ redisUrl: config.redisUrl, redisKeyPrefix: '' });
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${id}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();

      await deleteKafkaNamespace(config, id);
    },
  };
}
