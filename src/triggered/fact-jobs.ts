/**
 * What the bridge makes of the messages on the insights topic: a queue job per fact, named by
 * its kind and identified by factJobId(), so the same fact read twice is one job.
 *
 * A session that ended (event time) longer ago than the spotlight window gets no job at all:
 * replaying years of history must not narrate every one of its sessions. Achievements and
 * interests are always queued; their jobs are cheap.
 */
import { decodeFact, factJobId, type InsightFact } from '../insights/facts.ts';
import { AlmanacError, isAlmanacError } from '../errors.ts';

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
  /** Messages that are not facts, for the dead-letter topic. */
  rejected: RejectedFact[];
}

/** Whether a session that ended at `endedAt` (event time) still gets a spotlight at `now`. */
export function isSpotlightDue(endedAt: number, now: number, spotlightWindowMs: number): boolean {
  return now - endedAt <= spotlightWindowMs;
}

/** Jobs for the facts among `messages`, in their order. */
export function planFactJobs(
  messages: readonly FactMessage[],
  now: number,
  spotlightWindowMs: number,
): FactJobPlan {
  const plan: FactJobPlan = { jobs: [], stale: 0, rejected: [] };
  for (const message of messages) {
    let fact: InsightFact;
    try {
      fact = decodeFact(message.value);
      checkTimes(fact);
    } catch (error) {
      if (!isAlmanacError(error)) throw error;
      plan.rejected.push({
        offset: message.offset,
        value: message.value ?? Buffer.alloc(0),
        code: error.code,
        reason: error.message,
      });
      continue;
    }

    if (
      fact.kind === 'session-ended' &&
      !isSpotlightDue(fact.session.endedAt, now, spotlightWindowMs)
    ) {
      plan.stale++;
      continue;
    }
    plan.jobs.push({ name: fact.kind, data: fact, opts: { jobId: factJobId(fact) } });
  }
  return plan;
}

/**
 * decodeFact() checks a fact's envelope; the times the jobs compute with are checked here, so a
 * malformed session fails once, at the bridge, rather than on every retry of its job.
 */
function checkTimes(fact: InsightFact): void {
  if (fact.kind !== 'session-ended') return;
  const { startedAt, endedAt, events } = fact.session;
  if (
    Number.isFinite(startedAt) &&
    Number.isFinite(endedAt) &&
    endedAt >= startedAt &&
    Number.isInteger(events) &&
    Array.isArray(fact.session.topTags)
  ) {
    return;
  }
  throw new AlmanacError(
    'INSIGHT_FACT_INVALID',
    'session-ended fact lacks a valid start, end, event count or tags',
  );
}
