/**
 * A reader's serving profile as the API holds it: the counts the stream aggregator keeps in
 * PostgreSQL, cut to what the API can show. It is also what the Redis profile cache stores, so
 * everything here must come from PostgreSQL rows the aggregator changes (it deletes the cached
 * copy whenever it changes them).
 */

/** The most tags and publications a profile keeps, and so the largest `limit` the API accepts. */
export const TOP_KEPT = 100;

/** Reader ids as the event contract allows them; any other id cannot name a reader. */
const USER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export interface TagCount {
  tag: string;
  count: bigint;
}

export interface PublicationCount {
  domain: string;
  count: bigint;
}

export interface Profile {
  id: string;
  totalEvents: bigint;
  activeDays: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
  /** 24 counts, hour 00 first, UTC. */
  hourOfDay: number[];
  /** 7 counts, Monday first, UTC. */
  dayOfWeek: number[];
  /** At most TOP_KEPT, by count descending, then tag ascending. */
  topTags: TagCount[];
  /** At most TOP_KEPT, by count descending, then domain ascending. */
  topPublications: PublicationCount[];
}

/** One of the reader's latest events, as `user:{id}:recent` holds it. */
export interface RecentEvent {
  eventId: string;
  /** ISO 8601. */
  timestamp: string;
  type: string;
  url: string | null;
  domain: string | null;
  title: string | null;
  tags: string[];
}

/** Whether `id` could be a reader id at all; other ids are answered with null without a lookup. */
export function isPossibleUserId(id: string): boolean {
  return USER_ID.test(id);
}

/** Pads with zeros or cuts to exactly `length` counts, so the API's arrays always have it. */
export function fixedCounts(
  counts: readonly number[] | null | undefined,
  length: number,
): number[] {
  return Array.from({ length }, (_, index) => counts?.[index] ?? 0);
}

/**
 * The cache's text form begins with this, so a reader can tell a profile written by this version
 * from anything else under the key (an older layout, a lease) without parsing it.
 */
export const PROFILE_FORMAT_PREFIX = '{"v":1,';

interface StoredProfile {
  v: 1;
  id: string;
  totalEvents: string;
  activeDays: number;
  firstEventAt: string | null;
  lastEventAt: string | null;
  hourOfDay: number[];
  dayOfWeek: number[];
  topTags: [string, string][];
  topPublications: [string, string][];
}

/** The profile as JSON text; 64-bit counts travel as decimal strings. */
export function encodeProfile(profile: Profile): string {
  const stored: StoredProfile = {
    v: 1,
    id: profile.id,
    totalEvents: profile.totalEvents.toString(),
    activeDays: profile.activeDays,
    firstEventAt: profile.firstEventAt?.toISOString() ?? null,
    lastEventAt: profile.lastEventAt?.toISOString() ?? null,
    hourOfDay: profile.hourOfDay,
    dayOfWeek: profile.dayOfWeek,
    topTags: profile.topTags.map(({ tag, count }) => [tag, count.toString()]),
    topPublications: profile.topPublications.map(({ domain, count }) => [domain, count.toString()]),
  };
  return JSON.stringify(stored);
}

/** The profile in `text`, or null when `text` is not a profile in this version's layout. */
export function decodeProfile(text: string): Profile | null {
  if (!text.startsWith(PROFILE_FORMAT_PREFIX)) return null;

  try {
    const stored = JSON.parse(text) as StoredProfile;
    return {
      id: stored.id,
      totalEvents: BigInt(stored.totalEvents),
      activeDays: stored.activeDays,
      firstEventAt: stored.firstEventAt === null ? null : new Date(stored.firstEventAt),
      lastEventAt: stored.lastEventAt === null ? null : new Date(stored.lastEventAt),
      hourOfDay: fixedCounts(stored.hourOfDay, 24),
      dayOfWeek: fixedCounts(stored.dayOfWeek, 7),
      topTags: stored.topTags.map(([tag, count]) => ({ tag, count: BigInt(count) })),
      topPublications: stored.topPublications.map(([domain, count]) => ({
        domain,
        count: BigInt(count),
      })),
    };
  } catch {
    return null;
  }
}
