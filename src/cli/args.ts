/** Command-line parsing on node:util's parseArgs, with errors that name the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HextorchError } from '../errors';

export type Flags = NonNullable<ParseArgsConfig['options']>;

export class UsageError extends HextorchError {
  constructor(message: string) {
    super('HEXTORCH_INVALID_ARGUMENT', message);
  }
}

export function parse(argv: string[], options: Flags, usage: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

export function numberFlag(values: Record<string, unknown>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, not '${String(text)}'`);
  }
  return value;
}

export function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requireFlag(values: Record<string, unknown>, name: string, usage: string): string {
  const v = stringFlag(values, name);
  if (v === undefined) throw new UsageError(`--${name} is required\n\n${usage}`);
  return v;
}

/** Thousands separators for human output. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
