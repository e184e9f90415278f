/**
 * The cost ledger gets a row for each spotlight a model was asked for, and none for the offline
 * narrator, which calls nothing. A spotlight job run again asks the model nothing and adds no row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId, type SessionEndedFact } from '../../../src/insights/facts.ts';
import { PostgresCostLedger } from '../../../src/llm/cost-ledger.ts';
import { createNarrator } from '../../../src/llm/create-narrator.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import type { Narrator } from '../../../src/llm/narrator.ts';
import { silentLogger } from '../../../src/logger.ts';
import {
  addReaders,
  createTriggeredStack,
  narratingWorker,
  produceFacts,
  sessionEnded,
  waitForJob,
} from '../../support/triggered.ts';
import {
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

// Each test brings its own narrator, so narrate() runs a worker of its own.
const stack = createTriggeredStack('spotlight_costs', { worker: false });
const { ns, pool, queue } = stack;
const ledger = new PostgresCostLedger(pool);
let api: FakeMessagesApi;

beforeAll(async () => {
  await stack.prepare();
  api = await startFakeMessagesApi();
  await stack.start();
});

afterAll(async () => {
  await stack.stop();
  await api.close();
});

/** Runs the facts through a worker with this narrator, then stops the worker. */
async function narrate(narrator: Narrator, facts: SessionEndedFact[]): Promise<void> {
  const worker = narratingWorker(ns.config, narrator);
  await worker.start();
  try {
    await addReaders(
      pool,
      facts.map((fact) => fact.userId),
    );
    await produceFacts(ns.config, facts);
    for (const fact of facts) await waitForJob(queue, factJobId(fact), 'completed');
  } finally {
    await worker.stop();
  }
}

async function ledgerRows() {
  const { rows } = await pool.query(
    'SELECT job_kind, model, attempts, input_tokens, output_tokens FROM llm_costs ORDER BY id',
  );
  return rows;
}

describe('spotlight costs', () => {
  it('records nothing for the offline narrator', async () => {
    const offline = createNarrator(loadLlmConfig({}), { ledger, log: silentLogger });
    await narrate(offline, [sessionEnded('quiet-reader', 5)]);

    const { rows } = await pool.query('SELECT model FROM user_spotlights');
    expect(rows).toEqual([{ model: 'offline' }]);
    expect(await ledgerRows()).toEqual([]);
  });

  it('records one row per model call, and none when the job runs again', async () => {
    const model = createNarrator(
      loadLlmConfig({ ANTHROPIC_API_KEY: 'sk-test-key', ANTHROPIC_BASE_URL: api.baseUrl }),
      { ledger, log: silentLogger },
    );
    api.script(messageAnswer('Drama led your week.', { input_tokens: 140, output_tokens: 18 }));
    const fact = sessionEnded('model-reader', 5);
    await narrate(model, [fact]);

    const row = {
      job_kind: 'spotlight',
      model: 'claude-haiku-4-5',
      attempts: 1,
      input_tokens: 140,
      output_tokens: 18,
    };
    expect(await ledgerRows()).toEqual([row]);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]!.raw).not.toContain('model-reader');

    await queue.remove(factJobId(fact));
    await narrate(model, [fact]);
    expect(api.requests).toHaveLength(1);
    expect(await ledgerRows()).toEqual([row]);
  });
});
