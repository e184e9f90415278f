/** Reading settings from an environment: text trimmed, whole numbers range-checked. */
import { AlmanacError } from '../errors.ts';

export type Env = Record<string, string | undefined>;

/** The trimmed value, or undefined when the variable is unset or blank. */
export function readText(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A whole number from `min` to `max`, `fallback` when unset; names the variable when wrong. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = readText(env, name);
  if (raw === undefined) return fallback;

  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AlmanacError(
      'CONFIG_INVALID',
      `${name} must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}
