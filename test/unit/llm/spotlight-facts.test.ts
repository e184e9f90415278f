/** Tags are scrubbed of anything that could reach a reader, and facts reduce to a summary. */
import { describe, expect, it } from 'vitest';
import { scrubTag, summarizeSpotlight } from '../../../src/llm/spotlight-facts.ts';
import { eveningFacts } from './fixtures.ts';

describe('scrubTag', () => {
  it('keeps topic words', () => {
    for (const tag of ['drama', 'sci-fi', 'film-noir', 'imax', 'world-war-2', 'Comedy ']) {
      expect(scrubTag(tag)).toBe(tag.trim().toLowerCase());
    }
  });

  it('drops emails, URLs, domains, phone numbers and long digit runs', () => {
    for (const tag of [
      'jane@example.com',
      'jane-at-example-com',
      'https-example-com-page',
      'www-example-org',
      'movielens-org',
      'call-555-123-4567',
      'user-1234567',
      'no spaces please',
      'x'.repeat(41),
      '',
    ]) {
      expect(scrubTag(tag)).toBeUndefined();
    }
  });
});

describe('scrubTag on contact details and handles', () => {
  it('drops an address spelled out in words', () => {
    for (const tag of [
      'jane-doe-at-proton-dot-me',
      'jdoe-at-example-dot-org',
      'jane-at-gmail',
      'proton-dot-me',
      'example-dot-com',
    ]) {
      expect(scrubTag(tag), tag).toBeUndefined();
    }
  });

  it('drops a mail provider followed by a country-like ending', () => {
    for (const tag of ['jdoe-gmail-ch', 'jane-hotmail-fr', 'jdoe-yahoo-es', 'x-outlook-be']) {
      expect(scrubTag(tag), tag).toBeUndefined();
    }
  });

  it('drops handles that mix letters and digits', () => {
    for (const tag of ['user-474', 'reader-1234', 'jdoe85', 'j4ne-doe', 'member-0042']) {
      expect(scrubTag(tag), tag).toBeUndefined();
    }
  });

  it('keeps topics that only look a little like them', () => {
    for (const tag of [
      'world-war-2',
      'apollo-11',
      'route-66',
      '1984',
      'euro-2024',
      'class-of-1999',
      'polka-dot',
      'at-home',
      'gmail-tips',
      'cats',
      'dot-matrix',
    ]) {
      expect(scrubTag(tag), tag).toBe(tag);
    }
  });
});

describe('summarizeSpotlight', () => {
  it('counts sessions, minutes and tags, and finds the evening habit', () => {
    expect(summarizeSpotlight(eveningFacts)).toEqual({
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
      leadShare: 20 / 41,
      newTags: [],
      fadingTags: [],
      dayPart: 'evening',
      streakDays: 1,
    });
  });
});
