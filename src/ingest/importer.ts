/**
 * Imports a file of events into Kafka: MovieLens folders and JSON-lines files. Finished imports
 * are remembered by the content's fingerprint, and the same content is not produced twice unless
 * forced (even then the dedupe window keeps counts right).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { topicNames, type Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { readMovieLens } from '../events/movielens.ts';
import { createKafka } from '../kafka/client.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { createLogger } from '../logger.ts';
import { createPool } from '../serving/postgres.ts';
import { EventProducer } from './event-producer.ts';
import {
  findCompletedImport,
  fingerprintFiles,
  recordImportCompleted,
  recordImportStarted,
} from './import-ledger.ts';

export interface ImportResult {
  source: string;
  /** Messages produced to the events topic. */
  produced: number;
  /** Lines too large for Kafka, sent straight to the dead-letter topic. */
  deadLettered: number;
  /** True when the same content had been imported before and nothing was produced. */
  skipped: boolean;
}

export interface ImportOptions {
  force?: boolean;
  onProgress?: (produced: number) => void;
}

const log = createLogger('import');

async function runImport(
  config: Config,
  source: string,
  files: string[],
  options: ImportOptions,
  produce: (producer: EventProducer) => Promise<void>,
): Promise<ImportResult> {
  const pool = createPool(config.databaseUrl, 2);
  // The same files imported into another topic are another import.
  const ledgerSource = `${source}@${topicNames(config).events}`;
  try {
    const fingerprint = await fingerprintFiles(files);
    const previous = await findCompletedImport(pool, ledgerSource, fingerprint);
    if (previous && !options.force) {
      log.info('already imported; nothing to do', { source, events: previous.events });
      return { source, produced: 0, deadLettered: 0, skipped: true };
    }

    const kafka = createKafka(config, 'import');
    await ensureTopics(kafka, config);
    const producer = new EventProducer(kafka, config);
    await producer.connect();
    try {
      await recordImportStarted(pool, ledgerSource, fingerprint);
      await produce(producer);
      await producer.flush();
      await recordImportRejections(pool, `import:${source}:${fingerprint.slice(0, 12)}`, producer);
      await recordImportCompleted(pool, ledgerSource, fingerprint, producer.counts.produced);
    } finally {
      await producer.disconnect();
    }

    log.info('import produced', { source, ...producer.counts });
    return { source, ...producer.counts, skipped: false };
  } finally {
    await pool.end();
  }
}

export async function importMovieLens(
  config: Config,
  directory: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const folder = path.resolve(directory);
  const files = ['movies.csv', 'ratings.csv', 'tags.csv'].map((file) => path.join(folder, file));
  for (const file of files) await assertReadable(file);

  return runImport(config, 'movielens', files, options, async (producer) => {
    let produced = 0;
    for await (const event of readMovieLens(folder)) {
      await producer.add(event);
      if (++produced % 20_000 === 0) options.onProgress?.(produced);
    }
  });
}

export async function importJsonLines(
  config: Config,
  file: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const resolved = path.resolve(file);
  await assertReadable(resolved);

  return runImport(config, 'jsonl', [resolved], options, async (producer) => {
    const lines = createInterface({ input: createReadStream(resolved), crlfDelay: Infinity });
    let produced = 0;
    let lineNumber = 0;
    for await (const raw of lines) {
      lineNumber++;
      // A byte-order mark is an editor's, not the first event's.
      const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      await producer.addRaw(Buffer.from(line, 'utf8'), userIdOf(line), lineNumber);
      if (++produced % 20_000 === 0) options.onProgress?.(produced);
    }
  });
}

/**
 * Lines too large for Kafka never reach the aggregators, so the importer records them in the
 * dead_letters table itself, under the import's name and the line number, partition -1.
 */
async function recordImportRejections(
  pool: ReturnType<typeof createPool>,
  origin: string,
  producer: EventProducer,
): Promise<void> {
  if (producer.rejections.length === 0) return;
  await pool.query(
    `INSERT INTO dead_letters (topic, partition, "offset", reason_code, reason, payload)
     SELECT $1, -1, line, 'OVERSIZE', reason, head
     FROM unnest($2::bigint[], $3::text[], $4::bytea[]) AS t(line, reason, head)
     ON CONFLICT DO NOTHING`,
    [
      origin,
      producer.rejections.map((rejection) => rejection.line),
      producer.rejections.map((rejection) => rejection.reason),
      producer.rejections.map((rejection) => rejection.head),
    ],
  );
}

/** The user_id to key a raw line by, when it has one; the aggregator judges the rest. */
function userIdOf(line: string): string | null {
  try {
    const parsed = JSON.parse(line) as { user_id?: unknown };
    return typeof parsed.user_id === 'string' ? parsed.user_id : null;
  } catch {
    return null;
  }
}

async function assertReadable(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'EACCES' ? 'cannot be read (permission denied)' : 'does not exist';
    throw new AlmanacError('IMPORT_NOT_FOUND', `${file} ${problem}`);
  }
  try {
    if (!(await handle.stat()).isFile()) {
      throw new AlmanacError('IMPORT_NOT_A_FILE', `${file} is not a file`);
    }
  } finally {
    await handle.close();
  }
}
