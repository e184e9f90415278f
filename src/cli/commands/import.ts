import { loadConfig } from '../../config/config.ts';
import { AlmanacError } from '../../errors.ts';
import { importJsonLines, importMovieLens, type ImportResult } from '../../ingest/importer.ts';
import { migrate } from '../../serving/migrate.ts';
import { ensureDatabase } from '../../serving/postgres.ts';

export async function importCommand(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const [kind, target] = args.filter((arg) => arg !== '--force');
  if (!target || (kind !== 'movielens' && kind !== 'jsonl')) {
    throw new AlmanacError('IMPORT_USAGE', 'usage: almanac import movielens <dir> | jsonl <file>', {
      hint: 'Add --force to import content that was imported before',
    });
  }

  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);

  const onProgress = (produced: number) => process.stdout.write(`\r  produced ${produced} events`);
  const result =
    kind === 'movielens'
      ? await importMovieLens(config, target, { force, onProgress })
      : await importJsonLines(config, target, { force, onProgress });
  process.stdout.write('\r');
  console.log(describeImport(result));
  return 0;
}

export function describeImport(result: ImportResult): string {
  if (result.skipped) {
    return `${result.source}: already imported, nothing produced (use --force to import again)`;
  }
  const refused =
    result.deadLettered > 0 ? `, ${result.deadLettered} too large for Kafka (dead-lettered)` : '';
  return `${result.source}: produced ${result.produced} events${refused}`;
}
