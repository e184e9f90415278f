import { runTriggeredWorker } from '../../../workers/triggered.ts';

export async function workerCommand(): Promise<number> {
  await runTriggeredWorker();
  return 0;
}
