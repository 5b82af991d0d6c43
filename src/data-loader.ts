/**
 * StreamingAugmentedDataset (what to read and how to augment it) and DataLoader (how
 * to batch it): native threads read, augment, shuffle and collate ahead of the
 * consumer; TypeScript pulls ready Batch handles.
 */
import { callNative, callNativeSync, HextorchError, invalidOption } from './errors';
import { native } from './native';
import type { NativeBatch, NativeDataLoader } from './native-types';
import { availableCores, checkBoolean, checkInteger, checkOneOf, checkString, optional } from './options';
import { loaderMismatches, resumeMismatchError } from './resume-check';

export type Augment = 'all' | 'random' | 'none';
export type Split = 'train' | 'validation';

export interface DatasetOptions {
  /** A dataset directory (made by import or generate) ... */
  dir?: string;
  /** ... or a list of shard files. */
  shards?: string[];
  split?: Split;
  /** 'all' (4 symmetries of every position, the default for train), 'random' (one), 'none' (the default for validation). */
  augment?: Augment;
  /** Seeded order that changes every epoch (default true for train, false for validation). */
  shuffle?: boolean;
  seed?: number;
}

export class StreamingAugmentedDataset {
  readonly dir: string | undefined;
  readonly shards: string[] | undefined;
  readonly split: Split;
  readonly augment: Augment;
  readonly shuffle: boolean;
  readonly seed: number;

  constructor(options: DatasetOptions) {
    if ((options.dir === undefined) === (options.shards === undefined)) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', "give exactly one of the options 'dir' and 'shards'");
    }
    this.dir = options.dir === undefined ? undefined : checkString('dir', options.dir);
    this.shards = options.shards?.map((s, i) => checkString(`shards[${i}]`, s));
    this.split = checkOneOf('split', optional(options.split, 'train'), ['train', 'validation'] as const);
    const training = this.split === 'train';
    this.augment = checkOneOf('augment', optional(options.augment, training ? 'all' : 'none'), ['all', 'random', 'none'] as const);
    this.shuffle = checkBoolean('shuffle', optional(options.shuffle, training));
    this.seed = checkInteger('seed', optional(options.seed, 1), 0);
  }
}

export interface DataLoaderOptions {
  batchSize?: number;
  /** Drop the final partial batch of each epoch (default false). */
  dropLast?: boolean;
  /** Reader threads (default: the cores available). The order does not depend on it. */
  workers?: number;
  /** Batches built ahead (default 4 per worker). */
  prefetch?: number;
  /** Cap on batches per epoch, e.g. for a quick validation. */
  maxBatches?: number;
  /**
   * Data-parallel: this rank reads only its share [r·B/W, (r+1)·B/W) of every global
   * batch of B (batchSize), so the ranks together see what one process would. The
   * loader's cursor and state stay global. batchSize must divide by worldSize.
   */
  rank?: number;
  worldSize?: number;
}

/** The exact position of a loader: enough to continue with the very next batch. */
export interface LoaderState {
  epoch: number;
  sampleInEpoch: number;
  seed: number;
  batchSize: number;
  augment: Augment;
  split: Split;
  fingerprint: string;
}

/** A collated batch: planes [B,3,N,N], policy [B] (-1 = none), value [B] (0 Blue won, 1 Red won). */
export class Batch {
  /** @internal */
  readonly handle: NativeBatch;
  readonly size: number;
  readonly boardSize: number;
  readonly epoch: number;
  readonly index: number;

  /** @internal */
  constructor(handle: NativeBatch) {
    this.handle = handle;
    this.size = handle.size;
    this.boardSize = handle.boardSize;
    this.epoch = handle.epoch;
    this.index = handle.index;
  }

  /** Copies of the batch's tensors, for inspection and tests. */
  toArrays(): { planes: Float32Array; policy: Int32Array; value: Float32Array } {
    return callNativeSync(() => this.handle.toArrays());
  }

  /** Frees the batch's memory now rather than at garbage collection. Idempotent. */
  dispose(): void {
    this.handle.dispose();
  }
}

export class DataLoader implements AsyncIterable<Batch> {
  readonly dataset: StreamingAugmentedDataset;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly workers: number;
  /** Batches per epoch. */
  readonly length: number;
  /** Examples per epoch (positions × 4 with augment 'all'). */
  readonly examplesPerEpoch: number;
  readonly positions: number;
  readonly boardSize: number;
  readonly fingerprint: string;
  private handle: NativeDataLoader | undefined;
  private iterating = false;

  constructor(dataset: StreamingAugmentedDataset | DatasetOptions, options: DataLoaderOptions = {}) {
    this.dataset = dataset instanceof StreamingAugmentedDataset ? dataset : new StreamingAugmentedDataset(dataset);
    this.batchSize = checkInteger('batchSize', optional(options.batchSize, 256), 1, 1 << 20);
    this.dropLast = checkBoolean('dropLast', optional(options.dropLast, false));
    this.workers = checkInteger('workers', optional(options.workers, availableCores()), 1, 256);
    const prefetch = checkInteger('prefetch', optional(options.prefetch, 4 * this.workers), 1, 4096);
    const maxBatches = options.maxBatches === undefined ? -1 : checkInteger('maxBatches', options.maxBatches, 0, 2 ** 31 - 1);
    const worldSize = checkInteger('worldSize', optional(options.worldSize, 1), 1, 65536);
    const rank = checkInteger('rank', optional(options.rank, 0), 0, worldSize - 1);
    if (this.batchSize % worldSize !== 0) {
      throw invalidOption('batchSize', this.batchSize, `a multiple of the world size ${worldSize} (the global batch is split evenly over the ranks)`);
    }
    const d = this.dataset;
    this.handle = callNativeSync(
      () =>
        new (native().NativeDataLoader)({
          ...(d.dir !== undefined ? { dir: d.dir } : { shards: d.shards! }),
          split: d.split,
          batchSize: this.batchSize,
          augment: d.augment,
          shuffle: d.shuffle,
          seed: d.seed,
          dropLast: this.dropLast,
          workers: this.workers,
          prefetch,
          maxBatches,
          rank,
          worldSize,
        }),
    );
    const described = this.handle.describe();
    this.length = described.batchesPerEpoch;
    this.examplesPerEpoch = described.examplesPerEpoch;
    this.positions = described.positions;
    this.boardSize = described.boardSize;
    this.fingerprint = described.fingerprint;
  }

  private native(): NativeDataLoader {
    if (!this.handle) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'the data loader was disposed');
    return this.handle;
  }

  /** The epoch the next batch belongs to. */
  get epoch(): number {
    return this.native().cursor().epoch;
  }

  /** Index in its epoch of the next batch. */
  get batchInEpoch(): number {
    return this.native().cursor().batch;
  }

  /** The next batch; after the last batch of an epoch the loader moves on to the next epoch. */
  async next(): Promise<Batch | null> {
    const handle = this.native();
    // Usually the readers are ahead: take the batch without a trip through the thread pool.
    const ready = callNativeSync(() => handle.tryNext());
    const batch = ready !== undefined ? ready : await callNative(() => handle.next());
    return batch ? new Batch(batch) : null;
  }

  /** Iterates the rest of the current epoch. */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.take(this.length - this.batchInEpoch)[Symbol.asyncIterator]();
  }

  /** The next `count` batches, but never past the end of the current epoch; pulled lazily. */
  take(count: number): AsyncIterable<Batch> {
    const remaining = this.length - this.batchInEpoch;
    const n = Math.max(0, Math.min(count, remaining));
    return {
      [Symbol.asyncIterator]: () => {
        if (this.iterating) throw new HextorchError('HEXTORCH_BUSY', 'this data loader is already being iterated');
        this.iterating = true;
        let given = 0;
        const finish = (): IteratorResult<Batch> => {
          this.iterating = false;
          return { done: true, value: undefined };
        };
        return {
          next: async (): Promise<IteratorResult<Batch>> => {
            if (given >= n) return finish();
            try {
              const batch = await this.next();
              if (!batch) return finish();
              given++;
              return { done: false, value: batch };
            } catch (error) {
              this.iterating = false;
              throw error;
            }
          },
          return: async (): Promise<IteratorResult<Batch>> => finish(),
        };
      },
    };
  }

  state(): LoaderState {
    const cursor = this.native().cursor();
    return {
      epoch: cursor.epoch,
      sampleInEpoch: cursor.batch * this.batchSize,
      seed: this.dataset.seed,
      batchSize: this.batchSize,
      augment: this.dataset.augment,
      split: this.dataset.split,
      fingerprint: this.fingerprint,
    };
  }

  /** Continues exactly where `state` was taken; no replay of the batches before it. */
  restore(state: LoaderState): void {
    const mismatches = loaderMismatches(state, this.state());
    if (mismatches.length > 0) throw resumeMismatchError('cannot restore the loader', mismatches);
    if (state.sampleInEpoch % this.batchSize !== 0) {
      throw new HextorchError('HEXTORCH_RESUME_MISMATCH', `sample ${state.sampleInEpoch} is not at a batch boundary of size ${this.batchSize}`);
    }
    const batch = state.sampleInEpoch / this.batchSize;
    callNativeSync(() => this.native().seek({ epoch: state.epoch, batch }));
  }

  /** Stops the reader threads and frees prefetched batches. Idempotent. */
  dispose(): void {
    this.handle?.dispose();
    this.handle = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
