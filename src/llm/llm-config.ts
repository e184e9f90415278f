/**
 * The language-model settings, read from the environment once. Without ANTHROPIC_API_KEY every
 * narration is written offline, so a fresh checkout never calls out.
 */
import { readInteger, readText, type Env } from '../config/env.ts';
import { AlmanacError } from '../errors.ts';

export interface LlmConfig {
  /** The Anthropic key; undefined means the offline narrator writes everything. */
  apiKey: string | undefined;
  /** Where the API lives; undefined lets the SDK use its own default. */
  baseUrl: string | undefined;
  /** The model for triggered work, where a reader is waiting. */
  fastModel: string;
  /** The model for scheduled work, where quality matters more than latency. */
  qualityModel: string;
  /** How long one request may take before it counts as failed. */
  timeoutMs: number;
  /** Tries per narration, the first included, before the offline narrator takes over. */
  maxAttempts: number;
  /** The longest wait between tries; a longer retry-after ends the retries at once. */
  maxRetryDelayMs: number;
  /**
   * A tag goes into a narration's input only when at least this many readers have it: fewer,
   * and it may be personal (a name, a handle) rather than a topic.
   */
  minTagReaders: number;
}

/** Reads and validates the language-model settings; throws an AlmanacError naming a bad one. */
export function loadLlmConfig(env: Env = process.env): LlmConfig {
  const baseUrl = readText(env, 'ANTHROPIC_BASE_URL');
  if (baseUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(baseUrl)) {
    throw new AlmanacError('CONFIG_INVALID', 'ANTHROPIC_BASE_URL must be an http(s) URL');
  }

  return {
    apiKey: readText(env, 'ANTHROPIC_API_KEY'),
    baseUrl,
    fastModel: readText(env, 'ALMANAC_FAST_MODEL') ?? 'claude-haiku-4-5',
    qualityModel: readText(env, 'ALMANAC_QUALITY_MODEL') ?? 'claude-sonnet-4-5',
    timeoutMs: readInteger(env, 'ALMANAC_LLM_TIMEOUT_MS', 15_000, 100, 600_000),
    maxAttempts: readInteger(env, 'ALMANAC_LLM_MAX_ATTEMPTS', 3, 1, 10),
    maxRetryDelayMs: readInteger(env, 'ALMANAC_LLM_MAX_RETRY_DELAY_MS', 20_000, 0, 600_000),
    minTagReaders: readInteger(env, 'ALMANAC_LLM_MIN_TAG_READERS', 5, 1, 10_000),
  };
}
