/**
 * Sessions, milestones and emerging interests computed from a user's whole history at once, in
 * time order, with none of the application's code: what the aggregator, which sees the history
 * a batch at a time, must have recorded.
 */
import type { TruthEvent } from './movielens-truth.ts';

export interface TruthSession {
  start: number;
  end: number;
  events: number;
}

/** Seconds. A gap of more than `idleSeconds` between consecutive events starts a new session. */
export function sessionsOf(events: TruthEvent[], idleSeconds: number): TruthSession[] {
  const sessions: TruthSession[] = [];
  for (const { seconds } of events) {
    const current = sessions[sessions.length - 1];
    if (current && seconds - current.end <= idleSeconds) {
      current.end = seconds;
      current.events++;
    } else sessions.push({ start: seconds, end: seconds, events: 1 });
  }
  return sessions;
}

/** Achievement code to the second it was reached. */
export function achievementsOf(events: TruthEvent[]): Map<string, number> {
  const reached = new Map<string, number>();
  for (const n of [100, 500, 1000, 5000]) {
    if (events.length >= n) reached.set(`events-${n}`, events[n - 1]!.seconds);
  }

  const first = events[0]!.seconds;
  const last = events[events.length - 1]!.seconds;
  for (let years = 1; ; years++) {
    const date = new Date(first * 1000);
    const month = date.getUTCMonth();
    const day = date.getUTCDate();
    // 29 February's anniversary in a common year is 1 March.
    const target = new Date(
      Date.UTC(
        date.getUTCFullYear() + years,
        month,
        day,
        date.getUTCHours(),
        date.getUTCMinutes(),
        date.getUTCSeconds(),
      ),
    );
    const at = target.getTime() / 1000;
    if (at > last) break;
    reached.set(`anniversary-${years}`, at);
  }

  let run = 0;
  let previousDay: number | undefined;
  for (const { seconds } of events) {
    const day = Math.floor(seconds / 86_400);
    if (day === previousDay) continue;
    run = previousDay !== undefined && day === previousDay + 1 ? run + 1 : 1;
    previousDay = day;
    if (run === 7 && !reached.has('streak-7')) reached.set('streak-7', seconds);
  }
  return reached;
}

/** Tag to the second it emerged: its `minEvents`-th event within `windowSeconds` of its first. */
export function interestsOf(
  events: TruthEvent[],
  minEvents: number,
  windowSeconds: number,
): Map<string, number> {
  const byTag = new Map<string, number[]>();
  for (const { seconds, tags } of events) {
    for (const tag of tags) {
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(seconds);
    }
  }
  const emerged = new Map<string, number>();
  for (const [tag, times] of byTag) {
    const early = times.filter((seconds) => seconds - times[0]! <= windowSeconds);
    if (early.length >= minEvents) emerged.set(tag, early[minEvents - 1]!);
  }
  return emerged;
}
