/**
 * Before the integration tests: a Kafka broker (started the way `npm start` starts one when none
 * answers) and the PostgreSQL and Redis the tests talk to. Stops only what it started.
 */
import { loadConfig } from '../../src/config/config.ts';
import { ensureServices } from '../../src/services/local-services.ts';

export default async function setup() {
  const config = loadConfig();
  const services = await ensureServices(config, { postgres: true, redis: true, kafka: true });
  process.env.KAFKA_BROKERS = services.config.kafkaBrokers.join(',');
  process.env.REDIS_URL = services.config.redisUrl;
  if (services.config.databaseUrl !== config.databaseUrl) {
    process.env.TEST_DATABASE_URL = services.config.databaseUrl;
  }

  return async () => {
    await services.stop();
  };
}
