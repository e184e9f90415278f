/**
 * The narrator that asks Anthropic's Messages API, with the offline narrator behind it.
 *
 * The SDK's own retries are off (maxRetries 0) so that one bounded loop here decides: a
 * timeout, a lost connection, a 429 or a 5xx (529 is "overloaded") is tried again after the
 * server's retry-after, or a doubling backoff when it sends none, up to `maxAttempts` tries. A
 * retry-after longer than `maxRetryDelayMs` ends the loop at once: a reader waiting on a
 * triggered spotlight is better served offline than after a long wait. Any other refusal (a bad
 * key, a bad request) is not retried. Whatever ends the loop, the offline narrator writes the
 * text and the result says which model failed and why.
 *
 * Each narration adds one row to the cost ledger, with the tokens of every response received;
 * a failed ledger write is logged and does not cost the reader the narration.
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from '@anthropic-ai/sdk';
import { AlmanacError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { CostLedger } from './cost-ledger.ts';
import type { LlmConfig } from './llm-config.ts';
import { cleanNarration } from './narration-output.ts';
import {
  OFFLINE_MODEL,
  type FallbackReason,
  type NarrateOptions,
  type Narration,
  type NarrationKind,
  type Narrator,
} from './narrator.ts';
import { OfflineNarrator } from './offline-narrator.ts';
import { estimateCostUsd, type TokenUsage } from './prices.ts';
import { SPOTLIGHT_SYSTEM_PROMPT, spotlightUserMessage } from './spotlight-prompt.ts';
import { summarizeSpotlight, type SpotlightFacts } from './spotlight-facts.ts';

/** The most output a spotlight may use; a few sentences need far fewer. */
export const SPOTLIGHT_MAX_TOKENS = 200;

/** Tries of a cost-ledger write before the record is given up (and logged as lost). */
const LEDGER_ATTEMPTS = 5;

/** The first backoff when the server names no retry-after; it doubles with each try. */
const BASE_BACKOFF_MS = 500;

export interface AnthropicNarratorOptions {
  /** Settings from loadLlmConfig(); `apiKey` must be set. */
  config: LlmConfig;
  ledger?: CostLedger;
  log?: Logger;
  /** Waits between tries; tests pass one that records the delay and returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Writes the text when the model cannot; the offline narrator unless given. */
  fallback?: Narrator;
}

interface Failure {
  reason: FallbackReason;
  retriable: boolean;
  /** What the server asked for, in ms, when it said. */
  retryAfterMs: number | undefined;
  status: number | undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The retry-after the server sent, in ms: `retry-after-ms`, or `retry-after` as seconds or a date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const millis = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(millis) && millis >= 0) return millis;

  const raw = headers?.get('retry-after');
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function classify(error: unknown): Failure {
  if (error instanceof APIConnectionTimeoutError) {
    return { reason: 'timeout', retriable: true, retryAfterMs: undefined, status: undefined };
  }
  if (error instanceof APIConnectionError) {
    return { reason: 'connection', retriable: true, retryAfterMs: undefined, status: undefined };
  }
  if (error instanceof APIError) {
    const status = error.status;
    const retryAfter = retryAfterMs(error.headers);
    if (status === 429)
      return { reason: 'rate-limited', retriable: true, retryAfterMs: retryAfter, status };
    if (status === 529)
      return { reason: 'overloaded', retriable: true, retryAfterMs: retryAfter, status };
    if (status === 408)
      return { reason: 'timeout', retriable: true, retryAfterMs: retryAfter, status };
    if (status !== undefined && status >= 500) {
      return { reason: 'server-error', retriable: true, retryAfterMs: retryAfter, status };
    }
    return { reason: 'rejected', retriable: false, retryAfterMs: undefined, status };
  }
  throw error;
}

/** Narrates through Anthropic, falling back to the offline narrator after the last try. */
export class AnthropicNarrator implements Narrator {
  private readonly client: Anthropic;
  private readonly config: LlmConfig;
  private readonly ledger: CostLedger | undefined;
  private readonly log: Logger;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fallback: Narrator;

  constructor(options: AnthropicNarratorOptions) {
    if (!options.config.apiKey) {
      throw new AlmanacError('CONFIG_INVALID', 'the Anthropic narrator needs ANTHROPIC_API_KEY', {
        hint: 'Set ANTHROPIC_API_KEY, or use createNarrator(), which writes offline without one',
      });
    }
    this.config = options.config;
    this.ledger = options.ledger;
    this.log = options.log ?? createLogger('llm');
    this.sleep = options.sleep ?? defaultSleep;
    this.fallback = options.fallback ?? new OfflineNarrator();
    this.client = new Anthropic({
      apiKey: options.config.apiKey,
      baseURL: options.config.baseUrl,
      maxRetries: 0,
      timeout: options.config.timeoutMs,
      // Traces would carry prompt metadata to whatever collector is configured; none is wanted.
      openTelemetry: false,
    });
  }

  async spotlight(facts: SpotlightFacts, options: NarrateOptions = {}): Promise<Narration> {
    const model = options.work === 'scheduled' ? this.config.qualityModel : this.config.fastModel;
    const userMessage = spotlightUserMessage(summarizeSpotlight(facts));
    const usage: TokenUsage = {
      inputTokens: 0,
      outputTokens: 0,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
    };

    let attempts = 0;
    let reason: FallbackReason = 'invalid-output';
    while (attempts < this.config.maxAttempts) {
      attempts += 1;
      let response: Anthropic.Message;
      try {
        response = await this.client.messages.create({
          model,
          max_tokens: SPOTLIGHT_MAX_TOKENS,
          system: [
            { type: 'text', text: SPOTLIGHT_SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } },
          ],
          messages: [{ role: 'user', content: userMessage }],
        });
      } catch (error) {
        const failure = classify(error);
        reason = failure.reason;
        const delayMs = failure.retryAfterMs ?? BASE_BACKOFF_MS * 2 ** (attempts - 1);
        const context = { model, attempt: attempts, reason, status: failure.status, delayMs };
        if (!failure.retriable || attempts >= this.config.maxAttempts) {
          this.log.warn('model call failed; writing offline', context);
          break;
        }
        if (delayMs > this.config.maxRetryDelayMs) {
          this.log.warn('model asked for a longer wait than allowed; writing offline', context);
          break;
        }
        this.log.warn('model call failed; retrying', context);
        await this.sleep(delayMs);
        continue;
      }

      addUsage(usage, response.usage);
      const text = response.content
        .flatMap((block) => (block.type === 'text' ? [block.text] : []))
        .join(' ');
      // Text cut off at max_tokens ends mid-sentence; a reader should not see that.
      const cleaned = response.stop_reason === 'max_tokens' ? undefined : cleanNarration(text);
      if (cleaned !== undefined) {
        await this.record('spotlight', { model, attempts, usage, cost: model });
        return { text: cleaned, model };
      }
      this.log.warn('model wrote nothing showable; writing offline', {
        model,
        attempt: attempts,
        stopReason: response.stop_reason,
      });
      reason = 'invalid-output';
      break;
    }

    const offline = await this.fallback.spotlight(facts, options);
    await this.record('spotlight', {
      model: OFFLINE_MODEL,
      fallbackFrom: model,
      attempts,
      usage,
      cost: model,
    });
    return { text: offline.text, model: OFFLINE_MODEL, fallbackFrom: model, reason };
  }

  private async record(
    jobKind: NarrationKind,
    call: {
      model: string;
      fallbackFrom?: string;
      attempts: number;
      usage: TokenUsage;
      /** The model whose prices apply: the one that was asked. */
      cost: string;
    },
  ): Promise<void> {
    if (!this.ledger) return;
    const entry = {
      jobKind,
      model: call.model,
      ...(call.fallbackFrom === undefined ? {} : { fallbackFrom: call.fallbackFrom }),
      attempts: call.attempts,
      ...call.usage,
      estimatedCostUsd: estimateCostUsd(call.cost, call.usage),
    };
    // The call is paid for whatever happens to the ledger: a database blip must not lose the
    // record, so the write is tried a few times (some 4 s in all) before it is given up.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ledger.record(entry);
        return;
      } catch (error) {
        if (attempt >= LEDGER_ATTEMPTS) {
          this.log.error('cost ledger write failed; this call is not recorded', {
            jobKind,
            model: call.model,
            error,
          });
          return;
        }
        await this.sleep(250 * 2 ** (attempt - 1));
      }
    }
  }
}

function addUsage(total: TokenUsage, usage: Anthropic.Usage): void {
  total.inputTokens += usage.input_tokens;
  total.outputTokens += usage.output_tokens;
  total.cacheReadInputTokens += usage.cache_read_input_tokens ?? 0;
  total.cacheCreationInputTokens += usage.cache_creation_input_tokens ?? 0;
}
