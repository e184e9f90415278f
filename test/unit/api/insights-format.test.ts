import { describe, expect, it } from 'vitest';
import { checkRange, checkUserId } from '../../../src/api/arguments.ts';
import {
  parseStoredSpotlight,
  spotlightFromStored,
  topSessionTags,
} from '../../../src/api/insights.ts';
import type { StoredSpotlight } from '../../../src/insights/stored-spotlight.ts';

const stored: StoredSpotlight = {
  userId: 'reader',
  factId: 'session-ended/reader/1',
  text: 'You read about the sea.',
  model: 'offline',
  fallbackFrom: 'claude-haiku-4-5',
  sessionStartedAt: '2024-06-01T10:00:00Z',
  sessionEndedAt: '2024-06-01T12:40:00+02:00',
  createdAt: '2024-06-01T11:15:00.000Z',
};

describe('stored spotlights', () => {
  it('reads every field, times as instants', () => {
    expect(spotlightFromStored(stored)).toEqual({
      text: 'You read about the sea.',
      model: 'offline',
      fallbackFrom: 'claude-haiku-4-5',
      sessionStartedAt: new Date('2024-06-01T10:00:00.000Z'),
      sessionEndedAt: new Date('2024-06-01T10:40:00.000Z'),
      createdAt: new Date('2024-06-01T11:15:00.000Z'),
    });
  });

  it('gives null fallbackFrom when the model wrote it', () => {
    const { fallbackFrom: _, ...byModel } = stored;
    expect(spotlightFromStored(byModel)?.fallbackFrom).toBeNull();
  });

  it('refuses what is not a spotlight', () => {
    expect(parseStoredSpotlight('not json')).toBeNull();
    expect(parseStoredSpotlight('[]')).toBeNull();
    expect(spotlightFromStored({ ...stored, text: 7 })).toBeNull();
    expect(spotlightFromStored({ ...stored, createdAt: 'yesterday' })).toBeNull();
    expect(spotlightFromStored({ ...stored, fallbackFrom: null })).toBeNull();
    expect(spotlightFromStored({ ...stored, sessionEndedAt: undefined })).toBeNull();
  });
});

describe('session top tags', () => {
  it('ranks by count, ties in code point order, up to the limit', () => {
    expect(topSessionTags({ b: 2, a: 2, Z: 2, top: 5, low: 1 }, 4)).toEqual([
      { tag: 'top', count: 5 },
      { tag: 'Z', count: 2 },
      { tag: 'a', count: 2 },
      { tag: 'b', count: 2 },
    ]);
  });

  it('ignores counts that are not positive whole numbers, and anything not an object', () => {
    expect(topSessionTags({ a: 0, b: -1, c: 1.5, d: '3', e: 2 }, 5)).toEqual([
      { tag: 'e', count: 2 },
    ]);
    expect(topSessionTags(null, 5)).toEqual([]);
    expect(topSessionTags(['a'], 5)).toEqual([]);
  });
});

describe('argument checks', () => {
  it('checks a range with its bounds', () => {
    expect(checkRange(1, 1, 100, 'last')).toBe(1);
    expect(checkRange(100, 1, 100, 'last')).toBe(100);
    expect(() => checkRange(0, 1, 100, 'last')).toThrow('last must be from 1 to 100, got 0');
  });

  it('refuses ids that cannot name a reader', () => {
    expect(checkUserId('reader-1:x')).toBe('reader-1:x');
    expect(() => checkUserId('')).toThrow(/^userId must be a reader id/);
    expect(() => checkUserId('a b')).toThrow(/^userId must be a reader id/);
    expect(() => checkUserId('x'.repeat(129))).toThrow(/^userId must be a reader id/);
  });
});
