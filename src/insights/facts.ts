/**
 * Insight facts: what the aggregator notices while it counts (a session ended, a milestone was
 * reached, a new interest emerged). Each is recorded in PostgreSQL in the batch's transaction and
 * published on the insights topic, keyed by user, from which the bridge makes queue jobs.
 *
 * A fact's id is derived from what it describes, never from a counter, so replaying a batch
 * publishes the same ids again and the queue, which uses them as job ids, adds nothing twice.
 */
import { createHash } from 'node:crypto';
import { AlmanacError } from '../errors.ts';

export interface TagCount {
  tag: string;
  count: number;
}

export interface SessionSummary {
  /** Event times, ms. */
  startedAt: number;
  endedAt: number;
  events: number;
  /** Most frequent tags first, at most TOP_SESSION_TAGS of them. */
  topTags: TagCount[];
  /** 'gap': a later event came after the idle limit; 'idle': the wall-time timer closed it. */
  closedBy: 'gap' | 'idle';
}

export type AchievementKind = 'events' | 'anniversary' | 'streak';

export interface AchievementSummary {
  /** 'events-100', 'anniversary-2', 'streak-7'. */
  code: string;
  kind: AchievementKind;
  /** The number in the code: events counted, years since the first event, days in a row. */
  threshold: number;
  /** Event time at which it was reached, ms. */
  reachedAt: number;
}

export interface InterestSummary {
  tag: string;
  /** Event time of the tag's first event for this user, ms. */
  firstSeenAt: number;
  /** Event time of the event that brought it to the threshold, ms. */
  emergedAt: number;
  events: number;
}

interface FactBase {
  id: string;
  userId: string;
  /** Event time the fact is about, ms: a session's end, a milestone's or interest's moment. */
  occurredAt: number;
  /** Wall time it was detected, ms. */
  detectedAt: number;
}

export interface SessionEndedFact extends FactBase {
  kind: 'session-ended';
  session: SessionSummary;
}

export interface AchievementFact extends FactBase {
  kind: 'achievement';
  achievement: AchievementSummary;
}

export interface EmergingInterestFact extends FactBase {
  kind: 'emerging-interest';
  interest: InterestSummary;
}

export type InsightFact = SessionEndedFact | AchievementFact | EmergingInterestFact;
export type FactKind = InsightFact['kind'];

export const TOP_SESSION_TAGS = 5;

export const factIds = {
  sessionEnded: (userId: string, startedAt: number) => `session-ended/${userId}/${startedAt}`,
  achievement: (userId: string, code: string) => `achievement/${userId}/${code}`,
  emergingInterest: (userId: string, tag: string) => `emerging-interest/${userId}/${tag}`,
};

/**
 * A queue job id for a fact: its kind and a digest of its id. User ids and tags may hold any
 * character, and BullMQ refuses ':' in custom ids.
 */
export function factJobId(fact: Pick<InsightFact, 'id' | 'kind'>): string {
  return `${fact.kind}-${createHash('sha256').update(fact.id).digest('hex').slice(0, 32)}`;
}

export function encodeFact(fact: InsightFact): Buffer {
  return Buffer.from(JSON.stringify(fact));
}

const KINDS: readonly FactKind[] = ['session-ended', 'achievement', 'emerging-interest'];

/** Parses a fact from the insights topic; throws INSIGHT_FACT_INVALID when it is not one. */
export function decodeFact(value: Buffer | null): InsightFact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    throw new AlmanacError('INSIGHT_FACT_INVALID', 'insight fact is not JSON');
  }
  const fact = parsed as Partial<InsightFact> | null;
  const shaped =
    fact !== null &&
    typeof fact === 'object' &&
    typeof fact.id === 'string' &&
    typeof fact.userId === 'string' &&
    typeof fact.occurredAt === 'number' &&
    typeof fact.detectedAt === 'number' &&
    KINDS.includes(fact.kind as FactKind) &&
    typeof (fact as Record<string, unknown>)[payloadField(fact.kind as FactKind)] === 'object';
  if (!shaped) {
    throw new AlmanacError('INSIGHT_FACT_INVALID', 'insight fact lacks id, userId, kind or times');
  }
  return fact as InsightFact;
}

function payloadField(kind: FactKind): string {
  if (kind === 'session-ended') return 'session';
  if (kind === 'achievement') return 'achievement';
  return 'interest';
}
