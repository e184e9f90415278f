/**
 * What a user's new events reveal beyond counts: sessions that ended, milestones reached and
 * tags that became interests. Pure: it takes the state left by the previous batch and the new
 * events, and returns the new state and what happened, so the rules are tested without services.
 *
 * Everything runs in event time. A user's events reach the aggregator in the order they were
 * produced (one partition per user), and replayed history is produced in time order per user,
 * so the sessions of a replayed year are the sessions the reader had.
 */
import type { AcceptedEvent } from '../events/contract.ts';
import { TOP_SESSION_TAGS, type AchievementSummary, type InterestSummary } from './facts.ts';

export interface InsightSettings {
  /** A gap longer than this between two events of a user ends the session. */
  sessionIdleMs: number;
  /** A tag new to a user is an emerging interest at this many events... */
  interestMinEvents: number;
  /** ...within this much event time of its first one. */
  interestWindowMs: number;
}

export const DEFAULT_INSIGHT_SETTINGS: InsightSettings = {
  sessionIdleMs: 30 * 60_000,
  interestMinEvents: 3,
  interestWindowMs: 14 * 86_400_000,
};

/** Events counted at which a reader earns a milestone. */
export const EVENT_MILESTONES = [100, 500, 1000, 5000] as const;
/** Days in a row with reading that earn the streak milestone. */
export const STREAK_DAYS = 7;

const DAY_MS = 86_400_000;

export interface OpenSession {
  startedAt: number;
  lastEventAt: number;
  events: number;
  tagCounts: Map<string, number>;
}

export interface ClosedSession extends OpenSession {
  closedBy: 'gap' | 'idle';
}

/** The per-user state carried from batch to batch, with the counts as they were before it. */
export interface UserInsightState {
  session: OpenSession | null;
  /** Event time at which the reader's latest closed session ended. */
  lastSessionEndedAt: number | null;
  /** Day number (days since 1970-01-01 UTC) of the latest active day. */
  streakDay: number | null;
  streakDays: number;
  /** The user's event count, first and last event time before this batch. */
  totalEvents: number;
  firstEventAt: number | null;
  lastEventAt: number | null;
}

export const EMPTY_STATE: UserInsightState = {
  session: null,
  lastSessionEndedAt: null,
  streakDay: null,
  streakDays: 0,
  totalEvents: 0,
  firstEventAt: null,
  lastEventAt: null,
};

/**
 * Where a user stands with one tag: never had it, trying it out (first seen recently, not yet
 * an interest), or settled (had before, or its trial is over either way).
 */
export type TagStatus =
  | { kind: 'new' }
  | { kind: 'trial'; firstSeenAt: number; events: number }
  | { kind: 'settled' };

export interface TagTrial {
  tag: string;
  firstSeenAt: number;
  events: number;
}

export interface UserInsights {
  state: UserInsightState;
  closedSessions: ClosedSession[];
  /**
   * History arriving late: events older than the open session by more than the idle limit, or,
   * with no session open, within the idle limit of the end of the latest closed one (a session
   * the idle timer closed before this event arrived).
   */
  lateEvents: AcceptedEvent[];
  achievements: AchievementSummary[];
  interests: InterestSummary[];
  /** Trials begun or advanced by this batch. */
  trials: TagTrial[];
  /** Tags whose stored trial ended, as an interest or by running out of time. */
  endedTrials: string[];
}

/** The n-th anniversary of a moment; 29 February falls on 1 March in other years. */
export function anniversary(first: number, years: number): number {
  const date = new Date(first);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.getTime();
}

export function topTags(counts: Map<string, number>): { tag: string; count: number }[] {
  return [...counts]
    .map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
    .slice(0, TOP_SESSION_TAGS);
}

function startSession(event: AcceptedEvent): OpenSession {
  return {
    startedAt: event.time,
    lastEventAt: event.time,
    events: 1,
    tagCounts: new Map(event.tags.map((tag) => [tag, 1])),
  };
}

function addToSession(session: OpenSession, event: AcceptedEvent): void {
  session.events++;
  if (event.time < session.startedAt) session.startedAt = event.time;
  if (event.time > session.lastEventAt) session.lastEventAt = event.time;
  for (const tag of event.tags) session.tagCounts.set(tag, (session.tagCounts.get(tag) ?? 0) + 1);
}

/**
 * Applies one user's new events, in time order, to the state the previous batch left.
 * `tagStatus` must hold every tag the events carry, as it stood before the batch.
 *
 * An event stamped after `now` (the contract allows a day of clock skew) counts as happening
 * now: taken at its word, one such event would make every later real event look like history.
 */
export function detectUserInsights(
  prior: UserInsightState,
  events: readonly AcceptedEvent[],
  tagStatus: ReadonlyMap<string, TagStatus>,
  settings: InsightSettings,
  now: number = Date.now(),
): UserInsights {
  const ordered = events
    .map((event) => (event.time > now ? { ...event, time: now } : event))
    .sort((a, b) => a.time - b.time);
  const result: UserInsights = {
    state: { ...prior, session: prior.session && { ...prior.session } },
    closedSessions: [],
    lateEvents: [],
    achievements: [],
    interests: [],
    trials: [],
    endedTrials: [],
  };
  if (prior.session) result.state.session!.tagCounts = new Map(prior.session.tagCounts);
  const state = result.state;

  const first = prior.firstEventAt ?? ordered[0]?.time ?? 0;
  // Anniversaries up to the last event already counted were recorded by earlier batches.
  let nextYear = 1;
  if (prior.lastEventAt !== null) {
    while (anniversary(first, nextYear) <= prior.lastEventAt) nextYear++;
  }

  const statuses = new Map(tagStatus);
  const trialsTouched = new Set<string>();
  const storedTrials = new Set(
    [...tagStatus].filter(([, status]) => status.kind === 'trial').map(([tag]) => tag),
  );

  ordered.forEach((event, index) => {
    // Sessions.
    const session = state.session;
    if (!session) {
      const closedEnd = state.lastSessionEndedAt;
      if (closedEnd !== null && event.time <= closedEnd + settings.sessionIdleMs) {
        result.lateEvents.push(event);
        state.lastSessionEndedAt = Math.max(closedEnd, event.time);
      } else state.session = startSession(event);
    } else if (event.time - session.lastEventAt > settings.sessionIdleMs) {
      result.closedSessions.push({ ...session, closedBy: 'gap' });
      state.lastSessionEndedAt = session.lastEventAt;
      state.session = startSession(event);
    } else if (event.time < session.startedAt - settings.sessionIdleMs) {
      result.lateEvents.push(event);
    } else addToSession(session, event);

    // Milestones by count: the n-th event, in the order the reader's events arrived.
    const counted = prior.totalEvents + index + 1;
    if ((EVENT_MILESTONES as readonly number[]).includes(counted)) {
      result.achievements.push({
        code: `events-${counted}`,
        kind: 'events',
        threshold: counted,
        reachedAt: event.time,
      });
    }

    // Anniversaries of the first event, recorded when the reader is seen on or after one.
    while (anniversary(first, nextYear) <= event.time) {
      result.achievements.push({
        code: `anniversary-${nextYear}`,
        kind: 'anniversary',
        threshold: nextYear,
        reachedAt: anniversary(first, nextYear),
      });
      nextYear++;
    }

    // Days in a row.
    const day = Math.floor(event.time / DAY_MS);
    if (state.streakDay === null || day > state.streakDay + 1) {
      state.streakDay = day;
      state.streakDays = 1;
    } else if (day === state.streakDay + 1) {
      state.streakDay = day;
      state.streakDays++;
      if (state.streakDays === STREAK_DAYS) {
        result.achievements.push({
          code: `streak-${STREAK_DAYS}`,
          kind: 'streak',
          threshold: STREAK_DAYS,
          reachedAt: event.time,
        });
      }
    }

    // New tags on trial.
    for (const tag of event.tags) {
      const status = statuses.get(tag) ?? { kind: 'settled' };
      if (status.kind === 'settled') continue;
      if (status.kind === 'new') {
        statuses.set(tag, { kind: 'trial', firstSeenAt: event.time, events: 1 });
        trialsTouched.add(tag);
        continue;
      }
      if (event.time - status.firstSeenAt > settings.interestWindowMs) {
        statuses.set(tag, { kind: 'settled' });
        trialsTouched.add(tag);
        continue;
      }
      const events = status.events + 1;
      // A late event may come before the tag's first one: the trial then starts earlier, and the
      // interest emerges no earlier than the event it was noticed at.
      const firstSeenAt = Math.min(status.firstSeenAt, event.time);
      trialsTouched.add(tag);
      if (events >= settings.interestMinEvents) {
        result.interests.push({
          tag,
          firstSeenAt,
          emergedAt: Math.max(event.time, status.firstSeenAt),
          events,
        });
        statuses.set(tag, { kind: 'settled' });
      } else statuses.set(tag, { kind: 'trial', firstSeenAt, events });
    }
  });

  // A trial whose window closed before the newest event seen cannot gain another event from a
  // history that arrives in order, so it ends here rather than being stored.
  const newest = ordered[ordered.length - 1]?.time ?? -Infinity;
  for (const tag of trialsTouched) {
    const status = statuses.get(tag)!;
    if (status.kind === 'trial' && newest - status.firstSeenAt <= settings.interestWindowMs) {
      result.trials.push({ tag, firstSeenAt: status.firstSeenAt, events: status.events });
    } else if (storedTrials.has(tag)) result.endedTrials.push(tag);
  }

  state.totalEvents = prior.totalEvents + ordered.length;
  if (ordered.length > 0) {
    const times = ordered.map((event) => event.time);
    state.firstEventAt = Math.min(first, ...times);
    state.lastEventAt = Math.max(prior.lastEventAt ?? -Infinity, ...times);
  }
  return result;
}
