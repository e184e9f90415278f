/**
 * What a spotlight is written from: counts, times and topic tags, nothing that names or reaches
 * a reader. The types hold no id, email, name or title on purpose, so a prompt built from them
 * cannot carry one; tags are scrubbed again here because they come from free-text tag events.
 */

/** A normalised topic tag (lower-case words joined by hyphens) and how often it came up. */
export interface TagCount {
  tag: string;
  count: number;
}

/** One reading session inside the window. Times are epoch milliseconds. */
export interface SpotlightSession {
  startedAt: number;
  endedAt: number;
  events: number;
  topTags: TagCount[];
}

/** The input of a spotlight narration. */
export interface SpotlightFacts {
  /** How many days the window covers, ending now (7 for a weekly spotlight). */
  windowDays: number;
  sessions: SpotlightSession[];
  /** The window's tags, most frequent first. */
  topTags: TagCount[];
  /** The tags of the window before, if known, to notice a shift in interests. */
  previousTopTags?: TagCount[];
  /** 24 event counts for the window, hour 00 UTC first. */
  hourOfDay?: number[];
  /** Consecutive days with reading, ending with the last day of the window. */
  streakDays?: number;
}

/** Part of the day, as a reader would name it. */
export type DayPart = 'early morning' | 'morning' | 'afternoon' | 'evening' | 'late night';

/** The facts reduced to what a narration mentions; both narrators write from this. */
export interface SpotlightSummary {
  windowDays: number;
  sessions: number;
  events: number;
  /** Total minutes across the sessions, rounded. */
  minutes: number;
  longestSessionMinutes: number;
  /** Up to five tags, most frequent first. */
  topTags: TagCount[];
  /** Share of the top tag among the top tags' counts, 0 to 1. */
  leadShare: number;
  /** Tags in this window's top three that were absent from the window before. */
  newTags: string[];
  /** Tags in the previous window's top three that dropped out of this window's tags. */
  fadingTags: string[];
  /** The part of the day holding at least half of the events, when one does. */
  dayPart: DayPart | undefined;
  streakDays: number;
}

const TAG_SHAPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_TAG_LENGTH = 40;
const WEB_WORDS = /(^|-)(www|http|https|mailto|at-[a-z0-9]+-(com|org|net))(-|$)/;
const DOMAIN_ENDING = /-(com|org|net|io|co|uk|de|fr|edu|gov)$/;
/** Mail providers as they appear in an address written out in words ("jdoe-gmail-ch"). */
const MAIL_PROVIDERS = new Set([
  'aol',
  'btinternet',
  'comcast',
  'fastmail',
  'gmx',
  'icloud',
  'laposte',
  'libero',
  'mailbox',
  'naver',
  'outlook',
  'posteo',
  'proton',
  'qq',
  'seznam',
  'tutanota',
  'tuta',
  'verizon',
  'yahoo',
  'yandex',
  'zoho',
]);
/** A top-level domain or country code as the last word: "ch", "me", "com". */
const DOMAIN_LIKE = /^[a-z]{2,3}$/;
/** Years are topics ("euro-2024"); other runs of three or more digits beside words are ids. */
const YEAR = /^(1[89]|20)[0-9]{2}$/;

/**
 * The tag when it is a plain topic word, otherwise undefined: anything that looks like an email
 * (written with @ or spelled out in words), a URL or domain, a phone number, a long run of
 * digits or a handle (letters and digits together, as in "jdoe85" or "user-474") is dropped,
 * whatever its shape. Some topics go with them ("mp3", "top-100"); a narration does without.
 *
 * A name ("jane-doe") cannot be told from a topic by its shape. The spotlight's input keeps
 * only tags that enough readers share (spotlight-input.ts), which is what keeps names out.
 */
export function scrubTag(tag: string): string | undefined {
  const value = tag.trim().toLowerCase();
  if (value.length === 0 || value.length > MAX_TAG_LENGTH) return undefined;
  if (!TAG_SHAPE.test(value)) return undefined;
  if (WEB_WORDS.test(value) || DOMAIN_ENDING.test(value)) return undefined;
  if ((value.match(/[0-9]/g) ?? []).length >= 5) return undefined;

  const words = value.split('-');
  if (spellsAddress(words) || looksLikeHandle(words)) return undefined;
  return value;
}

/** "jane-at-proton-dot-me", "jane-at-gmail", "example-dot-com", "jdoe-gmail-ch". */
function spellsAddress(words: readonly string[]): boolean {
  const endsDomainLike = (index: number) =>
    index === words.length - 2 && DOMAIN_LIKE.test(words[index + 1]!);
  return words.some((word, index) => {
    if (word === 'at') {
      const next = words[index + 1];
      return words.includes('dot', index + 1) || (next !== undefined && isMailProvider(next));
    }
    if (word === 'dot' || isMailProvider(word)) return endsDomainLike(index);
    return false;
  });
}

function isMailProvider(word: string): boolean {
  return MAIL_PROVIDERS.has(word) || (word.length > 4 && word.endsWith('mail'));
}

function looksLikeHandle(words: readonly string[]): boolean {
  const hasLetters = words.some((word) => /[a-z]/.test(word));
  return words.some(
    (word) =>
      (/[a-z]/.test(word) && /[0-9]/.test(word)) ||
      (hasLetters && /^[0-9]{3,}$/.test(word) && !YEAR.test(word)),
  );
}

function scrubTags(tags: readonly TagCount[] | undefined): TagCount[] {
  const kept = new Map<string, number>();
  for (const { tag, count } of tags ?? []) {
    const clean = scrubTag(tag);
    if (clean === undefined || !Number.isFinite(count) || count <= 0) continue;
    kept.set(clean, (kept.get(clean) ?? 0) + Math.round(count));
  }
  // Ties break by name so the same counts always give the same order.
  return [...kept]
    .map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
}

function dayPartOf(hour: number): DayPart {
  if (hour < 5) return 'late night';
  if (hour < 9) return 'early morning';
  if (hour < 12) return 'morning';
  if (hour < 17) return 'afternoon';
  if (hour < 22) return 'evening';
  return 'late night';
}

function dominantDayPart(hourOfDay: readonly number[] | undefined): DayPart | undefined {
  if (!hourOfDay || hourOfDay.length !== 24) return undefined;

  const totals = new Map<DayPart, number>();
  let all = 0;
  hourOfDay.forEach((count, hour) => {
    const value = Number.isFinite(count) && count > 0 ? count : 0;
    totals.set(dayPartOf(hour), (totals.get(dayPartOf(hour)) ?? 0) + value);
    all += value;
  });
  if (all === 0) return undefined;

  const [part, count] = [...totals].sort((a, b) => b[1] - a[1])[0]!;
  return count / all >= 0.5 ? part : undefined;
}

/** Reduces the facts to a summary, scrubbing tags and ignoring impossible values. */
export function summarizeSpotlight(facts: SpotlightFacts): SpotlightSummary {
  const sessions = facts.sessions.filter(
    (session) =>
      Number.isFinite(session.startedAt) &&
      Number.isFinite(session.endedAt) &&
      session.endedAt >= session.startedAt &&
      session.events > 0,
  );
  const durations = sessions.map((session) => (session.endedAt - session.startedAt) / 60_000);
  const topTags = scrubTags(facts.topTags).slice(0, 5);
  const previous = scrubTags(facts.previousTopTags);
  const leadCount = topTags[0]?.count ?? 0;
  const tagTotal = topTags.reduce((sum, { count }) => sum + count, 0);

  const currentTop = topTags.slice(0, 3).map(({ tag }) => tag);
  const previousTop = previous.slice(0, 3).map(({ tag }) => tag);
  const previousAll = new Set(previous.map(({ tag }) => tag));
  const currentAll = new Set(topTags.map(({ tag }) => tag));

  return {
    windowDays: Math.max(1, Math.round(facts.windowDays)),
    sessions: sessions.length,
    events: sessions.reduce((sum, session) => sum + Math.round(session.events), 0),
    minutes: Math.round(durations.reduce((sum, minutes) => sum + minutes, 0)),
    longestSessionMinutes: Math.round(Math.max(0, ...durations)),
    topTags,
    leadShare: tagTotal === 0 ? 0 : leadCount / tagTotal,
    newTags: previous.length === 0 ? [] : currentTop.filter((tag) => !previousAll.has(tag)),
    fadingTags: previousTop.filter((tag) => !currentAll.has(tag)),
    dayPart: dominantDayPart(facts.hourOfDay),
    streakDays: Math.max(0, Math.round(facts.streakDays ?? 0)),
  };
}
