import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/services/lock-file.ts';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'almanac-lock-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A pid that certainly belongs to no process: one that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('acquireLock', () => {
  it('creates the lock file and removes it on release', async () => {
    const file = path.join(dir, 'basic.lock');
    const release = await acquireLock(file, { timeoutMs: 1000 });
    const holder = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(holder.pid).toBe(process.pid);

    await release();
    await expect(fs.access(file)).rejects.toThrow();
    await release(); // twice is harmless
  });

  it('makes a second taker wait, and gives up with LOCK_TIMEOUT', async () => {
    const file = path.join(dir, 'held.lock');
    const release = await acquireLock(file, { timeoutMs: 1000 });
    let waitedFor: number | undefined;
    const started = Date.now();

    await expect(
      acquireLock(file, {
        timeoutMs: 400,
        intervalMs: 50,
        onWait: (holder) => (waitedFor = holder.pid),
      }),
    ).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', retriable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(waitedFor).toBe(process.pid);
    await release();
  });

  it('serialises concurrent takers: never two inside at once', async () => {
    const file = path.join(dir, 'serial.lock');
    let inside = 0;
    let most = 0;
    let entries = 0;

    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const release = await acquireLock(file, { timeoutMs: 10_000, intervalMs: 10 });
        inside += 1;
        entries += 1;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inside -= 1;
        await release();
      }),
    );
    expect(entries).toBe(5);
    expect(most).toBe(1);
  });

  it('takes over a lock whose holder has died', async () => {
    const file = path.join(dir, 'stale.lock');
    const pid = await deadPid();
    await fs.writeFile(file, JSON.stringify({ pid, createdAt: Date.now(), token: 'dead' }));

    const release = await acquireLock(file, { timeoutMs: 1000 });
    expect(JSON.parse(await fs.readFile(file, 'utf8')).pid).toBe(process.pid);
    await release();
  });

  it('takes over a live holder only after staleMs', async () => {
    const file = path.join(dir, 'old.lock');
    const old = Date.now() - 60_000;
    await fs.writeFile(file, JSON.stringify({ pid: process.pid, createdAt: old, token: 'old' }));

    await expect(acquireLock(file, { timeoutMs: 200, staleMs: 120_000 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
    });
    const release = await acquireLock(file, { timeoutMs: 200, staleMs: 30_000 });
    expect(JSON.parse(await fs.readFile(file, 'utf8')).token).not.toBe('old');
    await release();
  });

  it('takes over an unreadable lock file only once it is old', async () => {
    const file = path.join(dir, 'garbage.lock');
    await fs.writeFile(file, '');
    await expect(acquireLock(file, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
    });

    const past = new Date(Date.now() - 60_000);
    await fs.utimes(file, past, past);
    const release = await acquireLock(file, { timeoutMs: 1000 });
    await release();
  });

  it('does not remove a lock that was taken over from it', async () => {
    const file = path.join(dir, 'taken.lock');
    const release = await acquireLock(file, { timeoutMs: 1000 });
    const other = JSON.stringify({ pid: process.pid, createdAt: Date.now(), token: 'other' });
    await fs.writeFile(file, other);

    await release();
    expect(await fs.readFile(file, 'utf8')).toBe(other);
  });
});
