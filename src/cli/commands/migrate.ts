import { loadConfig } from '../../config/config.ts';
import { migrate } from '../../serving/migrate.ts';
import { ensureDatabase } from '../../serving/postgres.ts';

export async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const result = await migrate(config.databaseUrl);
  console.log(
    result.applied.length > 0
      ? `applied ${result.applied.join(', ')}`
      : `database is up to date (${result.alreadyApplied} migrations)`,
  );
  return 0;
}
