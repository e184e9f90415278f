/**
 * The profiles subgraph: an Apollo Server over buildSubgraphSchema (schema/profiles.graphql and
 * resolvers/profiles.ts) on its own express app and HTTP server, at /graphql. It answers the
 * gateway; clients talk to the gateway.
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { parse } from 'graphql';
import type { Redis } from 'ioredis';
import { profilesResolvers } from '../../resolvers/profiles.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { readSubgraphSdl } from './compose.ts';
import { createContext, type ApiContext } from './context.ts';
import { createErrorFormatter } from './errors.ts';
import {
  apolloLogger,
  closeServer,
  listen,
  mountGraphql,
  offlinePlugins,
  type RunningServer,
} from './http-server.ts';

/** The module form buildSubgraphSchema takes: type definitions with their resolvers. */
type SubgraphModule = Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>;

export interface ProfilesSubgraphOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  prisma: PrismaClient;
  redis: Redis;
  log: Logger;
}

/** Starts the profiles subgraph; fails with API_PORT_TAKEN when the port is in use. */
export async function startProfilesSubgraph(
  options: ProfilesSubgraphOptions,
): Promise<RunningServer> {
  const log = options.log.child('profiles');
  const schema = buildSubgraphSchema({
    typeDefs: parse(await readSubgraphSdl('profiles')),
    // The generated types check the resolvers against the schema; the library's own map type
    // knows neither the context nor the parents, so the map is handed over as that.
    resolvers: profilesResolvers as SubgraphModule['resolvers'],
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const port = await listen(httpServer, options.host, options.port, 'ALMANAC_PROFILES_PORT');

  const server = new ApolloServer<ApiContext>({
    schema,
    logger: apolloLogger(log),
    includeStacktraceInErrorResponses: false,
    // Signals belong to whoever started the API; it calls stop().
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(log),
    // Traces are only for Apollo's usage reporting, which is off.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      ...offlinePlugins(),
    ],
  });
  try {
    await server.start();
  } catch (error) {
    await closeServer(httpServer);
    throw error;
  }

  const sources = { prisma: options.prisma, redis: options.redis, log };
  return mountGraphql(
    app,
    httpServer,
    server,
    expressMiddleware(server, { context: async () => createContext(sources) }),
    { host: options.host, port },
    log,
  );
}
