/** The English helpers behind the offline narrations. */
import { describe, expect, it } from 'vitest';
import {
  durationPhrase,
  joinList,
  plural,
  tagLabel,
  windowPhrase,
} from '../../../src/llm/english.ts';

describe('English for narrations', () => {
  it('joins lists the way people write them', () => {
    expect(joinList([])).toBe('');
    expect(joinList(['drama'])).toBe('drama');
    expect(joinList(['drama', 'comedy'])).toBe('drama and comedy');
    expect(joinList(['drama', 'comedy', 'romance'])).toBe('drama, comedy and romance');
  });

  it('agrees plurals and spells small counts', () => {
    expect(plural(0, 'session')).toBe('no sessions');
    expect(plural(1, 'session')).toBe('one session');
    expect(plural(12, 'day')).toBe('twelve days');
    expect(plural(1500, 'event')).toBe('1,500 events');
    expect(plural(2, 'story', 'stories')).toBe('two stories');
  });

  it('says durations, windows and tags in words', () => {
    expect(durationPhrase(0.4)).toBe('under a minute');
    expect(durationPhrase(1)).toBe('one minute');
    expect(durationPhrase(40)).toBe('40 minutes');
    expect(durationPhrase(62)).toBe('about an hour');
    expect(durationPhrase(95)).toBe('about an hour and a half');
    expect(durationPhrase(150)).toBe('about two and a half hours');
    expect(windowPhrase(7)).toBe('this week');
    expect(windowPhrase(10)).toBe('over the last ten days');
    expect(tagLabel('film-noir')).toBe('film noir');
    expect(tagLabel('sci-fi')).toBe('sci-fi');
  });
});
