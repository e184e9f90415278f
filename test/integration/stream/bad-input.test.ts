/**
 * A mix of valid events and many kinds of invalid ones: each invalid one reaches the dead-letter
 * topic with its reason, each valid one is counted, and nothing goes missing.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/config.ts';
import { importJsonLines } from '../../../src/ingest/importer.ts';
import { createKafka } from '../../../src/kafka/client.ts';
import { ensureTopics } from '../../../src/kafka/topics.ts';
import { createPool } from '../../../src/serving/postgres.ts';
import { StreamAggregator } from '../../../src/stream/aggregator.ts';
import { waitForCatchUp } from '../../../src/stream/progress.ts';
import { createNamespace } from '../../support/namespace.ts';

const ns = createNamespace('badinput');
const kafka = createKafka(ns.config, 'test');
const pool = createPool(ns.config.databaseUrl, 2);
const aggregator = new StreamAggregator(ns.config);
const topics = topicNames(ns.config);

const valid = (n: number, user = `reader-${n % 3}`) => ({
  event_id: `valid-${n}`,
  user_id: user,
  timestamp: new Date(Date.UTC(2024, 0, 1 + n, 9, 30)).toISOString(),
  type: 'read',
  domain: 'Example.COM',
  url: `https://example.com/articles/${n}`,
  title: `Article ${n}`,
  tags: ['Climate Change', 'politics'],
});

/** Each invalid message with the reason code the aggregator must give it. */
const invalid: { name: string; code: string; message: Message }[] = [
  { name: 'not JSON', code: 'INVALID_JSON', message: { key: 'x', value: '{"event_id": "a",' } },
  { name: 'empty', code: 'INVALID_JSON', message: { key: 'x', value: '' } },
  { name: 'an array', code: 'NOT_AN_OBJECT', message: { key: 'x', value: '[1,2,3]' } },
  { name: 'a string', code: 'NOT_AN_OBJECT', message: { key: 'x', value: '"hello"' } },
  {
    name: 'no user_id',
    code: 'MISSING_FIELD',
    message: { key: 'x', value: JSON.stringify({ ...valid(90), user_id: undefined }) },
  },
  {
    name: 'no event_id',
    code: 'MISSING_FIELD',
    message: {
      key: 'reader-0',
      value: JSON.stringify({ ...valid(91, 'reader-0'), event_id: undefined }),
    },
  },
  {
    name: 'numeric user_id',
    code: 'WRONG_TYPE',
    message: { key: '7', value: JSON.stringify({ ...valid(92), user_id: 7 }) },
  },
  {
    name: 'tags not a list',
    code: 'WRONG_TYPE',
    message: { key: 'reader-1', value: JSON.stringify({ ...valid(93, 'reader-1'), tags: 'news' }) },
  },
  {
    name: 'unknown field',
    code: 'UNKNOWN_FIELD',
    message: {
      key: 'reader-1',
      value: JSON.stringify({ ...valid(94, 'reader-1'), email: 'a@b.c' }),
    },
  },
  {
    name: 'epoch zero',
    code: 'ABSURD_TIMESTAMP',
    message: {
      key: 'reader-1',
      value: JSON.stringify({ ...valid(95, 'reader-1'), timestamp: '1970-01-01T00:00:00Z' }),
    },
  },
  {
    name: 'far future',
    code: 'ABSURD_TIMESTAMP',
    message: {
      key: 'reader-1',
      value: JSON.stringify({ ...valid(96, 'reader-1'), timestamp: '2100-01-01T00:00:00Z' }),
    },
  },
  {
    name: 'no zone',
    code: 'INVALID_VALUE',
    message: {
      key: 'reader-1',
      value: JSON.stringify({ ...valid(97, 'reader-1'), timestamp: '2024-01-01 10:00:00' }),
    },
  },
  {
    name: 'no such day',
    code: 'INVALID_TIMESTAMP',
    message: {
      key: 'reader-1',
      value: JSON.stringify({ ...valid(98, 'reader-1'), timestamp: '2023-02-29T10:00:00Z' }),
    },
  },
  {
    name: 'oversize',
    code: 'OVERSIZE',
    message: { key: 'reader-1', value: JSON.stringify(valid(99, 'reader-1')) + ' '.repeat(20_000) },
  },
  {
    name: 'future contract version',
    code: 'UNSUPPORTED_VERSION',
    message: {
      key: 'reader-2',
      value: JSON.stringify({ ...valid(100, 'reader-2'), schema_version: 2 }),
    },
  },
  {
    name: 'key is not the user',
    code: 'KEY_MISMATCH',
    message: { key: 'reader-0', value: JSON.stringify(valid(101, 'reader-2')) },
  },
  {
    name: 'bad domain',
    code: 'INVALID_VALUE',
    message: {
      key: 'reader-2',
      value: JSON.stringify({ ...valid(102, 'reader-2'), domain: 'not a host' }),
    },
  },
  {
    name: 'too many tags',
    code: 'INVALID_VALUE',
    message: {
      key: 'reader-2',
      value: JSON.stringify({
        ...valid(103, 'reader-2'),
        tags: Array.from({ length: 51 }, (_, i) => `t${i}`),
      }),
    },
  },
];

beforeAll(async () => {
  await ns.migrate();
  await ensureTopics(kafka, ns.config);
  await aggregator.start();
});

afterAll(async () => {
  await aggregator.stop();
  await pool.end();
  await ns.cleanup();
});

describe('invalid events', () => {
  it('go to the dead-letter topic with their reasons while valid ones are counted', async () => {
    const validMessages = Array.from({ length: 30 }, (_, n) => {
      const event = valid(n);
      return { key: event.user_id, value: JSON.stringify(event) };
    });
    // The same event again: accepted, and counted once.
    validMessages.push({ ...validMessages[4]! });

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: topics.events,
      acks: -1,
      messages: [
        ...validMessages.slice(0, 15),
        ...invalid.map((i) => i.message),
        ...validMessages.slice(15),
      ],
    });
    await producer.disconnect();

    const progress = await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });
    expect(progress.total).toBe(BigInt(validMessages.length + invalid.length));
    expect(progress.applied).toBe(30n);
    expect(progress.duplicates).toBe(1n);
    expect(progress.deadLettered).toBe(BigInt(invalid.length));

    const { rows: users } = await pool.query('SELECT id, total_events FROM users ORDER BY id');
    expect(users.map((u) => [u.id, Number(u.total_events)])).toEqual([
      ['reader-0', 10],
      ['reader-1', 10],
      ['reader-2', 10],
    ]);
    const { rows: tags } = await pool.query(
      `SELECT tag, sum(count)::int AS n FROM user_tag_counts GROUP BY tag ORDER BY tag`,
    );
    expect(tags).toEqual([
      { tag: 'climate-change', n: 30 },
      { tag: 'politics', n: 30 },
    ]);
    const { rows: domains } = await pool.query(
      'SELECT DISTINCT domain FROM user_publication_counts',
    );
    expect(domains).toEqual([{ domain: 'example.com' }]);

    const deadLetters = await readDeadLetterTopic(invalid.length);
    const byPayload = new Map(deadLetters.map((letter) => [letter.value, letter]));
    for (const { name, code, message } of invalid) {
      const letter = byPayload.get(String(message.value));
      expect(letter, name).toBeDefined();
      expect(letter!.code, name).toBe(code);
      expect(letter!.reason.length, name).toBeGreaterThan(5);
      expect(letter!.key, name).toMatch(new RegExp(`^${topics.events}:\\d+:\\d+$`));
    }

    const { rows: stored } = await pool.query('SELECT count(*)::int AS n FROM dead_letters');
    expect(stored[0].n).toBe(invalid.length);
  });
});

describe('a line too large for Kafka', () => {
  it('is refused by the importer and recorded with its line number', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'almanac-oversize-'));
    const file = path.join(folder, 'events.jsonl');
    const huge = JSON.stringify({ ...valid(200, 'reader-0'), title: 'x'.repeat(1_000_000) });
    await writeFile(file, `${JSON.stringify(valid(201, 'reader-0'))}\n${huge}\n`);

    const result = await importJsonLines(ns.config, file);
    expect(result).toMatchObject({ produced: 1, deadLettered: 1 });

    const { rows } = await pool.query(
      `SELECT "offset", reason_code, reason, length(payload) AS kept FROM dead_letters
       WHERE partition = -1`,
    );
    expect(rows).toEqual([
      {
        offset: '2',
        reason_code: 'OVERSIZE',
        reason: expect.stringMatching(/^line 2 is \d+ bytes/),
        kept: 1024,
      },
    ]);
  });
});

describe('a flood of invalid events', () => {
  it('is dead-lettered in requests the broker takes, and holds up nothing', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'almanac-flood-'));
    const file = path.join(folder, 'events.jsonl');
    const tooLongTitle = 'x'.repeat(1300);
    const lines = Array.from({ length: 1000 }, (_, n) =>
      JSON.stringify({ ...valid(n % 300, 'flood'), event_id: `flood-${n}`, title: tooLongTitle }),
    );
    lines.push(JSON.stringify({ ...valid(5, 'flood'), event_id: 'flood-valid' }));
    await writeFile(file, `${lines.join('\n')}\n`);

    expect(await importJsonLines(ns.config, file)).toMatchObject({ produced: 1001 });
    await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });

    const { rows } = await pool.query(
      `SELECT total_events::int AS n FROM users WHERE id = 'flood'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
    const { rows: letters } = await pool.query(
      `SELECT count(*)::int AS n FROM dead_letters WHERE convert_from(payload, 'UTF8') LIKE '%"flood-%'`,
    );
    expect(letters).toEqual([{ n: 1000 }]);
  });
});

describe('an event the store refuses', () => {
  it('is dead-lettered alone while the rest of its batch is counted', async () => {
    // Stands for any value the contract lets through but PostgreSQL cannot hold.
    await pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tag = 'poison' THEN
          RAISE EXCEPTION 'poison tag' USING ERRCODE = '22023';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON user_tag_counts
        FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);

    const events = [300, 301, 302].map((n) => valid(n, 'reader-9'));
    events[1]!.tags = ['poison'];
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: topics.events,
      messages: events.map((event) => ({ key: event.user_id, value: JSON.stringify(event) })),
    });
    await producer.disconnect();
    await waitForCatchUp(kafka, pool, ns.config, { stallTimeoutMs: 60_000 });

    const { rows: user } = await pool.query(
      `SELECT total_events::int AS n FROM users WHERE id = 'reader-9'`,
    );
    expect(user).toEqual([{ n: 2 }]);
    const { rows: letters } = await pool.query(
      `SELECT reason_code, reason FROM dead_letters WHERE reason_code = 'UNSTORABLE'`,
    );
    expect(letters).toEqual([
      { reason_code: 'UNSTORABLE', reason: expect.stringMatching(/22023.*poison tag/) },
    ]);
  });
});

async function readDeadLetterTopic(expected: number) {
  const consumer = kafka.consumer({ groupId: `${ns.id}-dlq-reader` });
  const letters: { key: string; value: string; code: string; reason: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topics.deadLetters, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dead letters did not arrive')), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          code: message.headers?.['almanac-reason-code']?.toString() ?? '',
          reason: message.headers?.['almanac-reason']?.toString() ?? '',
        });
        if (letters.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return letters;
}
