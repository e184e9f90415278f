/**
 * Argument checks the schema's types cannot express. A bad argument is the caller's mistake, so
 * it answers with a GraphQL error coded BAD_USER_INPUT that names the argument and the range.
 */
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';

/** The error for an argument outside what the field accepts. */
export function badArgument(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument} ${message}`, {
    extensions: { code: ApolloServerErrorCode.BAD_USER_INPUT, argument },
  });
}

/** `value` when it is from 0 to `max`; a BAD_USER_INPUT error otherwise. */
export function checkLimit(value: number, max: number, argument = 'limit'): number {
  if (value < 0 || value > max) {
    throw badArgument(argument, `must be from 0 to ${max}, got ${value}`);
  }
  return value;
}
