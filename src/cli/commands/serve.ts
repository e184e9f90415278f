import { startApi } from '../../api/server.ts';
import { loadConfig } from '../../config/config.ts';
import { migrate } from '../../serving/migrate.ts';
import { ensureDatabase } from '../../serving/postgres.ts';

/** Serves the GraphQL API against services that already run (see `almanac start`). */
export async function serveCommand(): Promise<number> {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);

  const api = await startApi(config);
  console.log(`GraphQL gateway: ${api.url} (profiles subgraph: ${api.subgraphUrl})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.stop();
  return 0;
}
