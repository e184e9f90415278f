import { describe, expect, it } from 'vitest';
import { servicesCommand } from '../../../src/cli/commands/services.ts';
import { loadConfig } from '../../../src/config/config.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('almanac services', () => {
  it.each([[[]], [['restart']], [['start', 'extra']]])('prints usage for %j', async (args) => {
    const { out, err, output } = capture();
    expect(await servicesCommand(args, loadConfig({}), output)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('Usage: almanac services <start|stop|status>');
  });

  it('refuses to start a local broker when KAFKA_BROKERS names only other hosts', async () => {
    const { out, err, output } = capture();
    const config = loadConfig({ KAFKA_BROKERS: 'kafka-1.example.com:9092' });
    expect(await servicesCommand(['start'], config, output)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('names no local address');
  });
});
