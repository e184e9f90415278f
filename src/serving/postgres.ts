/**
 * PostgreSQL connections. A `schema` query parameter on DATABASE_URL (as Prisma spells it)
 * selects the schema every connection works in, so tests and side-by-side deployments can share
 * one server.
 */
import pg from 'pg';
import { AlmanacError } from '../errors.ts';
import { createLogger } from '../logger.ts';

const poolLog = createLogger('postgres');

export interface DatabaseTarget {
  /** The URL without the schema parameter, as pg and Prisma's adapter take it. */
  connectionString: string;
  schema: string;
  database: string;
}

export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch (cause) {
    throw new AlmanacError('CONFIG_INVALID', 'DATABASE_URL is not a valid URL', { cause });
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new AlmanacError('CONFIG_INVALID', 'DATABASE_URL must start with postgresql://');
  }

  const schema = url.searchParams.get('schema') ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new AlmanacError('CONFIG_INVALID', `schema "${schema}" must be a lower-case identifier`);
  }
  url.searchParams.delete('schema');

  return {
    connectionString: url.toString(),
    schema,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
}

/** How long to wait for a server to accept a connection; a silent port must not hang a command. */
export const CONNECT_TIMEOUT_MS = 10_000;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const target = parseDatabaseUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: `-c search_path="${target.schema}"`,
    // Names the schema, so an operator (or a test) can tell this deployment's sessions apart.
    application_name: `almanac:${target.schema}`,
  });
  // An idle connection the server closes (a restart, a failover) must not end the process; the
  // pool replaces it, and a query in flight fails and is retried by its caller.
  pool.on('error', (error) => poolLog.warn('PostgreSQL closed an idle connection', { error }));
  return pool;
}

/** Creates the database named in the URL when the server has no such database yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
    await client.end();
    return;
  } catch (error) {
    await client.end().catch(() => undefined);
    if ((error as { code?: string }).code !== '3D000') throw describeConnectError(error, target);
  }

  const adminUrl = new URL(target.connectionString);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({
    connectionString: adminUrl.toString(),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${target.database.replaceAll('"', '""')}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw describeConnectError(error, target);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export function describeConnectError(error: unknown, target: DatabaseTarget): AlmanacError {
  const where = new URL(target.connectionString);
  const address = `${where.hostname}:${where.port || 5432}`;
  return new AlmanacError(
    'POSTGRES_UNREACHABLE',
    `PostgreSQL at ${address} (database ${target.database}) refused: ${(error as Error).message}`,
    { hint: 'Check DATABASE_URL, or unset it to use a local server', cause: error },
  );
}
