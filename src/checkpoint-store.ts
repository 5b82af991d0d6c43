/**
 * Crash-safe checkpoints. Each checkpoint is a directory written under a temporary
 * name: its files are fsynced, a manifest with their SHA-256 is written last, the
 * directory is renamed into place and its parent fsynced; `latest` is then replaced
 * atomically. A directory without a valid manifest is not a checkpoint. On open, stale
 * temporaries are swept and the list is rebuilt from disk; retention keeps the last K
 * plus the best by validation loss.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath, writeFileAtomic } from './atomic-file';
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

interface Manifest {
  format: 'hextorch-checkpoint';
  version: 1;
  meta: CheckpointMeta;
  files: Record<string, { sha256: string; bytes: number }>;
}

const MANIFEST = 'manifest.json';
const LATEST = 'latest';
const TMP_PREFIX = '.tmp-';
const NAME = /^ckpt-e\d+-m\d+-b\d+(-interrupted)?$/;

export function checkpointName(meta: Pick<CheckpointMeta, 'epoch' | 'miniEpoch' | 'globalBatch' | 'interrupted'>): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `ckpt-e${pad(meta.epoch, 4)}-m${pad(meta.miniEpoch, 4)}-b${pad(meta.globalBatch, 9)}${meta.interrupted ? '-interrupted' : ''}`;
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

  list(): Checkpoint[] {
    return [...this.checkpoints];
  }

  private async readManifest(name: string): Promise<Checkpoint> {
    const path = join(this.dir, name);
    const manifest = JSON.parse(await readFile(join(path, MANIFEST), 'utf8')) as Manifest;
    if (manifest.format !== 'hextorch-checkpoint' || manifest.version !== 1) throw new Error('unknown manifest format');
    let bytes = 0;
    for (const info of Object.values(manifest.files)) bytes += info.bytes;
    return { ...manifest.meta, name, path, bytes };
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

  /** The newest checkpoint whose files match their manifest; corrupt newer ones are skipped with a warning. */
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
   * Writes a checkpoint: `writeFiles` fills a temporary directory; the manifest, the
   * rename and `latest` follow. `beforeManifest` runs between the two (crash tests).
   */
  async write(meta: CheckpointMeta, writeFiles: (dir: string) => Promise<void>, beforeManifest?: () => void): Promise<Checkpoint> {
    const name = checkpointName(meta);
    const finalPath = join(this.dir, name);
    const existing = this.checkpoints.find((c) => c.name === name);
    if (existing) return existing;  // same global batch, same state: nothing new to write
    const tmp = join(this.dir, `${TMP_PREFIX}${name}-${process.pid}`);
    try {
      await mkdir(tmp);
      await writeFiles(tmp);
      const files: Manifest['files'] = {};
      for (const file of await readdir(tmp)) {
        const path = join(tmp, file);
        fsyncPath(path);
        files[file] = { sha256: await sha256(path), bytes: (await stat(path)).size };
      }
      beforeManifest?.();
      const manifest: Manifest = { format: 'hextorch-checkpoint', version: 1, meta, files };
      await writeFile(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      fsyncPath(join(tmp, MANIFEST));
      fsyncPath(tmp);
      await rename(tmp, finalPath);
      fsyncPath(this.dir);
      writeFileAtomic(join(this.dir, LATEST), `${name}\n`);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      const reason = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : (error as Error).message;
      throw new HextorchError('HEXTORCH_IO', `cannot write checkpoint ${finalPath}: ${reason}; earlier checkpoints are untouched`, { cause: error });
    }
    const checkpoint = await this.readManifest(name);
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
      await rm(c.path, { recursive: true, force: true });
      this.logger.debug({ checkpoint: c.name }, 'checkpoint rotated away');
    }
  }

  /** Moves existing checkpoints aside (never deletes them) so a run can start fresh. */
  async archiveAll(): Promise<string | null> {
    const entries = (await readdir(this.dir)).filter((e) => NAME.test(e) || e === LATEST);
    if (entries.length === 0) return null;
    const archive = join(this.dir, `archived-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(archive);
    for (const entry of entries) await rename(join(this.dir, entry), join(archive, entry));
    fsyncPath(this.dir);
    this.checkpoints = [];
    return archive;
  }
}
