/**
 * The run's history: one JSON line per closed mini-epoch in an append-only file
 * (RUN/metrics.jsonl). A checkpoint records the file's position (length, SHA-256 of
 * that prefix, line count); resuming cuts the file back to it, so lines written after
 * the checkpoint never appear twice. Appends are flushed to disk off the JS thread
 * before the checkpoint that counts them is committed.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { HextorchError } from './errors';

/** Where the history stood when a checkpoint was written. */
export interface MetricsPosition {
  bytes: number;
  sha256: string;
  records: number;
}

export class MetricsLog {
  readonly path: string;
  private handle: FileHandle | undefined;
  private hash: Hash = createHash('sha256');
  private bytes = 0;
  private records = 0;

  constructor(path: string) {
    this.path = path;
  }

  private async file(): Promise<FileHandle> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
      } catch (error) {
        throw ioError(`cannot open ${this.path}`, error);
      }
    }
    return this.handle;
  }

  /** Starts an empty history (a new run). */
  async reset(): Promise<void> {
    const file = await this.file();
    try {
      await file.truncate(0);
      await file.datasync();
    } catch (error) {
      throw ioError(`cannot truncate ${this.path}`, error);
    }
    this.hash = createHash('sha256');
    this.bytes = 0;
    this.records = 0;
  }

  /**
   * Continues the history at a checkpoint's position: the file is cut back to its
   * length after its prefix is checked against the recorded hash. A shorter file or a
   * different prefix means the history was edited or lost: an error, unless `force`,
   * which sets the file aside (kept, never deleted) and continues with an empty one.
   * Returns the name of the set-aside file, if any.
   */
  async resumeAt(position: MetricsPosition, force: boolean): Promise<string | null> {
    const file = await this.file();
    const size = (await file.stat()).size;
    const hash = createHash('sha256');
    let problem: string | null = null;
    if (size < position.bytes) {
      problem = `it holds ${size} bytes, the checkpoint counted ${position.bytes}`;
    } else {
      const chunk = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(1, position.bytes)));
      for (let offset = 0; offset < position.bytes; ) {
        const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, position.bytes - offset), offset);
        if (bytesRead === 0) break;
        hash.update(chunk.subarray(0, bytesRead));
        offset += bytesRead;
      }
      if (hash.copy().digest('hex') !== position.sha256) problem = `its first ${position.bytes} bytes differ from what the checkpoint recorded`;
    }
    if (problem) {
      if (!force) {
        throw new HextorchError(
          'HEXTORCH_CORRUPT_DATA',
          `${this.path} does not match the checkpoint's history: ${problem} (edited or truncated?). Restore the file, use --force to resume anyway (the file is set aside and a new history starts), or --fresh to start over`,
        );
      }
      await this.close();
      const aside = `${this.path}.set-aside-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.path, aside);
      await this.reset();
      return aside;
    }
    try {
      if (size > position.bytes) {
        await file.truncate(position.bytes);
        await file.datasync();
      }
    } catch (error) {
      throw ioError(`cannot truncate ${this.path}`, error);
    }
    this.hash = hash;
    this.bytes = position.bytes;
    this.records = position.records;
    return null;
  }

  /** Appends one record and flushes it to disk. */
  async append(record: unknown): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    const file = await this.file();
    try {
      let written = 0;
      while (written < line.length) {
        written += (await file.write(line, written, line.length - written, this.bytes + written)).bytesWritten;
      }
      await file.datasync();
    } catch (error) {
      // Cut off a partial line; if even that fails, a resume cuts it off (it lies past
      // every recorded position).
      await file.truncate(this.bytes).catch(() => undefined);
      throw ioError(`cannot append to ${this.path}`, error);
    }
    this.hash.update(line);
    this.bytes += line.length;
    this.records++;
  }

  position(): MetricsPosition {
    return { bytes: this.bytes, sha256: this.hash.copy().digest('hex'), records: this.records };
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function ioError(what: string, error: unknown): HextorchError {
  const e = error as NodeJS.ErrnoException;
  const reason = e.code === 'ENOSPC' ? 'the disk is full' : e.message;
  return new HextorchError('HEXTORCH_IO', `${what}: ${reason}`, { cause: error });
}
