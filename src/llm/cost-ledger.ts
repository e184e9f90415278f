/**
 * The cost ledger: what each narration sent to a language model used and is estimated to have
 * cost, in the `llm_costs` table. Rows hold model names, job kinds and counts, never a reader.
 */
import type pg from 'pg';
import { AlmanacError } from '../errors.ts';
import type { NarrationKind } from './narrator.ts';
import type { TokenUsage } from './prices.ts';

/** One ledger row as written. */
export interface CostEntry extends TokenUsage {
  jobKind: NarrationKind;
  /** The model that wrote the text, or 'offline' after the model failed. */
  model: string;
  fallbackFrom?: string;
  /** Requests sent for this narration, retries included. */
  attempts: number;
  /** Undefined when the model has no price in the table. */
  estimatedCostUsd: number | undefined;
}

/** Where narrators record their calls. */
export interface CostLedger {
  record(entry: CostEntry): Promise<void>;
}

/** Totals for one model and job kind. */
export interface CostTotal {
  model: string;
  jobKind: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  /** The sum of the estimates; calls without one add nothing. */
  estimatedCostUsd: number;
  /** Calls whose model had no price, so the sum above leaves them out. */
  unpricedCalls: number;
}

function ledgerError(cause: unknown): AlmanacError {
  const missing = (cause as { code?: string }).code === '42P01';
  return new AlmanacError(
    missing ? 'POSTGRES_SCHEMA_MISSING' : 'POSTGRES_QUERY_FAILED',
    missing ? 'the llm_costs table does not exist' : 'the cost ledger could not be read or written',
    {
      hint: missing ? 'Run almanac migrate' : 'Check that PostgreSQL runs at DATABASE_URL',
      retriable: !missing,
      cause,
    },
  );
}

/** A ledger in PostgreSQL, through a pool whose search_path names the schema. */
export class PostgresCostLedger implements CostLedger {
  constructor(private readonly pool: pg.Pool) {}

  async record(entry: CostEntry): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO llm_costs
           (job_kind, model, fallback_from, attempts, input_tokens, output_tokens,
            cache_read_input_tokens, cache_creation_input_tokens, estimated_cost_usd)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          entry.jobKind,
          entry.model,
          entry.fallbackFrom ?? null,
          entry.attempts,
          entry.inputTokens,
          entry.outputTokens,
          entry.cacheReadInputTokens,
          entry.cacheCreationInputTokens,
          entry.estimatedCostUsd === undefined ? null : entry.estimatedCostUsd.toFixed(8),
        ],
      );
    } catch (cause) {
      throw ledgerError(cause);
    }
  }

  /** Totals per model and job kind, most expensive first. */
  async totals(): Promise<CostTotal[]> {
    try {
      const { rows } = await this.pool.query<Record<string, string>>(
        `SELECT model, job_kind,
                count(*)::text AS calls,
                sum(input_tokens)::text AS input_tokens,
                sum(output_tokens)::text AS output_tokens,
                sum(cache_read_input_tokens)::text AS cache_read_input_tokens,
                sum(cache_creation_input_tokens)::text AS cache_creation_input_tokens,
                coalesce(sum(estimated_cost_usd), 0)::text AS estimated_cost_usd,
                count(*) FILTER (WHERE estimated_cost_usd IS NULL)::text AS unpriced_calls
           FROM llm_costs
          GROUP BY model, job_kind
          ORDER BY sum(estimated_cost_usd) DESC NULLS LAST, model, job_kind`,
      );
      return rows.map((row) => ({
        model: row.model!,
        jobKind: row.job_kind!,
        calls: Number(row.calls),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        cacheReadInputTokens: Number(row.cache_read_input_tokens),
        cacheCreationInputTokens: Number(row.cache_creation_input_tokens),
        estimatedCostUsd: Number(row.estimated_cost_usd),
        unpricedCalls: Number(row.unpriced_calls),
      }));
    } catch (cause) {
      throw ledgerError(cause);
    }
  }
}
