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

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Day and month names by day number since the epoch. A batch touches few distinct days, and
 * formatting a date per event was a visible share of the aggregator's time.
 */
const dayNames = new Map<number, { day: string; month: string }>();

function namesOfDay(dayNumber: number): { day: string; month: string } {
  let names = dayNames.get(dayNumber);
  if (!names) {
    if (dayNames.size >= 50_000) dayNames.clear();
    const day = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
    names = { day, month: `${day.slice(0, 7)}-01` };
    dayNames.set(dayNumber, names);
  }
  return names;
}

export function utcDay(time: number): string {
  return namesOfDay(Math.floor(time / DAY_MS)).day;
}

export function utcMonth(time: number): string {
  return namesOfDay(Math.floor(time / DAY_MS)).month;
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

    const dayNumber = Math.floor(event.time / DAY_MS);
    const hour = Math.floor((event.time - dayNumber * DAY_MS) / HOUR_MS);
    // Day 0, 1 January 1970, was a Thursday: index 3 when Monday is 0.
    const weekday = (((dayNumber + 3) % 7) + 7) % 7;
    const { day } = namesOfDay(dayNumber);

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
