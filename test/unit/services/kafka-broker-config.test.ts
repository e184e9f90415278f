/**
 * The files the local broker is started with, and the checks before Maven and Java run: all
 * without a JVM, using stand-in `java` and `mvn` scripts on a PATH of our own.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  KAFKA_VERSION,
  ensureKafkaLibrary,
  kafkaPaths,
  localBrokerPort,
  newClusterId,
  parseJavaMajor,
  renderLog4jProperties,
  renderPom,
  renderServerProperties,
} from '../../../src/services/kafka-broker.ts';
import { silentLogger } from '../../../src/logger.ts';

const silent = silentLogger;

function properties(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)] as [string, string];
    });
  return new Map(entries);
}

describe('cluster ids', () => {
  it('are 22 URL-safe base64 characters that never start with a hyphen', () => {
    // A leading '-' makes the storage tool read the id as an option: one id in 64 would fail.
    const ids = Array.from({ length: 2000 }, newClusterId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('server.properties', () => {
  const rendered = properties(
    renderServerProperties({ port: 19092, controllerPort: 19093, dataDir: '/tmp/k/data' }),
  );

  it('describes a one-node KRaft cluster on loopback', () => {
    expect(rendered.get('process.roles')).toBe('broker,controller');
    expect(rendered.get('node.id')).toBe('1');
    expect(rendered.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(rendered.get('listeners')).toBe(
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
    expect(rendered.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(rendered.get('controller.listener.names')).toBe('CONTROLLER');
    expect(rendered.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(rendered.get('log.dirs')).toBe('/tmp/k/data');
  });

  it('sizes internal topics for one broker and leaves topic creation to the application', () => {
    expect(rendered.get('offsets.topic.replication.factor')).toBe('1');
    expect(rendered.get('transaction.state.log.replication.factor')).toBe('1');
    expect(rendered.get('transaction.state.log.min.isr')).toBe('1');
    expect(rendered.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(rendered.get('auto.create.topics.enable')).toBe('false');
  });

  it('never listens beyond loopback', () => {
    for (const [key, value] of rendered) {
      if (key.includes('listeners') || key.includes('voters')) {
        expect(value.match(/\/\/([^:]+):|@([^:]+):/g)?.join(' ')).not.toMatch(/0\.0\.0\.0|\/\/:/);
        for (const host of value.matchAll(/(?:\/\/|@)([^:,]+):/g))
          expect(host[1]).toBe('127.0.0.1');
      }
    }
  });

  it('escapes backslashes in the data directory', () => {
    const text = renderServerProperties({ port: 1, controllerPort: 2, dataDir: 'C:\\k\\data' });
    expect(text).toContain('log.dirs=C:\\\\k\\\\data');
  });
});

describe('other generated files', () => {
  it('log4j logs warnings only, to the console that broker.log receives', () => {
    const log4j = properties(renderLog4jProperties());
    expect(log4j.get('rootLogger.level')).toBe('WARN');
    expect(log4j.get('appender.out.type')).toBe('Console');
  });

  it('the pom names Kafka, slf4j 2 and the log4j binding', () => {
    const pom = renderPom();
    expect(pom).toContain(`<artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version>`);
    expect(pom).toMatch(/<artifactId>slf4j-api<\/artifactId><version>2\.0\.\d+<\/version>/);
    expect(pom).toContain('<artifactId>log4j-slf4j2-impl</artifactId>');
    expect(pom).toContain('<artifactId>log4j-core</artifactId>');
  });

  it('lays files out under <home>/kafka, jars under the lib root', () => {
    const paths = kafkaPaths('/h', '/cache');
    expect(paths.libDir).toBe(`/cache/${KAFKA_VERSION}/lib`);
    expect(paths.dataDir).toBe('/h/kafka/data');
    expect(paths.pidFile).toBe('/h/kafka/broker.pid');
    expect(paths.logFile).toBe('/h/kafka/broker.log');
    expect(kafkaPaths('/h').libDir).toBe(`/h/kafka/${KAFKA_VERSION}/lib`);
  });
});

describe('localBrokerPort', () => {
  it('takes the first loopback broker, else 9092', () => {
    expect(localBrokerPort({ kafkaBrokers: ['127.0.0.1:19092'] })).toBe(19092);
    expect(localBrokerPort({ kafkaBrokers: ['kafka-1:9000', 'localhost:29092'] })).toBe(29092);
    expect(localBrokerPort({ kafkaBrokers: ['kafka-1:9000'] })).toBe(9092);
    expect(localBrokerPort({ kafkaBrokers: ['127.0.0.1'] })).toBe(9092);
  });
});

describe('parseJavaMajor', () => {
  it('reads old and new version schemes', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_292"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('openjdk version "25-ea"')).toBe(25);
    expect(parseJavaMajor('nonsense')).toBeNull();
  });
});

describe('ensureKafkaLibrary', () => {
  let dir: string;
  let bin: string;
  const originalPath = process.env.PATH;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-kafka-lib-'));
    bin = path.join(dir, 'bin');
    await fs.mkdir(bin);
  });

  afterEach(async () => {
    process.env.PATH = originalPath;
    for (const name of await fs.readdir(bin)) await fs.rm(path.join(bin, name));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function script(name: string, body: string): Promise<void> {
    await fs.writeFile(path.join(bin, name), `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`, {
      mode: 0o755,
    });
  }

  const fakeJava = (version: string) => script('java', `echo 'openjdk version "${version}"' >&2`);

  it('says JAVA_MISSING, with the package to install, when there is no java', async () => {
    process.env.PATH = bin;
    await expect(ensureKafkaLibrary(path.join(dir, 'a'), { log: silent })).rejects.toMatchObject({
      code: 'JAVA_MISSING',
      hint: expect.stringContaining('openjdk-17-jre-headless'),
    });
  });

  it('says JAVA_TOO_OLD for Java 8', async () => {
    await fakeJava('1.8.0_292');
    process.env.PATH = bin;
    await expect(ensureKafkaLibrary(path.join(dir, 'b'), { log: silent })).rejects.toMatchObject({
      code: 'JAVA_TOO_OLD',
    });
  });

  it('says MAVEN_MISSING when java is there but mvn is not', async () => {
    await fakeJava('17.0.2');
    process.env.PATH = bin;
    await expect(ensureKafkaLibrary(path.join(dir, 'c'), { log: silent })).rejects.toMatchObject({
      code: 'MAVEN_MISSING',
      hint: expect.stringContaining('apt-get install maven'),
    });
  });

  it("reports Maven's failure with the end of its output, and leaves no partial lib", async () => {
    await fakeJava('17.0.2');
    await script(
      'mvn',
      'for i in $(seq 1 40); do echo "noise $i"; done; echo "[ERROR] Could not resolve"; exit 1',
    );
    process.env.PATH = bin;
    const root = path.join(dir, 'd');

    const error = await ensureKafkaLibrary(root, { log: silent }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KAFKA_FETCH_FAILED', retriable: true });
    const output = (error as { context: { output: string[] } }).context.output;
    expect(output).toHaveLength(20);
    expect(output.at(-1)).toBe('[ERROR] Could not resolve');
    expect((error as Error).message).not.toContain('noise');

    const left = await fs.readdir(path.join(root, KAFKA_VERSION));
    expect(left.sort()).toEqual(['maven.log', 'pom.xml']);
  });

  it('fetches once: a second call skips Maven', async () => {
    await fakeJava('17.0.2');
    await script(
      'mvn',
      [
        'for a in "$@"; do case "$a" in -DoutputDirectory=*) out="${a#-DoutputDirectory=}";; esac; done',
        'mkdir -p "$out" && touch "$out/kafka_2.13-4.1.1.jar"',
        'echo run >> "$(dirname "$out")/runs"',
      ].join('\n'),
    );
    process.env.PATH = bin;
    const root = path.join(dir, 'e');

    const lib = await ensureKafkaLibrary(root, { log: silent });
    expect(lib).toBe(path.join(root, KAFKA_VERSION, 'lib'));
    expect(await fs.readdir(lib)).toContain('kafka_2.13-4.1.1.jar');

    process.env.PATH = ''; // neither java nor mvn now: a second fetch would fail
    expect(await ensureKafkaLibrary(root, { log: silent })).toBe(lib);
    const runs = await fs.readFile(path.join(root, KAFKA_VERSION, 'runs'), 'utf8');
    expect(runs.trim().split('\n')).toHaveLength(1);
  });
});
