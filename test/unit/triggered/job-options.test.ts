import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { insightJobOptions } from '../../../src/triggered/queue.ts';

describe('insight job options', () => {
  it('retry with exponential backoff and keep finished jobs long enough to refuse repeats', () => {
    expect(insightJobOptions(loadConfig({ ALMANAC_JOB_ATTEMPTS: '4' }))).toEqual({
      attempts: 4,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 7 * 86_400, count: 100_000 },
      removeOnFail: { age: 30 * 86_400 },
    });
  });
});
