/**
 * Picks the narrator for this deployment: Anthropic when an API key is configured, otherwise
 * the offline narrator, which needs nothing and calls nowhere.
 */
import type { Logger } from '../logger.ts';
import { AnthropicNarrator } from './anthropic-narrator.ts';
import type { CostLedger } from './cost-ledger.ts';
import type { LlmConfig } from './llm-config.ts';
import type { Narrator } from './narrator.ts';
import { OfflineNarrator } from './offline-narrator.ts';

/** The narrator the configuration asks for. */
export function createNarrator(
  config: LlmConfig,
  options: { ledger?: CostLedger; log?: Logger } = {},
): Narrator {
  if (!config.apiKey) return new OfflineNarrator();
  return new AnthropicNarrator({ config, ...options });
}
