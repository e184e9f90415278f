/**
 * The statements that add a batch's per-user deltas to the aggregate tables: active days, the
 * user rows, tag and publication counts, and the monthly rows.
 */
import type pg from 'pg';
import { timed, type StageTimings } from './stage-timings.ts';
import type { UserDelta } from './fold.ts';

const counts = (values: readonly number[]) => `{${values.join(',')}}`;
const seconds = (time: number) => time / 1000;

function countsJson(map: Map<string, number>): string {
  return JSON.stringify(Object.fromEntries(map));
}

/**
 * The counting statements. Rows are written in user order so two transactions never lock the
 * same rows in opposite orders. The day rows go first: the days that are new to a user are what
 * its active_days, and its month's, grow by.
 */
export async function writeCounts(
  client: pg.PoolClient,
  users: Map<string, UserDelta>,
  timings?: StageTimings,
): Promise<void> {
  if (users.size === 0) return;
  const deltas = [...users.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1));

  const days = deltas.flatMap((delta) =>
    [...delta.days].map(([day, events]) => ({ userId: delta.userId, day, events })),
  );
  const { rows: newDays } = await timed(timings, 'sql-days', () =>
    client.query<{ user_id: string; day: string }>(
      `WITH upserted AS (
       INSERT INTO user_active_days AS d (user_id, day, events)
       SELECT * FROM unnest($1::text[], $2::date[], $3::int[])
       ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + EXCLUDED.events
       RETURNING user_id, to_char(day, 'YYYY-MM-DD') AS day, (xmax = 0) AS inserted
     )
     SELECT user_id, day FROM upserted WHERE inserted`,
      [days.map((d) => d.userId), days.map((d) => d.day), days.map((d) => d.events)],
    ),
  );

  const newDaysByUser = new Map<string, number>();
  const newDaysByMonth = new Map<string, number>();
  for (const { user_id: userId, day } of newDays) {
    newDaysByUser.set(userId, (newDaysByUser.get(userId) ?? 0) + 1);
    const monthKey = `${userId}\u0000${day.slice(0, 7)}-01`;
    newDaysByMonth.set(monthKey, (newDaysByMonth.get(monthKey) ?? 0) + 1);
  }

  await timed(timings, 'sql-users', () =>
    client.query(
      `INSERT INTO users AS u
       (id, total_events, active_days, first_event_at, last_event_at, hour_counts, weekday_counts)
     SELECT id, n, a, to_timestamp(f), to_timestamp(l), h::int[], w::int[]
     FROM unnest($1::text[], $2::bigint[], $3::int[], $4::float8[], $5::float8[], $6::text[], $7::text[])
       AS t(id, n, a, f, l, h, w)
     ON CONFLICT (id) DO UPDATE SET
       total_events = u.total_events + EXCLUDED.total_events,
       active_days = u.active_days + EXCLUDED.active_days,
       first_event_at = LEAST(u.first_event_at, EXCLUDED.first_event_at),
       last_event_at = GREATEST(u.last_event_at, EXCLUDED.last_event_at),
       hour_counts = almanac_add_counts(u.hour_counts, EXCLUDED.hour_counts),
       weekday_counts = almanac_add_counts(u.weekday_counts, EXCLUDED.weekday_counts),
       updated_at = now()`,
      [
        deltas.map((d) => d.userId),
        deltas.map((d) => d.events),
        deltas.map((d) => newDaysByUser.get(d.userId) ?? 0),
        deltas.map((d) => seconds(d.first)),
        deltas.map((d) => seconds(d.last)),
        deltas.map((d) => counts(d.hours)),
        deltas.map((d) => counts(d.weekdays)),
      ],
    ),
  );

  await timed(timings, 'sql-tags', () =>
    writeFirstLastCounts(client, 'user_tag_counts', 'tag', deltas, (d) => d.tags),
  );
  await timed(timings, 'sql-publications', () =>
    writeFirstLastCounts(client, 'user_publication_counts', 'domain', deltas, (d) => d.domains),
  );

  const months = deltas.flatMap((delta) => [...delta.months.values()].map((m) => ({ delta, m })));
  await timed(timings, 'sql-monthly', () =>
    client.query(
      `INSERT INTO user_monthly_stats AS m
       (user_id, month, events, active_days, first_event_at, last_event_at,
        hour_counts, weekday_counts, tag_counts, publication_counts)
     SELECT u, mo, n, a, to_timestamp(f), to_timestamp(l), h::int[], w::int[], t::jsonb, p::jsonb
     FROM unnest($1::text[], $2::date[], $3::bigint[], $4::int[], $5::float8[], $6::float8[],
                 $7::text[], $8::text[], $9::text[], $10::text[])
       AS x(u, mo, n, a, f, l, h, w, t, p)
     ON CONFLICT (user_id, month) DO UPDATE SET
       events = m.events + EXCLUDED.events,
       active_days = m.active_days + EXCLUDED.active_days,
       first_event_at = LEAST(m.first_event_at, EXCLUDED.first_event_at),
       last_event_at = GREATEST(m.last_event_at, EXCLUDED.last_event_at),
       hour_counts = almanac_add_counts(m.hour_counts, EXCLUDED.hour_counts),
       weekday_counts = almanac_add_counts(m.weekday_counts, EXCLUDED.weekday_counts),
       tag_counts = almanac_merge_counts(m.tag_counts, EXCLUDED.tag_counts),
       publication_counts = almanac_merge_counts(m.publication_counts, EXCLUDED.publication_counts)`,
      [
        months.map(({ delta }) => delta.userId),
        months.map(({ m }) => m.month),
        months.map(({ m }) => m.events),
        months.map(({ delta, m }) => newDaysByMonth.get(`${delta.userId}\u0000${m.month}`) ?? 0),
        months.map(({ m }) => seconds(m.first)),
        months.map(({ m }) => seconds(m.last)),
        months.map(({ m }) => counts(m.hours)),
        months.map(({ m }) => counts(m.weekdays)),
        months.map(({ m }) => countsJson(m.tags)),
        months.map(({ m }) => countsJson(m.domains)),
      ],
    ),
  );
}

async function writeFirstLastCounts(
  client: pg.PoolClient,
  table: 'user_tag_counts' | 'user_publication_counts',
  column: 'tag' | 'domain',
  deltas: UserDelta[],
  pick: (delta: UserDelta) => Map<string, { count: number; first: number; last: number }>,
): Promise<void> {
  const rows = deltas.flatMap((delta) =>
    [...pick(delta)].map(([name, entry]) => ({ userId: delta.userId, name, ...entry })),
  );
  if (rows.length === 0) return;

  await client.query(
    `INSERT INTO ${table} AS c (user_id, ${column}, count, first_seen_at, last_seen_at)
     SELECT u, k, n, to_timestamp(f), to_timestamp(l)
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[])
       AS t(u, k, n, f, l)
     ON CONFLICT (user_id, ${column}) DO UPDATE SET
       count = c.count + EXCLUDED.count,
       first_seen_at = LEAST(c.first_seen_at, EXCLUDED.first_seen_at),
       last_seen_at = GREATEST(c.last_seen_at, EXCLUDED.last_seen_at)`,
    [
      rows.map((row) => row.userId),
      rows.map((row) => row.name),
      rows.map((row) => row.count),
      rows.map((row) => seconds(row.first)),
      rows.map((row) => seconds(row.last)),
    ],
  );
}
