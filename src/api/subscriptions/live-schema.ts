/**
 * The executable schema behind the WebSocket endpoint: schema/subscriptions/live.graphql with
 * its two subscriptions wired to Redis channels through the process's ChannelHub.
 *
 * Each subscription gets a BoundedQueue of its own fed by a hub listener; graphql-ws iterates the
 * queue, and when the subscription ends for any reason (the client completes it, the socket
 * closes, the queue overflows, the server stops) the queue's close removes the listener, which
 * unsubscribes the channel if it was the last one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildSchema,
  GraphQLScalarType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { DateTime } from '../../../resolvers/scalars.ts';
import type { Logger } from '../../logger.ts';
import { channels } from '../../serving/channels.ts';
import { RECENT_EVENTS_KEPT } from '../../serving/redis-keys.ts';
import { checkUserId } from '../arguments.ts';
import { SCHEMA_DIR } from '../compose.ts';
import { parseStoredSpotlight, type Spotlight } from '../insights.ts';
import type { RecentEvent } from '../profile.ts';
import { toRecentEvent } from '../recent-events.ts';
import { BoundedQueue, type QueueLimits } from './bounded-queue.ts';
import type { ChannelHub } from './channel-hub.ts';

export const LIVE_SCHEMA_PATH = path.join(SCHEMA_DIR, 'subscriptions', 'live.graphql');

/**
 * What one subscription may hold for a client that has not taken it yet: five full batches of
 * recent events, and a megabyte.
 */
export const SUBSCRIPTION_QUEUE_LIMITS: QueueLimits = {
  maxItems: 5 * RECENT_EVENTS_KEPT,
  maxBytes: 1024 * 1024,
};

export interface LiveSchemaSources {
  hub: ChannelHub;
  /** The deployment's Redis prefix, which channel names carry. */
  redisKeyPrefix: string;
  log: Logger;
}

/** One update decoded from a channel message, with its size for the queue's byte limit. */
interface Decoded<T> {
  value: T;
  bytes: number;
}

/** A spotlight channel message: one StoredSpotlight as JSON. */
export function decodeSpotlightMessage(text: string): Decoded<Spotlight>[] {
  const spotlight = parseStoredSpotlight(text);
  return spotlight ? [{ value: spotlight, bytes: text.length }] : [];
}

/**
 * A recent channel message: a JSON array of events in their public form. Events are delivered
 * oldest first, and only the newest RECENT_EVENTS_KEPT of one message, which is as many as the
 * reader's recent list keeps: a large batch (an import) then costs subscribers what it costs the
 * list, and a subscription's queue always holds a whole message.
 */
export function decodeRecentMessage(text: string): Decoded<RecentEvent>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return [];

  const bytes = Math.ceil(text.length / parsed.length);
  return parsed
    .map(toRecentEvent)
    .filter((event): event is RecentEvent => event !== null)
    .map((event, order) => ({ event, order, time: Date.parse(event.timestamp) }))
    .sort((a, b) => a.time - b.time || a.order - b.order)
    .slice(-RECENT_EVENTS_KEPT)
    .map(({ event }) => ({ value: event, bytes }));
}

/**
 * Listens on `channel` and returns the subscription's queue once Redis has confirmed the
 * subscription. Messages that decode to nothing are skipped with a warning.
 */
async function openStream<T>(
  sources: LiveSchemaSources,
  channel: string,
  decode: (text: string) => Decoded<T>[],
): Promise<AsyncIterableIterator<T>> {
  let stop: (() => void) | undefined;
  let finished = false;
  const queue = new BoundedQueue<T>(SUBSCRIPTION_QUEUE_LIMITS, () => {
    finished = true;
    stop?.();
  });

  stop = await sources.hub.listen(channel, {
    message: (text) => {
      const updates = decode(text);
      if (updates.length === 0) sources.log.warn('skipped a live message that is not an update');
      for (const update of updates) {
        if (finished) break;
        if (!queue.push(update.value, update.bytes)) {
          sources.log.warn('ended a subscription whose client fell behind', {
            ...SUBSCRIPTION_QUEUE_LIMITS,
          });
          break;
        }
      }
    },
    closed: () => queue.end(),
  });
  // A message delivered with the subscription's confirmation may already have overflowed it.
  if (finished) stop();
  return queue;
}

function field(schema: GraphQLSchema, name: string) {
  const found = schema.getSubscriptionType()?.getFields()[name];
  if (!found) throw new Error(`${LIVE_SCHEMA_PATH} has no Subscription.${name}`);
  return found;
}

type SubscribeResolver = GraphQLFieldResolver<unknown, unknown, { userId: string }>;

/** The live schema, its subscriptions listening through `sources.hub`. */
export async function buildLiveSchema(sources: LiveSchemaSources): Promise<GraphQLSchema> {
  const schema = buildSchema(await readFile(LIVE_SCHEMA_PATH, 'utf8'));
  const names = channels(sources.redisKeyPrefix);

  // buildSchema gives custom scalars no behaviour of their own; these get the API's.
  const dateTime = schema.getType('DateTime');
  if (!(dateTime instanceof GraphQLScalarType)) {
    throw new Error(`${LIVE_SCHEMA_PATH} has no DateTime scalar`);
  }
  dateTime.serialize = DateTime.serialize;
  dateTime.parseValue = DateTime.parseValue;
  dateTime.parseLiteral = DateTime.parseLiteral;

  const spotlightUpdated: SubscribeResolver = (_root, { userId }) =>
    openStream(sources, names.spotlight(checkUserId(userId)), decodeSpotlightMessage);
  const recentActivity: SubscribeResolver = (_root, { userId }) =>
    openStream(sources, names.recent(checkUserId(userId)), decodeRecentMessage);

  // The source stream yields the payload itself; the field's value is that payload.
  const payload = (update: unknown) => update;
  Object.assign(field(schema, 'spotlightUpdated'), {
    subscribe: spotlightUpdated,
    resolve: payload,
  });
  Object.assign(field(schema, 'recentActivity'), { subscribe: recentActivity, resolve: payload });
  return schema;
}
