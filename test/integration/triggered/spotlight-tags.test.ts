/**
 * A tag goes into a spotlight's input only when at least ALMANAC_LLM_MIN_TAG_READERS readers have
 * it: text typed the same by several readers is a topic, while a tag only one or a few readers
 * have ("jane-doe") may be one of them. What is left out never reaches the model's request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factJobId, type SessionEndedFact } from '../../../src/insights/facts.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { InsightBridge } from '../../../src/triggered/bridge.ts';
import {
  createQueueConnection,
  openInsightsQueue,
  type InsightsQueue,
} from '../../../src/triggered/queue.ts';
import { loadSpotlightFacts } from '../../../src/triggered/spotlight-input.ts';
import { TriggeredWorker } from '../../../src/triggered/worker.ts';
import { createNamespace } from '../../support/namespace.ts';
import { addReaders, produceFacts, sessionEnded, waitForJob } from '../../support/triggered.ts';
import {
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from '../../unit/llm/support/fake-messages-api.ts';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const READER = 'reader-1';

const ns = createNamespace('spotlight_tags');
const pool = createPool(ns.config.databaseUrl, 4);
let queue: InsightsQueue;
const connection = createQueueConnection(ns.config);
let api: FakeMessagesApi;

/** How many readers have each tag, the reader under test among them. */
const READERS_PER_TAG: Record<string, number> = {
  drama: 5,
  science: 12,
  history: 6,
  'rare-topic': 4,
  'jane-doe': 1,
  'jane-doe-smith': 1,
};

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(createKafka(ns.config, 'test'), ns.config);
  queue = openInsightsQueue(ns.config, connection);
  api = await startFakeMessagesApi();

  for (const [tag, readers] of Object.entries(READERS_PER_TAG)) {
    const userIds = [READER, ...Array.from({ length: readers - 1 }, (_, i) => `other-${i}`)];
    await pool.query(
      `INSERT INTO user_tag_counts (user_id, tag, count, first_seen_at, last_seen_at)
       SELECT u, $2, 3, now(), now() FROM unnest($1::text[]) AS u`,
      [userIds, tag],
    );
  }
  await addReaders(pool, [READER]);
});

afterAll(async () => {
  await api.close();
  await queue.close();
  connection.disconnect();
  await pool.end();
  await ns.cleanup();
});

async function addSession(endedAt: number, tags: Record<string, number>) {
  const events = Object.values(tags).reduce((sum, count) => sum + count, 0);
  await pool.query(
    `INSERT INTO user_sessions (user_id, started_at, ended_at, events, tag_counts, top_tags,
       closed_by)
     VALUES ($1, $2, $3, $4, $5, $6, 'gap')`,
    [
      READER,
      new Date(endedAt - 30 * 60_000),
      new Date(endedAt),
      events,
      JSON.stringify(tags),
      Object.keys(tags),
    ],
  );
}

function allTags(facts: Awaited<ReturnType<typeof loadSpotlightFacts>>): string[] {
  const tags = [
    ...facts.topTags,
    ...(facts.previousTopTags ?? []),
    ...facts.sessions.flatMap((session) => session.topTags),
  ].map(({ tag }) => tag);
  return [...new Set(tags)].sort();
}

describe('tags in a spotlight', () => {
  let fact: SessionEndedFact;

  beforeAll(async () => {
    fact = sessionEnded(READER, 5, { tags: ['jane-doe', 'drama', 'science'], events: 9 });
    await addSession(fact.session.endedAt - DAY, {
      drama: 4,
      'jane-doe-smith': 3,
      'rare-topic': 2,
    });
    await addSession(fact.session.endedAt - 10 * DAY, { history: 5, 'jane-doe': 2 });
  });

  it('are those at least five readers have, in every part of the input', async () => {
    const facts = await loadSpotlightFacts(pool, fact, WEEK, 5);

    expect(allTags(facts)).toEqual(['drama', 'history', 'science']);
    expect(facts.topTags).toEqual([
      { tag: 'drama', count: 12 },
      { tag: 'science', count: 7 },
    ]);
    expect(facts.previousTopTags).toEqual([{ tag: 'history', count: 5 }]);
    expect(facts.sessions.map((session) => session.topTags)).toEqual([
      [
        { tag: 'drama', count: 8 },
        { tag: 'science', count: 7 },
      ],
      [{ tag: 'drama', count: 4 }],
    ]);
  });

  it('follow the number of readers asked for', async () => {
    expect(allTags(await loadSpotlightFacts(pool, fact, WEEK, 4))).toEqual([
      'drama',
      'history',
      'rare-topic',
      'science',
    ]);
    expect(allTags(await loadSpotlightFacts(pool, fact, WEEK, 13))).toEqual([]);
  });

  it('that few readers have never reach the model', async () => {
    api.script(messageAnswer('Drama led your week.', { input_tokens: 120, output_tokens: 9 }));
    const bridge = new InsightBridge(ns.config, { log: silentLogger });
    const worker = new TriggeredWorker(ns.config, {
      llm: loadLlmConfig({
        ANTHROPIC_API_KEY: 'sk-test-key',
        ANTHROPIC_BASE_URL: api.baseUrl,
        ALMANAC_LLM_MIN_TAG_READERS: '5',
      }),
      closeIdleSessions: async () => 0,
      scheduleSweep: false,
      log: silentLogger,
    });
    await bridge.start();
    await worker.start();
    try {
      await produceFacts(ns.config, [fact]);
      await waitForJob(queue, factJobId(fact), 'completed');
    } finally {
      await worker.stop();
      await bridge.stop();
    }

    expect(api.requests).toHaveLength(1);
    const sent = api.requests[0]!.raw;
    expect(sent).toContain('drama');
    for (const personal of ['jane-doe', 'rare-topic', READER]) expect(sent).not.toContain(personal);
  });
});
