import type { IncomingMessage } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, printType, type GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSubgraphSdl } from '../../../src/api/compose.ts';
import type { ChannelHub } from '../../../src/api/subscriptions/channel-hub.ts';
import {
  buildLiveSchema,
  decodeRecentMessage,
  decodeSpotlightMessage,
} from '../../../src/api/subscriptions/live-schema.ts';
import { isSameOrigin } from '../../../src/api/subscriptions/live-server.ts';
import { silentLogger } from '../../../src/logger.ts';

function event(id: string, timestamp: string) {
  return { event_id: id, timestamp, type: 'read', tags: ['a'] };
}

describe('schema/subscriptions/live.graphql', () => {
  it('repeats the payload types of the profiles subgraph word for word', async () => {
    const live = await buildLiveSchema({
      hub: {} as ChannelHub,
      redisKeyPrefix: '',
      log: silentLogger,
    });
    const profiles = buildSubgraphSchema({ typeDefs: parse(await readSubgraphSdl('profiles')) });
    const print = (type: GraphQLNamedType | null | undefined) => (type ? printType(type) : null);

    for (const name of ['Spotlight', 'Event', 'DateTime']) {
      expect(print(live.getType(name)), name).toBe(print(profiles.getType(name)));
    }
    expect(Object.keys(live.getSubscriptionType()!.getFields())).toEqual([
      'spotlightUpdated',
      'recentActivity',
    ]);
  });

  it('sends instants in the API DateTime form', async () => {
    const live = await buildLiveSchema({
      hub: {} as ChannelHub,
      redisKeyPrefix: '',
      log: silentLogger,
    });
    const dateTime = live.getType('DateTime') as { serialize(value: unknown): unknown };
    expect(dateTime.serialize('2024-06-01T12:40:00+02:00')).toBe('2024-06-01T10:40:00.000Z');
  });
});

describe('recent channel messages', () => {
  it('gives each event of the array, oldest first', () => {
    const text = JSON.stringify([
      event('b', '2024-01-01T00:02:00Z'),
      event('a', '2024-01-01T00:01:00Z'),
      event('c', '2024-01-01T00:02:00Z'),
    ]);
    expect(decodeRecentMessage(text).map((update) => update.value.eventId)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('keeps the newest 50 of a larger batch', () => {
    const events = Array.from({ length: 80 }, (_, i) =>
      event(`e${i}`, new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString()),
    );
    const decoded = decodeRecentMessage(JSON.stringify(events.reverse()));
    expect(decoded).toHaveLength(50);
    expect(decoded[0]!.value.eventId).toBe('e30');
    expect(decoded[49]!.value.eventId).toBe('e79');
  });

  it('skips what is not an event, and messages that are not arrays', () => {
    const text = JSON.stringify([{ nope: 1 }, event('a', '2024-01-01T00:00:00Z'), 'x']);
    expect(decodeRecentMessage(text).map((update) => update.value.eventId)).toEqual(['a']);
    expect(decodeRecentMessage('{"event_id":"a"}')).toEqual([]);
    expect(decodeRecentMessage('not json')).toEqual([]);
  });
});

describe('spotlight channel messages', () => {
  it('gives one spotlight per message, none for anything else', () => {
    const text = JSON.stringify({
      userId: 'r',
      factId: 'f',
      text: 'Hello.',
      model: 'offline',
      sessionStartedAt: '2024-01-01T00:00:00Z',
      sessionEndedAt: '2024-01-01T01:00:00Z',
      createdAt: '2024-01-01T02:00:00Z',
    });
    expect(decodeSpotlightMessage(text)).toEqual([
      {
        value: {
          text: 'Hello.',
          model: 'offline',
          fallbackFrom: null,
          sessionStartedAt: new Date('2024-01-01T00:00:00Z'),
          sessionEndedAt: new Date('2024-01-01T01:00:00Z'),
          createdAt: new Date('2024-01-01T02:00:00Z'),
        },
        bytes: text.length,
      },
    ]);
    expect(decodeSpotlightMessage('{"text":"half"}')).toEqual([]);
  });
});

describe('WebSocket origins', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as IncomingMessage;

  it('lets in clients that send no origin, and browsers on the same origin', () => {
    expect(isSameOrigin(request({ host: '127.0.0.1:4000' }))).toBe(true);
    expect(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000' }))).toBe(
      true,
    );
  });

  it('keeps out pages of other origins', () => {
    expect(
      isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'https://elsewhere.example' })),
    ).toBe(false);
    expect(isSameOrigin(request({ host: '127.0.0.1:4000', origin: 'null' }))).toBe(false);
  });
});
