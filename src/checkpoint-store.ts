/**
 * Crash-safe checkpoints. Each checkpoint is a directory written under a temporary
 * name: its files are written and flushed by their writers, which hash them while
 * writing (nothing is read back); a manifest with their SHA-256 is written last, the
 * directory is renamed into place and its parent flushed; `latest` is then replaced
 * atomically. Every flush runs off the JS thread. A directory without a valid manifest is not a checkpoint. On open, stale
 * temporaries are swept and the list is rebuilt from disk; retention keeps the last K
 * plus the best by validation loss.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type FileDigest, fsyncDirectory, writeFileAtomicAsync, writeFileDurable } from './atomic-file';
import { HextorchError } from './errors';
import type { Logger } from './logger';

export interface CheckpointMeta {
  epoch: number;
  /** Mini-epoch index within its epoch. */
  miniEpoch: number;
  globalBatch: number;
  samplesSeen: number;
  /** Validation loss when the checkpoint closed a validated mini-epoch. */
  validationLoss: number | null;
  /** Written on a stop request before its mini-epoch was closed. */
  interrupted: boolean;
  createdAt: string;
}

export interface Checkpoint extends CheckpointMeta {
  name: string;
  path: string;
  bytes: number;
}

export type { FileDigest };

interface Manifest {
  format: 'hextorch-checkpoint';
  version: 1;
  meta: CheckpointMeta;
  files: Record<string, FileDigest>;
}

const MANIFEST = 'manifest.json';
const LATEST = 'latest';
const TMP_PREFIX = '.tmp-';
const NAME = /^ckpt-e\d+-m\d+-b\d+(-interrupted)?$/;

/** Whether a directory entry is named as a checkpoint (valid or not). */
export function isCheckpointName(entry: string): boolean {
  return NAME.test(entry);
}

export function checkpointName(meta: Pick<CheckpointMeta, 'epoch' | 'miniEpoch' | 'globalBatch' | 'interrupted'>): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `ckpt-e${pad(meta.epoch, 4)}-m${pad(meta.miniEpoch, 4)}-b${pad(meta.globalBatch, 9)}${meta.interrupted ? '-interrupted' : ''}`;
}

/**
 * The files of one checkpoint written at the same time (their writes and flushes
 * overlap): waits for every one of them, then throws the first failure, so nothing is
 * still writing into the directory when it is removed.
 */
export async function writeTogether(files: Record<string, Promise<FileDigest>>): Promise<Record<string, FileDigest>> {
  const names = Object.keys(files);
  const settled = await Promise.allSettled(Object.values(files));
  const digests: Record<string, FileDigest> = {};
  for (const [i, s] of settled.entries()) {
    if (s.status === 'rejected') throw s.reason;
    digests[names[i]!] = s.value;
  }
  return digests;
}

/** Streamed, so a large checkpoint is never held in memory whole. */
async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class CheckpointStore {
  readonly dir: string;
  readonly keepLast: number;
  readonly keepBest: boolean;
  private readonly logger: Logger;
  private checkpoints: Checkpoint[] = [];
  private readonly files = new Map<string, Manifest['files']>();

  constructor(options: { dir: string; keepLast: number; keepBest: boolean; logger: Logger }) {
    this.dir = options.dir;
    this.keepLast = options.keepLast;
    this.keepBest = options.keepBest;
    this.logger = options.logger;
  }

  /** Creates the directory, sweeps stale temporaries and lists the valid checkpoints. */
  async open(): Promise<Checkpoint[]> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      throw new HextorchError('HEXTORCH_IO', `cannot create checkpoint directory ${this.dir}: ${(error as Error).message}`);
    }
    const entries = await readdir(this.dir);
    for (const entry of entries) {
      if (entry.startsWith(TMP_PREFIX) || entry === `${LATEST}.tmp`) {
        this.logger.warn({ path: join(this.dir, entry) }, 'removing an unfinished checkpoint left by an earlier run');
        await rm(join(this.dir, entry), { recursive: true, force: true });
      }
    }
    this.checkpoints = [];
    for (const entry of entries.filter((e) => NAME.test(e))) {
      const checkpoint = await this.readManifest(entry).catch(() => null);
      if (checkpoint) this.checkpoints.push(checkpoint);
      else this.logger.warn({ path: join(this.dir, entry) }, 'ignoring a checkpoint directory without a valid manifest');
    }
    this.checkpoints.sort((a, b) => a.globalBatch - b.globalBatch || Number(b.interrupted) - Number(a.interrupted));
    return [...this.checkpoints];
  }

  /** Directories that look like checkpoints, valid or not (to refuse a silent fresh start). */
  async hasCheckpointDirectories(): Promise<boolean> {
    try {
      return (await readdir(this.dir)).some((e) => NAME.test(e));
    } catch {
      return false;
    }
  }

  private async readManifest(name: string): Promise<Checkpoint> {
    const path = join(this.dir, name);
    const manifest = JSON.parse(await readFile(join(path, MANIFEST), 'utf8')) as Manifest;
    if (manifest.format !== 'hextorch-checkpoint' || manifest.version !== 1) throw new Error('unknown manifest format');
    return this.remember(name, manifest);
  }

  private remember(name: string, manifest: Manifest): Checkpoint {
    let bytes = 0;
    for (const info of Object.values(manifest.files)) bytes += info.bytes;
    this.files.set(name, manifest.files);
    return { ...manifest.meta, name, path: join(this.dir, name), bytes };
  }

  /** Size and SHA-256 of one file of a checkpoint, as its manifest records them. */
  async digest(checkpoint: Checkpoint, file: string): Promise<FileDigest> {
    const files = this.files.get(checkpoint.name) ?? (await this.readManifest(checkpoint.name), this.files.get(checkpoint.name)!);
    const info = files[file];
    if (!info) throw new HextorchError('HEXTORCH_CORRUPT_DATA', `checkpoint ${checkpoint.path} has no ${file} in its manifest`);
    return info;
  }

  /** Checks every file of a checkpoint against its manifest; throws naming the first bad file. */
  async verify(checkpoint: Checkpoint): Promise<void> {
    const manifest = JSON.parse(await readFile(join(checkpoint.path, MANIFEST), 'utf8')) as Manifest;
    for (const [file, info] of Object.entries(manifest.files)) {
      const path = join(checkpoint.path, file);
      const size = (await stat(path)).size;
      if (size !== info.bytes || (await sha256(path)) !== info.sha256) {
        throw new HextorchError('HEXTORCH_CORRUPT_DATA', `checkpoint file ${path} does not match its manifest (corrupt or modified)`);
      }
    }
  }

  /**
   * The newest checkpoint whose files match their manifest (reading all of them; for
   * tools and tests: resuming checks each file as it reads it).
   */
  async newestValid(): Promise<Checkpoint | null> {
    for (const checkpoint of [...this.checkpoints].reverse()) {
      try {
        await this.verify(checkpoint);
        return checkpoint;
      } catch (error) {
        this.logger.warn({ checkpoint: checkpoint.name, reason: (error as Error).message }, 'skipping a corrupt checkpoint; falling back to the previous one');
      }
    }
    return null;
  }

  /**
   * Writes a checkpoint: `writeFiles` fills a temporary directory, flushes its files and
   * returns their digests; the manifest, the rename and `latest` follow. `beforeManifest`
   * runs between the two (crash tests). Any failure (a full disk included) removes the
   * temporary directory and leaves the earlier checkpoints and `latest` as they were.
   */
  async write(meta: CheckpointMeta, writeFiles: (dir: string) => Promise<Record<string, FileDigest>>, beforeManifest?: () => void): Promise<Checkpoint> {
    const name = checkpointName(meta);
    const finalPath = join(this.dir, name);
    const existing = this.checkpoints.find((c) => c.name === name);
    if (existing) return existing;  // same global batch, same state: nothing new to write
    const tmp = join(this.dir, `${TMP_PREFIX}${name}-${process.pid}`);
    let manifest: Manifest;
    let renamed = false;
    try {
      await mkdir(tmp);
      const files = await writeFiles(tmp);
      beforeManifest?.();
      manifest = { format: 'hextorch-checkpoint', version: 1, meta, files };
      await writeFileDurable(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await fsyncDirectory(tmp);
      await rename(tmp, finalPath);
      renamed = true;
      await fsyncDirectory(this.dir);
      await writeFileAtomicAsync(join(this.dir, LATEST), `${name}\n`);
    } catch (error) {
      // A checkpoint renamed into place but not named by `latest` is complete (it has its
      // manifest) but is taken back, so that `latest` and the newest checkpoint agree.
      await rm(renamed ? finalPath : tmp, { recursive: true, force: true }).catch(() => undefined);
      const e = error as NodeJS.ErrnoException & { code?: string };
      const reason = e.code === 'ENOSPC' || /No space left/.test(e.message) ? 'the disk is full' : e.message;
      throw new HextorchError('HEXTORCH_IO', `cannot write checkpoint ${finalPath}: ${reason}; earlier checkpoints and 'latest' are untouched`, { cause: error });
    }
    const checkpoint = this.remember(name, manifest);
    this.checkpoints.push(checkpoint);
    await this.applyRetention();
    return checkpoint;
  }

  /** The best validated checkpoint so far (lowest validation loss). */
  best(): Checkpoint | undefined {
    let best: Checkpoint | undefined;
    for (const c of this.checkpoints) {
      if (c.interrupted || c.validationLoss === null) continue;
      if (!best || c.validationLoss < best.validationLoss!) best = c;
    }
    return best;
  }

  private async applyRetention(): Promise<void> {
    const keep = new Set(this.checkpoints.slice(-this.keepLast).map((c) => c.name));
    const best = this.keepBest ? this.best() : undefined;
    if (best) keep.add(best.name);
    const removed = this.checkpoints.filter((c) => !keep.has(c.name));
    this.checkpoints = this.checkpoints.filter((c) => keep.has(c.name));
    for (const c of removed) {
      this.files.delete(c.name);
      await rm(c.path, { recursive: true, force: true });
      this.logger.debug({ checkpoint: c.name }, 'checkpoint rotated away');
    }
  }

  /**
   * Moves existing checkpoints, and `alsoMove` files that exist (the run's history), aside
   * (never deletes them) so a run can start fresh.
   */
  async archiveAll(alsoMove: string[] = []): Promise<string | null> {
    const entries = (await readdir(this.dir)).filter((e) => NAME.test(e) || e === LATEST);
    if (entries.length === 0) return null;
    const archive = join(this.dir, `archived-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(archive);
    for (const entry of entries) await rename(join(this.dir, entry), join(archive, entry));
    for (const path of alsoMove) {
      await rename(path, join(archive, basename(path))).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    await fsyncDirectory(this.dir);
    this.checkpoints = [];
    this.files.clear();
    return archive;
  }
}
