import { describe, expect, it } from 'vitest';
import { decodeEvent, MAX_EVENT_BYTES, normalizeTag } from '../../../src/events/contract.ts';

const now = Date.UTC(2026, 11, 4);
const event = {
  event_id: 'e-1',
  user_id: 'reader-1',
  timestamp: '2024-03-10T22:15:00+02:00',
  type: 'read',
  url: 'https://example.com/a',
  domain: 'News.Example.com',
  title: 'A title',
  tags: ['Climate  Change', 'climate change', 'Politics'],
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the event contract', () => {
  it('accepts a valid event, normalising tags, domain and time', () => {
    const decoded = decodeEvent(encode(event), now, 'reader-1');
    expect(decoded).toEqual({
      ok: true,
      event: {
        eventId: 'e-1',
        userId: 'reader-1',
        time: Date.UTC(2024, 2, 10, 20, 15),
        type: 'read',
        url: 'https://example.com/a',
        domain: 'news.example.com',
        title: 'A title',
        tags: ['climate-change', 'politics'],
      },
    });
  });

  it('accepts the minimal event and schema_version 1', () => {
    const minimal = {
      event_id: 'e',
      user_id: 'u',
      timestamp: '2020-01-01T00:00:00Z',
      type: 'view',
    };
    expect(decodeEvent(encode(minimal), now).ok).toBe(true);
    expect(decodeEvent(encode({ ...minimal, schema_version: 1 }), now).ok).toBe(true);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'INVALID_JSON'],
    ['broken JSON', Buffer.from('{"a":'), 'INVALID_JSON'],
    ['null', Buffer.from('null'), 'NOT_AN_OBJECT'],
    ['a number', Buffer.from('42'), 'NOT_AN_OBJECT'],
    ['missing type', encode({ ...event, type: undefined }), 'MISSING_FIELD'],
    ['numeric event_id', encode({ ...event, event_id: 12 }), 'WRONG_TYPE'],
    ['extra field', encode({ ...event, name: 'Ann' }), 'UNKNOWN_FIELD'],
    ['version 2', encode({ ...event, schema_version: 2 }), 'UNSUPPORTED_VERSION'],
    ['1989', encode({ ...event, timestamp: '1989-12-31T23:59:59Z' }), 'ABSURD_TIMESTAMP'],
    ['two days ahead', encode({ ...event, timestamp: '2026-12-06T00:00:01Z' }), 'ABSURD_TIMESTAMP'],
    ['31 April', encode({ ...event, timestamp: '2024-04-31T10:00:00Z' }), 'INVALID_TIMESTAMP'],
    ['seconds as number', encode({ ...event, timestamp: 1700000000 }), 'WRONG_TYPE'],
    ['spaces in user_id', encode({ ...event, user_id: 'a b' }), 'INVALID_VALUE'],
    ['empty tag', encode({ ...event, tags: [''] }), 'INVALID_VALUE'],
    ['ftp url', encode({ ...event, url: 'ftp://example.com' }), 'INVALID_VALUE'],
    ['upper-case type', encode({ ...event, type: 'Read' }), 'INVALID_VALUE'],
    ['an email as user_id', encode({ ...event, user_id: 'ann@example.com' }), 'INVALID_VALUE'],
    ['a NUL in a tag', encode({ ...event, tags: ['a\u0000b'] }), 'INVALID_VALUE'],
    ['a control character in the title', encode({ ...event, title: 'a\u0007' }), 'INVALID_VALUE'],
    [
      'an unpaired surrogate',
      Buffer.from(JSON.stringify(event).replace('"Politics"', '"x\\ud800"')),
      'INVALID_VALUE',
    ],
  ])('refuses %s', (_, value, code) => {
    const decoded = decodeEvent(value, now, 'reader-1');
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.code).toBe(code);
      expect(decoded.reason.length).toBeGreaterThan(5);
    }
  });

  it('refuses a message over the size limit before parsing it', () => {
    const big = Buffer.from(JSON.stringify(event) + ' '.repeat(MAX_EVENT_BYTES));
    const decoded = decodeEvent(big, now);
    expect(decoded).toMatchObject({ ok: false, code: 'OVERSIZE' });
  });

  it('refuses a message keyed by another user', () => {
    expect(decodeEvent(encode(event), now, 'reader-2')).toMatchObject({ code: 'KEY_MISMATCH' });
    expect(decodeEvent(encode(event), now, null)).toMatchObject({ code: 'KEY_MISMATCH' });
  });

  it('normalises tags to lower case with hyphens', () => {
    expect(normalizeTag('  Science   Fiction ')).toBe('science-fiction');
    expect(normalizeTag('Sci-Fi')).toBe('sci-fi');
  });
});
