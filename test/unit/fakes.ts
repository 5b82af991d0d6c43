/** A fake trainer and loader for testing the orchestration logic alone. */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { FileDigest } from '../../src/checkpoint-store';
import { HextorchError } from '../../src/errors';
import type { Batch, LoaderState } from '../../src/data-loader';
import type { MetricSums } from '../../src/metrics';
import type { LoaderLike, TrainerLike } from '../../src/orchestrator';

export class FakeLoader implements LoaderLike {
  epoch = 0;
  batchInEpoch = 0;
  constructor(
    readonly length: number,
    readonly batchSize = 4,
    readonly fingerprint = 'fake',
  ) {}

  take(count: number): AsyncIterable<Batch> {
    const n = Math.max(0, Math.min(count, this.length - this.batchInEpoch));
    return {
      [Symbol.asyncIterator]: () => {
        let given = 0;
        return {
          next: async () => {
            if (given >= n) return { done: true, value: undefined };
            given++;
            const batch = { size: this.batchSize, epoch: this.epoch, index: this.batchInEpoch, dispose() {} } as unknown as Batch;
            this.batchInEpoch++;
            if (this.batchInEpoch === this.length) {
              this.epoch++;
              this.batchInEpoch = 0;
            }
            return { done: false, value: batch };
          },
        };
      },
    };
  }

  state(): LoaderState {
    return { epoch: this.epoch, sampleInEpoch: this.batchInEpoch * this.batchSize, seed: 1, batchSize: this.batchSize, augment: 'all', split: 'train', fingerprint: this.fingerprint };
  }

  restore(state: LoaderState): void {
    this.epoch = state.epoch;
    this.batchInEpoch = state.sampleInEpoch / this.batchSize;
  }
}

function sums(batches: number, samples: number, loss: number): MetricSums {
  return { policyLossSum: loss * samples, policyCount: samples, policyCorrect: 0, valueLossSum: loss * samples, valueCorrect: samples / 2, samples, batches };
}

export class FakeTrainer implements TrainerLike {
  readonly options = { policyWeight: 0.5, valueWeight: 0.5 };
  step = 0;
  samples = 0;
  chunks: number[] = [];
  validations = 0;
  /** Validation losses to report, in order; then the last one repeats. */
  validationLosses: number[] = [1];
  /** Called after each step (to abort mid-chunk in tests). */
  afterStep?: (step: number) => void;

  get state() {
    return { globalStep: this.step, samplesSeen: this.samples, learningRate: 0.001 };
  }

  async trainOnBatches(batches: AsyncIterable<Batch>, options: { shouldStop?: () => boolean; onBatch?: () => void }) {
    let count = 0;
    let samples = 0;
    let stopped = false;
    for await (const batch of batches) {
      count++;
      samples += batch.size;
      this.step++;
      this.samples += batch.size;
      options.onBatch?.();
      this.afterStep?.(this.step);
      if (options.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
    this.chunks.push(count);
    return { sums: sums(count, samples, 1), stopped, seconds: 0.001 };
  }

  async validate(batches: AsyncIterable<Batch>) {
    let count = 0;
    for await (const _batch of batches) count++;
    const loss = this.validationLosses[Math.min(this.validations, this.validationLosses.length - 1)]!;
    this.validations++;
    return { sums: sums(count, count * 4, loss), stopped: false, seconds: 0.001 };
  }

  async saveCheckpoint(path: string): Promise<FileDigest> {
    const data = Buffer.from(JSON.stringify({ step: this.step, samples: this.samples }));
    await writeFile(path, data);
    return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }

  /** Like the real one: checks the file against `expected` before loading anything. */
  async loadCheckpoint(path: string, expected?: FileDigest): Promise<unknown> {
    const data = await readFile(path);
    if (expected && (data.length !== expected.bytes || createHash('sha256').update(data).digest('hex') !== expected.sha256)) {
      throw new HextorchError('HEXTORCH_CORRUPT_DATA', `checkpoint file ${path} does not match its manifest`);
    }
    const s = JSON.parse(data.toString('utf8')) as { step: number; samples: number };
    this.step = s.step;
    this.samples = s.samples;
    return null;
  }
}
