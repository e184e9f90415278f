import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from '../../../src/events/contract.ts';
import { foldEvents } from '../../../src/stream/fold.ts';

const at = (iso: string, userId = 'u1', tags: string[] = [], domain?: string): AcceptedEvent => ({
  eventId: `${userId}-${iso}`,
  userId,
  time: Date.parse(iso),
  type: 'read',
  tags,
  domain,
});

describe('folding a batch', () => {
  it('counts per user, day, hour, weekday, tag, domain and month in UTC', () => {
    const users = foldEvents([
      // 2024-01-01 was a Monday.
      at('2024-01-01T23:30:00Z', 'u1', ['a', 'b'], 'x.com'),
      at('2024-01-02T00:10:00Z', 'u1', ['a'], 'x.com'),
      at('2024-01-31T12:00:00Z', 'u1', [], 'y.com'),
      at('2024-02-04T12:00:00Z', 'u1', ['b']),
      at('2024-01-01T08:00:00Z', 'u2', ['a']),
    ]);

    const u1 = users.get('u1')!;
    expect(u1.events).toBe(4);
    expect(new Date(u1.first).toISOString()).toBe('2024-01-01T23:30:00.000Z');
    expect(new Date(u1.last).toISOString()).toBe('2024-02-04T12:00:00.000Z');
    expect(u1.hours[23]).toBe(1);
    expect(u1.hours[0]).toBe(1);
    expect(u1.hours[12]).toBe(2);
    expect(u1.weekdays).toEqual([1, 1, 1, 0, 0, 0, 1]);
    expect([...u1.days]).toEqual([
      ['2024-01-01', 1],
      ['2024-01-02', 1],
      ['2024-01-31', 1],
      ['2024-02-04', 1],
    ]);
    expect(u1.tags.get('a')).toEqual({
      count: 2,
      first: Date.parse('2024-01-01T23:30:00Z'),
      last: Date.parse('2024-01-02T00:10:00Z'),
    });
    expect(u1.domains.get('x.com')?.count).toBe(2);
    expect(u1.domains.get('y.com')?.count).toBe(1);

    const january = u1.months.get('2024-01-01')!;
    expect(january.events).toBe(3);
    expect(Object.fromEntries(january.tags)).toEqual({ a: 2, b: 1 });
    expect(Object.fromEntries(january.domains)).toEqual({ 'x.com': 2, 'y.com': 1 });
    expect(u1.months.get('2024-02-01')!.events).toBe(1);

    expect(users.get('u2')!.events).toBe(1);
    expect(users.get('u2')!.fresh).toHaveLength(1);
  });
});

describe('calendar arithmetic', () => {
  it('agrees with Date on hour, Monday-first weekday, day and month for any time', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const events = Array.from({ length: 2000 }, (_, i) =>
      at(
        new Date(Date.UTC(1990, 0, 1) + Math.floor(random() * 40 * 365 * 86_400_000)).toISOString(),
        `u${i}`,
      ),
    );
    const users = foldEvents(events);

    for (const event of events) {
      const date = new Date(event.time);
      const delta = users.get(event.userId)!;
      expect(delta.hours.indexOf(1)).toBe(date.getUTCHours());
      expect(delta.weekdays.indexOf(1)).toBe((date.getUTCDay() + 6) % 7);
      expect([...delta.days.keys()]).toEqual([date.toISOString().slice(0, 10)]);
      expect([...delta.months.keys()]).toEqual([`${date.toISOString().slice(0, 7)}-01`]);
    }
  });
});
