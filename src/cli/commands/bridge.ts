import { runBridge } from '../../../workers/bridge.ts';

export async function bridgeCommand(): Promise<number> {
  await runBridge();
  return 0;
}
