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

/**
 * The facts worth publishing: those about moments within `windowMs` of `now` (the spotlight
 * window). Older ones describe history being replayed; they are recorded, and trigger nothing.
 */
export function publishableFacts(
  facts: readonly InsightFact[],
  now: number,
  windowMs: number,
): InsightFact[] {
  return facts.filter((fact) => now - fact.occurredAt <= windowMs);
}

export function encodeFact(fact: InsightFact): Buffer {
  return Buffer.from(JSON.stringify(fact));
}

export const FACT_KINDS: readonly FactKind[] = [
  'session-ended',
  'achievement',
  'emerging-interest',
];

/**
 * Bounds for what a fact may carry. User ids are at most 128 characters and tags at most 100 by
 * the event contract; the bounds leave room for that to grow, and keep out a fact so large that
 * it has no business in a queue job.
 */
const MAX_ID_LENGTH = 512;
const MAX_USER_ID_LENGTH = 256;
const MAX_TEXT_LENGTH = 200;
const MAX_TOP_TAGS = 50;

/**
 * Parses a fact from the insights topic; throws INSIGHT_FACT_INVALID, naming the first field
 * that is wrong, when it is not one.
 *
 * Every field the jobs read is checked here, so that a malformed message is dead-lettered once
 * by the bridge instead of failing a job on every retry (or, worse, the bridge itself). The fact
 * returned is a fresh object with only the fields a fact has: whatever else the message carried
 * never reaches the queue.
 */
export function decodeFact(value: Buffer | null): InsightFact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    throw new AlmanacError('INSIGHT_FACT_INVALID', 'insight fact is not JSON');
  }
  if (!isRecord(parsed)) {
    throw new AlmanacError('INSIGHT_FACT_INVALID', 'insight fact is not a JSON object');
  }

  const fact = new FieldReader(parsed, '');
  const base = {
    id: fact.text('id', MAX_ID_LENGTH),
    userId: fact.text('userId', MAX_USER_ID_LENGTH),
    occurredAt: fact.number('occurredAt'),
    detectedAt: fact.number('detectedAt'),
  };
  const kind = fact.oneOf('kind', FACT_KINDS);
  if (kind === 'session-ended') return { ...base, kind, session: readSession(fact) };
  if (kind === 'achievement') return { ...base, kind, achievement: readAchievement(fact) };
  return { ...base, kind, interest: readInterest(fact) };
}

function readSession(fact: FieldReader): SessionSummary {
  const session = fact.object('session');
  const startedAt = session.number('startedAt');
  const endedAt = session.number('endedAt');
  if (endedAt < startedAt) {
    throw invalid('session.endedAt must not be before session.startedAt');
  }
  return {
    startedAt,
    endedAt,
    events: session.count('events'),
    topTags: session.list('topTags', MAX_TOP_TAGS).map((entry) => ({
      tag: entry.text('tag', MAX_TEXT_LENGTH),
      count: entry.number('count'),
    })),
    closedBy: session.oneOf('closedBy', ['gap', 'idle'] as const),
  };
}

function readAchievement(fact: FieldReader): AchievementSummary {
  const achievement = fact.object('achievement');
  return {
    code: achievement.text('code', MAX_TEXT_LENGTH),
    kind: achievement.oneOf('kind', ['events', 'anniversary', 'streak'] as const),
    threshold: achievement.count('threshold'),
    reachedAt: achievement.number('reachedAt'),
  };
}

function readInterest(fact: FieldReader): InterestSummary {
  const interest = fact.object('interest');
  return {
    tag: interest.text('tag', MAX_TEXT_LENGTH),
    firstSeenAt: interest.number('firstSeenAt'),
    emergedAt: interest.number('emergedAt'),
    events: interest.count('events'),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(problem: string): AlmanacError {
  return new AlmanacError('INSIGHT_FACT_INVALID', `insight fact ${problem}`);
}

/** Reads typed fields of one JSON object, throwing with the field's path when one is wrong. */
class FieldReader {
  private readonly record: Record<string, unknown>;
  private readonly path: string;

  constructor(record: Record<string, unknown>, path: string) {
    this.record = record;
    this.path = path;
  }

  text(name: string, maxLength: number): string {
    const value = this.record[name];
    if (typeof value === 'string' && value.length > 0 && value.length <= maxLength) return value;
    throw invalid(`${this.path}${name} must be a string of 1 to ${maxLength} characters`);
  }

  /** A time in ms, or another number that must be finite. */
  number(name: string): number {
    const value = this.record[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    throw invalid(`${this.path}${name} must be a finite number`);
  }

  count(name: string): number {
    const value = this.record[name];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    throw invalid(`${this.path}${name} must be a whole number, 0 or more`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.record[name];
    if (allowed.includes(value as T)) return value as T;
    throw invalid(`${this.path}${name} must be one of ${allowed.join(', ')}`);
  }

  object(name: string): FieldReader {
    const value = this.record[name];
    if (isRecord(value)) return new FieldReader(value, `${this.path}${name}.`);
    throw invalid(`${this.path}${name} must be an object`);
  }

  list(name: string, maxItems: number): FieldReader[] {
    const value = this.record[name];
    if (!Array.isArray(value) || value.length > maxItems) {
      throw invalid(`${this.path}${name} must be an array of at most ${maxItems} items`);
    }
    return value.map((item, index) => {
      if (isRecord(item)) return new FieldReader(item, `${this.path}${name}[${index}].`);
      throw invalid(`${this.path}${name}[${index}] must be an object`);
    });
  }
}
