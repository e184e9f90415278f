/**
 * Folds a batch of accepted events into one delta per user: what the batch adds to each of the
 * user's counts. Pure, so the arithmetic is tested without any service.
 */
import type { AcceptedEvent } from '../events/contract.ts';

export interface FirstLastCount {
  count: number;
  first: number;
  last: number;
}

export interface MonthDelta {
  /** First day of the month, YYYY-MM-01, UTC. */
  month: string;
  events: number;
  first: number;
  last: number;
  hours: number[];
  weekdays: number[];
  tags: Map<string, number>;
  domains: Map<string, number>;
}

export interface UserDelta {
  userId: string;
  events: number;
  first: number;
  last: number;
  /** 24 counts, hour 00 first, UTC. */
  hours: number[];
  /** 7 counts, Monday first, UTC. */
  weekdays: number[];
  /** Events per UTC day, YYYY-MM-DD. */
  days: Map<string, number>;
  tags: Map<string, FirstLastCount>;
  domains: Map<string, FirstLastCount>;
  months: Map<string, MonthDelta>;
  /** The batch's events of this user, in batch order. */
  fresh: AcceptedEvent[];
}

/** JavaScript counts weekdays from Sunday; Almanac from Monday, as ISO 8601 does. */
export function mondayFirstWeekday(date: Date): number {
  return (date.getUTCDay() + 6) % 7;
}

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

export function utcMonth(time: number): string {
  return `${new Date(time).toISOString().slice(0, 7)}-01`;
}

function bump(counts: Map<string, FirstLastCount>, key: string, time: number): void {
  const entry = counts.get(key);
  if (!entry) {
    counts.set(key, { count: 1, first: time, last: time });
    return;
  }
  entry.count++;
  if (time < entry.first) entry.first = time;
  if (time > entry.last) entry.last = time;
}

function monthOf(delta: UserDelta, time: number): MonthDelta {
  const month = utcMonth(time);
  let entry = delta.months.get(month);
  if (!entry) {
    entry = {
      month,
      events: 0,
      first: time,
      last: time,
      hours: new Array<number>(24).fill(0),
      weekdays: new Array<number>(7).fill(0),
      tags: new Map(),
      domains: new Map(),
    };
    delta.months.set(month, entry);
  }
  return entry;
}

export function foldEvents(events: readonly AcceptedEvent[]): Map<string, UserDelta> {
  const users = new Map<string, UserDelta>();

  for (const event of events) {
    let delta = users.get(event.userId);
    if (!delta) {
      delta = {
        userId: event.userId,
        events: 0,
        first: event.time,
        last: event.time,
        hours: new Array<number>(24).fill(0),
        weekdays: new Array<number>(7).fill(0),
        days: new Map(),
        tags: new Map(),
        domains: new Map(),
        months: new Map(),
        fresh: [],
      };
      users.set(event.userId, delta);
    }

    const date = new Date(event.time);
    const hour = date.getUTCHours();
    const weekday = mondayFirstWeekday(date);
    const day = utcDay(event.time);

    delta.events++;
    if (event.time < delta.first) delta.first = event.time;
    if (event.time > delta.last) delta.last = event.time;
    delta.hours[hour]!++;
    delta.weekdays[weekday]!++;
    delta.days.set(day, (delta.days.get(day) ?? 0) + 1);
    delta.fresh.push(event);

    const month = monthOf(delta, event.time);
    month.events++;
    if (event.time < month.first) month.first = event.time;
    if (event.time > month.last) month.last = event.time;
    month.hours[hour]!++;
    month.weekdays[weekday]!++;

    for (const tag of event.tags) {
      bump(delta.tags, tag, event.time);
      month.tags.set(tag, (month.tags.get(tag) ?? 0) + 1);
    }
    if (event.domain) {
      bump(delta.domains, event.domain, event.time);
      month.domains.set(event.domain, (month.domains.get(event.domain) ?? 0) + 1);
    }
  }

  return users;
}
