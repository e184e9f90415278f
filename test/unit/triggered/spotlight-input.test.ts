import { describe, expect, it } from 'vitest';
import { factIds, type SessionEndedFact } from '../../../src/insights/facts.ts';
import {
  buildSpotlightFacts,
  spotlightTagCandidates,
  streakEndingAt,
} from '../../../src/triggered/spotlight-input.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const END = Date.UTC(2026, 11, 4, 21, 30);
const TODAY = Math.floor(END / DAY);

const fact: SessionEndedFact = {
  id: factIds.sessionEnded('reader-42', END - HOUR),
  kind: 'session-ended',
  userId: 'reader-42',
  occurredAt: END,
  detectedAt: END + 5 * 60_000,
  session: {
    startedAt: END - HOUR,
    endedAt: END,
    events: 10,
    topTags: [
      { tag: 'climate', count: 6 },
      { tag: 'drama', count: 4 },
    ],
    closedBy: 'gap',
  },
};

const empty = { sessions: [], windowTags: [], previousTags: [], hourEvents: [], activeDays: [] };
const everyTag = () => true;

describe('spotlight facts for an ended session', () => {
  it('leads with the session itself, then the stored ones, newest first', () => {
    const earlier = {
      startedAt: END - 2 * DAY,
      endedAt: END - 2 * DAY + HOUR,
      events: 3,
      topTags: [],
    };
    const facts = buildSpotlightFacts(fact, WEEK, { ...empty, sessions: [earlier] }, everyTag);

    expect(facts.windowDays).toBe(7);
    expect(facts.sessions).toEqual([
      { startedAt: END - HOUR, endedAt: END, events: 10, topTags: fact.session.topTags },
      earlier,
    ]);
  });

  it('adds the session to the window tags and the hours, and keeps the previous window apart', () => {
    const facts = buildSpotlightFacts(
      fact,
      WEEK,
      {
        ...empty,
        windowTags: [
          { tag: 'drama', count: 5 },
          { tag: 'poetry', count: 2 },
        ],
        previousTags: [{ tag: 'history', count: 8 }],
        hourEvents: [
          { hour: 20, events: 5 },
          { hour: 7, events: 2 },
        ],
      },
      everyTag,
    );

    expect(facts.topTags).toEqual([
      { tag: 'drama', count: 9 },
      { tag: 'climate', count: 6 },
      { tag: 'poetry', count: 2 },
    ]);
    expect(facts.previousTopTags).toEqual([{ tag: 'history', count: 8 }]);
    expect(facts.hourOfDay?.[20]).toBe(15);
    expect(facts.hourOfDay?.[7]).toBe(2);
    expect(facts.hourOfDay?.reduce((sum, count) => sum + count, 0)).toBe(17);
  });

  it('keeps only the tags enough readers share, in every list', () => {
    const shared = new Set(['drama', 'history']);
    const facts = buildSpotlightFacts(
      fact,
      WEEK,
      {
        ...empty,
        sessions: [
          {
            startedAt: END - 2 * DAY,
            endedAt: END - 2 * DAY + HOUR,
            events: 5,
            topTags: [
              { tag: 'jane-doe', count: 3 },
              { tag: 'drama', count: 2 },
            ],
          },
        ],
        windowTags: [
          { tag: 'drama', count: 2 },
          { tag: 'jane-doe', count: 3 },
        ],
        previousTags: [
          { tag: 'jane-doe', count: 9 },
          { tag: 'history', count: 1 },
        ],
      },
      (tag) => shared.has(tag),
    );

    expect(facts.sessions.map((session) => session.topTags)).toEqual([
      [{ tag: 'drama', count: 4 }],
      [{ tag: 'drama', count: 2 }],
    ]);
    expect(facts.topTags).toEqual([{ tag: 'drama', count: 6 }]);
    expect(facts.previousTopTags).toEqual([{ tag: 'history', count: 1 }]);
  });

  it('asks about a bounded number of tags, the most frequent of each list', () => {
    const many = Array.from({ length: 100 }, (_, index) => ({ tag: `t${index}`, count: index }));
    const candidates = spotlightTagCandidates(fact, {
      ...empty,
      sessions: [{ startedAt: END - DAY, endedAt: END - DAY + HOUR, events: 1, topTags: many }],
      windowTags: many,
      previousTags: many,
    });

    expect(candidates).toHaveLength(32);
    expect(candidates).toEqual(expect.arrayContaining(['climate', 'drama', 't99', 't70']));
    expect(candidates).not.toContain('t69');
  });

  it('says nothing of a previous window it knows nothing about', () => {
    expect(buildSpotlightFacts(fact, WEEK, empty, everyTag)).not.toHaveProperty('previousTopTags');
  });

  it('carries no id of the reader', () => {
    expect(JSON.stringify(buildSpotlightFacts(fact, WEEK, empty, everyTag))).not.toContain(
      'reader-42',
    );
  });

  it('rounds the window to whole days, one at least', () => {
    expect(buildSpotlightFacts(fact, 0, empty, everyTag).windowDays).toBe(1);
    expect(buildSpotlightFacts(fact, 30 * DAY, empty, everyTag).windowDays).toBe(30);
  });
});

describe('the run of active days', () => {
  const session = { startedAt: END - HOUR, endedAt: END };

  it('counts back from the day the session ended until a day without reading', () => {
    expect(streakEndingAt([TODAY - 1, TODAY - 2, TODAY - 4], session)).toBe(3);
  });

  it('counts the session day even before its row is stored', () => {
    expect(streakEndingAt([], session)).toBe(1);
  });

  it('counts every day a session spans', () => {
    const overnight = { startedAt: END - 2 * DAY, endedAt: END };
    expect(streakEndingAt([TODAY - 3], overnight)).toBe(4);
  });
});
