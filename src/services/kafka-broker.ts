/**
 * A single-node Kafka broker for local runs and tests, for machines with no Kafka of their own.
 *
 * Kafka is not packaged for Debian, but its broker is a plain Java program published on Maven
 * Central, so the jars are fetched with Maven into `<homeDir>/kafka/<version>/lib` and run on the
 * installed JDK in KRaft mode (one process acting as broker and controller). The broker runs
 * detached: it outlives the command that started it, and a pidfile lets later commands find and
 * stop it. Its data directory is kept between runs, so topics and committed offsets persist.
 *
 * The controller quorum is declared statically (`controller.quorum.voters`) rather than formatted
 * as a dynamic quorum, because a static voter set lives only in server.properties: the
 * controller port may then change from one run to the next without invalidating the data.
 *
 * Limits: Linux-first (the check that a pid is still our broker reads /proc; elsewhere only
 * liveness is checked), one broker per home directory, plaintext listeners on loopback only.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { Config } from '../config/config.ts';
import { AlmanacError } from '../errors.ts';
import { rootLogger, type Logger } from '../logger.ts';
import { acquireLock } from './lock-file.ts';
import { findFreePort, isLoopbackHost, isPortFree, isPortOpen, parseHostPort } from './port.ts';
import {
  findExecutable,
  lastLines,
  processCommandLine,
  runCommand,
  sleep,
  tailFile,
  waitUntil,
} from './process.ts';

const { Kafka, logLevel: KafkaLogLevel } = kafkajs;

export const KAFKA_VERSION = '4.1.1';
const SCALA_VERSION = '2.13';
const LOG4J_VERSION = '2.24.3';
// Kafka itself still depends on slf4j-api 1.7, which cannot see the log4j 2 binding and prints
// a "StaticLoggerBinder" warning on every start; naming 2.0 here wins Maven's nearest-first pick.
const SLF4J_VERSION = '2.0.17';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const MIN_JAVA_MAJOR = 17;

export const DEFAULT_KAFKA_PORT = 9092;
const COMPLETE_MARKER = '.complete';
const MAIN_CLASS = 'kafka.Kafka';

const JAVA_HINT =
  'Install a JDK 17+ (apt-get install openjdk-17-jre-headless), or set KAFKA_BROKERS to a running broker';

const moduleLog = rootLogger.child('services').child('kafka');

/** Where the local broker keeps its files. */
export interface KafkaPaths {
  /** `<homeDir>/kafka`: configuration, data, log and pidfile of this home's broker. */
  root: string;
  /** The jars of KAFKA_VERSION; shared between homes when a separate lib root is given. */
  libDir: string;
  versionDir: string;
  pomFile: string;
  mavenLog: string;
  dataDir: string;
  clusterIdFile: string;
  propertiesFile: string;
  log4jFile: string;
  logFile: string;
  pidFile: string;
  lockFile: string;
}

/** The file layout under `homeDir`; `libRoot` (default `<homeDir>/kafka`) holds the jars. */
export function kafkaPaths(homeDir: string, libRoot?: string): KafkaPaths {
  const root = path.join(homeDir, 'kafka');
  const versionDir = path.join(libRoot ?? root, KAFKA_VERSION);
  return {
    root,
    versionDir,
    libDir: path.join(versionDir, 'lib'),
    pomFile: path.join(versionDir, 'pom.xml'),
    mavenLog: path.join(versionDir, 'maven.log'),
    dataDir: path.join(root, 'data'),
    clusterIdFile: path.join(root, 'cluster-id'),
    propertiesFile: path.join(root, 'server.properties'),
    log4jFile: path.join(root, 'log4j2.properties'),
    logFile: path.join(root, 'broker.log'),
    pidFile: path.join(root, 'broker.pid'),
    lockFile: path.join(root, 'broker.lock'),
  };
}

/** The port of the first loopback broker in KAFKA_BROKERS, else 9092. */
export function localBrokerPort(config: Pick<Config, 'kafkaBrokers'>): number {
  for (const broker of config.kafkaBrokers) {
    const { host, port } = parseHostPort(broker, DEFAULT_KAFKA_PORT);
    if (isLoopbackHost(host)) return port;
  }
  return DEFAULT_KAFKA_PORT;
}

/**
 * Whether a Kafka broker answers at `brokers`: a metadata round trip (describeCluster) that
 * lists at least one broker, not just an open port. Never throws; kafkajs's own logging goes
 * to our logger at debug.
 */
export async function isKafkaReachable(brokers: string[], timeoutMs = 2000): Promise<boolean> {
  // A closed port is the common case when nothing runs; a TCP check answers it without kafkajs.
  const open = await Promise.all(
    brokers.map((broker) => {
      const { host, port } = parseHostPort(broker, DEFAULT_KAFKA_PORT);
      return isPortOpen(host, port, Math.min(timeoutMs, 1000));
    }),
  );
  if (!open.some(Boolean)) return false;

  const kafka = new Kafka({
    clientId: 'almanac-probe',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: quietLogCreator(moduleLog),
  });
  const admin = kafka.admin({ retry: { retries: 0 } });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = (async () => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  })().catch(() => false);

  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Routes kafkajs log entries to `log` at debug, so probes of absent brokers stay quiet. */
export function quietLogCreator(log: Logger): kafkajs.logCreator {
  return () =>
    ({ namespace, label, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...rest } = entry;
      log.debug(String(message), { kafkaNamespace: namespace, kafkaLevel: label, ...rest });
    };
}

/** A Java properties value with backslashes escaped (the only special character in our paths). */
function propertyValue(value: string): string {
  return value.replaceAll('\\', '\\\\');
}

/** server.properties for a one-node KRaft cluster on loopback. */
export function renderServerProperties(options: {
  port: number;
  controllerPort: number;
  dataDir: string;
}): string {
  const { port, controllerPort } = options;
  const lines = [
    '# Written by Almanac on each start of the local broker; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${propertyValue(options.dataDir)}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // A shared two-core machine: fewer threads than the defaults sized for servers.
    'num.network.threads=2',
    'num.io.threads=4',
    'background.threads=4',
  ];
  return `${lines.join('\n')}\n`;
}

/** log4j2 configuration: warnings and errors to stdout, which the broker's log file receives. */
export function renderLog4jProperties(): string {
  return [
    'status=error',
    'rootLogger.level=WARN',
    'rootLogger.appenderRef.out.ref=out',
    'appender.out.type=Console',
    'appender.out.name=out',
    'appender.out.layout.type=PatternLayout',
    'appender.out.layout.pattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

/** The pom whose runtime dependencies are the broker's classpath. */
export function renderPom(): string {
  const dependency = (group: string, artifact: string, version: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId>` +
    `<version>${version}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.almanac</groupId>',
    '  <artifactId>kafka-broker-classpath</artifactId>',
    `  <version>${KAFKA_VERSION}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', `kafka_${SCALA_VERSION}`, KAFKA_VERSION),
    dependency('org.slf4j', 'slf4j-api', SLF4J_VERSION),
    dependency('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION),
    dependency('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** The major version in `java -version` output ("1.8.0_292" is 8, "17.0.15" is 17). */
export function parseJavaMajor(versionOutput: string): number | null {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return null;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** The java on PATH, checked to be new enough for the broker. */
export async function requireJava(): Promise<string> {
  const java = await findExecutable('java');
  if (!java) {
    throw new AlmanacError(
      'JAVA_MISSING',
      `No java on PATH; the local Kafka broker needs Java ${MIN_JAVA_MAJOR} or newer`,
      { hint: JAVA_HINT },
    );
  }

  const result = await runCommand(java, ['-version'], { timeoutMs: 30_000 });
  const major = parseJavaMajor(result.output);
  if (major !== null && major < MIN_JAVA_MAJOR) {
    throw new AlmanacError(
      'JAVA_TOO_OLD',
      `${java} is Java ${major}; the local Kafka broker needs Java ${MIN_JAVA_MAJOR} or newer`,
      { hint: JAVA_HINT, context: { java, major } },
    );
  }
  return java;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** Writes a file through a temporary name, so readers never see half of it. */
async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(temporary, content);
  await fs.rename(temporary, file);
}

/**
 * Fetches the broker's jars with Maven unless they are already there; returns the lib directory.
 * Maven writes into a private directory that is renamed into place once complete, so concurrent
 * fetches (from different homes sharing a lib root) cannot leave a half-filled lib behind.
 */
export async function ensureKafkaLibrary(
  libRoot: string,
  options: { timeoutMs?: number; log?: Logger } = {},
): Promise<string> {
  const paths = kafkaPaths(libRoot, libRoot);
  if (await exists(path.join(paths.libDir, COMPLETE_MARKER))) return paths.libDir;

  const log = options.log ?? moduleLog;
  await requireJava();
  const mvn = await findExecutable('mvn');
  if (!mvn) {
    throw new AlmanacError(
      'MAVEN_MISSING',
      `No mvn on PATH; it is needed once to fetch Kafka ${KAFKA_VERSION} from Maven Central`,
      { hint: 'Install Maven (apt-get install maven), or set KAFKA_BROKERS to a running broker' },
    );
  }

  await fs.mkdir(paths.versionDir, { recursive: true });
  await writeFileAtomic(paths.pomFile, renderPom());
  const partial = path.join(
    paths.versionDir,
    `lib.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  log.info('fetching Kafka with Maven', { version: KAFKA_VERSION, into: paths.libDir });
  const started = Date.now();

  try {
    const result = await runCommand(
      mvn,
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        '-f',
        paths.pomFile,
        `${DEPENDENCY_PLUGIN}:copy-dependencies`,
        `-DoutputDirectory=${partial}`,
        '-DincludeScope=runtime',
      ],
      { cwd: paths.versionDir, timeoutMs },
    );
    await fs.writeFile(paths.mavenLog, result.output);

    const mainJar = path.join(partial, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`);
    if (result.code !== 0 || !(await exists(mainJar))) {
      const why = result.timedOut
        ? `did not finish within ${Math.round(timeoutMs / 60_000)} min`
        : result.code !== 0
          ? `exited with code ${result.code}`
          : 'finished without the Kafka jar';
      throw new AlmanacError('KAFKA_FETCH_FAILED', `Maven ${why} fetching Kafka ${KAFKA_VERSION}`, {
        hint: `See ${paths.mavenLog}; Maven needs Maven Central or a mirror set in ~/.m2/settings.xml`,
        retriable: true,
        context: { output: lastLines(result.output, 20), pom: paths.pomFile },
      });
    }

    await fs.writeFile(path.join(partial, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    await moveIntoPlace(partial, paths.libDir);
  } finally {
    await fs.rm(partial, { recursive: true, force: true });
  }

  log.info('fetched Kafka', { version: KAFKA_VERSION, ms: Date.now() - started });
  return paths.libDir;
}

async function moveIntoPlace(partial: string, libDir: string): Promise<void> {
  try {
    await fs.rename(partial, libDir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }

  // Someone else's fetch got there first; theirs is as good as ours if it completed.
  if (await exists(path.join(libDir, COMPLETE_MARKER))) return;
  await fs.rm(libDir, { recursive: true, force: true });
  await fs.rename(partial, libDir);
}

export interface LocalBrokerOptions {
  /** The PLAINTEXT port; defaults to the loopback port in KAFKA_BROKERS, else 9092. */
  port?: number;
  /** Where the jars are cached (default `<homeDir>/kafka`); lets several homes share one copy. */
  libRoot?: string;
  /** The JVM's maximum heap, as `-Xmx` takes it. */
  heap?: string;
  /** How long to wait for a spawned broker to answer. */
  startTimeoutMs?: number;
  /** How long Maven may take to fetch the jars the first time. */
  fetchTimeoutMs?: number;
  log?: Logger;
}

export interface LocalBroker {
  brokers: string[];
  /** The broker's pid; null when the port already held a Kafka broker we do not manage. */
  pid: number | null;
  /** False when a broker was already running (ours from an earlier start, or someone else's). */
  startedByUs: boolean;
}

export interface LocalBrokerStatus {
  /** Whether this home's broker process is alive. */
  running: boolean;
  pid: number | null;
  /** Its address, from the server.properties it was started with. */
  brokers: string[] | null;
  /** Whether it answers a metadata request. */
  reachable: boolean;
}

/**
 * Starts this home's broker unless it already runs, and waits until it answers. Concurrent
 * calls (from any process) serialise on a lock file; the second finds the first's broker and
 * returns it with `startedByUs: false`. Fails with KAFKA_PORT_TAKEN when something that is not
 * Kafka holds the port, and KAFKA_START_FAILED (with the end of broker.log) when the broker does
 * not come up.
 */
export async function startLocalBroker(
  config: Pick<Config, 'homeDir' | 'kafkaBrokers'>,
  options: LocalBrokerOptions = {},
): Promise<LocalBroker> {
  const log = options.log ?? moduleLog;
  const paths = kafkaPaths(config.homeDir, options.libRoot);
  const port = options.port ?? localBrokerPort(config);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 15 * 60_000;
  await fs.mkdir(paths.root, { recursive: true });

  const release = await acquireLock(paths.lockFile, {
    timeoutMs: fetchTimeoutMs + startTimeoutMs + 60_000,
    onWait: (holder) =>
      log.info('waiting for another start of the local Kafka broker', { holderPid: holder.pid }),
  });
  try {
    return await startWhileLocked(paths, port, { ...options, startTimeoutMs, fetchTimeoutMs }, log);
  } finally {
    await release();
  }
}

async function startWhileLocked(
  paths: KafkaPaths,
  port: number,
  options: LocalBrokerOptions & { startTimeoutMs: number; fetchTimeoutMs: number },
  log: Logger,
): Promise<LocalBroker> {
  const running = await runningBroker(paths);
  if (running) {
    const brokers = [`127.0.0.1:${running.port}`];
    if (running.port !== port) {
      log.warn('the local Kafka broker already runs on another port', { wanted: port, ...running });
    }
    const answers = await waitUntil(() => isKafkaReachable(brokers), {
      timeoutMs: options.startTimeoutMs,
      intervalMs: 500,
    });
    if (answers) return { brokers, pid: running.pid, startedByUs: false };
    throw new AlmanacError(
      'KAFKA_START_FAILED',
      `The local Kafka broker (pid ${running.pid}) runs but does not answer at ${brokers[0]}`,
      {
        hint: `See ${paths.logFile}; "almanac services stop" ends it`,
        context: { logTail: await tailFile(paths.logFile, 20) },
      },
    );
  }

  await fs.rm(paths.pidFile, { force: true });
  const address = `127.0.0.1:${port}`;
  if (await isPortOpen('127.0.0.1', port)) {
    if (await isKafkaReachable([address], 5000)) {
      log.info('a Kafka broker not started by Almanac answers on the port; using it', { address });
      return { brokers: [address], pid: null, startedByUs: false };
    }
    throw portTaken(address);
  }

  const java = await requireJava();
  const libDir = await ensureKafkaLibrary(path.dirname(paths.versionDir), {
    timeoutMs: options.fetchTimeoutMs,
    log,
  });
  const controllerPort = await pickControllerPort(port);
  await fs.writeFile(
    paths.propertiesFile,
    renderServerProperties({ port, controllerPort, dataDir: paths.dataDir }),
  );
  await fs.writeFile(paths.log4jFile, renderLog4jProperties());
  await formatStorage(java, libDir, paths, log);

  return spawnBroker(java, libDir, paths, address, options, log);
}

function portTaken(address: string): AlmanacError {
  return new AlmanacError(
    'KAFKA_PORT_TAKEN',
    `Port ${address} is in use by something that does not answer as Kafka`,
    { hint: 'Set KAFKA_BROKERS to another loopback port, or free the port', context: { address } },
  );
}

/** port + 1 when free (predictable for people reading netstat), else any free port. */
async function pickControllerPort(port: number): Promise<number> {
  if (port < 65_535 && (await isPortFree(port + 1))) return port + 1;
  return findFreePort();
}

/**
 * A Kafka cluster id: 16 random bytes in unpadded URL-safe base64. One in 64 such ids starts with
 * '-', which the storage tool's argument parser takes for an option and refuses, so those are
 * drawn again.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Reads the cluster id kept for this home, creating one the first time. */
async function clusterId(paths: KafkaPaths): Promise<string> {
  try {
    const saved = (await fs.readFile(paths.clusterIdFile, 'utf8')).trim();
    if (/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(saved)) return saved;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  const id = newClusterId();
  await writeFileAtomic(paths.clusterIdFile, `${id}\n`);
  return id;
}

/** Formats the data directory once; a formatted one is kept with its topics and offsets. */
async function formatStorage(
  java: string,
  libDir: string,
  paths: KafkaPaths,
  log: Logger,
): Promise<void> {
  if (await exists(path.join(paths.dataDir, 'meta.properties'))) return;

  const id = await clusterId(paths);
  log.info('formatting the local Kafka data directory', { dataDir: paths.dataDir, clusterId: id });
  const result = await runCommand(
    java,
    [
      `-Dlog4j2.configurationFile=${paths.log4jFile}`,
      '-cp',
      path.join(libDir, '*'),
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      '-t',
      id,
      '-c',
      paths.propertiesFile,
    ],
    { cwd: paths.root, timeoutMs: 120_000 },
  );
  if (result.code !== 0) {
    throw new AlmanacError(
      'KAFKA_FORMAT_FAILED',
      `Formatting ${paths.dataDir} for Kafka failed (exit code ${result.code ?? 'none'})`,
      {
        hint: `If the directory holds nothing you need, delete it and start again. The tool said: ${lastLines(result.output, 3).join(' / ')}`,
        context: { output: lastLines(result.output, 20) },
      },
    );
  }
}

async function spawnBroker(
  java: string,
  libDir: string,
  paths: KafkaPaths,
  address: string,
  options: LocalBrokerOptions & { startTimeoutMs: number },
  log: Logger,
): Promise<LocalBroker> {
  // Keep the previous run's log for a look after a crash; start this run's log empty, so the
  // tail in an error message is about this run only.
  await fs.rename(paths.logFile, `${paths.logFile}.1`).catch(() => undefined);
  const output = openSync(paths.logFile, 'a');
  const started = Date.now();

  const child = (() => {
    try {
      return spawn(
        java,
        [
          `-Xmx${options.heap ?? '768m'}`,
          '-XX:+UseG1GC',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${paths.log4jFile}`,
          '-cp',
          path.join(libDir, '*'),
          MAIN_CLASS,
          paths.propertiesFile,
        ],
        { cwd: paths.root, detached: true, stdio: ['ignore', output, output] },
      );
    } finally {
      closeSync(output);
    }
  })();

  // Filled in by the child's events; an object so the compiler does not narrow it to null.
  const outcome: {
    exit: { code: number | null; signal: NodeJS.Signals | null } | null;
    error: Error | null;
  } = { exit: null, error: null };
  child.once('exit', (code, signal) => {
    outcome.exit = { code, signal };
  });
  child.once('error', (error) => {
    outcome.error = error;
  });
  child.unref();

  const pid = child.pid;
  if (pid === undefined) {
    await sleep(0); // let the 'error' event arrive
    throw new AlmanacError('KAFKA_START_FAILED', `Could not run ${java}`, { cause: outcome.error });
  }
  await fs.writeFile(paths.pidFile, `${pid}\n`);

  const ready = await waitUntil(() => isKafkaReachable([address]), {
    timeoutMs: options.startTimeoutMs,
    intervalMs: 500,
    stop: () => outcome.exit !== null,
  });
  if (ready) {
    log.info('started the local Kafka broker', { address, pid, ms: Date.now() - started });
    return { brokers: [address], pid, startedByUs: true };
  }

  const exited = outcome.exit;
  if (!exited) await terminate(pid, 10_000);
  await fs.rm(paths.pidFile, { force: true });
  const logTail = await tailFile(paths.logFile, 20);
  const why = exited
    ? `exited during start (${exited.signal ?? `code ${exited.code}`})`
    : `did not answer at ${address} within ${Math.round(options.startTimeoutMs / 1000)} s`;
  throw new AlmanacError('KAFKA_START_FAILED', `The local Kafka broker ${why}`, {
    hint: `See ${paths.logFile}`,
    retriable: !exited,
    context: { logTail, address },
  });
}

/**
 * The broker named by the pidfile, if that pid is alive and still runs this home's broker (a
 * pid reused by an unrelated process after a reboot does not count).
 */
async function runningBroker(paths: KafkaPaths): Promise<{ pid: number; port: number } | null> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(paths.pidFile, 'utf8')).trim());
  } catch {
    return null;
  }

  const commandLine = await processCommandLine(pid);
  if (commandLine === null) return null;
  const ours =
    commandLine.length === 0 ||
    (commandLine.includes(MAIN_CLASS) && commandLine.includes(paths.propertiesFile));
  if (!ours) return null;

  return { pid, port: (await configuredPort(paths)) ?? DEFAULT_KAFKA_PORT };
}

async function configuredPort(paths: KafkaPaths): Promise<number | null> {
  try {
    const properties = await fs.readFile(paths.propertiesFile, 'utf8');
    const match = /^advertised\.listeners=PLAINTEXT:\/\/[^:\s]+:(\d+)/m.exec(properties);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** SIGTERM, then SIGKILL if the process outlives `timeoutMs`; resolves once it is gone. */
async function terminate(pid: number, timeoutMs: number): Promise<void> {
  const gone = async () => (await processCommandLine(pid)) === null;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };

  signal('SIGTERM');
  if (await waitUntil(gone, { timeoutMs, intervalMs: 200 })) return;
  signal('SIGKILL');
  await waitUntil(gone, { timeoutMs: 5_000, intervalMs: 100 });
}

/**
 * Stops this home's broker if it runs: SIGTERM for a controlled shutdown, SIGKILL if it takes
 * longer than `timeoutMs`. Waits for any start in progress first.
 */
export async function stopLocalBroker(
  config: Pick<Config, 'homeDir'>,
  options: { timeoutMs?: number; log?: Logger } = {},
): Promise<{ stopped: boolean; pid: number | null }> {
  const log = options.log ?? moduleLog;
  const paths = kafkaPaths(config.homeDir);
  if (!(await exists(paths.root))) return { stopped: false, pid: null };

  const release = await acquireLock(paths.lockFile, { timeoutMs: 5 * 60_000 });
  try {
    const running = await runningBroker(paths);
    if (!running) {
      await fs.rm(paths.pidFile, { force: true }); // stale, if there was one
      return { stopped: false, pid: null };
    }

    const started = Date.now();
    await terminate(running.pid, options.timeoutMs ?? 30_000);
    await fs.rm(paths.pidFile, { force: true });
    log.info('stopped the local Kafka broker', { pid: running.pid, ms: Date.now() - started });
    return { stopped: true, pid: running.pid };
  } finally {
    await release();
  }
}

/** Whether this home's broker runs, under which pid and address, and whether it answers. */
export async function localBrokerStatus(
  config: Pick<Config, 'homeDir'>,
): Promise<LocalBrokerStatus> {
  const paths = kafkaPaths(config.homeDir);
  const running = await runningBroker(paths);
  if (!running) return { running: false, pid: null, brokers: null, reachable: false };

  const brokers = [`127.0.0.1:${running.port}`];
  return { running: true, pid: running.pid, brokers, reachable: await isKafkaReachable(brokers) };
}
