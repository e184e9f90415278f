/**
 * `almanac services start|stop|status`: the local Kafka broker (detached, so it outlives the
 * command), and a look at what answers where. PostgreSQL and Redis are only reported here;
 * `npm start` starts local ones when they are missing.
 */
import type { Config } from '../../config/config.ts';
import { isAlmanacError } from '../../errors.ts';
import { isPostgresReachable, postgresAddress } from '../../services/embedded-postgres.ts';
import {
  isKafkaReachable,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
} from '../../services/kafka-broker.ts';
import { isLoopbackHost, parseHostPort } from '../../services/port.ts';
import { isRedisReachable, redisAddress } from '../../services/redis-server.ts';

const USAGE = `Usage: almanac services <start|stop|status>

  start    start the local Kafka broker (detached) unless one runs; report PostgreSQL and Redis
  stop     stop the local Kafka broker, if it runs
  status   whether PostgreSQL, Redis and Kafka answer, and whether the local broker runs`;

/** Where the command writes: lines for people on `out`, failures on `err`. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const consoleOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `almanac services <subcommand>` and returns the exit code: 0 on success; for `status`,
 * 1 when any service does not answer; 1 on an expected failure (printed as one line plus the
 * log lines that explain it); 2 on a usage error.
 */
export async function servicesCommand(
  args: string[],
  config: Config,
  output: CommandOutput = consoleOutput,
): Promise<number> {
  const [subcommand, ...rest] = args;
  if (rest.length > 0 || !subcommand || !['start', 'stop', 'status'].includes(subcommand)) {
    output.err(USAGE);
    return 2;
  }

  try {
    if (subcommand === 'start') return await start(config, output);
    if (subcommand === 'stop') return await stop(config, output);
    return await status(config, output);
  } catch (error) {
    if (!isAlmanacError(error)) throw error;
    output.err(`almanac: ${error.toLine()}`);
    for (const key of ['output', 'logTail']) {
      const lines = error.context[key];
      if (Array.isArray(lines)) for (const line of lines) output.err(`  ${String(line)}`);
    }
    return 1;
  }
}

async function start(config: Config, output: CommandOutput): Promise<number> {
  const loopback = config.kafkaBrokers.some((broker) =>
    isLoopbackHost(parseHostPort(broker, 9092).host),
  );
  if (!loopback) {
    output.err(
      `almanac: KAFKA_BROKERS (${config.kafkaBrokers.join(',')}) names no local address; ` +
        'unset it, or set it to 127.0.0.1:<port>, to run a local broker',
    );
    return 1;
  }

  const began = Date.now();
  const broker = await startLocalBroker(config);
  const address = broker.brokers.join(',');
  if (broker.startedByUs) {
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    output.out(`Kafka: started the local broker at ${address} (pid ${broker.pid}) in ${seconds} s`);
  } else if (broker.pid !== null) {
    output.out(`Kafka: the local broker already runs at ${address} (pid ${broker.pid})`);
  } else {
    output.out(`Kafka: a broker not started by Almanac answers at ${address}; using it`);
  }

  const [postgres, redis] = await Promise.all([postgresLine(config), redisLine(config)]);
  output.out(postgres.line);
  output.out(redis.line);
  return 0;
}

async function stop(config: Config, output: CommandOutput): Promise<number> {
  const result = await stopLocalBroker(config);
  output.out(
    result.stopped
      ? `Kafka: stopped the local broker (pid ${result.pid})`
      : 'Kafka: no local broker runs',
  );
  return 0;
}

async function status(config: Config, output: CommandOutput): Promise<number> {
  const [postgres, redis, kafka] = await Promise.all([
    postgresLine(config),
    redisLine(config),
    kafkaLine(config),
  ]);
  for (const service of [postgres, redis, kafka]) output.out(service.line);
  return postgres.reachable && redis.reachable && kafka.reachable ? 0 : 1;
}

interface ServiceLine {
  reachable: boolean;
  line: string;
}

function describe(name: string, reachable: boolean, address: string): string {
  return `${`${name}:`.padEnd(12)}${reachable ? 'reachable' : 'not reachable'} at ${address}`;
}

async function postgresLine(config: Config): Promise<ServiceLine> {
  const { host, port } = postgresAddress(config.databaseUrl);
  const reachable = await isPostgresReachable(config.databaseUrl);
  return { reachable, line: describe('PostgreSQL', reachable, `${host}:${port}`) };
}

async function redisLine(config: Config): Promise<ServiceLine> {
  const { host, port } = redisAddress(config.redisUrl);
  const reachable = await isRedisReachable(config.redisUrl);
  return { reachable, line: describe('Redis', reachable, `${host}:${port}`) };
}

async function kafkaLine(config: Config): Promise<ServiceLine> {
  const [reachable, local] = await Promise.all([
    isKafkaReachable(config.kafkaBrokers),
    localBrokerStatus(config),
  ]);
  let line = describe('Kafka', reachable, config.kafkaBrokers.join(','));
  line += local.running
    ? `; local broker running (pid ${local.pid}) at ${local.brokers?.join(',')}`
    : '; no broker of this checkout running';
  return { reachable, line };
}
