/**
 * The migrations and the Prisma schema describe the same database: every model reads through the
 * generated client after the offline migration runner has run, and the runner records what it
 * applied the way Prisma's own engine does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR } from '../../../src/serving/migrate.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createPrisma } from '../../../src/serving/prisma.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('prisma');
const pool = createPool(ns.config.databaseUrl, 1);
const prisma = createPrisma(ns.config.databaseUrl);

beforeAll(async () => {
  await ns.migrate();
});

afterAll(async () => {
  await prisma.$disconnect();
  await pool.end();
  await ns.cleanup();
});

describe('the serving schema', () => {
  it('answers every Prisma model', async () => {
    await pool.query(`INSERT INTO users (id) VALUES ('reader')`);
    const reads = await Promise.all([
      prisma.user.findFirst(),
      prisma.userTagCount.findFirst(),
      prisma.userPublicationCount.findFirst(),
      prisma.userActiveDay.findFirst(),
      prisma.userMonthlyStats.findFirst(),
      prisma.processedEvent.findFirst(),
      prisma.streamOffset.findFirst(),
      prisma.deadLetter.findFirst(),
      prisma.import.findFirst(),
      prisma.llmCost.findFirst(),
    ]);
    expect(reads[0]).toMatchObject({
      id: 'reader',
      totalEvents: 0n,
      hourCounts: Array(24).fill(0),
      weekdayCounts: Array(7).fill(0),
      coreInterests: [],
    });
    expect(reads.slice(1)).toEqual(Array(9).fill(null));
  });

  it('records each migration once, with the checksum Prisma expects', async () => {
    expect(await migrate(ns.config.databaseUrl)).toMatchObject({ applied: [] });

    const { rows } = await pool.query(
      'SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    }
  });
});
