/**
 * The precision a training run computes in. `auto` is resolved by the native core when
 * the run starts (runtime/precision.h: CPU flags, GPU), and the result, not `auto`, is
 * recorded in config.json and in every checkpoint's state.json. A resumed run keeps the
 * recorded precision whatever `auto` would pick on the machine it resumes on, so its
 * steps are the ones an uninterrupted run would take. An explicit precision other than
 * the recorded one is a resume mismatch (src/resume-check.ts), refused unless --force.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpointName } from './checkpoint-store';
import { native } from './native';
import type { PRECISIONS } from './trainer';

export type Precision = (typeof PRECISIONS)[number];

/**
 * What to ask the Trainer for: `requested`, except that `auto` resuming a run becomes the
 * precision that run recorded. Runs recorded before precisions were resolved say `auto`,
 * which then meant bf16 on CUDA and fp32 on the CPU.
 */
export async function precisionForRun(
  requested: Precision,
  checkpointDir: string,
  options: { fresh?: boolean | undefined; resume?: 'auto' | 'never' | undefined; device?: string | undefined },
): Promise<Precision> {
  if (requested !== 'auto' || options.fresh || options.resume === 'never') return requested;
  const recorded = await recordedPrecision(checkpointDir);
  if (recorded === 'fp32' || recorded === 'bf16') return recorded;
  if (recorded === 'auto') return runsOnCuda(options.device ?? 'auto') ? 'bf16' : 'fp32';
  return 'auto';
}

/** The precision in the newest checkpoint's recorded config that can be read; undefined when there is none. */
export async function recordedPrecision(checkpointDir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(checkpointDir)).filter(isCheckpointName);
  } catch {
    return undefined;
  }
  // Checkpoints of one run share its config: the first readable one answers.
  for (const name of names.sort().reverse()) {
    try {
      const state = JSON.parse(await readFile(join(checkpointDir, name, 'state.json'), 'utf8')) as { config?: { precision?: unknown } };
      if (typeof state.config?.precision === 'string') return state.config.precision;
    } catch {
      // unreadable: the orchestrator names it when it resumes; try the one before
    }
  }
  return undefined;
}

function runsOnCuda(device: string): boolean {
  return device.startsWith('cuda') || (device === 'auto' && native().info().cudaAvailable);
}
