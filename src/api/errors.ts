/**
 * What a GraphQL client sees of a failure. Errors the API raises on purpose (GraphQLErrors such
 * as BAD_USER_INPUT) go out as they are; an AlmanacError goes out as its one line and code;
 * any other thrown Error is logged and goes out as a bare INTERNAL_SERVER_ERROR, so driver
 * messages, SQL and addresses stay in the log.
 *
 * At the gateway, an error a subgraph answered with arrives wrapped around the plain object the
 * subgraph sent, which that subgraph's formatter has already shaped; it goes out as it is.
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isAlmanacError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** An Apollo `formatError` that logs and masks unexpected errors. */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError || !(original instanceof Error)) return formatted;

    if (isAlmanacError(original)) {
      return { ...formatted, message: original.toLine(), extensions: { code: original.code } };
    }

    log.error('request failed', { error: original, path: formatted.path?.join('.') });
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
