/**
 * The Trainer: one LibTorch model and optimiser for a whole run, driven batch by batch
 * from TypeScript. Every call runs off the JS thread; one call at a time.
 */
import { callNative, HextorchError } from './errors';
import type { Batch, DataLoader } from './data-loader';
import { parseCell } from './hex';
import { type Logger, type LoggerOptions, resolveLogger } from './logger';
import { type Metrics, type MetricSums, summarize } from './metrics';
import { native } from './native';
import type { CheckpointWriteProfile, NativeBatch, NativeMetricSums, NativeTrainer, NativeTrainerOptions } from './native-types';
import { communicatorOf, type ProcessGroup } from './distributed/process-group';
import { resolveWeightsFile } from './interop/checkpoint-files';
import { availableCores, BOARD_SIZES, checkBoolean, checkInteger, checkNumber, checkOneOf, checkString, optional } from './options';

export type ModelPreset = 'tiny' | 'resnet' | 'snowflake';
export const MODEL_PRESETS: readonly ModelPreset[] = ['tiny', 'resnet', 'snowflake'];
export const OPTIMIZERS = ['adam', 'adamw', 'sgd'] as const;
export const PRECISIONS = ['auto', 'fp32', 'bf16'] as const;
export const SCHEDULES = ['constant', 'cosine', 'step'] as const;

export interface ScheduleOptions {
  kind: (typeof SCHEDULES)[number];
  /** Linear warm-up from 0 over this many steps (default 0). */
  warmupSteps?: number;
  /** cosine: steps over which to decay to minFactor × LR. */
  totalSteps?: number;
  minFactor?: number;
  /** step: multiply the LR by gamma every stepSize steps. */
  stepSize?: number;
  gamma?: number;
}

export interface TrainerOptions {
  model?: ModelPreset;
  /** Must match the data (DataLoader.boardSize). */
  boardSize: number;
  /** resnet/tiny: residual blocks and channels (defaults 6×96 and 2×32). */
  blocks?: number;
  channels?: number;
  dropout?: number;
  /** auto (CUDA when available), cpu, cuda, cuda:N. */
  device?: string;
  /**
   * fp32, or bf16 autocast (weights, optimiser state and loss stay fp32). auto (default):
   * bf16 on CPUs with native bf16 (AVX512-BF16 or AMX) and on CUDA devices of compute
   * capability 8.0 or later, else fp32; `Trainer.precisionReason` says why.
   */
  precision?: (typeof PRECISIONS)[number];
  /** CPU intra-op threads (default: the cores available). */
  threads?: number;
  optimizer?: (typeof OPTIMIZERS)[number];
  learningRate?: number;
  weightDecay?: number;
  momentum?: number;
  /** The value head's LR and weight decay as factors of the others. */
  valueHead?: { lrFactor?: number; weightDecayFactor?: number };
  /** Maximum global gradient norm; 0 disables clipping. */
  gradientClip?: number;
  schedule?: ScheduleOptions;
  policyWeight?: number;
  valueWeight?: number;
  seed?: number;
  /**
   * Start from these weights instead of a fresh initialisation: a hextorch checkpoint
   * (a checkpoint directory or its model.pt) or a PyTorch state dict (an export). The
   * optimiser starts fresh. Weights that do not fit the model are a
   * HEXTORCH_SHAPE_MISMATCH error naming the first differing tensors.
   */
  initFrom?: string;
  logger?: Logger | LoggerOptions;
  /**
   * Data-parallel training: the process group this rank belongs to. Each batch is then
   * this rank's share of a global batch; gradients are averaged over the ranks and every
   * rank takes the same step. Weights start from rank 0's.
   */
  distributed?: ProcessGroup;
  /** With `distributed`: all-reduce batch-norm statistics over the ranks (default false: per rank, as DDP). */
  syncBatchNorm?: boolean;
}

export interface TrainerState {
  globalStep: number;
  samplesSeen: number;
  learningRate: number;
  /** Wall time spent inside native training steps since the trainer was created. */
  stepSeconds: number;
  /** Data-parallel: gradient bytes all-reduced per step, and time spent waiting for them. */
  allReduceBytesPerStep: number;
  allReduceWaitSeconds: number;
}

export interface TrainResult extends Metrics {
  sums: MetricSums;
  seconds: number;
  samplesPerSecond: number;
  /** True when `shouldStop` ended the call before the batches ran out. */
  stopped: boolean;
}

export interface PredictInput {
  /** Moves from the empty board, Blue first: cell names ('c3') or indices. */
  moves?: Array<string | number>;
  /** Or the cells (0 empty, 1 Blue, 2 Red) and who is to move. */
  cells?: ArrayLike<number>;
  toMove?: 'blue' | 'red';
}

export interface PredictOutput {
  /** Probabilities per cell (N×N), 0 on occupied cells. */
  policy: Float32Array;
  /** The network's raw policy logits per cell (N×N, occupied cells not masked), as an ONNX export gives them. */
  logits: Float32Array;
  /** In [-1, 1], +1 meaning Red wins. */
  value: number;
  redWinProbability: number;
  bestMove: number;
}

export function resolveTrainerOptions(o: TrainerOptions): NativeTrainerOptions {
  const s = o.schedule ?? { kind: 'constant' };
  return {
    model: checkOneOf('model', optional(o.model, 'tiny'), MODEL_PRESETS),
    boardSize: checkInteger('boardSize', o.boardSize, BOARD_SIZES.min, BOARD_SIZES.max),
    blocks: checkInteger('blocks', optional(o.blocks, 0), 0, 64),
    channels: checkInteger('channels', optional(o.channels, 0), 0, 1024),
    dropout: checkNumber('dropout', optional(o.dropout, 0.1), 0, 0.99),
    device: checkDevice(optional(o.device, 'auto')),
    precision: checkOneOf('precision', optional(o.precision, 'auto'), PRECISIONS),
    threads: checkInteger('threads', optional(o.threads, availableCores()), 1, 1024),
    optimizer: checkOneOf('optimizer', optional(o.optimizer, 'adam'), OPTIMIZERS),
    learningRate: checkNumber('learningRate', optional(o.learningRate, 1e-3), 0, 1e6),
    weightDecay: checkNumber('weightDecay', optional(o.weightDecay, 1e-4), 0, 1),
    momentum: checkNumber('momentum', optional(o.momentum, 0.9), 0, 1),
    valueHeadLrFactor: checkNumber('valueHead.lrFactor', optional(o.valueHead?.lrFactor, 1), 0, 1e3),
    valueHeadWeightDecayFactor: checkNumber('valueHead.weightDecayFactor', optional(o.valueHead?.weightDecayFactor, 1), 0, 1e3),
    gradientClip: checkNumber('gradientClip', optional(o.gradientClip, 4), 0, 1e9),
    policyWeight: checkNumber('policyWeight', optional(o.policyWeight, 0.15), 0, 1e3),
    valueWeight: checkNumber('valueWeight', optional(o.valueWeight, 0.85), 0, 1e3),
    seed: checkInteger('seed', optional(o.seed, 1), 0),
    ...(o.initFrom !== undefined ? { initFrom: resolveWeightsFile(checkString('initFrom', o.initFrom)) } : {}),
    schedule: {
      kind: checkOneOf('schedule.kind', s.kind, SCHEDULES),
      warmupSteps: checkInteger('schedule.warmupSteps', optional(s.warmupSteps, 0), 0),
      totalSteps: checkInteger('schedule.totalSteps', optional(s.totalSteps, 0), 0),
      minFactor: checkNumber('schedule.minFactor', optional(s.minFactor, 0), 0, 1),
      stepSize: checkInteger('schedule.stepSize', optional(s.stepSize, 0), 0),
      gamma: checkNumber('schedule.gamma', optional(s.gamma, 0.1), 0, 1e12),
    },
  };
}

function checkDevice(device: string): string {
  if (typeof device !== 'string' || !/^(auto|cpu|cuda(:\d+)?)$/.test(device)) {
    throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `option 'device' is '${String(device)}'; expected one of auto, cpu, cuda, cuda:N`);
  }
  return device;
}

export class Trainer {
  readonly options: NativeTrainerOptions;
  readonly device: string;
  /** The precision in use (what `auto` resolved to). */
  readonly precision: 'fp32' | 'bf16';
  /** Why: the option asked for, or the CPU flags or GPU `auto` found and its rule. */
  readonly precisionReason: string;
  readonly parameterCount: number;
  private handle: NativeTrainer | undefined;
  private readonly logger: Logger;
  private lastWrite: CheckpointWriteProfile | undefined;
  /** The process group when training data-parallel. */
  readonly distributed: ProcessGroup | undefined;

  private constructor(handle: NativeTrainer, options: NativeTrainerOptions, logger: Logger, distributed?: ProcessGroup) {
    this.handle = handle;
    this.distributed = distributed;
    this.options = options;
    this.logger = logger;
    const d = handle.describe();
    this.device = d.device;
    this.precision = d.precision;
    this.precisionReason = d.precisionReason;
    this.parameterCount = d.parameters;
  }

  /** Builds the model and optimiser (off the JS thread). */
  static async create(options: TrainerOptions): Promise<Trainer> {
    const resolved = resolveTrainerOptions(options);
    const logger = resolveLogger(options.logger, 'trainer');
    const group = options.distributed;
    const syncBatchNorm = checkBoolean('syncBatchNorm', optional(options.syncBatchNorm, false));
    const parallel = group ? { communicator: communicatorOf(group), syncBatchNorm } : {};
    const handle = await callNative(() => native().createTrainer({ ...resolved, ...parallel }));
    const trainer = new Trainer(handle, resolved, logger, group);
    logger.debug({ device: trainer.device, precision: trainer.precision, precisionReason: trainer.precisionReason, parameters: trainer.parameterCount, model: resolved.model }, 'trainer created');
    return trainer;
  }

  private native(): NativeTrainer {
    if (!this.handle) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'the trainer was disposed');
    return this.handle;
  }

  /** Counters as of the end of the last native call (safe to read while a step runs). */
  get state(): TrainerState {
    const s = this.native().state();
    return {
      globalStep: s.step,
      samplesSeen: s.samples,
      learningRate: s.learningRate,
      stepSeconds: s.stepSeconds,
      allReduceBytesPerStep: s.allReduceBytesPerStep,
      allReduceWaitSeconds: s.allReduceWaitSeconds,
    };
  }

  private get weights() {
    return { policy: this.options.policyWeight, value: this.options.valueWeight };
  }

  /**
   * Trains on the batches, one optimiser step each, pulling them lazily (a mini-epoch
   * is never held in memory). Each batch is disposed after its step. `shouldStop`,
   * checked between steps, ends the call early (graceful shutdown).
   */
  async trainOnBatches(
    batches: Iterable<Batch> | AsyncIterable<Batch>,
    options: { shouldStop?: () => boolean; onBatch?: () => void } = {},
  ): Promise<TrainResult> {
    const handle = this.native();
    const started = performance.now();
    // Data-parallel: a stop is agreed inside the step, so every rank stops after the same one.
    const stepOptions = this.distributed
      ? { onBatch: options.onBatch, beforeBatch: () => handle.requestStop(options.shouldStop?.() ?? false), shouldStop: () => handle.stopAgreed() }
      : options;
    const stopped = await eachBatch(batches, (b) => handle.trainStep(b), stepOptions);
    const sums = await callNative(() => handle.takeTrainMetrics());
    this.checkFinite(sums);
    const seconds = (performance.now() - started) / 1000;
    return { ...summarize(sums, this.weights), sums: stripStep(sums), seconds, samplesPerSecond: seconds > 0 ? sums.samples / seconds : 0, stopped };
  }

  private checkFinite(sums: NativeMetricSums): void {
    if (sums.nonFiniteStep >= 0 || !Number.isFinite(sums.policyLossSum) || !Number.isFinite(sums.valueLossSum)) {
      const at = sums.nonFiniteStep >= 0 ? ` at global batch ${sums.nonFiniteStep}` : '';
      throw new HextorchError('HEXTORCH_NON_FINITE_LOSS', `loss is not finite${at}`);
    }
  }

  /**
   * Metrics over the batches (a DataLoader: the rest of its current epoch), in eval mode
   * without gradients. `shouldStop` ends it early (`stopped` is then true).
   */
  async validate(
    batches: DataLoader | Iterable<Batch> | AsyncIterable<Batch>,
    options: { shouldStop?: () => boolean } = {},
  ): Promise<Metrics & { sums: MetricSums; seconds: number; stopped: boolean }> {
    const handle = this.native();
    const started = performance.now();
    // Data-parallel validation always runs to the end: every rank must take part in the sums.
    const stopped = await eachBatch(batches, (b) => handle.evaluateBatch(b), this.distributed ? {} : options);
    const sums = stripStep(await callNative(() => handle.takeEvalMetrics()));
    return { ...summarize(sums, this.weights), sums, seconds: (performance.now() - started) / 1000, stopped };
  }

  /** Policy (occupied cells masked) and value for each position. */
  async predict(positions: PredictInput[]): Promise<PredictOutput[]> {
    const n = this.options.boardSize;
    const cells = n * n;
    if (!Array.isArray(positions) || positions.length === 0) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'predict needs at least one position');
    }
    const board = new Uint8Array(positions.length * cells);
    const redToMove = new Uint8Array(positions.length);
    positions.forEach((p, j) => (redToMove[j] = readPosition(p, n, board.subarray(j * cells, (j + 1) * cells)) === 'red' ? 1 : 0));
    const planes = native().encodePlanes(board, redToMove, n);
    const handle = this.native();
    const out = await callNative(() => handle.predict(planes, positions.length));
    return positions.map((_, j) => {
      const policy = out.policy.slice(j * cells, (j + 1) * cells);
      let bestMove = 0;
      for (let i = 1; i < cells; i++) if (policy[i]! > policy[bestMove]!) bestMove = i;
      const value = out.value[j]!;
      return { policy, logits: out.logits.slice(j * cells, (j + 1) * cells), value, redWinProbability: (value + 1) / 2, bestMove };
    });
  }

  /**
   * Model, optimiser, LR schedule position, counters and `extra` in one file, flushed to
   * disk off the JS thread; returns its size and SHA-256 (hashed while writing). An I/O
   * failure (a full disk included) is HEXTORCH_IO naming the file; the file is removed.
   */
  async saveCheckpoint(path: string, extra: unknown = null): Promise<{ bytes: number; sha256: string }> {
    const handle = this.native();
    const { bytes, sha256, profile } = await callNative(() => handle.save(path, JSON.stringify(extra)));
    this.lastWrite = profile;
    return { bytes, sha256 };
  }

  /** Where the time of the last saveCheckpoint went (serialise, write, SHA-256, fsync); undefined before the first. */
  get lastCheckpointWrite(): CheckpointWriteProfile | undefined {
    return this.lastWrite;
  }

  /**
   * Restores a file written by saveCheckpoint, reading it once; with `expected` (from a
   * manifest) a different size or SHA-256 is HEXTORCH_CORRUPT_DATA and nothing is loaded.
   * Returns its `extra`.
   */
  async loadCheckpoint(path: string, expected?: { bytes: number; sha256: string }): Promise<unknown> {
    const handle = this.native();
    return JSON.parse(await callNative(() => handle.load(path, expected))) as unknown;
  }

  /** A digest of every weight and buffer: equal digests mean identical models. */
  async weightsDigest(): Promise<string> {
    const handle = this.native();
    return callNative(() => handle.weightsDigest());
  }

  dispose(): void {
    if (this.handle) this.logger.debug('trainer disposed');
    this.handle?.dispose();
    this.handle = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}

/**
 * Runs one native call per batch, pulling the batches lazily and disposing each after
 * its call; returns true when `shouldStop` ended it early.
 */
async function eachBatch(
  batches: Iterable<Batch> | AsyncIterable<Batch>,
  call: (batch: NativeBatch) => Promise<void>,
  options: { shouldStop?: () => boolean; onBatch?: (() => void) | undefined; beforeBatch?: () => void },
): Promise<boolean> {
  for await (const batch of batches) {
    options.beforeBatch?.();
    try {
      await callNative(() => call(batch.handle));
    } finally {
      batch.dispose();
    }
    options.onBatch?.();
    if (options.shouldStop?.()) return true;
  }
  return false;
}

function stripStep(s: NativeMetricSums): MetricSums {
  const { nonFiniteStep: _ignored, ...rest } = s;
  return rest;
}

/** Fills `out` with the position's cells (0 empty, 1 Blue, 2 Red) and returns who is to move. */
function readPosition(p: PredictInput, n: number, out: Uint8Array): 'blue' | 'red' {
  const cells = n * n;
  if (p.moves) {
    p.moves.forEach((m, k) => {
      const index = typeof m === 'number' ? m : parseCell(n, m);
      if (!Number.isInteger(index) || index < 0 || index >= cells) {
        throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `move ${k + 1} (${String(m)}) is off the ${n}x${n} board`);
      }
      if (out[index]) {
        throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `move ${k + 1} (${String(m)}) plays an occupied cell`);
      }
      out[index] = k % 2 === 0 ? 1 : 2;
    });
    return p.moves.length % 2 === 0 ? 'blue' : 'red';
  }
  if (p.cells) {
    if (p.cells.length !== cells) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `cells must hold ${cells} values for a ${n}x${n} board`);
    }
    for (let i = 0; i < cells; i++) out[i] = p.cells[i] === 1 ? 1 : p.cells[i] === 2 ? 2 : 0;
    return checkOneOf('toMove', p.toMove, ['blue', 'red'] as const);
  }
  throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'a position needs moves, or cells and toMove');
}
