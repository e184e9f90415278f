/**
 * The one place that reads the environment. Everything defaults to loopback services so that a
 * fresh checkout runs with nothing configured.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlmanacError } from '../errors.ts';
import { readInteger, readText, type Env } from './env.ts';

/** The folder holding package.json, whether this file runs from src/ or from a build in dist/. */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  for (let folder = start; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'package.json'))) return folder;
    if (path.dirname(folder) === folder) return path.resolve(start, '../..');
  }
}

/** The MovieLens copy that ships with Almanac (see its README for the terms). */
export const BUNDLED_MOVIELENS = path.join(PROJECT_ROOT, 'data', 'movielens-small');

export interface Config {
  /** PostgreSQL connection string; `?schema=name` selects a schema (tests use one each). */
  databaseUrl: string;
  redisUrl: string;
  /** Prefix put before every Redis key, so several deployments or tests can share one Redis. */
  redisKeyPrefix: string;
  kafkaBrokers: string[];
  kafkaClientId: string;
  /** Topic names derive from this: `<prefix>.events.v1`, `<prefix>.insights.v1` and their `.dlq`. */
  topicPrefix: string;
  eventPartitions: number;
  aggregatorGroup: string;
  /** A repeated event_id within this much ingestion time is counted once. */
  dedupeWindowMs: number;
  /** Idle gap, in event time, that closes a session; also the wall time the idle timer waits. */
  sessionIdleMs: number;
  /** How often the idle timer looks for open sessions to close. */
  sessionSweepIntervalMs: number;
  /** Only sessions that ended (event time) within this much of now get a spotlight. */
  spotlightWindowMs: number;
  /** A tag new to a user becomes an emerging interest at this many events... */
  interestMinEvents: number;
  /** ...within this much event time of its first event. */
  interestWindowMs: number;
  /** The bridge's consumer group, reading the insights topic into the queue. */
  bridgeGroup: string;
  /** The bridge pauses while the queue holds more than this many waiting jobs. */
  bridgeMaxWaiting: number;
  /** Prefix of the BullMQ queue keys in Redis. */
  queuePrefix: string;
  /** Attempts per job before it is kept as failed. */
  jobAttempts: number;
  /** Where downloaded engines and local service data live; ignored by git. */
  homeDir: string;
  gatewayPort: number;
  profilesSubgraphPort: number;
  host: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

function text(env: Env, name: string, fallback: string): string {
  return readText(env, name) ?? fallback;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Reads and validates the configuration; throws an AlmanacError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const logLevel = text(env, 'LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new AlmanacError('CONFIG_INVALID', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const topicPrefix = text(env, 'ALMANAC_TOPIC_PREFIX', 'almanac');
  if (!/^[a-zA-Z0-9._-]{1,100}$/.test(topicPrefix)) {
    throw new AlmanacError(
      'CONFIG_INVALID',
      'ALMANAC_TOPIC_PREFIX may hold only letters, digits, . _ -',
    );
  }

  return {
    databaseUrl: text(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/almanac'),
    redisUrl: text(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
    redisKeyPrefix: text(env, 'ALMANAC_REDIS_PREFIX', ''),
    kafkaBrokers: text(env, 'KAFKA_BROKERS', '127.0.0.1:9092')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    kafkaClientId: text(env, 'KAFKA_CLIENT_ID', 'almanac'),
    topicPrefix,
    eventPartitions: readInteger(env, 'ALMANAC_EVENT_PARTITIONS', 12, 1, 10_000),
    aggregatorGroup: text(env, 'ALMANAC_AGGREGATOR_GROUP', `${topicPrefix}.aggregator`),
    dedupeWindowMs: readInteger(env, 'ALMANAC_DEDUPE_WINDOW_DAYS', 7, 0, 3650) * 86_400_000,
    // Minutes in production; seconds, which win when both are set, let a test watch a session end.
    sessionIdleMs:
      readInteger(
        env,
        'ALMANAC_SESSION_IDLE_SECONDS',
        readInteger(env, 'ALMANAC_SESSION_IDLE_MINUTES', 30, 1, 24 * 60) * 60,
        1,
        86_400,
      ) * 1000,
    sessionSweepIntervalMs: readInteger(env, 'ALMANAC_SESSION_SWEEP_SECONDS', 60, 1, 3600) * 1000,
    spotlightWindowMs: readInteger(env, 'ALMANAC_SPOTLIGHT_WINDOW_DAYS', 7, 0, 3650) * 86_400_000,
    interestMinEvents: readInteger(env, 'ALMANAC_INTEREST_MIN_EVENTS', 3, 2, 1000),
    interestWindowMs: readInteger(env, 'ALMANAC_INTEREST_WINDOW_DAYS', 14, 1, 3650) * 86_400_000,
    bridgeGroup: text(env, 'ALMANAC_BRIDGE_GROUP', `${topicPrefix}.bridge`),
    bridgeMaxWaiting: readInteger(env, 'ALMANAC_BRIDGE_MAX_WAITING', 10_000, 1, 10_000_000),
    queuePrefix: text(env, 'ALMANAC_QUEUE_PREFIX', `${text(env, 'ALMANAC_REDIS_PREFIX', '')}bull`),
    jobAttempts: readInteger(env, 'ALMANAC_JOB_ATTEMPTS', 5, 1, 100),
    homeDir: path.resolve(text(env, 'ALMANAC_HOME', path.join(PROJECT_ROOT, '.almanac'))),
    gatewayPort: readInteger(env, 'PORT', 4000, 0, 65_535),
    profilesSubgraphPort: readInteger(env, 'ALMANAC_PROFILES_PORT', 4001, 0, 65_535),
    host: text(env, 'ALMANAC_HOST', '127.0.0.1'),
    logLevel: logLevel as Config['logLevel'],
  };
}

export function topicNames(config: Pick<Config, 'topicPrefix'>) {
  return {
    events: `${config.topicPrefix}.events.v1`,
    deadLetters: `${config.topicPrefix}.events.dlq`,
    insights: `${config.topicPrefix}.insights.v1`,
    insightDeadLetters: `${config.topicPrefix}.insights.dlq`,
  };
}
