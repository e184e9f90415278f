/**
 * A triggered worker process as `almanac worker` runs it, but with a lock of two seconds and a
 * stalled check every second, so that a test which kills one sees its job run again within
 * seconds rather than BullMQ's default minute. The narrator comes from the environment as usual.
 */
import { runTriggeredWorker } from '../../workers/triggered.ts';

await runTriggeredWorker({
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
  // The idle-session timer runs only where a test asks for it, so that it races no other test.
  scheduleSweep: process.env.ALMANAC_TEST_SWEEP === 'on',
});
// As bin/almanac.js does: an HTTP client's idle keep-alive socket must not keep a stopped worker.
process.exit(0);
