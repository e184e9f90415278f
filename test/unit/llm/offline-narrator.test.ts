/**
 * The offline spotlight: the same facts give the same text, different facts give differently
 * built texts, the English agrees with the numbers, and nothing personal gets through.
 */
import { describe, expect, it } from 'vitest';
import { OfflineNarrator, writeSpotlight } from '../../../src/llm/offline-narrator.ts';
import type { SpotlightFacts } from '../../../src/llm/spotlight-facts.ts';
import { eveningFacts, reader, session } from './fixtures.ts';

const streakFacts: SpotlightFacts = {
  windowDays: 7,
  sessions: [session(0, 8, 10, 3), session(1, 8, 70, 20), session(2, 9, 5, 2), session(3, 9, 5, 2)],
  topTags: [
    { tag: 'documentary', count: 30 },
    { tag: 'war', count: 3 },
  ],
  streakDays: 4,
};

const newInterestFacts: SpotlightFacts = {
  windowDays: 7,
  sessions: [session(1, 23, 20, 6), session(3, 1, 35, 9)],
  topTags: [
    { tag: 'sci-fi', count: 8 },
    { tag: 'drama', count: 6 },
    { tag: 'thriller', count: 2 },
  ],
  previousTopTags: [
    { tag: 'drama', count: 9 },
    { tag: 'thriller', count: 5 },
    { tag: 'film-noir', count: 4 },
  ],
  hourOfDay: Array.from({ length: 24 }, (_, hour) => (hour >= 22 || hour < 3 ? 5 : 0)),
};

const dominantFacts: SpotlightFacts = {
  windowDays: 30,
  sessions: [session(0, 14, 12, 4)],
  topTags: [
    { tag: 'horror', count: 9 },
    { tag: 'comedy', count: 1 },
  ],
};

describe('the offline spotlight', () => {
  it('is the same text for the same facts', async () => {
    const first = await new OfflineNarrator().spotlight(eveningFacts);
    const copy = structuredClone(eveningFacts);

    expect(await new OfflineNarrator().spotlight(copy)).toEqual(first);
    expect(first.model).toBe('offline');
  });

  it('leads with the strongest signal, so different facts read differently', () => {
    expect(writeSpotlight(eveningFacts)).toBe(
      "This week you've been exploring drama, comedy and romance, over three sessions and about " +
        'two hours. Most of it happened in the evening. Your longest sitting ran 50 minutes.',
    );
    expect(writeSpotlight(streakFacts)).toBe(
      "You've read something every day for four days running, mostly documentary and war. That " +
        'came to four sessions and about an hour and a half in all. Your longest sitting ran ' +
        'about an hour.',
    );
    expect(writeSpotlight(newInterestFacts)).toBe(
      'Sci-fi is new to your reading this week, alongside your usual drama and thriller. That ' +
        'came to two sessions and about an hour in all. Most of it happened late at night. Film ' +
        'noir has gone quiet since the week before.',
    );
    expect(writeSpotlight(dominantFacts)).toBe(
      'Horror had most of your attention this month, well ahead of comedy. It all happened in ' +
        'one sitting of twelve minutes.',
    );

    const openings = [eveningFacts, streakFacts, newInterestFacts, dominantFacts].map((facts) =>
      writeSpotlight(facts).split(' ').slice(0, 2).join(' '),
    );
    expect(new Set(openings).size).toBe(4);
  });

  it('makes plurals agree with the counts', () => {
    const one = writeSpotlight({ windowDays: 7, sessions: [session(0, 10, 1, 1)], topTags: [] });
    const two = writeSpotlight({
      windowDays: 7,
      sessions: [session(0, 10, 1, 1), session(1, 10, 1, 1)],
      topTags: [],
    });
    const many = writeSpotlight({
      windowDays: 7,
      sessions: Array.from({ length: 14 }, (_, day) => session(day % 7, 10, 1, 1)),
      topTags: [],
    });

    expect(one).toBe('This week you read in a single sitting of one minute.');
    expect(two).toBe('This week you read in two sessions, two minutes in all.');
    expect(many).toBe('This week you read in 14 sessions, 14 minutes in all.');
    for (const text of [one, two, many])
      expect(text).not.toMatch(/\b(one|1) sessions\b|\b(two|[2-9]) session\b/);
  });

  it('is never empty, whatever the facts', () => {
    const odd: SpotlightFacts[] = [
      { windowDays: 7, sessions: [], topTags: [] },
      { windowDays: 0, sessions: [], topTags: [{ tag: '', count: -1 }] },
      {
        windowDays: 7,
        sessions: [{ startedAt: 10, endedAt: 5, events: 3, topTags: [] }],
        topTags: [],
        hourOfDay: [1, 2, 3],
      },
      { windowDays: 7, sessions: [], topTags: [], previousTopTags: [{ tag: 'horror', count: 2 }] },
    ];

    for (const facts of odd) {
      const text = writeSpotlight(facts);
      expect(text.length).toBeGreaterThan(20);
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
    expect(writeSpotlight(odd[3]!)).toBe(
      'It has been quiet this week, with no reading sessions to speak of. Horror will be there ' +
        'when you are ready.',
    );
  });

  it('lets nothing personal through, even inside tags', () => {
    const text = writeSpotlight(eveningFacts).toLowerCase();

    for (const secret of [reader.id, reader.email, reader.displayName, ...reader.titles]) {
      expect(text).not.toContain(secret.toLowerCase());
    }
    expect(text).not.toMatch(/marguerite|okafor|example|555/);
  });
});
