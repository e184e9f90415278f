import { loadConfig } from '../../config/config.ts';
import { createKafka } from '../../kafka/client.ts';
import { createPool } from '../../serving/postgres.ts';
import { streamProgress } from '../../stream/progress.ts';

export async function statusCommand(): Promise<number> {
  const config = loadConfig();
  const pool = createPool(config.databaseUrl, 1);
  try {
    const progress = await streamProgress(createKafka(config, 'status'), pool, config);
    console.log(`events in topic     ${progress.total}`);
    console.log(`still to aggregate  ${progress.lag}`);
    console.log(`aggregated          ${progress.applied}`);
    console.log(`duplicates dropped  ${progress.duplicates}`);
    console.log(`dead-lettered       ${progress.deadLettered}`);
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM dead_letters WHERE partition = -1',
    );
    console.log(`refused at import   ${rows[0]?.n ?? 0} (too large for Kafka)`);
    return 0;
  } finally {
    await pool.end();
  }
}
