/**
 * Finding a checkpoint's files from what a user points at: a checkpoint directory
 * (`RUN/checkpoints/ckpt-...`), the `model.pt` inside one, a checkpoints directory or a
 * run directory (their `latest` checkpoint), or a plain weights file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HextorchError } from '../errors';

export interface CheckpointFiles {
  /** The weights file (model.pt, or a state dict given directly). */
  weights: string;
  /** The checkpoint directory, when the weights are a hextorch checkpoint's. */
  dir: string | null;
  /** Its state.json (run configuration, history, counters), when present. */
  state: Record<string, unknown> | null;
}

const MODEL_FILE = 'model.pt';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function checkpointDirectory(path: string): string {
  if (existsSync(join(path, MODEL_FILE))) return path;
  for (const latestDir of [path, join(path, 'checkpoints')]) {
    const latest = join(latestDir, 'latest');
    if (existsSync(latest)) {
      const dir = join(latestDir, readFileSync(latest, 'utf8').trim());
      if (existsSync(join(dir, MODEL_FILE))) return dir;
      throw new HextorchError('HEXTORCH_IO', `${latest} names ${dir}, which holds no ${MODEL_FILE}`);
    }
  }
  throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${path} is not a checkpoint, checkpoints or run directory (no ${MODEL_FILE}, no latest)`);
}

export function resolveCheckpoint(path: string): CheckpointFiles {
  if (!existsSync(path)) throw new HextorchError('HEXTORCH_IO', `checkpoint ${path} does not exist`);
  let dir: string | null = null;
  let weights = path;
  if (isDirectory(path)) {
    dir = checkpointDirectory(path);
    weights = join(dir, MODEL_FILE);
  } else if (basename(path) === MODEL_FILE && existsSync(join(dirname(path), 'state.json'))) {
    dir = dirname(path);
  }
  let state: Record<string, unknown> | null = null;
  if (dir && existsSync(join(dir, 'state.json'))) {
    try {
      state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new HextorchError('HEXTORCH_CORRUPT_DATA', `cannot read ${join(dir, 'state.json')}: ${(error as Error).message}`);
    }
  }
  return { weights, dir, state };
}

/** The weights file a path names (for `initFrom`). */
export function resolveWeightsFile(path: string): string {
  return resolveCheckpoint(path).weights;
}
