/**
 * The `almanac` command line. Expected failures (a missing service, a port in use, a bad file)
 * print one line saying what and how to fix it; only a bug prints a stack trace.
 */
import { loadConfig } from '../config/config.ts';
import { isAlmanacError } from '../errors.ts';
import { setLogLevel } from '../logger.ts';

const USAGE = `Usage: almanac <command>

  start                         everything on one machine: services, import, API (npm start)
  serve                         serve the GraphQL gateway and the profiles subgraph
  aggregate                     run a stream aggregator (run several to share partitions)
  bridge                        run the bridge from insight facts to the job queue
  worker                        run a worker for the triggered jobs (spotlights, idle sessions)
  import movielens <dir>        produce a MovieLens folder's ratings and tags as events
  import jsonl <file>           produce events from a file of JSON objects, one per line
                                  (add --force to import content imported before)
  status                        how far the aggregators are behind the events topic
  services start|stop|status    the local Kafka broker, and what answers where
  queues                        job counts and the latest failed jobs
  queues show <jobId>           one job: state, attempts, times, why it failed
  queues retry <jobId>|--all    run failed jobs again
  costs                         language-model calls and their estimated cost, by model and job
  migrate                       apply the database migrations
  compose                       recompose schema/supergraph.graphql from schema/*.graphql

Configuration comes from the environment; see the README.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.ts')).startCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  aggregate: async () => (await import('./commands/aggregate.ts')).aggregateCommand,
  bridge: async () => (await import('./commands/bridge.ts')).bridgeCommand,
  worker: async () => (await import('./commands/worker.ts')).workerCommand,
  queues: async () => {
    const { queuesCommand } = await import('./commands/queues.ts');
    return (args) => queuesCommand(args);
  },
  import: async () => (await import('./commands/import.ts')).importCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  services: async () => {
    const { servicesCommand } = await import('./commands/services.ts');
    return (args) => servicesCommand(args, loadConfig());
  },
  migrate: async () => (await import('./commands/migrate.ts')).migrateCommand,
  costs: async () => (await import('./commands/costs.ts')).costsCommand,
  compose: async () => (await import('./commands/compose.ts')).composeCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 2;
  }

  const load = commands[name];
  if (!load) {
    console.error(`almanac: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }

  try {
    // Commands talk to people on stdout; the structured log stays quiet unless asked.
    setLogLevel(process.env.LOG_LEVEL ? loadConfig().logLevel : 'warn');
    return await (
      await load()
    )(args);
  } catch (error) {
    const line = isAlmanacError(error) ? error.toLine() : describeServiceFailure(error);
    if (line === undefined) throw error;
    console.error(`almanac: ${line}`);
    return 1;
  }
}

/**
 * One line for the failures of the services the commands talk to, which reach here as the
 * clients' own errors: a broker or database that is down, a file that cannot be read. Anything
 * else is a bug and keeps its stack trace.
 */
export function describeServiceFailure(error: unknown): string | undefined {
  const failure = error as { name?: string; code?: string; message?: string };
  const message = failure.message ?? String(error);

  if (failure.name?.startsWith('KafkaJS')) {
    return `Kafka: ${message}. Check that a broker answers at KAFKA_BROKERS (almanac services status)`;
  }
  if (typeof failure.code === 'string' && /^(08|28|3D|57P)/.test(failure.code)) {
    return `PostgreSQL: ${message}. Check DATABASE_URL and that the server runs`;
  }
  if (failure.code === 'ECONNREFUSED' || failure.code === 'ETIMEDOUT') {
    return `${message}. Check that the service at that address runs (almanac services status)`;
  }
  if (failure.code === 'EACCES' || failure.code === 'EISDIR' || failure.code === 'ENOENT') {
    return message;
  }
  return undefined;
}
