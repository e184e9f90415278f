/**
 * Process plumbing for the local services: finding programs on PATH, telling whether a pid is
 * still ours, bounded waits, and reading the end of a log file for an error message.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The full path of `name` on PATH, or null when no executable of that name is there. */
export async function findExecutable(
  name: string,
  searchPath = process.env.PATH ?? '',
): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      await fs.access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/**
 * The argument vector of a live process, or null when it has exited. Zombies (exited, not yet
 * reaped) have an empty command line and count as exited. Off Linux, where /proc is missing,
 * the answer is [] for any pid that signal 0 reaches, so callers cannot check what it runs.
 */
export async function processCommandLine(pid: number): Promise<string[] | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;

  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return null;
    return raw.replace(/\0$/, '').split('\0');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (await hasProcFs())) return null;
    return isProcessAlive(pid) ? [] : null;
  }
}

let procFs: Promise<boolean> | undefined;
function hasProcFs(): Promise<boolean> {
  procFs ??= fs
    .access('/proc/self/cmdline')
    .then(() => true)
    .catch(() => false);
  return procFs;
}

/** Whether signal 0 reaches `pid` (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Calls `check` every `intervalMs` until it returns true or `timeoutMs` has passed; resolves
 * to whether it succeeded. `stop` ends the wait early (say, when the server being waited for
 * has exited).
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number; stop?: () => boolean },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  for (;;) {
    if (await check()) return true;
    if (options.stop?.()) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(interval, left));
  }
}

/** The last `lines` lines of a text file (reading at most its last 64 KiB); [] when missing. */
export async function tailFile(file: string, lines = 20): Promise<string[]> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return lastLines(buffer.toString('utf8'), lines);
  } catch {
    return [];
  } finally {
    await handle?.close();
  }
}

/** The last `count` non-empty lines of `text`. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .slice(-count);
}

export interface CommandResult {
  /** Exit code, or null when the command was killed (by the timeout or a signal). */
  code: number | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, as far as the pipes allow. */
  output: string;
}

/**
 * Runs a program to completion, collecting its output, killing it after `timeoutMs` (its own
 * children are not killed with it). Rejects only when the program cannot be started at all
 * (ENOENT and the like).
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // Only the end matters for an error message; keep memory bounded on chatty programs.
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);

    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, output });
    });
    // A killed program's own children may hold its output pipes open, delaying 'close' until
    // they end; after a timeout, its exit is all we wait for.
    child.once('exit', () => {
      if (!timedOut) return;
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code: null, timedOut, output });
    });
  });
}
