/**
 * The one place that decides whether a saved run can continue exactly with today's
 * options and data. A mismatch is HEXTORCH_RESUME_MISMATCH; the orchestrator lets
 * --force override it, DataLoader.restore (used directly) never does.
 */
import type { LoaderState } from './data-loader';
import { HextorchError } from './errors';

/**
 * Run options whose change makes a resumed run differ from an uninterrupted one (the
 * loader's batch size, data seed, augmentation and dataset are compared on its state).
 * model, boardSize, blocks, channels and optimizer also decide whether model.pt can be
 * loaded at all. precision is recorded as resolved (src/run-precision.ts); runs recorded
 * before that say 'auto', resumed in what auto meant then, and are not compared.
 */
export const EXACTNESS_KEYS = ['model', 'boardSize', 'blocks', 'channels', 'optimizer', 'seed', 'precision'] as const;

/** What changed between a saved loader state and the loader now, for people. */
export function loaderMismatches(saved: LoaderState, now: LoaderState): string[] {
  const out: string[] = [];
  if (saved.fingerprint !== now.fingerprint) out.push(`the dataset changed (fingerprint ${saved.fingerprint}, now ${now.fingerprint})`);
  if (saved.batchSize !== now.batchSize) out.push(`batchSize was ${saved.batchSize}, now ${now.batchSize}`);
  if (saved.seed !== now.seed) out.push(`the data seed was ${saved.seed}, now ${now.seed}`);
  if (saved.augment !== now.augment) out.push(`augment was '${saved.augment}', now '${now.augment}'`);
  if (saved.split !== undefined && now.split !== undefined && saved.split !== now.split) out.push(`the split was '${saved.split}', now '${now.split}'`);
  return out;
}

/** Loader mismatches plus the run options of EXACTNESS_KEYS present on both sides. */
export function resumeMismatches(
  saved: { loader: LoaderState; config: Record<string, unknown> },
  now: { loader: LoaderState; config: Record<string, unknown> },
): string[] {
  const out = loaderMismatches(saved.loader, now.loader);
  for (const key of EXACTNESS_KEYS) {
    if (!(key in saved.config) || !(key in now.config)) continue;
    if (key === 'precision' && saved.config[key] === 'auto') continue;
    const was = JSON.stringify(saved.config[key]);
    const is = JSON.stringify(now.config[key]);
    if (was !== is) out.push(`${key} was ${was}, now ${is}`);
  }
  return out;
}

export function resumeMismatchError(what: string, mismatches: string[], hint = ''): HextorchError {
  return new HextorchError('HEXTORCH_RESUME_MISMATCH', `${what}: ${mismatches.join('; ')}${hint}`);
}
