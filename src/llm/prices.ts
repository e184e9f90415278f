/**
 * What a call costs, estimated from a price table kept in code. The figures are list prices in
 * US dollars per million tokens as published when this table was written; they are an estimate
 * for watching spend, not an invoice, and a model missing here has no estimate at all.
 * Cache writes are priced at the five-minute rate, 1.25 times input; cache reads at 0.1 times.
 */

export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  cacheWritePerMillion: number;
  cacheReadPerMillion: number;
}

function price(input: number, output: number): ModelPrice {
  return {
    inputPerMillion: input,
    outputPerMillion: output,
    cacheWritePerMillion: input * 1.25,
    cacheReadPerMillion: input * 0.1,
  };
}

/** List prices by model name. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-haiku-4-5': price(1, 5),
  'claude-sonnet-4-5': price(3, 15),
  'claude-opus-4-5': price(5, 25),
};

/** Token counts as the Messages API reports them; input excludes cache reads and writes. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
}

/**
 * The estimated cost in US dollars, rounded to eight decimals, or undefined for a model without
 * a price. A dated model name ("claude-haiku-4-5-20251001") is priced as its alias.
 */
export function estimateCostUsd(model: string, usage: TokenUsage): number | undefined {
  const prices = MODEL_PRICES[model] ?? MODEL_PRICES[model.replace(/-\d{8}$/, '')];
  if (!prices) return undefined;

  const perMillion =
    usage.inputTokens * prices.inputPerMillion +
    usage.outputTokens * prices.outputPerMillion +
    usage.cacheCreationInputTokens * prices.cacheWritePerMillion +
    usage.cacheReadInputTokens * prices.cacheReadPerMillion;
  return Number((perMillion / 1_000_000).toFixed(8));
}
