/**
 * The gateway: Apollo Gateway serving the committed supergraph (schema/supergraph.graphql) on an
 * express app and HTTP server at /graphql. It plans each query across the subgraphs and sends the
 * parts to each subgraph by name, at the address this process started it on; the URLs written in
 * the supergraph are only the defaults composition recorded.
 *
 * The HTTP server is plain node:http so that a WebSocket server for subscriptions can share it.
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { expressMiddleware } from '@as-integrations/express5';
import { maxSelectedFields } from './query-limits.ts';
import express from 'express';
import { AlmanacError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createErrorFormatter } from './errors.ts';
import {
  apolloLogger,
  closeServer,
  listen,
  mountGraphql,
  offlinePlugins,
  type RunningServer,
} from './http-server.ts';

export interface GatewayOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  supergraphSdl: string;
  /** Each subgraph's GraphQL URL, by the name the supergraph gives it. */
  subgraphUrls: Readonly<Record<string, string>>;
  log: Logger;
}

/** Starts the gateway; fails with API_PORT_TAKEN when the port is in use. */
export async function startGateway(options: GatewayOptions): Promise<RunningServer> {
  const log = options.log.child('gateway');
  const gateway = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    logger: apolloLogger(log),
    buildService: ({ name }) => {
      const url = options.subgraphUrls[name];
      if (url === undefined) {
        throw new AlmanacError(
          'API_SUBGRAPH_NOT_RUNNING',
          `the supergraph routes to subgraph ${name}, which this process does not run`,
          { hint: 'Recompose with `almanac compose`, or start that subgraph' },
        );
      }
      return new RemoteGraphQLDataSource({ url });
    },
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const port = await listen(httpServer, options.host, options.port, 'PORT');

  const server = new ApolloServer({
    gateway,
    logger: apolloLogger(log),
    includeStacktraceInErrorResponses: false,
    // Signals belong to whoever started the API; it calls stop().
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(log),
    validationRules: [maxSelectedFields()],
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ...offlinePlugins()],
  });
  try {
    await server.start();
  } catch (error) {
    await closeServer(httpServer);
    throw error;
  }

  return mountGraphql(
    app,
    httpServer,
    server,
    expressMiddleware(server),
    { host: options.host, port },
    log,
  );
}
