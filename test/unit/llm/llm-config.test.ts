/** The language-model settings and the cost estimate. */
import { describe, expect, it } from 'vitest';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import { estimateCostUsd } from '../../../src/llm/prices.ts';

describe('loadLlmConfig', () => {
  it('writes offline with the default models when nothing is set', () => {
    expect(loadLlmConfig({})).toEqual({
      apiKey: undefined,
      baseUrl: undefined,
      fastModel: 'claude-haiku-4-5',
      qualityModel: 'claude-sonnet-4-5',
      timeoutMs: 15_000,
      maxAttempts: 3,
      maxRetryDelayMs: 20_000,
      minTagReaders: 5,
    });
  });

  it('reads the models, key and address from the environment', () => {
    const config = loadLlmConfig({
      ANTHROPIC_API_KEY: ' sk-key ',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999',
      ALMANAC_FAST_MODEL: 'fast-one',
      ALMANAC_QUALITY_MODEL: 'good-one',
      ALMANAC_LLM_MAX_ATTEMPTS: '5',
      ALMANAC_LLM_MIN_TAG_READERS: '20',
    });
    expect(config).toMatchObject({
      apiKey: 'sk-key',
      baseUrl: 'http://127.0.0.1:9999',
      fastModel: 'fast-one',
      qualityModel: 'good-one',
      maxAttempts: 5,
      minTagReaders: 20,
    });
  });

  it('names the bad variable', () => {
    expect(() => loadLlmConfig({ ALMANAC_LLM_MAX_ATTEMPTS: '0' })).toThrow(
      /ALMANAC_LLM_MAX_ATTEMPTS must be a whole number from 1 to 10/,
    );
    expect(() => loadLlmConfig({ ANTHROPIC_BASE_URL: 'localhost' })).toThrow(/http\(s\) URL/);
    expect(() => loadLlmConfig({ ALMANAC_LLM_MIN_TAG_READERS: '0' })).toThrow(
      /ALMANAC_LLM_MIN_TAG_READERS must be a whole number from 1 to/,
    );
  });
});

describe('estimateCostUsd', () => {
  const usage = {
    inputTokens: 120,
    outputTokens: 40,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 900,
  };

  it('prices input, output and cache writes per million tokens', () => {
    expect(estimateCostUsd('claude-haiku-4-5', usage)).toBe(0.001445);
    expect(estimateCostUsd('claude-sonnet-4-5-20250929', usage)).toBe(0.004335);
  });

  it('has no estimate for a model without a price', () => {
    expect(estimateCostUsd('someone-elses-model', usage)).toBeUndefined();
  });
});
