import { loadConfig, topicNames } from '../../config/config.ts';
import { createKafka } from '../../kafka/client.ts';
import { createPool } from '../../serving/postgres.ts';
import { streamProgress } from '../../stream/progress.ts';

export async function statusCommand(): Promise<number> {
  const config = loadConfig();
  const kafka = createKafka(config, 'status');
  const admin = kafka.admin();
  await admin.connect();
  const topic = topicNames(config).events;
  const exists = (await admin.listTopics()).includes(topic);
  await admin.disconnect();
  if (!exists) {
    console.log(`no events yet: topic ${topic} does not exist (almanac import creates it)`);
    return 0;
  }

  const pool = createPool(config.databaseUrl, 1);
  try {
    const progress = await streamProgress(kafka, pool, config);
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
