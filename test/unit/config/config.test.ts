import { describe, expect, it } from 'vitest';
import { loadConfig, topicNames } from '../../../src/config/config.ts';
import { parseDatabaseUrl } from '../../../src/serving/postgres.ts';

describe('configuration', () => {
  it('defaults to loopback services', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/almanac');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.dedupeWindowMs).toBe(7 * 86_400_000);
    expect(topicNames(config)).toEqual({
      events: 'almanac.events.v1',
      deadLetters: 'almanac.events.dlq',
      insights: 'almanac.insights.v1',
      insightDeadLetters: 'almanac.insights.dlq',
    });
  });

  it('names the triggered-work settings after the prefixes', () => {
    const config = loadConfig({ ALMANAC_TOPIC_PREFIX: 'site', ALMANAC_REDIS_PREFIX: 'site:' });
    expect(config.bridgeGroup).toBe('site.bridge');
    expect(config.queuePrefix).toBe('site:bull');
    expect(config.jobAttempts).toBe(5);
    expect(config.bridgeMaxWaiting).toBe(10_000);
    expect(config.spotlightWindowMs).toBe(7 * 86_400_000);
    expect(loadConfig({ ALMANAC_SESSION_IDLE_SECONDS: '5' }).sessionIdleMs).toBe(5000);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ ALMANAC_DEDUPE_WINDOW_DAYS: 'week' })).toThrow(
      /ALMANAC_DEDUPE_WINDOW_DAYS must be a whole number/,
    );
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ ALMANAC_TOPIC_PREFIX: 'a b' })).toThrow(/ALMANAC_TOPIC_PREFIX/);
  });

  it('reads the schema from the database URL', () => {
    expect(parseDatabaseUrl('postgresql://u@h:5/db?schema=s1')).toEqual({
      connectionString: 'postgresql://u@h:5/db',
      schema: 's1',
      database: 'db',
    });
    expect(() => parseDatabaseUrl('mysql://h/db')).toThrow(/postgresql/);
  });
});
