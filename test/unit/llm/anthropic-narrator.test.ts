/**
 * The Anthropic narrator against a local stand-in for the Messages API: the exact request the
 * real API would get, retries that honour retry-after, and the offline fallback after the last
 * try, each recorded in the ledger.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnthropicNarrator, retryAfterMs } from '../../../src/llm/anthropic-narrator.ts';
import type { CostEntry, CostLedger } from '../../../src/llm/cost-ledger.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import { writeSpotlight } from '../../../src/llm/offline-narrator.ts';
import { SPOTLIGHT_SYSTEM_PROMPT } from '../../../src/llm/spotlight-prompt.ts';
import { silentLogger } from '../../../src/logger.ts';
import { eveningFacts, reader } from './fixtures.ts';
import {
  errorAnswer,
  messageAnswer,
  startFakeMessagesApi,
  type FakeMessagesApi,
} from './support/fake-messages-api.ts';

const SPOTLIGHT_TEXT =
  "This week you've been drawn to drama, with comedy and romance close behind, mostly in the evening.";

let api: FakeMessagesApi;
let entries: CostEntry[];
let delays: number[];

const ledger: CostLedger = {
  record: async (entry) => {
    entries.push(entry);
  },
};

function narrator(env: Record<string, string> = {}) {
  const config = loadLlmConfig({
    ANTHROPIC_API_KEY: 'sk-test-key',
    ANTHROPIC_BASE_URL: api.baseUrl,
    ALMANAC_LLM_TIMEOUT_MS: '300',
    ...env,
  });
  return new AnthropicNarrator({
    config,
    ledger,
    log: silentLogger,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
}

beforeAll(async () => {
  api = await startFakeMessagesApi();
});

afterAll(async () => {
  await api.close();
});

beforeEach(() => {
  api.requests.length = 0;
  entries = [];
  delays = [];
});

describe('the request', () => {
  it('is the Messages API call with a cached system block and no personal data', async () => {
    api.script(
      messageAnswer(SPOTLIGHT_TEXT, {
        input_tokens: 140,
        output_tokens: 38,
        cache_creation_input_tokens: 410,
      }),
    );

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration).toEqual({ text: SPOTLIGHT_TEXT, model: 'claude-haiku-4-5' });
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/messages');
    expect(request!.headers['authorization']).toBe('Bearer sk-test-key');
    // The API version @anthropic-ai/sdk 1.17.0 pins; a newer SDK may send a later one.
    expect(request!.headers['anthropic-version']).toBe('2026-10-21');
    expect(request!.headers['x-api-key']).toBeUndefined();
    expect(request!.headers['content-type']).toBe('application/json');

    expect(Object.keys(request!.body).sort()).toEqual([
      'max_tokens',
      'messages',
      'model',
      'system',
    ]);
    expect(request!.body.model).toBe('claude-haiku-4-5');
    expect(request!.body.max_tokens).toBe(200);
    expect(request!.body.system).toEqual([
      { type: 'text', text: SPOTLIGHT_SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } },
    ]);
    const messages = request!.body.messages as Array<{ role: string; content: string }>;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.role).toBe('user');
    expect(JSON.parse(messages[0]!.content)).toEqual({
      windowDays: 7,
      sessions: 3,
      events: 35,
      minutes: 115,
      longestSessionMinutes: 50,
      topTags: [
        { tag: 'drama', count: 20 },
        { tag: 'comedy', count: 12 },
        { tag: 'romance', count: 9 },
      ],
      leadShare: 0.49,
      newTags: [],
      fadingTags: [],
      dayPart: 'evening',
      streakDays: 1,
    });

    const sent = `${request!.raw} ${JSON.stringify(request!.headers)}`.toLowerCase();
    for (const secret of [reader.id, reader.email, reader.displayName, ...reader.titles]) {
      expect(sent).not.toContain(secret.toLowerCase());
    }
    for (const fragment of ['marguerite', 'okafor', 'example', '5551234567']) {
      expect(sent).not.toContain(fragment);
    }
  });

  it('uses the quality model for scheduled work', async () => {
    api.script(
      messageAnswer(SPOTLIGHT_TEXT, { input_tokens: 140, output_tokens: 38 }, 'claude-sonnet-4-5'),
    );

    const narration = await narrator().spotlight(eveningFacts, { work: 'scheduled' });

    expect(narration.model).toBe('claude-sonnet-4-5');
    expect(api.requests[0]!.body.model).toBe('claude-sonnet-4-5');
  });
});

describe('retries', () => {
  it('waits out a 429 and a 529 as the server asks, then records one call with all the tries', async () => {
    api.script(
      errorAnswer(429, 'rate_limit_error', { 'retry-after': '2' }),
      errorAnswer(529, 'overloaded_error', { 'retry-after-ms': '750' }),
      messageAnswer(SPOTLIGHT_TEXT, {
        input_tokens: 140,
        output_tokens: 38,
        cache_read_input_tokens: 410,
      }),
    );

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration).toEqual({ text: SPOTLIGHT_TEXT, model: 'claude-haiku-4-5' });
    expect(api.requests).toHaveLength(3);
    expect(delays).toEqual([2000, 750]);
    expect(entries).toEqual([
      {
        jobKind: 'spotlight',
        model: 'claude-haiku-4-5',
        attempts: 3,
        inputTokens: 140,
        outputTokens: 38,
        cacheReadInputTokens: 410,
        cacheCreationInputTokens: 0,
        // (140 * 1 + 38 * 5 + 410 * 0.1) per million dollars
        estimatedCostUsd: 0.000371,
      },
    ]);
  });

  it('retries a timeout with a doubling backoff when no retry-after is sent', async () => {
    api.script(
      { hang: true },
      errorAnswer(500, 'api_error'),
      messageAnswer(SPOTLIGHT_TEXT, { input_tokens: 1, output_tokens: 1 }),
    );

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration.model).toBe('claude-haiku-4-5');
    expect(delays).toEqual([500, 1000]);
  });

  it('writes offline after the last try fails, and says which model failed and why', async () => {
    api.script(
      errorAnswer(529, 'overloaded_error'),
      errorAnswer(529, 'overloaded_error'),
      errorAnswer(529, 'overloaded_error'),
    );

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration).toEqual({
      text: writeSpotlight(eveningFacts),
      model: 'offline',
      fallbackFrom: 'claude-haiku-4-5',
      reason: 'overloaded',
    });
    expect(api.requests).toHaveLength(3);
    expect(delays).toEqual([500, 1000]);
    expect(entries).toEqual([
      {
        jobKind: 'spotlight',
        model: 'offline',
        fallbackFrom: 'claude-haiku-4-5',
        attempts: 3,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
        estimatedCostUsd: 0,
      },
    ]);
  });

  it('does not retry a refused request', async () => {
    api.script(errorAnswer(401, 'authentication_error'));

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration).toMatchObject({ model: 'offline', reason: 'rejected' });
    expect(api.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('gives up at once when the server asks for a longer wait than allowed', async () => {
    api.script(errorAnswer(429, 'rate_limit_error', { 'retry-after': '60' }));

    const narration = await narrator({ ALMANAC_LLM_MAX_RETRY_DELAY_MS: '5000' }).spotlight(
      eveningFacts,
    );

    expect(narration).toMatchObject({ model: 'offline', reason: 'rate-limited' });
    expect(api.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('output checks', () => {
  it.each([
    ['markup', '<p>This week you read drama.</p>'],
    ['a link', 'See https://example.com for more.'],
    ['nothing', '   '],
    ['too much', 'word '.repeat(200)],
  ])('falls back to offline text when the model writes %s', async (_, text) => {
    api.script(messageAnswer(text, { input_tokens: 140, output_tokens: 60 }));

    const narration = await narrator().spotlight(eveningFacts);

    expect(narration).toMatchObject({ model: 'offline', reason: 'invalid-output' });
    expect(entries[0]).toMatchObject({ model: 'offline', inputTokens: 140, outputTokens: 60 });
  });

  it('falls back when the text was cut off at max_tokens', async () => {
    api.script(
      messageAnswer(
        'This week you read',
        { input_tokens: 140, output_tokens: 200 },
        undefined,
        'max_tokens',
      ),
    );

    expect(await narrator().spotlight(eveningFacts)).toMatchObject({ reason: 'invalid-output' });
  });

  it('trims quotes, whitespace and emphasis', async () => {
    api.script(
      messageAnswer('  "This week **drama** led the way."\n', {
        input_tokens: 1,
        output_tokens: 1,
      }),
    );

    expect((await narrator().spotlight(eveningFacts)).text).toBe('This week drama led the way.');
  });
});

describe('retryAfterMs', () => {
  it('reads milliseconds, seconds and dates', () => {
    const now = Date.UTC(2026, 11, 4, 12, 0, 0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Fri, 04 Dec 2026 12:00:05 GMT' }), now)).toBe(
      5000,
    );
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('the cost ledger', () => {
  it('is written again when a write fails, so a paid call is not lost to a database blip', async () => {
    let failures = 2;
    const flaky: CostLedger = {
      record: async (entry) => {
        if (failures-- > 0) throw new Error('connection terminated');
        entries.push(entry);
      },
    };
    api.script(messageAnswer(SPOTLIGHT_TEXT, { input_tokens: 300, output_tokens: 20 }));
    const flakyNarrator = new AnthropicNarrator({
      config: loadLlmConfig({ ANTHROPIC_API_KEY: 'sk-test-key', ANTHROPIC_BASE_URL: api.baseUrl }),
      ledger: flaky,
      log: silentLogger,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const narration = await flakyNarrator.spotlight(eveningFacts);
    expect(narration.text).toBe(SPOTLIGHT_TEXT);
    expect(entries).toEqual([expect.objectContaining({ inputTokens: 300, outputTokens: 20 })]);
    expect(delays).toEqual([250, 500]);
  });
});
