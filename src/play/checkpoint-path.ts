/** Finds the model file a user means by a checkpoint path. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HextorchError } from '../errors';

/**
 * Accepts a model file (model.pt or any file written by saveCheckpoint), a checkpoint
 * directory (holding model.pt), a checkpoints directory (its `latest`), or a run
 * directory (checkpoints/latest).
 */
export function resolveCheckpoint(path: string): string {
  if (!existsSync(path)) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `checkpoint ${path} does not exist`);
  if (statSync(path).isFile()) return path;
  const candidates = [path, join(path, 'checkpoints')];
  if (existsSync(join(path, 'model.pt'))) return join(path, 'model.pt');
  for (const dir of candidates) {
    const latest = join(dir, 'latest');
    if (existsSync(latest)) {
      const name = readFileSync(latest, 'utf8').trim();
      const model = join(dir, name, 'model.pt');
      if (existsSync(model)) return model;
    }
  }
  throw new HextorchError(
    'HEXTORCH_INVALID_ARGUMENT',
    `no checkpoint at ${path}: expected a model file, a checkpoint directory with model.pt, a checkpoints directory with 'latest', or a run directory`,
  );
}
