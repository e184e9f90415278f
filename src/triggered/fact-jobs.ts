/**
 * What the bridge makes of the messages on the insights topic: a queue job per fact, named by
 * its kind and identified by factJobId(), so the same fact read twice is one job.
 *
 * A session that ended (event time) longer ago than the spotlight window gets no job at all:
 * replaying years of history must not narrate every one of its sessions. Achievements and
 * interests are always queued; their jobs are cheap.
 */
import { isAlmanacError } from '../errors.ts';
import { printable } from '../events/contract.ts';
import { decodeFact, factJobId, type InsightFact } from '../insights/facts.ts';

export interface FactMessage {
  offset: string;
  value: Buffer | null;
}

export interface FactJob {
  name: InsightFact['kind'];
  data: InsightFact;
  opts: { jobId: string };
}

export interface RejectedFact {
  offset: string;
  value: Buffer;
  code: string;
  reason: string;
}

export interface FactJobPlan {
  jobs: FactJob[];
  /** Session-ended facts too old for a spotlight, left out. */
  stale: number;
  /** Messages that could not be made into jobs, for the dead-letter topic. */
  rejected: RejectedFact[];
}

/** Whether a session that ended at `endedAt` (event time) still gets a spotlight at `now`. */
export function isSpotlightDue(endedAt: number, now: number, spotlightWindowMs: number): boolean {
  return now - endedAt <= spotlightWindowMs;
}

/** Dead-letter reasons are cut to this many characters. */
const MAX_REASON_LENGTH = 300;

/**
 * Jobs for the facts among `messages`, in their order. A message that cannot be made into a job,
 * for whatever reason, is rejected rather than thrown: an error thrown from here would stop the
 * bridge at that message, and on every restart at the same one.
 */
export function planFactJobs(
  messages: readonly FactMessage[],
  now: number,
  spotlightWindowMs: number,
): FactJobPlan {
  const plan: FactJobPlan = { jobs: [], stale: 0, rejected: [] };
  for (const message of messages) {
    try {
      const fact = decodeFact(message.value);
      if (
        fact.kind === 'session-ended' &&
        !isSpotlightDue(fact.session.endedAt, now, spotlightWindowMs)
      ) {
        plan.stale++;
        continue;
      }
      plan.jobs.push({ name: fact.kind, data: fact, opts: { jobId: factJobId(fact) } });
    } catch (error) {
      plan.rejected.push({
        offset: message.offset,
        value: message.value ?? Buffer.alloc(0),
        ...rejection(error),
      });
    }
  }
  return plan;
}

function rejection(error: unknown): { code: string; reason: string } {
  if (isAlmanacError(error)) return { code: error.code, reason: error.message };

  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    code: 'INSIGHT_FACT_UNUSABLE',
    reason: printable(reason).slice(0, MAX_REASON_LENGTH),
  };
}
