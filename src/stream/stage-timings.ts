/** Where the aggregator's time goes: milliseconds per stage, summed over batches. */
export type StageTimings = Record<string, number>;

/** Runs `work`, adding its duration to `stage` when timings are kept. */
export async function timed<T>(
  timings: StageTimings | undefined,
  stage: string,
  work: () => Promise<T>,
) {
  const start = performance.now();
  try {
    return await work();
  } finally {
    if (timings) timings[stage] = (timings[stage] ?? 0) + performance.now() - start;
  }
}
