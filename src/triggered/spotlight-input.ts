/**
 * The facts a spotlight is written from, read for one ended session: the reader's sessions that
 * ended within the spotlight window before it, their tags, the tags of the window before (to
 * notice a shift), when in the day the reading happened and the run of active days.
 *
 * Everything is measured back from the session's end, in event time, never from the wall clock,
 * so a retried job writes from the same facts. The session itself comes from the fact, not from
 * user_sessions: the aggregator publishes a fact before its transaction commits, so the job may
 * run before the row is there, and a late event may since have stretched the row's end.
 *
 * Tags come from readers' free text, so one may be personal: a name, a handle, an address. A tag
 * is handed on only when at least ALMANAC_LLM_MIN_TAG_READERS readers have it (user_tag_counts),
 * since text typed the same by several readers is a topic rather than one reader's data. The
 * count stops at that number, so a tag every reader has costs no more to check than a rare one.
 * A retried job may see a tag cross the bound in between; it is the readers of today that count.
 */
import type pg from 'pg';
import type { SessionEndedFact } from '../insights/facts.ts';
import type { SpotlightFacts, SpotlightSession, TagCount } from '../llm/spotlight-facts.ts';

/** The most sessions a spotlight looks at, newest first. */
export const SPOTLIGHT_SESSIONS = 20;
/** Tags per session and per window handed on; the narration mentions at most five. */
const TAGS_KEPT = 10;
/** Tags per list whose readers are counted; those kept are the most frequent shared ones. */
const TAG_CANDIDATES = 30;
/** How far back a run of active days is followed. */
const STREAK_LOOKBACK_DAYS = 366;
const DAY_MS = 86_400_000;

interface SessionRow {
  started_at: Date;
  ended_at: Date;
  events: number;
  tag_counts: Record<string, number>;
}

/**
 * The spotlight facts for a session-ended fact, with no id, name or title of the reader, and only
 * the tags at least `minTagReaders` readers have.
 */
export async function loadSpotlightFacts(
  pool: pg.Pool,
  fact: SessionEndedFact,
  windowMs: number,
  minTagReaders: number,
): Promise<SpotlightFacts> {
  const end = fact.session.endedAt;
  const from = new Date(end - windowMs);
  const to = new Date(end);
  const own = new Date(fact.session.startedAt);

  const [sessions, tags, hours, days] = await Promise.all([
    pool.query<SessionRow>(
      `SELECT started_at, ended_at, events, tag_counts
         FROM user_sessions
        WHERE user_id = $1 AND ended_at > $2 AND ended_at <= $3 AND started_at <> $4
        ORDER BY ended_at DESC
        LIMIT $5`,
      [fact.userId, from, to, own, SPOTLIGHT_SESSIONS - 1],
    ),
    pool.query<{ current: boolean; tag: string; count: number }>(
      `SELECT s.ended_at > $2 AS current, t.tag, sum(t.count::numeric)::float8 AS count
         FROM user_sessions s
              CROSS JOIN LATERAL jsonb_each_text(s.tag_counts) AS t(tag, count)
        WHERE s.user_id = $1 AND s.ended_at > $5 AND s.ended_at <= $3 AND s.started_at <> $4
        GROUP BY 1, 2`,
      [fact.userId, from, to, own, new Date(end - 2 * windowMs)],
    ),
    pool.query<{ hour: number; events: number }>(
      `SELECT extract(hour FROM started_at AT TIME ZONE 'UTC')::int AS hour,
              sum(events)::int AS events
         FROM user_sessions
        WHERE user_id = $1 AND ended_at > $2 AND ended_at <= $3 AND started_at <> $4
        GROUP BY 1`,
      [fact.userId, from, to, own],
    ),
    pool.query<{ day: number }>(
      `SELECT day - DATE '1970-01-01' AS day
         FROM user_active_days
        WHERE user_id = $1 AND day <= DATE '1970-01-01' + $2::int
          AND day > DATE '1970-01-01' + $2::int - $3::int`,
      [fact.userId, Math.floor(end / DAY_MS), STREAK_LOOKBACK_DAYS],
    ),
  ]);

  const history: StoredHistory = {
    sessions: sessions.rows.map((row) => ({
      startedAt: row.started_at.getTime(),
      endedAt: row.ended_at.getTime(),
      events: row.events,
      topTags: rankTags(
        Object.entries(row.tag_counts).map(([tag, count]) => ({ tag, count })),
        TAG_CANDIDATES,
      ),
    })),
    windowTags: tags.rows.filter((row) => row.current),
    previousTags: tags.rows.filter((row) => !row.current),
    hourEvents: hours.rows,
    activeDays: days.rows.map((row) => Number(row.day)),
  };
  const shared = await sharedTags(pool, spotlightTagCandidates(fact, history), minTagReaders);
  return buildSpotlightFacts(fact, windowMs, history, (tag) => shared.has(tag));
}

/**
 * The tags whose readers are counted: the most frequent of each list buildSpotlightFacts() ranks,
 * so that a reader with thousands of tags costs a bounded query.
 */
export function spotlightTagCandidates(fact: SessionEndedFact, history: StoredHistory): string[] {
  const lists = [
    fact.session.topTags,
    ...history.sessions.map((session) => session.topTags),
    [...history.windowTags, ...fact.session.topTags],
    history.previousTags,
  ];
  const candidates = new Set<string>();
  for (const list of lists) {
    for (const { tag } of rankTags(list, TAG_CANDIDATES)) candidates.add(tag);
  }
  return [...candidates];
}

/** Those of `tags` that at least `minReaders` readers have, in one statement. */
async function sharedTags(
  pool: pg.Pool,
  tags: readonly string[],
  minReaders: number,
): Promise<Set<string>> {
  if (tags.length === 0) return new Set();
  // Each tag's count stops at the bound, read from the index on user_tag_counts(tag).
  const { rows } = await pool.query<{ tag: string }>(
    `SELECT t.tag
       FROM unnest($1::text[]) AS t(tag)
      WHERE (SELECT count(*)
               FROM (SELECT 1 FROM user_tag_counts c WHERE c.tag = t.tag LIMIT $2) AS r) >= $2`,
    [tags, minReaders],
  );
  return new Set(rows.map((row) => row.tag));
}

/** What the queries found, the fact's own session left out. */
export interface StoredHistory {
  /** Earlier sessions in the window, newest first. */
  sessions: SpotlightSession[];
  windowTags: TagCount[];
  previousTags: TagCount[];
  /** Events per UTC hour of the sessions' starts. */
  hourEvents: { hour: number; events: number }[];
  /** Days since 1970-01-01 (UTC) with reading, in any order. */
  activeDays: number[];
}

/**
 * Adds the fact's own session to what is stored and shapes the result, keeping only the tags
 * `isShared` accepts. A session's events are counted in the hour it started: sessions last
 * minutes, and the narration names only the part of the day that holds most of the reading.
 */
export function buildSpotlightFacts(
  fact: SessionEndedFact,
  windowMs: number,
  history: StoredHistory,
  isShared: (tag: string) => boolean,
): SpotlightFacts {
  const rank = (tags: readonly TagCount[]) =>
    rankTags(
      tags.filter(({ tag }) => isShared(tag)),
      TAGS_KEPT,
    );
  const own: SpotlightSession = {
    startedAt: fact.session.startedAt,
    endedAt: fact.session.endedAt,
    events: fact.session.events,
    topTags: rank(fact.session.topTags),
  };

  const hourOfDay = new Array<number>(24).fill(0);
  for (const { hour, events } of history.hourEvents) {
    if (hour >= 0 && hour < 24) hourOfDay[hour]! += events;
  }
  hourOfDay[new Date(own.startedAt).getUTCHours()]! += own.events;

  const earlier = history.sessions.map((session) => ({
    ...session,
    topTags: rank(session.topTags),
  }));
  const previousTopTags = rank(history.previousTags);
  return {
    windowDays: Math.max(1, Math.round(windowMs / DAY_MS)),
    sessions: [own, ...earlier].slice(0, SPOTLIGHT_SESSIONS),
    topTags: rank([...history.windowTags, ...fact.session.topTags]),
    ...(previousTopTags.length > 0 ? { previousTopTags } : {}),
    hourOfDay,
    streakDays: streakEndingAt(history.activeDays, own),
  };
}

/** Sums repeated tags and keeps the `keep` most frequent, ties by name. */
function rankTags(tags: readonly TagCount[], keep: number): TagCount[] {
  const totals = new Map<string, number>();
  for (const { tag, count } of tags) totals.set(tag, (totals.get(tag) ?? 0) + Number(count));
  return [...totals]
    .map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag))
    .slice(0, keep);
}

/** Consecutive days with reading that end on the day the session ended. */
export function streakEndingAt(
  activeDays: readonly number[],
  session: Pick<SpotlightSession, 'startedAt' | 'endedAt'>,
): number {
  const days = new Set(activeDays);
  const last = Math.floor(session.endedAt / DAY_MS);
  for (let day = Math.floor(session.startedAt / DAY_MS); day <= last; day++) days.add(day);

  let streak = 0;
  while (days.has(last - streak)) streak++;
  return streak;
}
