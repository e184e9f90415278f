/**
 * decodeFact takes only what the aggregator and the sweeper publish, field by field; only recent
 * facts are published.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFact,
  encodeFact,
  factIds,
  publishableFacts,
  type AchievementFact,
  type EmergingInterestFact,
  type SessionEndedFact,
} from '../../../src/insights/facts.ts';

const session: SessionEndedFact = {
  id: factIds.sessionEnded('reader-1', 1000),
  kind: 'session-ended',
  userId: 'reader-1',
  occurredAt: 61_000,
  detectedAt: 62_000,
  session: {
    startedAt: 1000,
    endedAt: 61_000,
    events: 4,
    topTags: [
      { tag: 'drama', count: 3 },
      { tag: 'comedy', count: 1 },
    ],
    closedBy: 'idle',
  },
};

const milestone: AchievementFact = {
  id: factIds.achievement('reader-1', 'streak-7'),
  kind: 'achievement',
  userId: 'reader-1',
  occurredAt: 5000,
  detectedAt: 6000,
  achievement: { code: 'streak-7', kind: 'streak', threshold: 7, reachedAt: 5000 },
};

const interest: EmergingInterestFact = {
  id: factIds.emergingInterest('reader-1', 'poetry'),
  kind: 'emerging-interest',
  userId: 'reader-1',
  occurredAt: 9000,
  detectedAt: 9500,
  interest: { tag: 'poetry', firstSeenAt: 1000, emergedAt: 9000, events: 5 },
};

function decode(value: unknown) {
  return decodeFact(Buffer.from(JSON.stringify(value)));
}

/** The reason decodeFact gives for `value`. */
function reason(value: unknown): string {
  try {
    decode(value);
  } catch (error) {
    expect(error).toMatchObject({ code: 'INSIGHT_FACT_INVALID' });
    return (error as Error).message;
  }
  throw new Error('decoded');
}

describe('decodeFact', () => {
  it('reads back every kind of fact as it was encoded', () => {
    for (const fact of [session, milestone, interest]) {
      expect(decodeFact(encodeFact(fact))).toEqual(fact);
    }
  });

  it('keeps only the fields a fact has', () => {
    const padded = {
      ...milestone,
      extra: 'x'.repeat(1000),
      achievement: { ...milestone.achievement, note: 'y' },
    };
    expect(decode(padded)).toEqual(milestone);
  });

  it('refuses a payload that is null, an array or missing', () => {
    expect(reason({ ...session, session: null })).toBe('insight fact session must be an object');
    expect(reason({ ...milestone, achievement: [] })).toBe(
      'insight fact achievement must be an object',
    );
    const { interest: _, ...bare } = interest;
    expect(reason(bare)).toBe('insight fact interest must be an object');
  });

  it('refuses a fact whose envelope is not an object, or lacks an id, user, kind or time', () => {
    expect(reason(null)).toBe('insight fact is not a JSON object');
    expect(reason([session])).toBe('insight fact is not a JSON object');
    expect(reason({ ...session, id: '' })).toBe(
      'insight fact id must be a string of 1 to 512 characters',
    );
    expect(reason({ ...session, userId: 'u'.repeat(257) })).toBe(
      'insight fact userId must be a string of 1 to 256 characters',
    );
    expect(reason({ ...session, kind: 'session' })).toBe(
      'insight fact kind must be one of session-ended, achievement, emerging-interest',
    );
    expect(reason({ ...session, occurredAt: '1' })).toBe(
      'insight fact occurredAt must be a finite number',
    );
  });

  it('refuses a session with a bad time, count, tag or closing', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ startedAt: null }, 'session.startedAt must be a finite number'],
      [{ endedAt: '61000' }, 'session.endedAt must be a finite number'],
      [{ endedAt: 999 }, 'session.endedAt must not be before session.startedAt'],
      [{ events: 2.5 }, 'session.events must be a whole number, 0 or more'],
      [{ topTags: 'drama' }, 'session.topTags must be an array of at most 50 items'],
      [{ topTags: [null] }, 'session.topTags[0] must be an object'],
      [
        { topTags: [{ tag: 'a', count: 1 }, { tag: '' }] },
        'session.topTags[1].tag must be a string of 1 to 200 characters',
      ],
      [{ topTags: [{ tag: 'a', count: '1' }] }, 'session.topTags[0].count must be a finite number'],
      [{ closedBy: 'timer' }, 'session.closedBy must be one of gap, idle'],
    ];
    for (const [change, message] of cases) {
      expect(reason({ ...session, session: { ...session.session, ...change } })).toBe(
        `insight fact ${message}`,
      );
    }
  });

  it('refuses an achievement or an interest with a bad field', () => {
    const achievements: [Record<string, unknown>, string][] = [
      [{ code: 7 }, 'achievement.code must be a string of 1 to 200 characters'],
      [{ kind: 'badge' }, 'achievement.kind must be one of events, anniversary, streak'],
      [{ threshold: 7.5 }, 'achievement.threshold must be a whole number, 0 or more'],
      [{ reachedAt: undefined }, 'achievement.reachedAt must be a finite number'],
    ];
    for (const [change, message] of achievements) {
      expect(reason({ ...milestone, achievement: { ...milestone.achievement, ...change } })).toBe(
        `insight fact ${message}`,
      );
    }

    const interests: [Record<string, unknown>, string][] = [
      [{ tag: ['poetry'] }, 'interest.tag must be a string of 1 to 200 characters'],
      [{ firstSeenAt: {} }, 'interest.firstSeenAt must be a finite number'],
      [{ emergedAt: 'soon' }, 'interest.emergedAt must be a finite number'],
      [{ events: -1 }, 'interest.events must be a whole number, 0 or more'],
    ];
    for (const [change, message] of interests) {
      expect(reason({ ...interest, interest: { ...interest.interest, ...change } })).toBe(
        `insight fact ${message}`,
      );
    }
  });

  it('refuses what is not JSON', () => {
    expect(() => decodeFact(null)).toThrow('insight fact is not JSON');
    expect(() => decodeFact(Buffer.from('{"id":'))).toThrow('insight fact is not JSON');
  });
});

describe('publishable facts', () => {
  it('are those about moments within the window before now', () => {
    const now = Date.parse('2024-06-10T00:00:00Z');
    const at = (occurredAt: number, id: string) =>
      ({
        id,
        kind: 'achievement',
        userId: 'u',
        occurredAt,
        detectedAt: now,
        achievement: { code: 'events-100', kind: 'events', threshold: 100, reachedAt: occurredAt },
      }) as const;
    const week = 7 * 86_400_000;
    const facts = [at(now - week - 1, 'old'), at(now - week, 'edge'), at(now - 5, 'fresh')];
    expect(publishableFacts(facts, now, week).map((fact) => fact.id)).toEqual(['edge', 'fresh']);
  });
});
