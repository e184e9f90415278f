/**
 * The custom scalars of schema/profiles.graphql.
 *
 * Count exists because the counts are 64-bit in PostgreSQL and Int stops at 2^31 − 1. It goes
 * out as a JSON number, exact up to 2^53 − 1 (Number.MAX_SAFE_INTEGER), far beyond any reader's
 * event count; a larger value is refused rather than rounded. Float would have carried the same
 * range but let fractions through and said nothing about exactness.
 */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

function toCount(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  return null;
}

export const Count = new GraphQLScalarType<bigint, number>({
  name: 'Count',
  description: 'A non-negative count that may pass 2^31 − 1; a JSON number, exact to 2^53 − 1.',
  serialize(value) {
    const count = toCount(value);
    if (count === null || count < 0n) {
      throw new GraphQLError(`Count cannot represent ${String(value)}`);
    }
    if (count > MAX_EXACT) {
      throw new GraphQLError(`Count ${count} is beyond 2^53 − 1 and cannot be sent exactly`);
    }
    return Number(count);
  },
  parseValue(value) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new GraphQLError('Count must be a whole number from 0 to 2^53 − 1');
    }
    return BigInt(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('Count must be a whole number');
    const count = BigInt(ast.value);
    if (count < 0n || count > MAX_EXACT) {
      throw new GraphQLError('Count must be from 0 to 2^53 − 1');
    }
    return count;
  },
});

function toDate(value: unknown): Date | null {
  const date =
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date === undefined || Number.isNaN(date.getTime()) ? null : date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as ISO 8601 in UTC with milliseconds: 2018-09-24T14:03:00.000Z.',
  serialize(value) {
    const date = toDate(value);
    if (date === null) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue(value) {
    const date = typeof value === 'string' ? toDate(value) : null;
    if (date === null) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
  parseLiteral(ast) {
    const date = ast.kind === Kind.STRING ? toDate(ast.value) : null;
    if (date === null) throw new GraphQLError('DateTime must be an ISO 8601 string');
    return date;
  },
});
