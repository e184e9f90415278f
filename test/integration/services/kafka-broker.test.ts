/**
 * The local Kafka broker for real: a JVM on a free port in a home directory of its own, with the
 * jars shared with the default home so that Maven runs at most once.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { silentLogger } from '../../../src/logger.ts';
import {
  ensureKafkaLibrary,
  isKafkaReachable,
  kafkaPaths,
  localBrokerStatus,
  quietLogCreator,
  startLocalBroker,
  stopLocalBroker,
} from '../../../src/services/kafka-broker.ts';
import { findFreePort, isPortOpen } from '../../../src/services/port.ts';
import { processCommandLine } from '../../../src/services/process.ts';

const silent = silentLogger;
const libRoot = path.join(loadConfig().homeDir, 'kafka');
const homes: string[] = [];

async function newHome(): Promise<string> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-kafka-'));
  homes.push(home);
  return home;
}

/** Pids of live JVMs running the broker of `home`. */
async function brokerProcesses(home: string): Promise<number[]> {
  const properties = kafkaPaths(home).propertiesFile;
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await processCommandLine(Number(entry));
    if (commandLine?.includes('kafka.Kafka') && commandLine.includes(properties)) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

function admin(brokers: string[]) {
  return new kafkajs.Kafka({
    clientId: 'almanac-test',
    brokers,
    logCreator: quietLogCreator(silent),
  }).admin();
}

beforeAll(async () => {
  // Fetch the jars (a no-op once present) outside the timed tests.
  await ensureKafkaLibrary(libRoot, { log: silent });
});

afterAll(async () => {
  for (const home of homes) {
    await stopLocalBroker({ homeDir: home }, { log: silent });
    expect(await brokerProcesses(home)).toEqual([]);
    await fs.rm(home, { recursive: true, force: true });
  }
});

describe('the local Kafka broker', () => {
  it('starts once for concurrent callers, stops cleanly, and keeps its topics across a restart', async () => {
    const home = await newHome();
    const port = await findFreePort();
    const config = { homeDir: home, kafkaBrokers: [`127.0.0.1:${port}`] };
    const options = { libRoot, log: silent };

    let began = Date.now();
    const [first, second] = await Promise.all([
      startLocalBroker(config, options),
      startLocalBroker(config, options),
    ]);
    const firstStartMs = Date.now() - began;

    expect([first.startedByUs, second.startedByUs].sort()).toEqual([false, true]);
    expect(first.pid).toBe(second.pid);
    expect(first.brokers).toEqual([`127.0.0.1:${port}`]);
    expect(await brokerProcesses(home)).toEqual([first.pid]);
    expect(await fs.readFile(kafkaPaths(home).pidFile, 'utf8')).toBe(`${first.pid}\n`);
    expect(await localBrokerStatus(config)).toEqual({
      running: true,
      pid: first.pid,
      brokers: first.brokers,
      reachable: true,
    });

    const client = admin(first.brokers);
    await client.connect();
    await client.createTopics({ topics: [{ topic: 'kept.across.restarts', numPartitions: 3 }] });
    const clusterId = (await client.describeCluster()).clusterId;
    await client.disconnect();

    const stopped = await stopLocalBroker(config, { log: silent });
    expect(stopped).toEqual({ stopped: true, pid: first.pid });
    expect(await processCommandLine(first.pid!)).toBeNull();
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
    await expect(fs.access(kafkaPaths(home).pidFile)).rejects.toThrow();
    expect(await stopLocalBroker(config, { log: silent })).toEqual({ stopped: false, pid: null });

    began = Date.now();
    const again = await startLocalBroker(config, options);
    const restartMs = Date.now() - began;
    expect(again.startedByUs).toBe(true);
    expect(again.pid).not.toBe(first.pid);

    const reopened = admin(again.brokers);
    await reopened.connect();
    expect(await reopened.listTopics()).toContain('kept.across.restarts');
    const metadata = await reopened.fetchTopicMetadata({ topics: ['kept.across.restarts'] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    expect((await reopened.describeCluster()).clusterId).toBe(clusterId);
    await reopened.disconnect();

    await stopLocalBroker(config, { log: silent });
    expect(await brokerProcesses(home)).toEqual([]);
    console.info(`local broker: first start ${firstStartMs} ms, restart ${restartMs} ms`);
  });

  it('fails with KAFKA_PORT_TAKEN when the port holds something that is not Kafka', async () => {
    const home = await newHome();
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined); // probes hang up abruptly
      socket.resume();
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;

    try {
      const config = { homeDir: home, kafkaBrokers: [`127.0.0.1:${port}`] };
      const error = await startLocalBroker(config, { libRoot, log: silent }).catch((e) => e);
      expect(error).toMatchObject({
        code: 'KAFKA_PORT_TAKEN',
        hint: expect.stringContaining('KAFKA_BROKERS'),
      });
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message).not.toContain('\n');
      expect(await brokerProcesses(home)).toEqual([]);
      await expect(fs.access(kafkaPaths(home).pidFile)).rejects.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports a broker that dies while starting, with the end of its log', async () => {
    const home = await newHome();
    const port = await findFreePort();
    const config = { homeDir: home, kafkaBrokers: [`127.0.0.1:${port}`] };

    // A heap size the JVM cannot parse makes it exit at once, as a broken JVM setup would.
    const error = await startLocalBroker(config, { libRoot, heap: 'lots', log: silent }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'KAFKA_START_FAILED' });
    expect(error.message).toContain('exited during start');
    expect(error.context.logTail.join('\n')).toMatch(/heap/i);
    expect(await brokerProcesses(home)).toEqual([]);
    await expect(fs.access(kafkaPaths(home).pidFile)).rejects.toThrow();
    expect(await isKafkaReachable(config.kafkaBrokers)).toBe(false);
  });
});
