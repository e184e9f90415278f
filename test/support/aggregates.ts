/** Reads the stream layer's aggregates back from PostgreSQL, for comparison with the truth. */
import type pg from 'pg';

export interface StoredUser {
  totalEvents: number;
  activeDays: number;
  first: number;
  last: number;
  hours: number[];
  weekdays: number[];
  tags: Map<string, number>;
  monthEvents: Map<string, number>;
}

export async function readStoredUsers(pool: pg.Pool): Promise<Map<string, StoredUser>> {
  const users = new Map<string, StoredUser>();
  const { rows } = await pool.query(
    `SELECT id, total_events, active_days, first_event_at, last_event_at, hour_counts,
            weekday_counts FROM users`,
  );
  for (const row of rows) {
    users.set(row.id, {
      totalEvents: Number(row.total_events),
      activeDays: row.active_days,
      first: row.first_event_at.getTime() / 1000,
      last: row.last_event_at.getTime() / 1000,
      hours: row.hour_counts,
      weekdays: row.weekday_counts,
      tags: new Map(),
      monthEvents: new Map(),
    });
  }
  const tags = await pool.query('SELECT user_id, tag, count FROM user_tag_counts');
  for (const row of tags.rows) users.get(row.user_id)?.tags.set(row.tag, Number(row.count));

  const months = await pool.query(
    `SELECT user_id, to_char(month, 'YYYY-MM') AS month, events FROM user_monthly_stats`,
  );
  for (const row of months.rows) {
    users.get(row.user_id)?.monthEvents.set(row.month, Number(row.events));
  }
  return users;
}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
