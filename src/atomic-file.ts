/**
 * Durable file writes: a file is either the old one or the complete new one, even after
 * a crash. The async functions flush on libuv's thread pool (FileHandle.sync), never on
 * the JS thread, and hash what they write from memory (nothing is read back): use them
 * in the training paths. The sync ones are for one-off tools (export).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Size and SHA-256 of a file as written. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** Flushes a file or a directory (after a rename) to disk. Blocks: not for async paths. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `path.tmp`, flushes it, renames it over `path` and flushes the directory. Blocks: not for async paths. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  fsyncPath(tmp);
  renameSync(tmp, path);
  fsyncPath(dirname(path));
}

/** Flushes a directory (after a rename or an unlink in it) to disk, off the JS thread. */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `content` to a new file and flushes it (off the JS thread); returns its size and SHA-256. */
export async function writeFileDurable(path: string, content: string | Uint8Array): Promise<FileDigest> {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** writeFileAtomic off the JS thread: `path.tmp`, flush, rename over `path`, directory flush. */
export async function writeFileAtomicAsync(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await writeFileDurable(tmp, content);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
