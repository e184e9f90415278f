/**
 * Live subscriptions over WebSocket (graphql-ws) on the gateway's HTTP server, at the gateway's
 * own path: an HTTP request to /graphql is a query for the gateway, an upgrade to WebSocket there
 * is a connection here. Apollo Gateway cannot federate subscriptions, so they are executed in
 * this process against the small schema of schema/subscriptions/live.graphql, fed by Redis
 * pub/sub, which lets any number of API processes serve subscribers.
 *
 * Bounds: a message from a client is at most 64 KiB, an operation selects at most
 * MAX_SELECTED_FIELDS fields, a connection holds at most MAX_SUBSCRIPTIONS_PER_CONNECTION
 * subscriptions, and each subscription buffers at most SUBSCRIPTION_QUEUE_LIMITS for a client that
 * reads slowly. Browsers may connect only from the server's own origin: the HTTP API sends no
 * CORS headers, so other sites cannot read its answers, and a WebSocket must not let them either.
 */
import type { IncomingMessage, Server } from 'node:http';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../logger.ts';
import { createErrorFormatter } from '../errors.ts';
import { GRAPHQL_PATH } from '../http-server.ts';
import { maxSelectedFields } from '../query-limits.ts';
import { ChannelHub } from './channel-hub.ts';
import { buildLiveSchema } from './live-schema.ts';

export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/** The largest message a client may send; a subscribe message is a few hundred bytes. */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** How long clients get to answer the close handshake at shutdown before they are cut off. */
const CLOSE_GRACE_MS = 1000;

export interface LiveServerOptions {
  /** The gateway's HTTP server, which the WebSocket endpoint shares. */
  httpServer: Server;
  /** A Redis connection for this server alone: it is put in subscriber mode. */
  subscriber: Redis;
  /** The deployment's Redis prefix, which channel names carry. */
  redisKeyPrefix: string;
  log: Logger;
}

export interface LiveStats {
  /** Open WebSocket connections. */
  connections: number;
  /** Redis channels this process is subscribed to. */
  channels: number;
  /** Subscriptions listening on them. */
  subscriptions: number;
}

export interface LiveServer {
  stats(): LiveStats;
  /** Closes every connection and ends their subscriptions; the subscriber is the caller's. */
  stop(): Promise<void>;
}

/** Whether a browser's Origin, if any, is the server's own. Non-browser clients send none. */
export function isSameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function tooManySubscriptions(): GraphQLError {
  return new GraphQLError(
    `a connection may hold at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions; ` +
      'complete one first, or open another connection',
    { extensions: { code: 'LIVE_TOO_MANY_SUBSCRIPTIONS' } },
  );
}

function notASubscription(): GraphQLError {
  return new GraphQLError(
    'only subscriptions are served over WebSocket; send queries to the same URL over HTTP POST',
    { extensions: { code: 'BAD_REQUEST' } },
  );
}

/** Starts serving subscriptions on `options.httpServer` at /graphql. */
export async function startLiveServer(options: LiveServerOptions): Promise<LiveServer> {
  const log = options.log.child('live');
  const hub = new ChannelHub(options.subscriber, log);
  const schema = await buildLiveSchema({ hub, redisKeyPrefix: options.redisKeyPrefix, log });
  const rules = [...specifiedRules, maxSelectedFields()];
  const formatError = createErrorFormatter(log);

  const sockets = new WebSocketServer({
    server: options.httpServer,
    path: GRAPHQL_PATH,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    verifyClient: ({ req }: { req: IncomingMessage }) => isSameOrigin(req),
  });

  const graphqlWs = useServer(
    {
      schema,
      // Error details stay in the log, as over HTTP.
      isProd: true,
      onSubscribe: (context, _id, payload) => {
        // graphql-ws has already entered this subscription, so the count includes it.
        if (Object.keys(context.subscriptions).length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [tooManySubscriptions()];
        }

        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors;

        const operation = getOperationAST(document, payload.operationName);
        if (!operation) {
          return [new GraphQLError('the document names no operation to run, or several')];
        }
        if (operation.operation !== 'subscription') return [notASubscription()];

        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
      },
      onNext: (_context, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) }
          : undefined,
      onError: (_context, _id, _payload, errors) =>
        errors.map((error) => formatError(error.toJSON(), error)),
    },
    sockets,
  );
  log.info('serving subscriptions over WebSocket', { path: GRAPHQL_PATH });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const cutOff = setTimeout(() => {
      for (const socket of sockets.clients) socket.terminate();
    }, CLOSE_GRACE_MS);
    try {
      await graphqlWs.dispose();
    } finally {
      clearTimeout(cutOff);
    }
    hub.close();
  };

  return {
    stats: () => {
      const { channels, listeners } = hub.stats();
      return { connections: sockets.clients.size, channels, subscriptions: listeners };
    },
    stop: () => (stopping ??= stop()),
  };
}
