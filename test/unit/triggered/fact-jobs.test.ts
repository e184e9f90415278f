import { describe, expect, it } from 'vitest';
import {
  encodeFact,
  factIds,
  factJobId,
  type AchievementFact,
  type SessionEndedFact,
} from '../../../src/insights/facts.ts';
import { isSpotlightDue, planFactJobs } from '../../../src/triggered/fact-jobs.ts';

const NOW = Date.UTC(2026, 11, 4, 12);
const DAY = 86_400_000;
const WINDOW = 7 * DAY;

function session(userId: string, endedAt: number): SessionEndedFact {
  const startedAt = endedAt - 20 * 60_000;
  return {
    id: factIds.sessionEnded(userId, startedAt),
    kind: 'session-ended',
    userId,
    occurredAt: endedAt,
    detectedAt: NOW,
    session: { startedAt, endedAt, events: 3, topTags: [], closedBy: 'gap' },
  };
}

const milestone: AchievementFact = {
  id: factIds.achievement('u1', 'events-100'),
  kind: 'achievement',
  userId: 'u1',
  occurredAt: Date.UTC(1998, 0, 1),
  detectedAt: NOW,
  achievement: { code: 'events-100', kind: 'events', threshold: 100, reachedAt: 0 },
};

function message(offset: number, value: Buffer | null) {
  return { offset: String(offset), value };
}

describe('planning jobs from the insights topic', () => {
  it('makes a job per fact, named by its kind and identified by the fact', () => {
    const fresh = session('u1', NOW - DAY);
    const plan = planFactJobs(
      [message(0, encodeFact(fresh)), message(1, encodeFact(milestone))],
      NOW,
      WINDOW,
    );

    expect(plan).toEqual({
      jobs: [
        { name: 'session-ended', data: fresh, opts: { jobId: factJobId(fresh) } },
        { name: 'achievement', data: milestone, opts: { jobId: factJobId(milestone) } },
      ],
      stale: 0,
      rejected: [],
    });
  });

  it('leaves out sessions that ended before the spotlight window, however old a milestone', () => {
    const plan = planFactJobs(
      [
        message(0, encodeFact(session('u1', NOW - WINDOW - 1))),
        message(1, encodeFact(session('u2', NOW - WINDOW))),
        message(2, encodeFact(session('u3', Date.UTC(1998, 5, 1)))),
        message(3, encodeFact(milestone)),
      ],
      NOW,
      WINDOW,
    );

    expect(plan.jobs.map((job) => job.data.id)).toEqual([
      session('u2', NOW - WINDOW).id,
      milestone.id,
    ]);
    expect(plan.stale).toBe(2);
  });

  it('rejects what is not a fact, with the reason and the offset', () => {
    const broken = { ...session('u1', NOW), session: { startedAt: 5, endedAt: 2, events: 1 } };
    const plan = planFactJobs(
      [
        message(7, Buffer.from('{"id":')),
        message(8, null),
        message(9, Buffer.from(JSON.stringify(broken))),
        message(10, Buffer.from(JSON.stringify({ ...session('u1', NOW), session: null }))),
      ],
      NOW,
      WINDOW,
    );

    expect(plan.jobs).toEqual([]);
    expect(plan.rejected.map(({ offset, code, reason }) => ({ offset, code, reason }))).toEqual([
      { offset: '7', code: 'INSIGHT_FACT_INVALID', reason: 'insight fact is not JSON' },
      { offset: '8', code: 'INSIGHT_FACT_INVALID', reason: 'insight fact is not JSON' },
      {
        offset: '9',
        code: 'INSIGHT_FACT_INVALID',
        reason: 'insight fact session.endedAt must not be before session.startedAt',
      },
      {
        offset: '10',
        code: 'INSIGHT_FACT_INVALID',
        reason: 'insight fact session must be an object',
      },
    ]);
    expect(plan.rejected[0]!.value.toString()).toBe('{"id":');
    expect(plan.rejected[1]!.value.length).toBe(0);
  });

  it('counts a session as due up to the window, in event time against now', () => {
    expect(isSpotlightDue(NOW - WINDOW, NOW, WINDOW)).toBe(true);
    expect(isSpotlightDue(NOW - WINDOW - 1, NOW, WINDOW)).toBe(false);
    expect(isSpotlightDue(NOW + 60_000, NOW, WINDOW)).toBe(true);
    expect(isSpotlightDue(NOW, NOW, 0)).toBe(true);
  });
});
