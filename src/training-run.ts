/**
 * A training run as the CLI (and scripts) start it: one JSON-serialisable config in, a
 * run directory out (checkpoints/, train.log, metrics.jsonl, config.json).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { writeFileAtomicAsync } from './atomic-file';
import { DataLoader } from './data-loader';
import { HextorchError, invalidOption } from './errors';
import { info } from './info';
import { MiniEpochOrchestrator, type RunSummary } from './orchestrator';
import { checkInteger, checkOneOf, checkString, optional } from './options';
import { lockRunDirectory } from './run-lock';
import { precisionForRun } from './run-precision';
import { PRECISIONS, resolveTrainerOptions, Trainer, type TrainerOptions } from './trainer';
import { defaultThreadsPerRank, type DistributedOptions, type ResolvedDistributed, resolveDistributed } from './distributed/env';
import { ProcessGroup } from './distributed/process-group';

/** A run: the Trainer's options (defaults and checks live there) plus data, run directory and schedule. */
export interface TrainConfig extends Omit<TrainerOptions, 'boardSize' | 'logger' | 'distributed'> {
  /** Dataset directory (import or generate output). */
  data: string;
  /** Run directory: checkpoints, logs and metrics go here. */
  run: string;
  epochs?: number;
  batchSize?: number;
  miniEpochBatches?: number;
  miniEpochSamples?: number;
  augment?: 'all' | 'random' | 'none';
  /** Data reader threads (default 1). */
  workers?: number;
  /** Cap on validation batches per mini-epoch (default: the whole validation split). */
  valMaxBatches?: number;
  keepLast?: number;
  keepBest?: boolean;
  earlyStopping?: { patience: number; minDelta?: number };
  resume?: 'auto' | 'never';
  fresh?: boolean;
  force?: boolean;
  /**
   * Data-parallel training: this rank's place (missing fields come from RANK, WORLD_SIZE,
   * LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, as torchrun sets them). The
   * batch size is the global batch, split over the ranks.
   */
  distributed?: DistributedOptions;
}

export const TRAIN_CONFIG_KEYS: readonly (keyof TrainConfig)[] = [
  'data', 'run', 'epochs', 'batchSize', 'miniEpochBatches', 'miniEpochSamples', 'model', 'blocks', 'channels', 'dropout',
  'device', 'precision', 'threads', 'optimizer', 'learningRate', 'weightDecay', 'momentum', 'valueHead', 'gradientClip',
  'schedule', 'policyWeight', 'valueWeight', 'seed', 'augment', 'workers', 'valMaxBatches', 'keepLast', 'keepBest',
  'earlyStopping', 'resume', 'fresh', 'force', 'initFrom', 'distributed', 'syncBatchNorm',
];

/** Rejects unknown keys, so a typo in a config file is an error rather than a default. */
export function checkConfigKeys(config: Record<string, unknown>, source: string): void {
  for (const key of Object.keys(config)) {
    if (!(TRAIN_CONFIG_KEYS as readonly string[]).includes(key)) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${source}: unknown option '${key}' (known: ${TRAIN_CONFIG_KEYS.join(', ')})`);
    }
  }
}

export interface TrainRunHandlers {
  /** Terminal output: called for every orchestrator event of note. */
  onEvent?: (orchestrator: MiniEpochOrchestrator) => void;
  signal?: AbortSignal;
}

export interface TrainRunResult extends RunSummary {
  runDir: string;
  checkpointDir: string;
  metricsPath: string;
  logPath: string;
  weightsDigest: string;
  device: string;
  parameters: number;
  /** This process's rank and the world size (0 and 1 when training alone). */
  rank: number;
  worldSize: number;
}

/**
 * Checks the run-level options and fills the defaults the data loaders need; the
 * Trainer and the orchestrator check (and default) their own options.
 */
export function resolveConfig(config: TrainConfig) {
  checkConfigKeys(config as unknown as Record<string, unknown>, 'config');
  if (config.miniEpochBatches === undefined && config.miniEpochSamples === undefined) {
    throw invalidOption('miniEpochBatches', undefined, 'a mini-epoch size: miniEpochBatches (e.g. 500) or miniEpochSamples (e.g. 200000)');
  }
  return {
    ...config,
    data: checkString('data', config.data),
    run: checkString('run', config.run),
    epochs: checkInteger('epochs', optional(config.epochs, 1), 1),
    batchSize: checkInteger('batchSize', optional(config.batchSize, 256), 1, 1 << 20),
    seed: checkInteger('seed', optional(config.seed, 1), 0),
    precision: checkOneOf('precision', optional(config.precision, 'auto'), PRECISIONS),
    augment: checkOneOf('augment', optional(config.augment, 'all'), ['all', 'random', 'none'] as const),
    // One reader thread keeps up with training by a wide margin; more only compete with LibTorch for cores.
    workers: checkInteger('workers', optional(config.workers, 1), 1, 256),
  };
}

export async function runTraining(input: TrainConfig, handlers: TrainRunHandlers = {}): Promise<TrainRunResult> {
  const config = resolveConfig(input);
  const dist = resolveDistributed(config.distributed);
  if (dist && config.batchSize % dist.worldSize !== 0) {
    throw invalidOption('batchSize', config.batchSize, `a multiple of the world size ${dist.worldSize} (the global batch is split evenly over the ranks)`);
  }
  const runDir = config.run;
  const checkpointDir = join(runDir, 'checkpoints');
  const logPath = join(runDir, 'train.log');
  const metricsPath = join(runDir, 'metrics.jsonl');
  try {
    mkdirSync(runDir, { recursive: true });
  } catch (error) {
    throw new HextorchError('HEXTORCH_IO', `cannot create run directory ${runDir}: ${(error as Error).message}`);
  }
  // Before anything is read or written there (--fresh included): one trainer per run
  // directory (data-parallel: rank 0 holds it for the run, the other ranks write nothing there).
  const lock = !dist || dist.rank === 0 ? lockRunDirectory(runDir) : undefined;
  try {
    return await trainInRunDirectory(config, handlers, { runDir, checkpointDir, logPath, metricsPath }, dist);
  } finally {
    lock?.release();
  }
}

async function trainInRunDirectory(
  config: ReturnType<typeof resolveConfig>,
  handlers: TrainRunHandlers,
  paths: { runDir: string; checkpointDir: string; logPath: string; metricsPath: string },
  dist: ResolvedDistributed | null,
): Promise<TrainRunResult> {
  const { runDir, checkpointDir, logPath, metricsPath } = paths;
  // Rank 0 alone writes the run's files; the other ranks only train and validate.
  const writer = !dist || dist.rank === 0;
  // JSON lines to RUN/train.log, written synchronously: a killed process loses no line.
  const logger = writer
    ? pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: logPath, sync: true, append: true }))
    : pino({ level: 'silent' });

  const group = dist ? await ProcessGroup.connect(dist) : undefined;
  const share = dist ? { rank: dist.rank, worldSize: dist.worldSize } : {};
  let trainLoader: DataLoader | undefined;
  let valLoader: DataLoader | undefined;
  let trainer: Trainer | undefined;
  try {
    trainLoader = new DataLoader(
      { dir: config.data, split: 'train', augment: config.augment, shuffle: true, seed: config.seed },
      { batchSize: config.batchSize, workers: config.workers, ...share },
    );
    valLoader = new DataLoader(
      { dir: config.data, split: 'validation', augment: 'none', shuffle: false, seed: config.seed },
      { batchSize: config.batchSize, workers: config.workers, ...share, ...(config.valMaxBatches !== undefined ? { maxBatches: config.valMaxBatches } : {}) },
    );
    const { data, run, epochs, batchSize, miniEpochBatches, miniEpochSamples, augment, workers, valMaxBatches,
      keepLast, keepBest, earlyStopping, resume, fresh, force, distributed: _place, syncBatchNorm, ...trainerOptions } = config;
    if (dist && trainerOptions.threads === undefined) trainerOptions.threads = defaultThreadsPerRank(dist.localWorldSize);
    const sync = dist ? (syncBatchNorm ?? dist.syncBatchNorm) : false;
    if (group) {
      // Named errors rather than hangs or silent divergence when the ranks were started differently.
      const { threads: _t, device: _d, ...shared } = resolveTrainerOptions({ ...trainerOptions, boardSize: trainLoader.boardSize });
      await group.checkSame('the training options', {
        ...shared, data, epochs, batchSize, miniEpochBatches, miniEpochSamples, augment, valMaxBatches, syncBatchNorm: sync,
        datasetFingerprint: trainLoader.fingerprint, validationFingerprint: valLoader.fingerprint, worldSize: dist!.worldSize,
      });
    }
    // A resumed run keeps the precision it recorded (auto is resolved once, at its start).
    const asked = trainerOptions.precision;
    trainerOptions.precision = await precisionForRun(asked, checkpointDir, { fresh, resume, device: trainerOptions.device });
    trainer = await Trainer.create({ ...trainerOptions, boardSize: trainLoader.boardSize, logger, ...(group ? { distributed: group, syncBatchNorm: sync } : {}) });
    const precisionReason = asked === trainerOptions.precision ? trainer.precisionReason : `auto: kept from the run's checkpoints (${trainer.precision})`;
    logger.info({ precision: trainer.precision, reason: precisionReason }, `training in ${trainer.precision}`);
    // The resolved options, so that a default and its explicit value compare equal on
    // resume; the precision as resolved (what auto picked), not the option.
    const recorded = {
      data, run, epochs, batchSize, miniEpochBatches, miniEpochSamples, augment, workers, valMaxBatches,
      ...trainer.options, precision: trainer.precision, precisionReason, datasetFingerprint: trainLoader.fingerprint,
      ...(dist ? { worldSize: dist.worldSize, syncBatchNorm: sync } : {}),
    };
    if (writer) await writeFileAtomicAsync(join(runDir, 'config.json'), `${JSON.stringify(recorded, null, 2)}\n`);
    const orchestrator = new MiniEpochOrchestrator({
      trainer,
      trainLoader,
      ...(valLoader.length > 0 ? { valLoader } : {}),
      ...(miniEpochBatches !== undefined ? { miniEpochBatches } : {}),
      ...(miniEpochSamples !== undefined ? { miniEpochSamples } : {}),
      epochs,
      checkpointDir,
      metricsPath,
      ...(keepLast !== undefined ? { keepLast } : {}),
      ...(keepBest !== undefined ? { keepBest } : {}),
      ...(earlyStopping ? { earlyStopping } : {}),
      ...(resume ? { resume } : {}),
      ...(fresh !== undefined ? { fresh } : {}),
      ...(force !== undefined ? { force } : {}),
      config: recorded,
      torchVersion: info().torchVersion,
      ...(handlers.signal ? { signal: handlers.signal } : {}),
      ...(group ? { distributed: group } : {}),
      logger,
    });
    handlers.onEvent?.(orchestrator);
    const summary = await orchestrator.run();
    return {
      ...summary,
      runDir,
      checkpointDir,
      metricsPath,
      logPath,
      weightsDigest: await trainer.weightsDigest(),
      device: trainer.device,
      parameters: trainer.parameterCount,
      rank: dist?.rank ?? 0,
      worldSize: dist?.worldSize ?? 1,
    };
  } finally {
    trainer?.dispose();
    trainLoader?.dispose();
    valLoader?.dispose();
    group?.dispose();
  }
}
