import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Count, DateTime } from '../../../resolvers/scalars.ts';

describe('Count', () => {
  it('sends counts beyond 2^31 as exact JSON numbers', () => {
    expect(Count.serialize(5_000_000_000n)).toBe(5_000_000_000);
    expect(Count.serialize(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(Count.serialize(12)).toBe(12);
  });

  it('refuses what it cannot send exactly', () => {
    expect(() => Count.serialize(2n ** 53n)).toThrow(/beyond 2\^53/);
    expect(() => Count.serialize(-1n)).toThrow(/cannot represent/);
    expect(() => Count.serialize(1.5)).toThrow(/cannot represent/);
  });

  it('reads whole numbers from variables and literals', () => {
    expect(Count.parseValue(7)).toBe(7n);
    expect(() => Count.parseValue('7')).toThrow();
    expect(Count.parseLiteral({ kind: Kind.INT, value: '9007199254740991' })).toBe(2n ** 53n - 1n);
    expect(() => Count.parseLiteral({ kind: Kind.INT, value: '-1' })).toThrow();
  });
});

describe('DateTime', () => {
  it('sends ISO 8601 in UTC with milliseconds', () => {
    expect(DateTime.serialize(new Date(Date.UTC(2018, 8, 24, 14, 3)))).toBe(
      '2018-09-24T14:03:00.000Z',
    );
    expect(DateTime.serialize('2018-09-24T16:03:00+02:00')).toBe('2018-09-24T14:03:00.000Z');
  });

  it('refuses what is not an instant', () => {
    expect(() => DateTime.serialize('yesterday')).toThrow(/cannot represent/);
    expect(() => DateTime.parseValue(5)).toThrow();
  });
});
