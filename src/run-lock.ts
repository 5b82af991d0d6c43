/**
 * One trainer per run directory: an exclusive OS file lock (flock) on RUN/train.lock,
 * whose content names the holder (pid, host, start time). The kernel releases it when
 * the process ends in any way, so a lock left by a dead process never blocks; the file
 * itself stays (it is only a note).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { callNativeSync, HextorchError } from './errors';
import { native } from './native';

export const LOCK_FILE = 'train.lock';

export interface RunLock {
  readonly path: string;
  release(): void;
}

interface Holder {
  pid?: number;
  host?: string;
  started?: string;
}

/** Locks `runDir` for this process, or throws HEXTORCH_RUN_LOCKED naming the holder. */
export function lockRunDirectory(runDir: string): RunLock {
  const path = join(runDir, LOCK_FILE);
  const content = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`;
  const result = callNativeSync(() => native().lockFile(path, content));
  if (typeof result !== 'number') {
    let holder: Holder = {};
    try {
      holder = JSON.parse(result.holder) as Holder;
    } catch {
      // Being written at this moment: the holder is not known yet.
    }
    const who = holder.pid !== undefined ? `process ${holder.pid} on host ${holder.host ?? '?'}${holder.started ? ` (since ${holder.started})` : ''}` : 'another process';
    throw new HextorchError('HEXTORCH_RUN_LOCKED', `run directory ${runDir} is in use by ${who}: one trainer per run directory (lock ${path})`);
  }
  let fd: number | undefined = result;
  return {
    path,
    release() {
      if (fd !== undefined) native().unlockFile(fd);
      fd = undefined;
    },
  };
}
