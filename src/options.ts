/** Option checks shared by the API and the CLI: each names the option and what is allowed. */
import { invalidOption } from './errors';

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, value, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkNumber(name: string, value: unknown, min: number, max: number, allowed?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(name, value, allowed ?? `a number from ${min} to ${max}`);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidOption(name, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidOption(name, value, 'true or false');
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidOption(name, value, 'a non-empty string');
  return value;
}

/** `value` when given, else `fallback`, checked either way. */
export function optional<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** The cores available to this process. */
export function availableCores(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export const BOARD_SIZES = { min: 5, max: 19 } as const;
