/** Without an API key every narration is written offline; with one, Anthropic is asked. */
import { describe, expect, it } from 'vitest';
import { AnthropicNarrator } from '../../../src/llm/anthropic-narrator.ts';
import { createNarrator } from '../../../src/llm/create-narrator.ts';
import { loadLlmConfig } from '../../../src/llm/llm-config.ts';
import { OfflineNarrator } from '../../../src/llm/offline-narrator.ts';
import { formatCostTotals } from '../../../src/cli/commands/costs.ts';

describe('createNarrator', () => {
  it('writes offline when no key is set', () => {
    expect(createNarrator(loadLlmConfig({}))).toBeInstanceOf(OfflineNarrator);
  });

  it('asks Anthropic when a key is set', () => {
    const config = loadLlmConfig({
      ANTHROPIC_API_KEY: 'sk-test-key',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    });
    expect(createNarrator(config)).toBeInstanceOf(AnthropicNarrator);
  });

  it('refuses to build the Anthropic narrator without a key', () => {
    expect(() => new AnthropicNarrator({ config: loadLlmConfig({}) })).toThrow(/ANTHROPIC_API_KEY/);
  });
});

describe('formatCostTotals', () => {
  it('says so when nothing is recorded, and marks calls without a price', () => {
    expect(formatCostTotals([])).toBe('no language-model calls recorded yet');
    const table = formatCostTotals([
      {
        model: 'someone-elses-model',
        jobKind: 'spotlight',
        calls: 2,
        inputTokens: 10,
        outputTokens: 5,
        cacheReadInputTokens: 0,
        cacheCreationInputTokens: 0,
        estimatedCostUsd: 0,
        unpricedCalls: 2,
      },
    ]);
    expect(table.split('\n')[1]).toBe(
      'someone-elses-model  spotlight      2     10       5           0            0  0.00 (2 unpriced)',
    );
  });
});
