/** Errors with a stable `code`, from TypeScript validation and from the native core. */

export type ErrorCode =
  | 'HEXTORCH_INVALID_ARGUMENT'
  | 'HEXTORCH_INVALID_RECORD'
  | 'HEXTORCH_CORRUPT_DATA'
  | 'HEXTORCH_IO'
  | 'HEXTORCH_BUSY'
  | 'HEXTORCH_NON_FINITE_LOSS'
  | 'HEXTORCH_DISTRIBUTED'
  | 'HEXTORCH_DISTRIBUTED_UNAVAILABLE'
  | 'HEXTORCH_SHAPE_MISMATCH'
  | 'HEXTORCH_RESUME_MISMATCH'
  | 'HEXTORCH_LOAD_FAILED'
  | 'HEXTORCH_RUN_LOCKED'
  | 'HEXTORCH_INTERNAL';

export class HextorchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HextorchError';
    this.code = code;
  }
}

/** An option that is missing, of the wrong type or out of range: names the option and what is allowed. */
export function invalidOption(name: string, value: unknown, allowed: string): HextorchError {
  return new HextorchError('HEXTORCH_INVALID_ARGUMENT', `option '${name}' is ${describe(value)}; expected ${allowed}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Awaits a native call and rethrows its error as a HextorchError with the caller's
 * stack (native errors are created on the JS thread after the work, without one).
 */
export async function callNative<T>(call: () => Promise<T>): Promise<T> {
  const stack = new Error().stack;
  try {
    return await call();
  } catch (error) {
    throw asHextorchError(error, stack);
  }
}

export function asHextorchError(error: unknown, stack?: string): HextorchError {
  if (error instanceof HextorchError) return error;
  const e = error as { code?: string; message?: string };
  const code = (typeof e?.code === 'string' && e.code.startsWith('HEXTORCH_') ? e.code : 'HEXTORCH_INTERNAL') as ErrorCode;
  const wrapped = new HextorchError(code, e?.message ?? String(error), { cause: error });
  if (stack) wrapped.stack = `HextorchError: ${wrapped.message}\n${stack.split('\n').slice(2).join('\n')}`;
  return wrapped;
}

/** Runs a synchronous native call, converting its error. */
export function callNativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw asHextorchError(error);
  }
}
