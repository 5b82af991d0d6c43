/**
 * A training run as the CLI (and scripts) start it: one JSON-serialisable config in, a
 * run directory out (checkpoints/, train.log, metrics.jsonl, config.json).
 */
import { appendFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { DataLoader } from './data-loader';
import { HextorchError, invalidOption } from './errors';
import { info } from './info';
import { MiniEpochOrchestrator, type MiniEpochRecord, type RunSummary } from './orchestrator';
import { availableCores, checkBoolean, checkInteger, checkOneOf, checkString, optional } from './options';
import { Trainer, type TrainerOptions } from './trainer';

export interface TrainConfig {
  /** Dataset directory (import or generate output). */
  data: string;
  /** Run directory: checkpoints, logs and metrics go here. */
  run: string;
  epochs?: number;
  batchSize?: number;
  miniEpochBatches?: number;
  miniEpochSamples?: number;
  model?: TrainerOptions['model'];
  blocks?: number;
  channels?: number;
  dropout?: number;
  device?: string;
  precision?: TrainerOptions['precision'];
  threads?: number;
  optimizer?: TrainerOptions['optimizer'];
  learningRate?: number;
  weightDecay?: number;
  momentum?: number;
  valueHead?: TrainerOptions['valueHead'];
  gradientClip?: number;
  schedule?: TrainerOptions['schedule'];
  policyWeight?: number;
  valueWeight?: number;
  seed?: number;
  augment?: 'all' | 'random' | 'none';
  workers?: number;
  /** Cap on validation batches per mini-epoch (default: the whole validation split). */
  valMaxBatches?: number;
  keepLast?: number;
  keepBest?: boolean;
  earlyStopping?: { patience: number; minDelta?: number };
  resume?: 'auto' | 'never';
  fresh?: boolean;
  force?: boolean;
}

export const TRAIN_CONFIG_KEYS: readonly (keyof TrainConfig)[] = [
  'data', 'run', 'epochs', 'batchSize', 'miniEpochBatches', 'miniEpochSamples', 'model', 'blocks', 'channels', 'dropout',
  'device', 'precision', 'threads', 'optimizer', 'learningRate', 'weightDecay', 'momentum', 'valueHead', 'gradientClip',
  'schedule', 'policyWeight', 'valueWeight', 'seed', 'augment', 'workers', 'valMaxBatches', 'keepLast', 'keepBest',
  'earlyStopping', 'resume', 'fresh', 'force',
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
}

/** The config with defaults filled in; validation errors name the option. */
export function resolveConfig(config: TrainConfig): Required<Omit<TrainConfig, 'miniEpochBatches' | 'miniEpochSamples' | 'valMaxBatches' | 'earlyStopping' | 'blocks' | 'channels' | 'valueHead' | 'schedule'>> & TrainConfig {
  checkConfigKeys(config as unknown as Record<string, unknown>, 'config');
  const batchSize = checkInteger('batchSize', optional(config.batchSize, 256), 1, 1 << 20);
  if (config.miniEpochBatches === undefined && config.miniEpochSamples === undefined) {
    throw invalidOption('miniEpochBatches', undefined, 'a mini-epoch size: miniEpochBatches (e.g. 500) or miniEpochSamples (e.g. 200000)');
  }
  return {
    ...config,
    data: checkString('data', config.data),
    run: checkString('run', config.run),
    epochs: checkInteger('epochs', optional(config.epochs, 1), 1),
    batchSize,
    model: optional(config.model, 'tiny'),
    dropout: optional(config.dropout, 0.1),
    device: optional(config.device, 'auto'),
    precision: optional(config.precision, 'auto'),
    threads: optional(config.threads, availableCores()),
    optimizer: optional(config.optimizer, 'adam'),
    learningRate: optional(config.learningRate, 1e-3),
    weightDecay: optional(config.weightDecay, 1e-4),
    momentum: optional(config.momentum, 0.9),
    gradientClip: optional(config.gradientClip, 4),
    policyWeight: optional(config.policyWeight, 0.15),
    valueWeight: optional(config.valueWeight, 0.85),
    seed: checkInteger('seed', optional(config.seed, 1), 0),
    augment: checkOneOf('augment', optional(config.augment, 'all'), ['all', 'random', 'none'] as const),
    // One reader thread keeps up with training by a wide margin; more only compete with LibTorch for cores.
    workers: checkInteger('workers', optional(config.workers, 1), 1, 256),
    keepLast: checkInteger('keepLast', optional(config.keepLast, 3), 1),
    keepBest: checkBoolean('keepBest', optional(config.keepBest, true)),
    resume: checkOneOf('resume', optional(config.resume, 'auto'), ['auto', 'never'] as const),
    fresh: checkBoolean('fresh', optional(config.fresh, false)),
    force: checkBoolean('force', optional(config.force, false)),
  };
}

export async function runTraining(input: TrainConfig, handlers: TrainRunHandlers = {}): Promise<TrainRunResult> {
  const config = resolveConfig(input);
  const runDir = config.run;
  const checkpointDir = join(runDir, 'checkpoints');
  const logPath = join(runDir, 'train.log');
  const metricsPath = join(runDir, 'metrics.jsonl');
  try {
    mkdirSync(runDir, { recursive: true });
  } catch (error) {
    throw new HextorchError('HEXTORCH_IO', `cannot create run directory ${runDir}: ${(error as Error).message}`);
  }
  // JSON lines to RUN/train.log, written synchronously: a killed process loses no line.
  const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: logPath, sync: true, append: true }));

  const trainLoader = new DataLoader(
    { dir: config.data, split: 'train', augment: config.augment, shuffle: true, seed: config.seed },
    { batchSize: config.batchSize, workers: config.workers },
  );
  const valLoader = new DataLoader(
    { dir: config.data, split: 'validation', augment: 'none', shuffle: false, seed: config.seed },
    { batchSize: config.batchSize, workers: config.workers, ...(config.valMaxBatches !== undefined ? { maxBatches: config.valMaxBatches } : {}) },
  );
  let trainer: Trainer | undefined;
  try {
    trainer = await Trainer.create({
      model: config.model,
      boardSize: trainLoader.boardSize,
      ...(config.blocks !== undefined ? { blocks: config.blocks } : {}),
      ...(config.channels !== undefined ? { channels: config.channels } : {}),
      dropout: config.dropout,
      device: config.device,
      precision: config.precision,
      threads: config.threads,
      optimizer: config.optimizer,
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
      momentum: config.momentum,
      ...(config.valueHead ? { valueHead: config.valueHead } : {}),
      gradientClip: config.gradientClip,
      ...(config.schedule ? { schedule: config.schedule } : {}),
      policyWeight: config.policyWeight,
      valueWeight: config.valueWeight,
      seed: config.seed,
      logger,
    });
    const recorded = { ...config, boardSize: trainLoader.boardSize, datasetFingerprint: trainLoader.fingerprint };
    writeAtomic(join(runDir, 'config.json'), `${JSON.stringify(recorded, null, 2)}\n`);
    const orchestrator = new MiniEpochOrchestrator({
      trainer,
      trainLoader,
      ...(valLoader.length > 0 ? { valLoader } : {}),
      ...(config.miniEpochBatches !== undefined ? { miniEpochBatches: config.miniEpochBatches } : {}),
      ...(config.miniEpochSamples !== undefined ? { miniEpochSamples: config.miniEpochSamples } : {}),
      epochs: config.epochs,
      checkpointDir,
      keepLast: config.keepLast,
      keepBest: config.keepBest,
      ...(config.earlyStopping ? { earlyStopping: config.earlyStopping } : {}),
      resume: config.resume,
      fresh: config.fresh,
      force: config.force,
      config: recorded,
      torchVersion: info().torchVersion,
      ...(handlers.signal ? { signal: handlers.signal } : {}),
      logger,
    });
    // metrics.jsonl is rebuilt from the checkpoint's history on resume, so records of
    // work lost in a crash never linger in it.
    let historyWritten = false;
    const writeHistory = (history: MiniEpochRecord[]) => {
      writeAtomic(metricsPath, history.map((r) => JSON.stringify(r)).join('\n') + (history.length ? '\n' : ''));
      historyWritten = true;
    };
    orchestrator.on('miniEpochEnd', (record) => {
      if (!historyWritten) writeHistory(orchestrator.records.slice(0, -1));
      appendFileSync(metricsPath, `${JSON.stringify(record)}\n`);
    });
    handlers.onEvent?.(orchestrator);
    const summary = await orchestrator.run();
    if (!historyWritten) writeHistory(summary.history);
    return {
      ...summary,
      runDir,
      checkpointDir,
      metricsPath,
      logPath,
      weightsDigest: await trainer.weightsDigest(),
      device: trainer.device,
      parameters: trainer.parameterCount,
    };
  } finally {
    trainer?.dispose();
    trainLoader.dispose();
    valLoader.dispose();
  }
}

function writeAtomic(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}
