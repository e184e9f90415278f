import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from '../../../src/events/contract.ts';
import { foldEvents } from '../../../src/stream/fold.ts';
import { newestOf } from '../../../src/stream/hot-state.ts';

const event = (eventId: string, iso: string): AcceptedEvent => ({
  eventId,
  userId: 'u1',
  time: Date.parse(iso),
  type: 'read',
  tags: [],
});

describe('the newest events of a batch', () => {
  it('are newest first, events of the same time in reverse arrival order, at most 50', () => {
    const events = [
      event('a', '2024-01-01T10:00:00Z'),
      event('b', '2024-01-01T10:00:00Z'),
      event('c', '2024-01-01T09:00:00Z'),
      event('d', '2024-01-01T10:00:00Z'),
    ];
    const delta = foldEvents(events).get('u1')!;
    const ids = newestOf(delta).map(
      ({ json }) => (JSON.parse(json) as { event_id: string }).event_id,
    );
    // Turned oldest first for the live feed, this reads c, a, b, d: arrival order within a time.
    expect(ids).toEqual(['d', 'b', 'a', 'c']);

    const many = Array.from({ length: 60 }, (_, n) =>
      event(`e${n}`, new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString()),
    );
    const newest = newestOf(foldEvents(many).get('u1')!);
    expect(newest).toHaveLength(50);
    expect(newest[0]!.time).toBe(Date.UTC(2024, 0, 1, 0, 59));
  });
});
