/**
 * MiniEpochOrchestrator: trains in mini-epochs of N batches — after each, validate,
 * checkpoint, log — with one trainer, model and optimiser for the whole run. It owns the
 * schedule, the checkpoint store and resume; batching stays with the DataLoader.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from './atomic-file';
import type { Batch, LoaderState } from './data-loader';
import { HextorchError } from './errors';
import { faultPoint } from './fault';
import { type Logger, type LoggerOptions, resolveLogger } from './logger';
import { addSums, emptySums, type Metrics, type MetricSums, summarize } from './metrics';
import { type Checkpoint, CheckpointStore, checkpointName, type FileDigest, writeTogether } from './checkpoint-store';
import { MetricsLog, type MetricsPosition } from './metrics-log';
import { resumeMismatchError, resumeMismatches } from './resume-check';
import { checkBoolean, checkInteger, checkNumber, checkOneOf, optional } from './options';
import { version } from './version';
import { type LoadEvent, MachineLoadWatch } from './machine-load';

/** What the orchestrator needs from a trainer (the real Trainer, or a fake in unit tests). */
export interface TrainerLike {
  readonly options: { policyWeight: number; valueWeight: number; threads?: number };
  /** Where the steps run ('cpu', 'cuda:0'); the machine-load check applies to 'cpu' only. */
  readonly device?: string;
  readonly state: { globalStep: number; samplesSeen: number; learningRate: number };
  trainOnBatches(
    batches: AsyncIterable<Batch>,
    options: { shouldStop?: () => boolean; onBatch?: () => void },
  ): Promise<{ sums: MetricSums; stopped: boolean; seconds: number }>;
  validate(batches: AsyncIterable<Batch>, options?: { shouldStop?: () => boolean }): Promise<{ sums: MetricSums; stopped?: boolean; seconds: number }>;
  /** Writes and flushes the file; returns its size and SHA-256, computed while writing. */
  saveCheckpoint(path: string, extra?: unknown): Promise<FileDigest>;
  /** Reads the file once, checks it against `expected` (CORRUPT_DATA on a mismatch) and loads it. */
  loadCheckpoint(path: string, expected?: FileDigest): Promise<unknown>;
}

/** What the orchestrator needs from a data loader. */
export interface LoaderLike {
  readonly length: number;
  readonly batchSize: number;
  readonly epoch: number;
  readonly batchInEpoch: number;
  take(count: number): AsyncIterable<Batch>;
  state(): LoaderState;
  restore(state: LoaderState): void;
}

/**
 * What the orchestrator needs from a process group (data-parallel training): rank 0
 * alone writes checkpoints and metrics while the others wait at a barrier, and every
 * decision to stop is agreed so that all ranks stop at the same step.
 */
export interface GroupLike {
  readonly rank: number;
  readonly worldSize: number;
  barrier(what: string): Promise<void>;
  anyTrue(flag: boolean, what: string): Promise<boolean>;
  checkSame(what: string, values: Record<string, unknown>): Promise<void>;
}

export interface EarlyStoppingOptions {
  /** Mini-epochs without an improvement of at least minDelta before stopping. */
  patience: number;
  minDelta?: number;
}

export interface OrchestratorOptions {
  trainer: TrainerLike;
  trainLoader: LoaderLike;
  valLoader?: LoaderLike;
  /** Mini-epoch size in batches ... */
  miniEpochBatches?: number;
  /** ... or in samples, rounded to whole batches (at least one). */
  miniEpochSamples?: number;
  epochs: number;
  checkpointDir: string;
  /** The run's history, one JSON line per mini-epoch (default: metrics.jsonl in checkpointDir). */
  metricsPath?: string;
  /** Keep the newest K checkpoints (default 3) ... */
  keepLast?: number;
  /** ... plus the best by validation loss (default true). */
  keepBest?: boolean;
  earlyStopping?: EarlyStoppingOptions;
  /** auto (default): continue from the newest valid checkpoint; never: refuse a directory that has checkpoints. */
  resume?: 'auto' | 'never';
  /** Start from scratch even when checkpoints exist (they are moved to an archived-* directory). */
  fresh?: boolean;
  /** Resume even when options that break exactness (batch size, dataset, seed) changed, or the history file does not match. */
  force?: boolean;
  /** The run's configuration, stored in every checkpoint. */
  config?: Record<string, unknown>;
  /** LibTorch's version, stored in every checkpoint (info().torchVersion). */
  torchVersion?: string;
  /** Checked between steps: when it aborts, the current step finishes, a checkpoint is written and run() returns. */
  signal?: AbortSignal;
  logger?: Logger | LoggerOptions;
  /** Data-parallel: the process group (the trainer and loaders must use the same one). */
  distributed?: GroupLike;
  /**
   * Warn when other processes keep the cores busy while the trainer uses 2 or more CPU
   * threads (src/machine-load.ts states the rule; Linux only). Default on, with a 10 s
   * window; false turns it off.
   */
  machineLoad?: false | { windowSeconds?: number };
}

export interface MiniEpochRecord {
  epoch: number;
  miniEpoch: number;
  batchInEpoch: number;
  globalBatch: number;
  samplesSeen: number;
  train: Metrics;
  validation: Metrics | null;
  learningRate: number;
  samplesPerSecond: number;
  trainSeconds: number;
  validationSeconds: number;
  /** In the event only: the line in metrics.jsonl is written before its checkpoint (train.log has the time). */
  checkpointSeconds?: number;
  /** Name of the checkpoint written at the end of this mini-epoch. */
  checkpoint: string | null;
  time: string;
}

/** The best mini-epoch so far by the monitored loss (validation loss, or training loss without validation). */
export interface BestRecord {
  epoch: number;
  miniEpoch: number;
  globalBatch: number;
  loss: number;
  validation: boolean;
  checkpoint: string | null;
}

export interface RunSummary {
  status: 'completed' | 'early-stopped' | 'interrupted' | 'nothing-to-train';
  epochs: number;
  globalBatch: number;
  samplesSeen: number;
  /** Mini-epochs closed in the whole run (its history is in metricsPath). */
  miniEpochs: number;
  /** The last closed mini-epoch, and the best by the monitored loss. */
  last: MiniEpochRecord | null;
  best: BestRecord | null;
  metricsPath: string;
  resumedFrom: string | null;
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
}

/**
 * The orchestrator's part of a checkpoint (state.json). Its size does not grow with the
 * run: the history is in metrics.jsonl, of which it records the position.
 */
export interface RunState {
  format: 'hextorch-run-state';
  version: 2;
  loader: LoaderState;
  /** The mini-epoch in progress when the checkpoint was written on a stop request. */
  open: { epoch: number; miniEpoch: number; sums: MetricSums; trainSeconds: number } | null;
  metrics: MetricsPosition;
  last: MiniEpochRecord | null;
  best: BestRecord | null;
  earlyStopping: { bestLoss: number | null; badMiniEpochs: number };
  trainer: { globalStep: number; samplesSeen: number; learningRate: number };
  rng: { scheme: string; seed: unknown };
  config: Record<string, unknown>;
  versions: { hextorch: string; torch: string | null };
}

export declare interface MiniEpochOrchestrator {
  on(event: 'miniEpochEnd', listener: (record: MiniEpochRecord) => void): this;
  on(event: 'epochEnd', listener: (info: { epoch: number; globalBatch: number; samplesSeen: number }) => void): this;
  on(event: 'checkpoint', listener: (checkpoint: Checkpoint & { seconds: number }) => void): this;
  on(event: 'batch', listener: (info: { epoch: number; miniEpoch: number; batchInMiniEpoch: number; miniEpochBatches: number; globalBatch: number; samplesSeen: number }) => void): this;
  on(event: 'resumed', listener: (info: { checkpoint: string; globalBatch: number }) => void): this;
  on(event: 'warning', listener: (message: string) => void): this;
}

export class MiniEpochOrchestrator extends EventEmitter {
  readonly miniEpochBatches: number;
  private readonly options: OrchestratorOptions;
  private readonly logger: Logger;
  private readonly store: CheckpointStore;
  private readonly epochs: number;
  private readonly metrics: MetricsLog;
  private last: MiniEpochRecord | null = null;
  private best: BestRecord | null = null;
  private open: RunState['open'] = null;
  private earlyStopping: RunState['earlyStopping'] = { bestLoss: null, badMiniEpochs: 0 };

  constructor(options: OrchestratorOptions) {
    super();
    this.options = options;
    this.logger = resolveLogger(options.logger, 'orchestrator');
    this.epochs = checkInteger('epochs', options.epochs, 1);
    const batchSize = options.trainLoader.batchSize;
    if ((options.miniEpochBatches === undefined) === (options.miniEpochSamples === undefined)) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', "give exactly one of the options 'miniEpochBatches' and 'miniEpochSamples'");
    }
    if (options.miniEpochBatches !== undefined) {
      this.miniEpochBatches = checkInteger('miniEpochBatches', options.miniEpochBatches, 1);
    } else {
      const samples = checkInteger('miniEpochSamples', options.miniEpochSamples, 1);
      if (samples < batchSize) {
        throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `option 'miniEpochSamples' is ${samples}, less than one batch of ${batchSize}`);
      }
      this.miniEpochBatches = Math.round(samples / batchSize);
    }
    if (options.earlyStopping) {
      checkInteger('earlyStopping.patience', options.earlyStopping.patience, 1);
      checkNumber('earlyStopping.minDelta', optional(options.earlyStopping.minDelta, 0), 0, Number.MAX_VALUE);
    }
    checkOneOf('resume', optional(options.resume, 'auto'), ['auto', 'never'] as const);
    checkBoolean('fresh', optional(options.fresh, false));
    this.store = new CheckpointStore({
      dir: options.checkpointDir,
      keepLast: checkInteger('keepLast', optional(options.keepLast, 3), 1),
      keepBest: checkBoolean('keepBest', optional(options.keepBest, true)),
      logger: this.logger,
    });
    this.metrics = new MetricsLog(options.metricsPath ?? join(options.checkpointDir, 'metrics.jsonl'));
  }

  /** The run's history file (one JSON line per closed mini-epoch). */
  get metricsPath(): string {
    return this.metrics.path;
  }

  private get weights() {
    return { policy: this.options.trainer.options.policyWeight, value: this.options.trainer.options.valueWeight };
  }

  private stopRequested(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  /** A stop request on any rank (data-parallel), else on this process; every rank calls it at the same point. */
  private async stopAgreed(): Promise<boolean> {
    const group = this.options.distributed;
    return group ? group.anyTrue(this.stopRequested(), 'stop request') : this.stopRequested();
  }

  /** Rank 0 (or a process training alone) writes checkpoints, logs and metrics. */
  get isWriter(): boolean {
    return (this.options.distributed?.rank ?? 0) === 0;
  }

  private warn(message: string, details: Record<string, unknown> = {}): void {
    this.logger.warn(details, message);
    this.emit('warning', message);
  }

  /** The machine-load watch for a CPU run with 2 or more threads; null otherwise. */
  private watchMachineLoad(): MachineLoadWatch | null {
    const setting = this.options.machineLoad;
    const { trainer } = this.options;
    const threads = trainer.options.threads ?? 1;
    if (setting === false || threads < 2 || (trainer.device ?? 'cpu') !== 'cpu') return null;
    const watch = new MachineLoadWatch({ threads, ...(setting?.windowSeconds !== undefined ? { windowSeconds: checkNumber('machineLoad.windowSeconds', setting.windowSeconds, 0.1, 86_400) } : {}) });
    return watch.measuring ? watch : null;
  }

  private reportMachineLoad({ kind, sample }: LoadEvent): void {
    const figures = { cores: sample.cores, threads: sample.threads, otherCores: Number(sample.otherCores.toFixed(2)), windowSeconds: Number(sample.windowSeconds.toFixed(1)) };
    const use = `other processes used ${figures.otherCores} of ${sample.cores} cores on average over ${figures.windowSeconds} s`;
    if (kind === 'cleared') {
      this.logger.info({ event: 'machine-load-cleared', ...figures }, `the machine is no longer oversubscribed: ${use}`);
      return;
    }
    this.warn(
      `the machine is oversubscribed: ${use} while training with ${sample.threads} threads; on a busy machine multi-threaded steps scatter and 1 thread stays steady: consider --threads 1 while it stays busy`,
      { event: 'machine-oversubscribed', ...figures },
    );
  }

  /** Mini-epoch sizes of one epoch, e.g. 13 batches with N = 5 → [5, 5, 3]. */
  plannedSize(miniEpoch: number): number {
    return Math.min(this.miniEpochBatches, this.options.trainLoader.length - miniEpoch * this.miniEpochBatches);
  }

  async run(): Promise<RunSummary> {
    try {
      return await this.runLoop();
    } finally {
      await this.metrics.close();
    }
  }

  private async runLoop(): Promise<RunSummary> {
    const { trainer, trainLoader } = this.options;
    const resumedFrom = await this.prepare();
    let lastCheckpoint: string | null = resumedFrom;
    const summary = (status: RunSummary['status']): RunSummary => ({
      status,
      epochs: this.epochs,
      globalBatch: trainer.state.globalStep,
      samplesSeen: trainer.state.samplesSeen,
      miniEpochs: this.metrics.position().records,
      last: this.last,
      best: this.best,
      metricsPath: this.metrics.path,
      resumedFrom,
      lastCheckpoint,
      bestCheckpoint: this.store.best()?.path ?? null,
    });

    if (trainLoader.length === 0) {
      this.warn('the training loader has no batches (empty dataset, or fewer positions than one batch with dropLast): nothing to train');
      return summary('nothing-to-train');
    }
    if (this.options.valLoader && this.options.valLoader.length === 0) {
      this.warn('the validation loader has no batches: mini-epochs will not be validated');
    }

    const load = this.watchMachineLoad();
    for (;;) {
      if (!this.open) {
        if (trainLoader.epoch >= this.epochs) return summary('completed');
        if (await this.stopAgreed()) return summary('interrupted');
        const miniEpoch = Math.floor(trainLoader.batchInEpoch / this.miniEpochBatches);
        this.open = { epoch: trainLoader.epoch, miniEpoch, sums: emptySums(), trainSeconds: 0 };
      }
      const open = this.open;
      const planned = this.plannedSize(open.miniEpoch);
      const remaining = planned - open.sums.batches;
      if (remaining > 0) {
        let done = open.sums.batches;
        const result = await trainer.trainOnBatches(trainLoader.take(remaining), {
          shouldStop: () => this.stopRequested(),
          onBatch: () => {
            done++;
            this.emit('batch', { epoch: open.epoch, miniEpoch: open.miniEpoch, batchInMiniEpoch: done, miniEpochBatches: planned, globalBatch: trainer.state.globalStep, samplesSeen: trainer.state.samplesSeen });
            faultPoint('train-step');
            const event = load?.poll();
            if (event) this.reportMachineLoad(event);
          },
        });
        open.sums = addSums(open.sums, result.sums);
        open.trainSeconds += result.seconds;
        if (open.sums.batches < planned) {
          if (!result.stopped && !this.stopRequested()) {
            throw new HextorchError('HEXTORCH_INTERNAL', `the training loader ended after ${open.sums.batches} of ${planned} batches of mini-epoch ${open.miniEpoch}`);
          }
          lastCheckpoint = (await this.checkpoint(null)).path;
          return summary('interrupted');
        }
      }

      // Validate after training, so the checkpoint carries metrics of its own weights.
      let validation: Metrics | null = null;
      let validationSeconds = 0;
      const valLoader = this.options.valLoader;
      if (valLoader && valLoader.length > 0) {
        const state = valLoader.state();
        valLoader.restore({ ...state, epoch: 0, sampleInEpoch: 0 });  // the same batches every time
        let seen = 0;
        const result = await trainer.validate(
          {
            [Symbol.asyncIterator]: () => {
              const inner = valLoader.take(valLoader.length)[Symbol.asyncIterator]();
              return {
                next: async () => {
                  if (seen++ === 1) faultPoint('validation');
                  return inner.next();
                },
                return: async () => (inner.return ? inner.return() : { done: true, value: undefined }),
              };
            },
          },
          { shouldStop: () => this.stopRequested() },
        );
        if (result.stopped) {
          lastCheckpoint = (await this.checkpoint(null)).path;
          return summary('interrupted');
        }
        validation = summarize(result.sums, this.weights);
        validationSeconds = result.seconds;
      }

      const train = summarize(open.sums, this.weights);
      const globalBatch = trainer.state.globalStep;
      const record: MiniEpochRecord = {
        epoch: open.epoch,
        miniEpoch: open.miniEpoch,
        batchInEpoch: open.miniEpoch * this.miniEpochBatches + planned,
        globalBatch,
        samplesSeen: trainer.state.samplesSeen,
        train,
        validation,
        learningRate: trainer.state.learningRate,
        samplesPerSecond: open.trainSeconds > 0 ? open.sums.samples / open.trainSeconds : 0,
        trainSeconds: open.trainSeconds,
        validationSeconds,
        checkpoint: checkpointName({ epoch: open.epoch, miniEpoch: open.miniEpoch, globalBatch, interrupted: false }),
        time: new Date().toISOString(),
      };
      const monitored = validation ? validation.loss : train.loss;
      const improved = this.earlyStopping.bestLoss === null || monitored < this.earlyStopping.bestLoss - (this.options.earlyStopping?.minDelta ?? 0);
      this.earlyStopping = improved ? { bestLoss: monitored, badMiniEpochs: 0 } : { ...this.earlyStopping, badMiniEpochs: this.earlyStopping.badMiniEpochs + 1 };
      if (!this.best || monitored < this.best.loss) {
        this.best = { epoch: record.epoch, miniEpoch: record.miniEpoch, globalBatch, loss: monitored, validation: validation !== null, checkpoint: record.checkpoint };
      }
      this.last = record;
      this.open = null;
      // The line first, flushed; then the checkpoint that counts it.
      await this.writeMetricsRecord(record);
      const checkpoint = await this.checkpoint(validation ? validation.loss : null, open);
      record.checkpointSeconds = checkpoint.seconds;
      lastCheckpoint = checkpoint.path;
      this.logger.info({ ...record, event: 'mini-epoch' }, `epoch ${record.epoch} mini-epoch ${record.miniEpoch}: train loss ${train.loss.toFixed(4)}${validation ? `, validation loss ${validation.loss.toFixed(4)}` : ''}`);
      this.emit('miniEpochEnd', record);
      faultPoint('mini-epoch-end');
      if (record.batchInEpoch === trainLoader.length) {
        const info = { epoch: record.epoch, globalBatch: record.globalBatch, samplesSeen: record.samplesSeen };
        this.logger.info({ ...info, event: 'epoch' }, `epoch ${record.epoch} finished`);
        this.emit('epochEnd', info);
      }
      const patience = this.options.earlyStopping?.patience;
      if (patience !== undefined && this.earlyStopping.badMiniEpochs >= patience) {
        this.logger.info({ event: 'early-stop', badMiniEpochs: this.earlyStopping.badMiniEpochs }, 'early stopping: no improvement');
        return summary('early-stopped');
      }
    }
  }

  /** Opens the store and resumes or refuses, per the options. Returns the checkpoint resumed from. */
  private async prepare(): Promise<string | null> {
    const group = this.options.distributed;
    if (!group) return this.prepareAlone();
    // Rank 0 sweeps, archives and resumes first; then every other rank reads the same
    // newest checkpoint, and all check that they resumed from the same one.
    let resumed: string | null = null;
    if (group.rank === 0) resumed = await this.prepareAlone();
    await group.barrier('checkpoint directory opened by rank 0');
    if (group.rank !== 0) resumed = this.options.fresh ? null : await this.prepareAlone();
    await group.checkSame('the checkpoint to resume from', { checkpoint: resumed === null ? null : resumed.split(/[\\/]/).pop() });
    return resumed;
  }

  private async prepareAlone(): Promise<string | null> {
    const checkpoints = await this.store.open();
    const hasDirectories = await this.store.hasCheckpointDirectories();
    if (this.options.fresh) {
      const archive = await this.store.archiveAll([this.metrics.path]);
      if (archive) this.warn(`starting fresh: earlier checkpoints were moved to ${archive}`);
      if (this.isWriter) await this.metrics.reset();
      return null;
    }
    if (!hasDirectories) {
      if (this.isWriter) await this.metrics.reset();
      return null;
    }
    if (this.options.resume === 'never') {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `checkpoint directory ${this.store.dir} already holds checkpoints; resume with resume 'auto', or start over with fresh (--fresh)`);
    }
    // Newest first; a checkpoint whose files do not match their manifest (model.pt is
    // checked while it is loaded, so it is read once) gives way to the one before it.
    let skipped = false;
    for (const checkpoint of [...checkpoints].reverse()) {
      let state: RunState;
      try {
        state = await this.readState(checkpoint);
      } catch (error) {
        this.skipCorrupt(checkpoint, error);
        skipped = true;
        continue;
      }
      this.checkCompatible(checkpoint, state);
      try {
        await this.options.trainer.loadCheckpoint(join(checkpoint.path, 'model.pt'), await this.store.digest(checkpoint, 'model.pt'));
      } catch (error) {
        if ((error as HextorchError).code !== 'HEXTORCH_CORRUPT_DATA') throw error;
        this.skipCorrupt(checkpoint, error);
        skipped = true;
        continue;
      }
      if (skipped) this.warn(`resuming from ${checkpoint.name}: newer checkpoints are corrupt`);
      await this.restore(checkpoint, state);
      return checkpoint.path;
    }
    throw new HextorchError('HEXTORCH_CORRUPT_DATA', `checkpoint directory ${this.store.dir} holds checkpoints but none is valid; refusing to start from scratch silently (use --fresh to start over; the old ones are kept aside)`);
  }

  private skipCorrupt(checkpoint: Checkpoint, error: unknown): void {
    this.logger.warn({ checkpoint: checkpoint.name, reason: (error as Error).message }, 'skipping a corrupt checkpoint; falling back to the previous one');
  }

  /** state.json, checked against the manifest (read once, hashed in memory). */
  private async readState(checkpoint: Checkpoint): Promise<RunState> {
    const path = join(checkpoint.path, 'state.json');
    const text = await readFile(path);
    const expected = await this.store.digest(checkpoint, 'state.json');
    if (text.length !== expected.bytes || createHash('sha256').update(text).digest('hex') !== expected.sha256) {
      throw new HextorchError('HEXTORCH_CORRUPT_DATA', `checkpoint file ${path} does not match its manifest (corrupt or modified)`);
    }
    const state = JSON.parse(text.toString('utf8')) as RunState;
    if (state.format !== 'hextorch-run-state' || state.version !== 2) {
      throw new HextorchError('HEXTORCH_CORRUPT_DATA', `${path}: run state format ${String(state.format)} v${String(state.version)} is not the supported v2`);
    }
    return state;
  }

  /** The resume compatibility check (src/resume-check.ts): refused unless --force. */
  private checkCompatible(checkpoint: Checkpoint, state: RunState): void {
    const mismatches = resumeMismatches(state, { loader: this.options.trainLoader.state(), config: this.options.config ?? {} });
    if (mismatches.length === 0) return;
    if (!this.options.force) {
      throw resumeMismatchError(`cannot resume ${checkpoint.name} exactly`, mismatches, '. Use the original options, --fresh to start over, or --force to resume anyway');
    }
    this.warn(`resuming despite changed options (--force): ${mismatches.join('; ')}`);
  }

  private async restore(checkpoint: Checkpoint, state: RunState): Promise<void> {
    const loader = this.options.trainLoader;
    const now = loader.state();
    const forced = this.options.force ? { ...state.loader, fingerprint: now.fingerprint, seed: now.seed, batchSize: now.batchSize, augment: now.augment } : state.loader;
    if (this.options.force && state.loader.batchSize !== now.batchSize) {
      forced.sampleInEpoch = Math.floor(state.loader.sampleInEpoch / now.batchSize) * now.batchSize;
    }
    loader.restore(forced);
    const aside = this.isWriter ? await this.metrics.resumeAt(state.metrics, this.options.force ?? false) : null;
    if (aside) this.warn(`the history did not match the checkpoint (--force): it was set aside as ${aside} and a new ${this.metrics.path} starts here`);
    this.last = state.last;
    this.best = state.best;
    this.open = state.open;
    this.earlyStopping = state.earlyStopping;
    this.logger.info({ event: 'resume', checkpoint: checkpoint.path, globalBatch: checkpoint.globalBatch, epoch: loader.epoch, batchInEpoch: loader.batchInEpoch }, `resumed from ${checkpoint.name}`);
    this.emit('resumed', { checkpoint: checkpoint.path, globalBatch: checkpoint.globalBatch });
  }

  /** Appends a closed mini-epoch to the history (flushed before the checkpoint that counts it). */
  private async writeMetricsRecord(record: MiniEpochRecord): Promise<void> {
    if (this.isWriter) await this.metrics.append(record);
  }

  /** Writes a checkpoint of the current state; `closed` is the mini-epoch just closed, if any. */
  private async checkpoint(validationLoss: number | null, closed?: NonNullable<RunState['open']>): Promise<Checkpoint & { seconds: number }> {
    const { trainer, trainLoader } = this.options;
    const interrupted = closed === undefined;
    const position = closed ?? this.open!;
    const started = performance.now();
    const group = this.options.distributed;
    if (group && group.rank !== 0) {
      // Rank 0 writes; the others wait until the checkpoint is complete.
      const meta = { epoch: position.epoch, miniEpoch: position.miniEpoch, globalBatch: trainer.state.globalStep, samplesSeen: trainer.state.samplesSeen, validationLoss, interrupted, createdAt: new Date().toISOString() };
      await group.barrier('checkpoint written by rank 0');
      const name = checkpointName(meta);
      return { ...meta, name, path: join(this.options.checkpointDir, name), bytes: 0, seconds: (performance.now() - started) / 1000 };
    }
    const state: RunState = {
      format: 'hextorch-run-state',
      version: 2,
      loader: trainLoader.state(),
      open: this.open,
      metrics: this.metrics.position(),
      last: this.last,
      best: this.best,
      earlyStopping: this.earlyStopping,
      trainer: trainer.state,
      rng: { scheme: 'counter-based: data order from (seed, epoch, index), dropout from (seed, global step)', seed: this.options.config?.seed ?? null },
      config: this.options.config ?? {},
      versions: { hextorch: version, torch: this.options.torchVersion ?? null },
    };
    const checkpoint = await this.store.write(
      {
        epoch: position.epoch,
        miniEpoch: position.miniEpoch,
        globalBatch: trainer.state.globalStep,
        samplesSeen: trainer.state.samplesSeen,
        validationLoss,
        interrupted,
        createdAt: new Date().toISOString(),
      },
      (dir) =>
        writeTogether({
          'model.pt': trainer.saveCheckpoint(join(dir, 'model.pt'), { globalBatch: trainer.state.globalStep }),
          'state.json': writeFileDurable(join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`),
        }),
      () => faultPoint('checkpoint-write'),
    );
    if (group) await group.barrier('checkpoint written by rank 0');
    const seconds = (performance.now() - started) / 1000;
    this.logger.info({ event: 'checkpoint', path: checkpoint.path, bytes: checkpoint.bytes, seconds, globalBatch: checkpoint.globalBatch, samplesSeen: checkpoint.samplesSeen, interrupted }, `checkpoint ${checkpoint.name}`);
    this.emit('checkpoint', { ...checkpoint, seconds });
    return { ...checkpoint, seconds };
  }
}
