import { describe, expect, it } from 'vitest';
import { checkLimit } from '../../../src/api/arguments.ts';
import {
  decodeProfile,
  encodeProfile,
  fixedCounts,
  isPossibleUserId,
  type Profile,
} from '../../../src/api/profile.ts';
import { parseRecentEvent } from '../../../src/api/recent-events.ts';

const profile: Profile = {
  id: 'reader:1',
  totalEvents: 2n ** 40n,
  activeDays: 3,
  firstEventAt: new Date('2020-01-01T00:00:00.000Z'),
  lastEventAt: null,
  hourOfDay: Array.from({ length: 24 }, (_, hour) => hour),
  dayOfWeek: [1, 2, 3, 4, 5, 6, 7],
  topTags: [{ tag: 'history', count: 2n ** 35n }],
  topPublications: [{ domain: 'news.example', count: 4n }],
};

describe('the cached profile text', () => {
  it('round-trips a profile, 64-bit counts included', () => {
    const text = encodeProfile(profile);
    expect(text.startsWith('{"v":1,')).toBe(true);
    expect(decodeProfile(text)).toEqual(profile);
  });

  it('reads anything else as no profile', () => {
    expect(decodeProfile('lease:1234')).toBeNull();
    expect(decodeProfile('{"v":2,"id":"x"}')).toBeNull();
    expect(decodeProfile('{"v":1,"id":')).toBeNull();
  });
});

describe('profile helpers', () => {
  it('pads or cuts counts to a fixed length', () => {
    expect(fixedCounts([1, 2], 4)).toEqual([1, 2, 0, 0]);
    expect(fixedCounts([1, 2, 3], 2)).toEqual([1, 2]);
    expect(fixedCounts(null, 3)).toEqual([0, 0, 0]);
  });

  it('knows which ids could name a reader', () => {
    expect(isPossibleUserId('reader-1:x@y.z_')).toBe(true);
    expect(isPossibleUserId('')).toBe(false);
    expect(isPossibleUserId('a b')).toBe(false);
    expect(isPossibleUserId('x'.repeat(129))).toBe(false);
  });

  it('checks limits against their range', () => {
    expect(checkLimit(0, 100)).toBe(0);
    expect(checkLimit(100, 100)).toBe(100);
    expect(() => checkLimit(101, 100)).toThrow('limit must be from 0 to 100, got 101');
  });
});

describe('recent event members', () => {
  it('reads the stream layer JSON, absent optional fields as null', () => {
    const member = JSON.stringify({
      event_id: 'e1',
      timestamp: '2024-01-01T00:00:00.000Z',
      type: 'read',
      tags: ['a'],
    });
    expect(parseRecentEvent(member)).toEqual({
      eventId: 'e1',
      timestamp: '2024-01-01T00:00:00.000Z',
      type: 'read',
      url: null,
      domain: null,
      title: null,
      tags: ['a'],
    });
  });

  it('refuses members that are not events', () => {
    expect(parseRecentEvent('not json')).toBeNull();
    expect(parseRecentEvent('[1]')).toBeNull();
    expect(parseRecentEvent('{"event_id":"e","type":"read","timestamp":"soon"}')).toBeNull();
  });
});
