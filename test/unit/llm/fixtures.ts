/**
 * A reader with everything that must never reach a prompt (id, email, name, titles), and the
 * spotlight facts a caller derives from their sessions: numbers and tags only.
 */
import type { SpotlightFacts } from '../../../src/llm/spotlight-facts.ts';

export const reader = {
  id: 'user-8841-secret',
  email: 'marguerite.okafor@example.com',
  displayName: 'Marguerite Okafor',
  titles: ['The Remains of the Day', 'Portrait of a Lady on Fire'],
};

const HOUR = 3_600_000;
const MONDAY = Date.UTC(2026, 10, 30);

function session(day: number, hour: number, minutes: number, events: number) {
  return {
    startedAt: MONDAY + day * 24 * HOUR + hour * HOUR,
    endedAt: MONDAY + day * 24 * HOUR + hour * HOUR + minutes * 60_000,
    events,
    topTags: [{ tag: 'drama', count: events }],
  };
}

/** An evening reader of drama, comedy and romance, with two tags that must be scrubbed. */
export const eveningFacts: SpotlightFacts = {
  windowDays: 7,
  sessions: [session(0, 20, 40, 12), session(2, 19, 25, 8), session(4, 21, 50, 15)],
  topTags: [
    { tag: 'drama', count: 20 },
    { tag: 'comedy', count: 12 },
    { tag: 'romance', count: 9 },
    { tag: 'marguerite-okafor-at-example-com', count: 30 },
    { tag: 'call-5551234567', count: 25 },
  ],
  previousTopTags: [
    { tag: 'drama', count: 18 },
    { tag: 'comedy', count: 10 },
    { tag: 'romance', count: 4 },
  ],
  hourOfDay: Array.from({ length: 24 }, (_, hour) => (hour >= 18 && hour < 22 ? 10 : 1)),
  streakDays: 1,
};

export { session };
