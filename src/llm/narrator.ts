/**
 * The one interface every narrator implements, whether it asks a language model or writes from
 * the numbers itself.
 */
import type { SpotlightFacts } from './spotlight-facts.ts';

/** What kind of text a narration is; also the job kind in the cost ledger. */
export type NarrationKind = 'spotlight';

/**
 * Triggered work answers a reader who is waiting and uses the fast model; scheduled work runs in
 * the background and uses the quality model.
 */
export type NarrationWork = 'triggered' | 'scheduled';

/** Why a narration came from the offline narrator instead of the model asked for. */
export type FallbackReason =
  | 'timeout'
  | 'rate-limited'
  | 'overloaded'
  | 'server-error'
  | 'connection'
  | 'rejected'
  | 'invalid-output';

/** A finished narration and who wrote it. */
export interface Narration {
  text: string;
  /** The model that wrote the text, or 'offline'. */
  model: string;
  /** The model that was asked first, when the offline narrator had to step in. */
  fallbackFrom?: string;
  reason?: FallbackReason;
}

export interface NarrateOptions {
  /** 'triggered' unless given. */
  work?: NarrationWork;
}

export interface Narrator {
  /** A short paragraph about a reader's recent sessions; never empty, never throws for bad luck. */
  spotlight(facts: SpotlightFacts, options?: NarrateOptions): Promise<Narration>;
}

/** The model name recorded for text the offline narrator wrote. */
export const OFFLINE_MODEL = 'offline';
