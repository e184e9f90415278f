/**
 * The cost ledger in PostgreSQL: narrations through the Anthropic narrator (against a local
 * stand-in for the API) leave exactly the rows expected, the Prisma model reads them, and
 * `almanac costs` totals them per model and job kind.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { costsCommand, formatCostTotals } from '../../../src/cli/commands/costs.ts';
import { AnthropicNarrator } from '../../../src/llm/anthropic-narrator.ts';
import { PostgresCostLedger } from '../../../src/llm/cost-ledger.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { createPrisma } from '../../../src/serving/prisma.ts';
import { createNamespace } from '../../support/namespace.ts';
import { eveningFacts } from '../../unit/llm/fixtures.ts';
import {
  errorAnswer,
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

const ns = createNamespace('llm_costs');
const pool = createPool(ns.config.databaseUrl, 2);
const prisma = createPrisma(ns.config.databaseUrl);
const ledger = new PostgresCostLedger(pool);
let api: FakeMessagesApi;

function narrator() {
  return new AnthropicNarrator({
    config: loadLlmConfig({ ANTHROPIC_API_KEY: 'sk-test-key', ANTHROPIC_BASE_URL: api.baseUrl }),
    ledger,
    log: silentLogger,
    sleep: async () => undefined,
  });
}

beforeAll(async () => {
  await ns.migrate();
  api = await startFakeMessagesApi();
});

afterAll(async () => {
  await api.close();
  await prisma.$disconnect();
  await pool.end();
  await ns.cleanup();
});

describe('the cost ledger', () => {
  it('records each narration once, with its tokens, tries and estimated cost', async () => {
    api.script(
      messageAnswer('This week drama led the way.', {
        input_tokens: 120,
        output_tokens: 40,
        cache_creation_input_tokens: 900,
      }),
      errorAnswer(429, 'rate_limit_error', { 'retry-after': '1' }),
      messageAnswer(
        'A steady week of drama and comedy.',
        { input_tokens: 118, output_tokens: 30, cache_read_input_tokens: 900 },
        'claude-sonnet-4-5',
      ),
      errorAnswer(529, 'overloaded_error'),
      errorAnswer(529, 'overloaded_error'),
      errorAnswer(529, 'overloaded_error'),
    );

    await narrator().spotlight(eveningFacts);
    await narrator().spotlight(eveningFacts, { work: 'scheduled' });
    const fallback = await narrator().spotlight(eveningFacts);

    expect(fallback).toMatchObject({ model: 'offline', fallbackFrom: 'claude-haiku-4-5' });
    const { rows } = await pool.query(
      `SELECT job_kind, model, fallback_from, attempts, input_tokens, output_tokens,
              cache_read_input_tokens, cache_creation_input_tokens,
              estimated_cost_usd::text AS cost, created_at > now() - interval '1 minute' AS recent
         FROM llm_costs ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        job_kind: 'spotlight',
        model: 'claude-haiku-4-5',
        fallback_from: null,
        attempts: 1,
        input_tokens: 120,
        output_tokens: 40,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 900,
        cost: '0.00144500',
        recent: true,
      },
      {
        job_kind: 'spotlight',
        model: 'claude-sonnet-4-5',
        fallback_from: null,
        attempts: 2,
        input_tokens: 118,
        output_tokens: 30,
        cache_read_input_tokens: 900,
        cache_creation_input_tokens: 0,
        // 118 * 3 + 30 * 15 + 900 * 0.3 per million
        cost: '0.00107400',
        recent: true,
      },
      {
        job_kind: 'spotlight',
        model: 'offline',
        fallback_from: 'claude-haiku-4-5',
        attempts: 3,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
        cost: '0.00000000',
        recent: true,
      },
    ]);

    const viaPrisma = await prisma.llmCost.findFirst({ where: { model: 'claude-sonnet-4-5' } });
    expect(viaPrisma).toMatchObject({
      jobKind: 'spotlight',
      attempts: 2,
      cacheReadInputTokens: 900,
    });
    expect(viaPrisma!.estimatedCostUsd!.toString()).toBe('0.001074');
  });

  it('totals per model and job kind, and `almanac costs` prints them', async () => {
    const totals = await ledger.totals();
    expect(totals).toEqual([
      {
        model: 'claude-haiku-4-5',
        jobKind: 'spotlight',
        calls: 1,
        inputTokens: 120,
        outputTokens: 40,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 900,
        estimatedCostUsd: 0.001445,
        unpricedCalls: 0,
      },
      {
        model: 'claude-sonnet-4-5',
        jobKind: 'spotlight',
        calls: 1,
        inputTokens: 118,
        outputTokens: 30,
        cacheReadInputTokens: 900,
        cacheCreationInputTokens: 0,
        estimatedCostUsd: 0.001074,
        unpricedCalls: 0,
      },
      {
        model: 'offline',
        jobKind: 'spotlight',
        calls: 1,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
        estimatedCostUsd: 0,
        unpricedCalls: 0,
      },
    ]);

    vi.stubEnv('DATABASE_URL', ns.config.databaseUrl);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => {
      printed.push(line);
    });
    try {
      expect(await costsCommand()).toBe(0);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(printed[0]).toBe(formatCostTotals(totals));
    expect(printed[0]!.split('\n')).toEqual([
      'model              job        calls  input  output  cache read  cache write  est. USD',
      'claude-haiku-4-5   spotlight      1    120      40           0          900  0.001445',
      'claude-sonnet-4-5  spotlight      1    118      30         900            0  0.001074',
      'offline            spotlight      1      0       0           0            0      0.00',
      'total                             3    238      70         900          900  0.002519',
    ]);
  });
});
