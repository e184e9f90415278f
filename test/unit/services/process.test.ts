import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findExecutable,
  lastLines,
  processCommandLine,
  runCommand,
  tailFile,
  waitUntil,
} from '../../../src/services/process.ts';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-process-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('tailFile', () => {
  it('returns the last lines, skipping blank ones', async () => {
    const file = path.join(dir, 'log');
    await fs.writeFile(file, ['one', 'two', '', 'three', 'four', ''].join('\n'));
    expect(await tailFile(file, 2)).toEqual(['three', 'four']);
    expect(await tailFile(path.join(dir, 'missing'), 2)).toEqual([]);
  });

  it('reads only the end of a large file', async () => {
    const file = path.join(dir, 'big');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i}`);
    await fs.writeFile(file, lines.join('\n'));
    expect(await tailFile(file, 3)).toEqual(['line 19997', 'line 19998', 'line 19999']);
  });

  it('lastLines handles CRLF', () => {
    expect(lastLines('a\r\nb\r\nc\r\n', 2)).toEqual(['b', 'c']);
  });
});

describe('waitUntil', () => {
  it('gives up after the timeout', async () => {
    const started = Date.now();
    expect(await waitUntil(() => false, { timeoutMs: 300, intervalMs: 50 })).toBe(false);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
  });

  it('stops early when told to, and succeeds as soon as the check does', async () => {
    let calls = 0;
    expect(await waitUntil(() => ++calls === 3, { timeoutMs: 5000, intervalMs: 10 })).toBe(true);
    expect(calls).toBe(3);
    const started = Date.now();
    expect(await waitUntil(() => false, { timeoutMs: 5000, stop: () => true })).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('processes', () => {
  it('finds executables on a given PATH only', async () => {
    const tool = path.join(dir, 'some-tool');
    await fs.writeFile(tool, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await fs.writeFile(path.join(dir, 'not-executable'), 'x', { mode: 0o644 });
    expect(await findExecutable('some-tool', `/nonexistent${path.delimiter}${dir}`)).toBe(tool);
    expect(await findExecutable('not-executable', dir)).toBeNull();
    expect(await findExecutable('some-tool', '')).toBeNull();
  });

  it('reads the command line of a live process and reports an exited one as gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'marker-arg'], {
      stdio: 'ignore',
    });
    const pid = child.pid!;
    try {
      expect(await processCommandLine(pid)).toContain('marker-arg');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    expect(
      await waitUntil(async () => (await processCommandLine(pid)) === null, { timeoutMs: 5000 }),
    ).toBe(true);
  });

  it('runCommand collects output and kills a command that overruns', async () => {
    const ok = await runCommand('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'], {
      timeoutMs: 10_000,
    });
    expect(ok).toMatchObject({ code: 3, timedOut: false });
    expect(ok.output).toContain('out');
    expect(ok.output).toContain('err');

    const slow = await runCommand('/bin/sh', ['-c', 'exec sleep 30'], { timeoutMs: 200 });
    expect(slow).toMatchObject({ code: null, timedOut: true });
  });
});
