/**
 * Durable file writes: a file is either the old one or the complete new one, even after
 * a crash. Every flush runs on libuv's thread pool (FileHandle.sync), never on the JS
 * thread; the SHA-256 of what is written is taken from memory, never read back.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Size and SHA-256 of a file as written. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** Flushes a directory (after a rename or an unlink in it) to disk. */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `content` to a new file and flushes it; returns its size and SHA-256. */
export async function writeFileDurable(path: string, content: string | Buffer): Promise<FileDigest> {
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

/** Writes `path.tmp`, flushes it, renames it over `path` and flushes the directory. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
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
