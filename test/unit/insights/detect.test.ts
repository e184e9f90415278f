import { describe, expect, it } from 'vitest';
import type { AcceptedEvent } from '../../../src/events/contract.ts';
import {
  anniversary,
  DEFAULT_INSIGHT_SETTINGS,
  detectUserInsights,
  EMPTY_STATE,
  type TagStatus,
  type UserInsightState,
} from '../../../src/insights/detect.ts';

let sequence = 0;
const at = (iso: string, tags: string[] = []): AcceptedEvent => ({
  eventId: `e${sequence++}`,
  userId: 'u1',
  time: Date.parse(iso),
  type: 'read',
  tags,
});
const settings = DEFAULT_INSIGHT_SETTINGS;
const none = new Map<string, TagStatus>();

/** Runs batches one after the other, carrying the state as the store would. */
function run(batches: AcceptedEvent[][], statuses: Map<string, TagStatus> = none) {
  let state: UserInsightState = EMPTY_STATE;
  const tags = new Map(statuses);
  const outcomes = [];
  for (const events of batches) {
    const outcome = detectUserInsights(state, events, tags, settings);
    for (const trial of outcome.trials) {
      tags.set(trial.tag, { kind: 'trial', firstSeenAt: trial.firstSeenAt, events: trial.events });
    }
    for (const event of events) {
      for (const tag of event.tags) {
        if (tags.get(tag)?.kind === 'new') tags.set(tag, { kind: 'settled' });
      }
    }
    for (const interest of outcome.interests) tags.set(interest.tag, { kind: 'settled' });
    for (const tag of outcome.endedTrials) tags.set(tag, { kind: 'settled' });
    state = outcome.state;
    outcomes.push(outcome);
  }
  return { state, outcomes };
}

describe('sessions in event time', () => {
  it('closes a session at the first gap over the idle limit, not at one of exactly the limit', () => {
    const { state, outcomes } = run([
      [at('2024-01-01T10:00:00Z', ['a']), at('2024-01-01T10:30:00Z', ['a', 'b'])],
      [at('2024-01-01T11:00:01Z', ['c'])],
    ]);
    expect(outcomes[0]!.closedSessions).toEqual([]);
    expect(outcomes[1]!.closedSessions).toEqual([
      {
        startedAt: Date.parse('2024-01-01T10:00:00Z'),
        lastEventAt: Date.parse('2024-01-01T10:30:00Z'),
        events: 2,
        tagCounts: new Map([
          ['a', 2],
          ['b', 1],
        ]),
        closedBy: 'gap',
      },
    ]);
    expect(state.session).toMatchObject({
      startedAt: Date.parse('2024-01-01T11:00:01Z'),
      events: 1,
    });
  });

  it('orders a batch by event time before sessionising it', () => {
    const { outcomes } = run([
      [
        at('2024-01-01T12:00:00Z'),
        at('2024-01-01T10:00:00Z'),
        at('2024-01-01T10:10:00Z'),
        at('2024-01-01T12:05:00Z'),
      ],
    ]);
    expect(outcomes[0]!.closedSessions.map((session) => session.events)).toEqual([2]);
    expect(outcomes[0]!.state.session?.events).toBe(2);
  });

  it('sets aside history older than the open session by more than the idle limit', () => {
    const { outcomes } = run([[at('2024-01-02T10:00:00Z')], [at('2024-01-01T10:00:00Z')]]);
    expect(outcomes[1]!.lateEvents).toHaveLength(1);
    expect(outcomes[1]!.closedSessions).toEqual([]);
    expect(outcomes[1]!.state.session?.events).toBe(1);
  });
});

describe('events out of time', () => {
  it('takes an event stamped after now as happening now', () => {
    const now = Date.parse('2024-01-01T10:00:00Z');
    const outcome = detectUserInsights(
      EMPTY_STATE,
      [at('2024-01-02T08:00:00Z'), at('2024-01-01T09:59:00Z')],
      none,
      settings,
      now,
    );
    expect(outcome.state.session).toMatchObject({ lastEventAt: now, events: 2 });
    expect(outcome.lateEvents).toEqual([]);
  });

  it('sets aside an event within the idle limit of a session already closed, when none is open', () => {
    const closedAt = Date.parse('2024-01-01T10:00:00Z');
    const prior = { ...EMPTY_STATE, lastSessionEndedAt: closedAt, totalEvents: 3 };
    const late = detectUserInsights(prior, [at('2024-01-01T10:20:00Z')], none, settings);
    expect(late.lateEvents).toHaveLength(1);
    expect(late.state.session).toBeNull();
    expect(late.state.lastSessionEndedAt).toBe(Date.parse('2024-01-01T10:20:00Z'));

    const fresh = detectUserInsights(prior, [at('2024-01-01T10:31:00Z')], none, settings);
    expect(fresh.lateEvents).toEqual([]);
    expect(fresh.state.session?.events).toBe(1);
  });

  it('starts a trial earlier for a late event and never has an interest emerge before it began', () => {
    const status = new Map<string, TagStatus>([
      ['chess', { kind: 'trial', firstSeenAt: Date.parse('2024-03-11T00:00:00Z'), events: 2 }],
    ]);
    const outcome = detectUserInsights(
      { ...EMPTY_STATE, totalEvents: 2 },
      [at('2024-03-01T00:00:00Z', ['chess'])],
      status,
      settings,
    );
    expect(outcome.interests).toEqual([
      {
        tag: 'chess',
        firstSeenAt: Date.parse('2024-03-01T00:00:00Z'),
        emergedAt: Date.parse('2024-03-11T00:00:00Z'),
        events: 3,
      },
    ]);
  });
});

describe('milestones', () => {
  it('marks the 100th and 500th event at their event times, once', () => {
    const start = Date.parse('2024-01-01T00:00:00Z');
    const events = Array.from({ length: 600 }, (_, i) =>
      at(new Date(start + i * 60_000).toISOString()),
    );
    const { outcomes } = run([events.slice(0, 99), events.slice(99, 450), events.slice(450)]);
    const codes = outcomes.map((outcome) =>
      outcome.achievements.filter((a) => a.kind === 'events').map((a) => [a.code, a.reachedAt]),
    );
    expect(codes).toEqual([
      [],
      [['events-100', start + 99 * 60_000]],
      [['events-500', start + 499 * 60_000]],
    ]);
  });

  it('marks each anniversary of the first event when the reader is seen after it', () => {
    const { outcomes } = run([
      [at('2020-02-29T08:00:00Z')],
      [at('2021-02-28T08:00:00Z')],
      [at('2023-06-01T08:00:00Z')],
    ]);
    expect(outcomes[1]!.achievements).toEqual([]);
    expect(outcomes[2]!.achievements).toEqual([
      {
        code: 'anniversary-1',
        kind: 'anniversary',
        threshold: 1,
        reachedAt: Date.parse('2021-03-01T08:00:00Z'),
      },
      {
        code: 'anniversary-2',
        kind: 'anniversary',
        threshold: 2,
        reachedAt: Date.parse('2022-03-01T08:00:00Z'),
      },
      {
        code: 'anniversary-3',
        kind: 'anniversary',
        threshold: 3,
        reachedAt: Date.parse('2023-03-01T08:00:00Z'),
      },
    ]);
    expect(anniversary(Date.parse('2020-01-15T00:00:00Z'), 1)).toBe(
      Date.parse('2021-01-15T00:00:00Z'),
    );
  });

  it('marks seven days in a row at the first event of the seventh day, and not a broken run', () => {
    const days = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        at(`2024-03-${String(from + i).padStart(2, '0')}T09:00:00Z`),
      );
    const broken = run([[...days(1, 6), ...days(8, 6)]]);
    expect(broken.outcomes[0]!.achievements).toEqual([]);

    const { outcomes } = run([[...days(1, 4)], [at('2024-03-04T20:00:00Z'), ...days(5, 5)]]);
    expect(outcomes[1]!.achievements).toEqual([
      {
        code: 'streak-7',
        kind: 'streak',
        threshold: 7,
        reachedAt: Date.parse('2024-03-07T09:00:00Z'),
      },
    ]);
  });
});

describe('emerging interests', () => {
  const novel = new Map<string, TagStatus>([
    ['chess', { kind: 'new' }],
    ['go', { kind: 'settled' }],
  ]);

  it('notices a new tag at its third event within 14 days', () => {
    const { outcomes } = run(
      [
        [at('2024-05-01T10:00:00Z', ['chess', 'go'])],
        [at('2024-05-07T10:00:00Z', ['chess', 'go']), at('2024-05-15T09:00:00Z', ['chess', 'go'])],
      ],
      novel,
    );
    expect(outcomes[0]!.trials).toEqual([
      { tag: 'chess', firstSeenAt: Date.parse('2024-05-01T10:00:00Z'), events: 1 },
    ]);
    expect(outcomes[1]!.interests).toEqual([
      {
        tag: 'chess',
        firstSeenAt: Date.parse('2024-05-01T10:00:00Z'),
        emergedAt: Date.parse('2024-05-15T09:00:00Z'),
        events: 3,
      },
    ]);
    expect(outcomes[1]!.endedTrials).toEqual(['chess']);
  });

  it('lets the trial lapse when the third event comes after the window, and never counts a tag the user had', () => {
    const { outcomes } = run(
      [
        [at('2024-05-01T10:00:00Z', ['chess']), at('2024-05-02T10:00:00Z', ['chess'])],
        [at('2024-05-15T10:00:01Z', ['chess', 'go']), at('2024-05-16T10:00:00Z', ['chess', 'go'])],
        [at('2024-05-17T10:00:00Z', ['chess', 'go'])],
      ],
      novel,
    );
    expect(outcomes.flatMap((outcome) => outcome.interests)).toEqual([]);
    expect(outcomes[1]!.endedTrials).toEqual(['chess']);
  });

  it('keeps no trial whose window closed before the newest event of the batch', () => {
    const { outcomes } = run(
      [[at('2024-05-01T10:00:00Z', ['chess']), at('2024-05-20T10:00:00Z', ['go'])]],
      novel,
    );
    expect(outcomes[0]!.trials).toEqual([]);
    expect(outcomes[0]!.endedTrials).toEqual([]);
  });
});
