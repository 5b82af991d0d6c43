/** Durable file writes: a file is either the old one or the complete new one, even after a crash. */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Flushes a file or a directory (after a rename) to disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `path.tmp`, flushes it, renames it over `path` and flushes the directory. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  fsyncPath(tmp);
  renameSync(tmp, path);
  fsyncPath(dirname(path));
}
