/**
 * Argument checks the schema's types cannot express. A bad argument is the caller's mistake, so
 * it answers with a GraphQL error coded BAD_USER_INPUT that names the argument and the range.
 */
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import { isPossibleUserId } from './profile.ts';

/** The error for an argument outside what the field accepts. */
export function badArgument(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument} ${message}`, {
    extensions: { code: ApolloServerErrorCode.BAD_USER_INPUT, argument },
  });
}

/** `value` when it is from 0 to `max`; a BAD_USER_INPUT error otherwise. */
export function checkLimit(value: number, max: number, argument = 'limit'): number {
  return checkRange(value, 0, max, argument);
}

/** `value` when it is from `min` to `max`; a BAD_USER_INPUT error otherwise. */
export function checkRange(value: number, min: number, max: number, argument: string): number {
  if (value < min || value > max) {
    throw badArgument(argument, `must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * `id` when it could name a reader; a BAD_USER_INPUT error otherwise. Queries answer such an id
 * with null, but a subscription to it would wait forever for updates that cannot come.
 */
export function checkUserId(id: string, argument = 'userId'): string {
  if (!isPossibleUserId(id)) {
    throw badArgument(
      argument,
      'must be a reader id: 1 to 128 characters, each a letter, a digit or one of . _ : @ -',
    );
  }
  return id;
}
