/**
 * A lock between processes on one machine: a file created with O_EXCL that names its holder's
 * pid. A lock whose holder has died is stale and gets taken over, so a crash mid-start does not
 * block the next start forever.
 *
 * Limits: the holder check is a pid, so the lock is only good between processes of one machine
 * (not over a network file system), and a holder whose pid was reused by an unrelated process
 * keeps the lock until `staleMs` passes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { AlmanacError } from '../errors.ts';
import { isProcessAlive, sleep } from './process.ts';

export interface LockOptions {
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number;
  /** A lock older than this is taken over even when its holder's pid is alive. */
  staleMs?: number;
  intervalMs?: number;
  /** Called once when the lock is found held, so the caller can say what it waits for. */
  onWait?: (holder: LockHolder) => void;
}

export interface LockHolder {
  pid: number;
  createdAt: number;
  token: string;
}

/** Releases the lock; safe to call twice, and a no-op if the lock was taken over meanwhile. */
export type ReleaseLock = () => Promise<void>;

/** Takes the lock at `file`, waiting for a live holder up to `options.timeoutMs`. */
export async function acquireLock(file: string, options: LockOptions): Promise<ReleaseLock> {
  const staleMs = options.staleMs ?? 30 * 60_000;
  const deadline = Date.now() + options.timeoutMs;
  const holder: LockHolder = {
    pid: process.pid,
    createdAt: Date.now(),
    token: randomBytes(8).toString('hex'),
  };
  let reportedWait = false;

  for (;;) {
    holder.createdAt = Date.now();
    if (await tryCreate(file, holder)) return releaser(file, holder.token);

    const current = await readHolder(file);
    if (current === undefined) continue; // released between our create and read: try again
    if (await isStale(file, current, staleMs)) {
      await breakStaleLock(file, current);
      continue;
    }

    if (!reportedWait && current) {
      reportedWait = true;
      options.onWait?.(current);
    }
    if (Date.now() >= deadline) {
      throw new AlmanacError(
        'LOCK_TIMEOUT',
        `Waited ${Math.round(options.timeoutMs / 1000)} s for the lock ${file}` +
          (current ? `, held by pid ${current.pid}` : ''),
        {
          hint: 'Another start is still running; wait for it, or delete the file if no such process exists',
          retriable: true,
          context: { file, holder: current },
        },
      );
    }
    await sleep(options.intervalMs ?? 200);
  }
}

async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  try {
    const handle = await fs.open(file, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(holder));
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * The holder named in the file; null when the file exists but cannot be parsed (a holder that
 * died between creating and writing it, or one that is writing right now); undefined when the
 * file is gone.
 */
async function readHolder(file: string): Promise<LockHolder | null | undefined> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }

  try {
    const parsed = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return null;
    return { pid: parsed.pid, createdAt: Number(parsed.createdAt) || 0, token: parsed.token };
  } catch {
    return null;
  }
}

/** How long an unreadable lock file may exist before it counts as left by a dead holder. */
const UNREADABLE_GRACE_MS = 5_000;

async function isStale(file: string, holder: LockHolder | null, staleMs: number): Promise<boolean> {
  if (holder) return !isProcessAlive(holder.pid) || Date.now() - holder.createdAt > staleMs;

  // An unreadable file is either a holder between its open and its write, or one that died
  // there; only its age tells them apart.
  try {
    const stat = await fs.stat(file);
    return Date.now() - stat.mtimeMs > UNREADABLE_GRACE_MS;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock without removing a fresh one that a racing process may have put in its
 * place: the file is renamed aside first (atomic), and if what was renamed turns out not to be
 * the stale holder, it is linked back (link fails rather than overwrite a newer lock).
 */
async function breakStaleLock(file: string, stale: LockHolder | null): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }

  const moved = await readHolder(aside);
  if (moved && moved.token !== stale?.token) {
    await fs.link(aside, file).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

function releaser(file: string, token: string): ReleaseLock {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const current = await readHolder(file);
    if (current && current.token === token) await fs.rm(file, { force: true });
  };
}
