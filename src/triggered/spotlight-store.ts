/**
 * Spotlights in PostgreSQL (user_spotlights), one per narrated session, keyed by the fact id of
 * the session's end. The key is what makes a spotlight job idempotent: a spotlight found under it
 * is reused, and of two writers racing, the second keeps the first one's text.
 */
import type pg from 'pg';
import type { SessionEndedFact } from '../insights/facts.ts';
import type { StoredSpotlight } from '../insights/stored-spotlight.ts';
import type { Narration } from '../llm/narrator.ts';

interface SpotlightRow {
  fact_id: string;
  user_id: string;
  text: string;
  model: string;
  fallback_from: string | null;
  session_started_at: Date;
  session_ended_at: Date;
  created_at: Date;
}

const COLUMNS = `fact_id, user_id, text, model, fallback_from, session_started_at,
  session_ended_at, created_at`;

/** The spotlight already written for this fact, if any. */
export async function findSpotlight(
  pool: pg.Pool,
  factId: string,
): Promise<StoredSpotlight | undefined> {
  const { rows } = await pool.query<SpotlightRow>(
    `SELECT ${COLUMNS} FROM user_spotlights WHERE fact_id = $1`,
    [factId],
  );
  return rows[0] && toStored(rows[0]);
}

/** Stores the narration unless a spotlight for the fact exists; returns the one stored. */
export async function insertSpotlight(
  pool: pg.Pool,
  fact: SessionEndedFact,
  narration: Narration,
): Promise<StoredSpotlight> {
  const { rows } = await pool.query<SpotlightRow>(
    `INSERT INTO user_spotlights
       (fact_id, user_id, text, model, fallback_from, session_started_at, session_ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (fact_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      fact.id,
      fact.userId,
      narration.text,
      narration.model,
      narration.fallbackFrom ?? null,
      new Date(fact.session.startedAt),
      new Date(fact.session.endedAt),
    ],
  );
  if (rows[0]) return toStored(rows[0]);

  const existing = await findSpotlight(pool, fact.id);
  if (!existing) throw new Error(`spotlight ${fact.id} neither inserted nor found`);
  return existing;
}

function toStored(row: SpotlightRow): StoredSpotlight {
  return {
    userId: row.user_id,
    factId: row.fact_id,
    text: row.text,
    model: row.model,
    ...(row.fallback_from === null ? {} : { fallbackFrom: row.fallback_from }),
    sessionStartedAt: row.session_started_at.toISOString(),
    sessionEndedAt: row.session_ended_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}
