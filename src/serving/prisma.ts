/**
 * The Prisma client for the serving store. Prisma 7 reaches PostgreSQL through the pg driver
 * adapter. The schema named on DATABASE_URL is given twice: to the adapter, which qualifies the
 * queries Prisma generates, and to every connection's search_path, which raw SQL relies on.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { parseDatabaseUrl } from './postgres.ts';

export interface PrismaOptions {
  /**
   * Receives every SQL statement at debug level (text only, never its parameters), and pool
   * errors at warn.
   */
  log?: Logger;
  /** Connections in the pool; 10 unless given. */
  maxConnections?: number;
}

/** A Prisma client for the database and schema in `databaseUrl`. Close it with $disconnect(). */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): PrismaClient {
  const target = parseDatabaseUrl(databaseUrl);
  const log = options.log;

  const adapter = new PrismaPg(
    {
      connectionString: target.connectionString,
      max: options.maxConnections ?? 10,
      options: `-c search_path="${target.schema}"`,
    },
    {
      schema: target.schema,
      onPoolError: (error) => log?.warn('postgres pool error', { error }),
    },
  );

  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  if (log) {
    client.$on('query', (event) => {
      log.debug('sql query', { sql: event.query, durationMs: event.duration });
    });
  }
  return client;
}
