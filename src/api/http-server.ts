/**
 * Listening and closing for the API's HTTP servers, with the failures an operator can fix (a
 * port already taken) turned into AlmanacErrors.
 */
import type { Server } from 'node:http';
import { json, type Express, type RequestHandler } from 'express';
import type { AddressInfo } from 'node:net';
import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { AlmanacError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Where each server here answers GraphQL. */
export const GRAPHQL_PATH = '/graphql';

/** A server the API started. */
export interface RunningServer {
  /** Where its GraphQL endpoint answers. */
  url: string;
  httpServer: Server;
  /** Stops taking requests, lets those in flight finish, and closes the server. */
  stop(): Promise<void>;
}

/**
 * Listens on `host`:`port` (0: any free port) and resolves with the port taken. `portVariable`
 * names the setting that chooses the port, for the hint when it is taken.
 */
export function listen(
  server: Server,
  host: string,
  port: number,
  portVariable: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new AlmanacError('API_PORT_TAKEN', `port ${port} on ${host} is already in use`, {
            hint: `Set ${portVariable} to a free port, or stop what is listening there`,
            context: { host, port },
            cause: error,
          }),
        );
      } else {
        reject(
          new AlmanacError(
            'API_LISTEN_FAILED',
            `cannot listen on ${host}:${port}: ${error.message}`,
            {
              hint: `Check ALMANAC_HOST and ${portVariable}`,
              context: { host, port },
              cause: error,
            },
          ),
        );
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };

    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Closes `server` if it is listening; open keep-alive connections are closed too. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

type ApolloLogger = NonNullable<ApolloServerOptions<BaseContext>['logger']>;

/** Apollo's logger interface over ours. */
export function apolloLogger(log: Logger): ApolloLogger {
  return {
    debug: (message) => log.debug(String(message)),
    info: (message) => log.info(String(message)),
    warn: (message) => log.warn(String(message)),
    error: (message) => log.error(String(message)),
  };
}

/**
 * Plugins every Apollo server here gets: nothing is ever reported to Apollo's cloud, even with
 * APOLLO_KEY in the environment.
 */
export function offlinePlugins(): ApolloServerPlugin<BaseContext>[] {
  return [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()];
}

/**
 * Mounts a started Apollo server at /graphql on `app`, behind a JSON body parser and the JSON
 * error handler, and returns it as a RunningServer that stops Apollo, then the HTTP server.
 */
export function mountGraphql(
  app: Express,
  httpServer: Server,
  apollo: { stop(): Promise<void> },
  middleware: RequestHandler,
  address: { host: string; port: number },
  log: Logger,
): RunningServer {
  app.use(GRAPHQL_PATH, json({ limit: '1mb' }), middleware);
  app.use(jsonErrorHandler(log));

  const url = `http://${address.host}:${address.port}${GRAPHQL_PATH}`;
  log.info('listening', { url });
  return {
    url,
    httpServer,
    stop: async () => {
      await apollo.stop();
      await closeServer(httpServer);
    },
  };
}

/**
 * Express's last word on a request it could not hand to GraphQL (a body that is not JSON, or is
 * too large): a GraphQL-shaped JSON error, never an HTML page with a stack trace. The request
 * body is not logged: it may carry personal data.
 */
export function jsonErrorHandler(log: Logger) {
  return (
    error: { status?: number; type?: string; message?: string },
    _request: unknown,
    response: {
      headersSent: boolean;
      status(code: number): { json(body: unknown): void };
    },
    next: (error?: unknown) => void,
  ): void => {
    if (response.headersSent) return next(error);

    const status = error.status && error.status >= 400 && error.status < 600 ? error.status : 500;
    const message =
      error.type === 'entity.parse.failed'
        ? 'the request body is not valid JSON'
        : error.type === 'entity.too.large'
          ? 'the request body is larger than 1 MB'
          : status < 500
            ? 'the request could not be read'
            : 'internal server error';
    const code = status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';

    if (status >= 500) log.error('request failed', { type: error.type, status });
    else log.debug('request refused', { type: error.type, status });
    response.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
