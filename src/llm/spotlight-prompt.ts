/**
 * The spotlight prompt. The system part never changes, so it is sent with a cache marker; the
 * user part is the summary as JSON, numbers and scrubbed tags only.
 *
 * The API caches a prefix only from a model-dependent size on (4,096 tokens for Claude Haiku 4.5,
 * 1,024 for Sonnet 4.5), and these instructions are some 300 tokens, so today the marker changes
 * nothing and each call pays the full input price. Padding them to the threshold would cost more
 * than it saves: a cached read of 4,096 tokens is billed like some 410 uncached ones. The marker
 * stays so that longer stable prompts (scheduled work with the quality model) are cached as
 * soon as they pass the threshold, which the cost ledger's cache columns show.
 */
import type { SpotlightSummary } from './spotlight-facts.ts';

/** Instructions for every spotlight; keep it stable, since any edit starts a new cache entry. */
export const SPOTLIGHT_SYSTEM_PROMPT = [
  'You write the "spotlight" of a reading app: one short paragraph, addressed to the reader as',
  '"you", about their recent reading.',
  'You receive only numbers and topic tags as JSON. Fields: windowDays (length of the period),',
  'sessions, events, minutes, longestSessionMinutes, topTags (topic and count, most frequent',
  'first), leadShare (share of the first topic), newTags (topics new this period), fadingTags',
  '(topics that dropped away), dayPart (when most reading happened, if any), streakDays',
  '(consecutive days with reading).',
  'Lead with the strongest signal: a streak of three days or more, a new interest, one dominant',
  'topic, or else the spread of topics. Mention at most three other facts.',
  'Write two to four plain sentences, under 90 words, warm but not gushing. No greeting, no',
  'headings, no lists, no markdown, no emoji, no quotation marks around the paragraph.',
  'Use only the facts given: invent no titles, names, places or numbers. Spell out counts up to',
  'twelve and make plurals agree.',
].join(' ');

/** The user message for one spotlight. */
export function spotlightUserMessage(summary: SpotlightSummary): string {
  return JSON.stringify({
    windowDays: summary.windowDays,
    sessions: summary.sessions,
    events: summary.events,
    minutes: summary.minutes,
    longestSessionMinutes: summary.longestSessionMinutes,
    topTags: summary.topTags,
    leadShare: Math.round(summary.leadShare * 100) / 100,
    newTags: summary.newTags,
    fadingTags: summary.fadingTags,
    dayPart: summary.dayPart ?? null,
    streakDays: summary.streakDays,
  });
}
