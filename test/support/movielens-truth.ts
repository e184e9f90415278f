/**
 * What the aggregates must say for a MovieLens folder, computed straight from the CSV files with
 * none of the application's code: the check the ground-truth and crash tests compare against.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface UserTruth {
  totalEvents: number;
  activeDays: number;
  firstSeconds: number;
  lastSeconds: number;
  hours: number[];
  weekdays: number[];
  tags: Map<string, number>;
  months: Map<string, number>;
}

/** Splits one CSV line, honouring double quotes. */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  const pattern = /("([^"]|"")*"|[^,]*)(,|$)/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(line)) !== null) {
    const raw = match[1]!;
    out.push(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw);
    if (match[3] === '') break;
  }
  return out;
}

function rows(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((line) => line.length > 0)
    .map(splitCsv);
}

const norm = (text: string) => text.trim().toLowerCase().split(/\s+/).join('-');

export function movieLensTruth(directory: string): Map<string, UserTruth> {
  const genres = new Map<string, string[]>();
  for (const [movieId, , list] of rows(path.join(directory, 'movies.csv'))) {
    genres.set(movieId!, list === '(no genres listed)' ? [] : list!.split('|').map(norm));
  }

  const users = new Map<string, UserTruth & { days: Set<string> }>();
  const count = (userId: string, seconds: number, tags: string[]) => {
    let user = users.get(userId);
    if (!user) {
      user = {
        totalEvents: 0,
        activeDays: 0,
        firstSeconds: seconds,
        lastSeconds: seconds,
        hours: Array(24).fill(0),
        weekdays: Array(7).fill(0),
        tags: new Map(),
        months: new Map(),
        days: new Set(),
      };
      users.set(userId, user);
    }
    const date = new Date(seconds * 1000);
    user.totalEvents += 1;
    user.firstSeconds = Math.min(user.firstSeconds, seconds);
    user.lastSeconds = Math.max(user.lastSeconds, seconds);
    user.hours[date.getUTCHours()]! += 1;
    user.weekdays[[6, 0, 1, 2, 3, 4, 5][date.getUTCDay()]!]! += 1;
    user.days.add(date.toISOString().slice(0, 10));
    const month = date.toISOString().slice(0, 7);
    user.months.set(month, (user.months.get(month) ?? 0) + 1);
    for (const tag of new Set(tags)) user.tags.set(tag, (user.tags.get(tag) ?? 0) + 1);
  };

  for (const [userId, movieId, , seconds] of rows(path.join(directory, 'ratings.csv'))) {
    count(userId!, Number(seconds), genres.get(movieId!) ?? []);
  }
  for (const [userId, movieId, tag, seconds] of rows(path.join(directory, 'tags.csv'))) {
    count(userId!, Number(seconds), [...(genres.get(movieId!) ?? []), norm(tag!)].filter(Boolean));
  }

  for (const user of users.values()) user.activeDays = user.days.size;
  return users;
}

/** Tags by count, most first, ties by name: how the API orders top tags. */
export function topTags(
  tags: Map<string, number>,
  limit: number,
): { tag: string; count: number }[] {
  return [...tags]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([tag, count]) => ({ tag, count }));
}

export interface TruthEvent {
  seconds: number;
  tags: string[];
}

/** Every user's events from the CSV files, in time order (equal times in file order). */
export function movieLensEventsByUser(directory: string): Map<string, TruthEvent[]> {
  const genres = new Map<string, string[]>();
  for (const [movieId, , list] of rows(path.join(directory, 'movies.csv'))) {
    genres.set(movieId!, list === '(no genres listed)' ? [] : list!.split('|').map(norm));
  }
  const byUser = new Map<string, TruthEvent[]>();
  const add = (userId: string, seconds: number, tags: string[]) => {
    if (!byUser.has(userId)) byUser.set(userId, []);
    byUser.get(userId)!.push({ seconds, tags: [...new Set(tags)] });
  };
  for (const [userId, movieId, , seconds] of rows(path.join(directory, 'ratings.csv'))) {
    add(userId!, Number(seconds), genres.get(movieId!) ?? []);
  }
  for (const [userId, movieId, tag, seconds] of rows(path.join(directory, 'tags.csv'))) {
    add(userId!, Number(seconds), [...(genres.get(movieId!) ?? []), norm(tag!)].filter(Boolean));
  }
  for (const events of byUser.values()) events.sort((a, b) => a.seconds - b.seconds);
  return byUser;
}
