import { runAggregator } from '../../../workers/aggregator.ts';

export async function aggregateCommand(): Promise<number> {
  await runAggregator();
  return 0;
}
