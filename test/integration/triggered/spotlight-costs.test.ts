/**
 * The cost ledger gets a row for each spotlight a model was asked for, and none for the offline
 * narrator, which calls nothing. A spotlight job run again asks the model nothing and adds no row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId, type SessionEndedFact } from '../../../src/insights/facts.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import { PostgresCostLedger } from '../../../src/llm/cost-ledger.ts';
import { createNarrator } from '../../../src/llm/create-narrator.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import type { Narrator } from '../../../src/llm/narrator.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { InsightBridge } from '../../../src/triggered/bridge.ts';
import {
  createQueueConnection,
  openInsightsQueue,
  type InsightsQueue,
} from '../../../src/triggered/queue.ts';
import { TriggeredWorker } from '../../../src/triggered/worker.ts';
import { createNamespace } from '../../support/namespace.ts';
import { addReaders, produceFacts, sessionEnded, waitForJob } from '../../support/triggered.ts';
import {
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

const ns = createNamespace('spotlight_costs');
const pool = createPool(ns.config.databaseUrl, 2);
const ledger = new PostgresCostLedger(pool);
const bridge = new InsightBridge(ns.config, { log: silentLogger });
const connection = createQueueConnection(ns.config);
let queue: InsightsQueue;
let api: FakeMessagesApi;

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(createKafka(ns.config, 'test'), ns.config);
  queue = openInsightsQueue(ns.config, connection);
  api = await startFakeMessagesApi();
  await bridge.start();
});

afterAll(async () => {
  await bridge.stop();
  await api.close();
  await queue.close();
  connection.disconnect();
  await pool.end();
  await ns.cleanup();
});

/** Runs the facts through a worker with this narrator, then stops the worker. */
async function narrate(narrator: Narrator, facts: SessionEndedFact[]): Promise<void> {
  const worker = new TriggeredWorker(ns.config, {
    narrator,
    closeIdleSessions: async () => 0,
    scheduleSweep: false,
    log: silentLogger,
  });
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
