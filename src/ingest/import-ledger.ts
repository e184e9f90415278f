/**
 * A record of finished imports, so that importing the same data again produces nothing. The
 * dedupe window catches repeats too, but only for a week; the ledger keeps them out for good.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type pg from 'pg';

export async function fingerprintFiles(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    hash.update('\u0000');
  }
  return hash.digest('hex');
}

export async function findCompletedImport(
  pool: pg.Pool,
  source: string,
  fingerprint: string,
): Promise<{ events: number; completedAt: Date } | null> {
  const { rows } = await pool.query<{ events: string; completed_at: Date }>(
    `SELECT events, completed_at FROM imports
     WHERE source = $1 AND fingerprint = $2 AND completed_at IS NOT NULL`,
    [source, fingerprint],
  );
  const row = rows[0];
  return row ? { events: Number(row.events), completedAt: row.completed_at } : null;
}

export async function recordImportStarted(pool: pg.Pool, source: string, fingerprint: string) {
  await pool.query(
    `INSERT INTO imports (source, fingerprint, events, started_at) VALUES ($1, $2, 0, now())
     ON CONFLICT (source, fingerprint) DO UPDATE SET started_at = now(), completed_at = NULL`,
    [source, fingerprint],
  );
}

export async function recordImportCompleted(
  pool: pg.Pool,
  source: string,
  fingerprint: string,
  events: number,
) {
  await pool.query(
    `UPDATE imports SET events = $3, completed_at = now() WHERE source = $1 AND fingerprint = $2`,
    [source, fingerprint, events],
  );
}
