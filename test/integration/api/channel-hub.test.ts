import net from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelHub, type ChannelListener } from '../../../src/api/subscriptions/channel-hub.ts';
import { createRedis } from '../../../src/serving/redis.ts';
import { waitUntil } from '../../support/aggregates.ts';
import { createNamespace } from '../../support/namespace.ts';
import { recordingLogger } from './api-fixtures.ts';

const ns = createNamespace('api_hub');
const plain = { redisUrl: ns.config.redisUrl, redisKeyPrefix: '' };
let publisher: Redis;
const opened: Redis[] = [];

/** A fresh fail-fast subscriber connection, ready, as the API makes one. */
async function subscriberConnection(): Promise<Redis> {
  const connection = createRedis(plain, { failFast: true });
  opened.push(connection);
  if (connection.status !== 'ready')
    await new Promise((resolve) => connection.once('ready', resolve));
  return connection;
}

function channel(name: string): string {
  return `${ns.id}:live:test:${name}`;
}

async function subscribers(name: string): Promise<number> {
  const [, count] = (await publisher.pubsub('NUMSUB', name)) as [string, number];
  return Number(count);
}

function collector(): ChannelListener & { messages: string[]; closes: number } {
  const listener = {
    messages: [] as string[],
    closes: 0,
    message: (text: string) => listener.messages.push(text),
    closed: () => {
      listener.closes += 1;
    },
  };
  return listener;
}

beforeAll(() => {
  publisher = createRedis(plain);
});

afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

afterAll(async () => {
  publisher?.disconnect();
  await ns.cleanup();
});

describe('the channel hub', () => {
  it('subscribes once per channel and unsubscribes when the last listener leaves', async () => {
    const hub = new ChannelHub(await subscriberConnection(), recordingLogger());
    const name = channel('counted');
    const first = collector();
    const second = collector();

    const stopFirst = await hub.listen(name, first);
    const stopSecond = await hub.listen(name, second);
    expect(await subscribers(name)).toBe(1);
    expect(hub.stats()).toEqual({ channels: 1, listeners: 2 });

    await publisher.publish(name, 'one');
    await waitUntil(async () => second.messages.length === 1, 5000, 'the first message');
    expect(first.messages).toEqual(['one']);

    stopFirst();
    stopFirst();
    expect(hub.stats()).toEqual({ channels: 1, listeners: 1 });
    await publisher.publish(name, 'two');
    await waitUntil(async () => second.messages.length === 2, 5000, 'the second message');
    expect(first.messages).toEqual(['one']);
    expect(await subscribers(name)).toBe(1);

    stopSecond();
    await waitUntil(async () => (await subscribers(name)) === 0, 5000, 'the unsubscription');
    await waitUntil(async () => hub.stats().channels === 0, 5000, 'the hub to forget it');
    expect(hub.stats()).toEqual({ channels: 0, listeners: 0 });
  });

  it('stays subscribed for a listener that arrives while the last one is leaving', async () => {
    const connection = await subscriberConnection();
    const hub = new ChannelHub(connection, recordingLogger());
    const name = channel('returning');
    const back = collector();
    let returning: Promise<unknown> | undefined;

    // The new listener comes exactly while the UNSUBSCRIBE is on its way to Redis.
    const send = connection.sendCommand.bind(connection);
    connection.sendCommand = (command, stream) => {
      const sent = send(command, stream);
      if (command.name === 'unsubscribe') returning ??= hub.listen(name, back);
      return sent;
    };

    const stop = await hub.listen(name, collector());
    stop();
    await waitUntil(async () => returning !== undefined, 5000, 'the UNSUBSCRIBE');
    await returning;

    expect(await subscribers(name)).toBe(1);
    await publisher.publish(name, 'still here');
    await waitUntil(async () => back.messages.length === 1, 5000, 'the message');
    expect(hub.stats()).toEqual({ channels: 1, listeners: 1 });
  });

  it('sends one SUBSCRIBE for listeners that arrive together', async () => {
    const connection = await subscriberConnection();
    const sent: string[] = [];
    const send = connection.sendCommand.bind(connection);
    connection.sendCommand = (command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    };
    const hub = new ChannelHub(connection, recordingLogger());
    const name = channel('together');

    await Promise.all(Array.from({ length: 5 }, () => hub.listen(name, collector())));
    expect(sent.filter((command) => command === 'subscribe')).toHaveLength(1);
    expect(hub.stats()).toEqual({ channels: 1, listeners: 5 });
  });

  it('gets messages again after its connection is cut and restored', async () => {
    const connection = createRedis(plain, { failFast: true });
    opened.push(connection);
    await new Promise((resolve) => connection.once('ready', resolve));
    const id = await connection.client('ID');
    const hub = new ChannelHub(connection, recordingLogger());
    const name = channel('reconnect');
    const listener = collector();
    await hub.listen(name, listener);

    await publisher.client('KILL', 'ID', String(id));
    await waitUntil(async () => (await subscribers(name)) === 1, 10_000, 'the resubscription');
    await publisher.publish(name, 'after');
    await waitUntil(async () => listener.messages.length === 1, 5000, 'the message');
    expect(listener.messages).toEqual(['after']);
  });

  it('fails with LIVE_UNAVAILABLE when Redis does not answer, keeping nothing', async () => {
    const vacant = net.createServer();
    await new Promise<void>((resolve) => vacant.listen(0, '127.0.0.1', resolve));
    const port = (vacant.address() as net.AddressInfo).port;
    await new Promise((resolve) => vacant.close(resolve));

    const dead = createRedis(
      { redisUrl: `redis://127.0.0.1:${port}`, redisKeyPrefix: '' },
      { failFast: true },
    );
    opened.push(dead);
    dead.on('error', () => undefined);
    const hub = new ChannelHub(dead, recordingLogger());

    await expect(hub.listen(channel('nowhere'), collector())).rejects.toMatchObject({
      code: 'LIVE_UNAVAILABLE',
      message: expect.stringMatching(/^live updates are unavailable: Redis did not take/),
    });
    await waitUntil(async () => hub.stats().channels === 0, 5000, 'the hub to forget it');
    expect(hub.stats()).toEqual({ channels: 0, listeners: 0 });
  });

  it('tells its listeners when it closes, and takes no more', async () => {
    const hub = new ChannelHub(await subscriberConnection(), recordingLogger());
    const listener = collector();
    await hub.listen(channel('closing'), listener);

    hub.close();
    expect(listener.closes).toBe(1);
    expect(hub.stats()).toEqual({ channels: 0, listeners: 0 });
    await expect(hub.listen(channel('closing'), collector())).rejects.toMatchObject({
      code: 'LIVE_UNAVAILABLE',
    });
  });
});
