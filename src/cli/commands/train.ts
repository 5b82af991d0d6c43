import { readFileSync } from 'node:fs';
import type { MiniEpochOrchestrator, MiniEpochRecord } from '../../orchestrator';
import { installGracefulShutdown } from '../../shutdown';
import { checkConfigKeys, runTraining, type TrainConfig, type TrainRunResult } from '../../training-run';
import { fmt, numberFlag, parse, stringFlag, UsageError } from '../args';
import { formatDuration, ProgressBar } from '../progress';
import { type LaunchOptions, runLaunched, watchLauncher } from '../../distributed/launcher';
import { DEFAULT_DISTRIBUTED_TIMEOUT_MS } from '../../distributed/process-group';

export const TRAIN_USAGE = `Usage: hextorch train --data DIR --run DIR [options]

  --config FILE.json        options as JSON (keys as in the API: batchSize, miniEpochBatches, ...);
                            flags override them
  --mini-epoch-batches N    validate and checkpoint every N batches, or
  --mini-epoch-samples S    every S samples (rounded to whole batches)
  --epochs E                (default 1)
  --batch-size B            (default 256)
  --model PRESET            tiny | resnet | snowflake (default tiny)
  --blocks N --channels C   resnet/tiny tower size
  --device D                auto | cpu | cuda | cuda:N (default auto)
  --precision P             auto | fp32 | bf16 (default auto: bf16 where the CPU or GPU
                            has native bf16, see hextorch info; a resumed run keeps its own)
  --threads N               CPU threads (default: the cores available); the run warns when
                            other processes keep the cores busy: then --threads 1 holds best
  --workers N               data reader threads (default 1: one keeps up with training)
  --optimizer O             adam | adamw | sgd (default adam)
  --lr X                    learning rate (default 0.001)
  --weight-decay X          (default 0.0001)
  --augment MODE            all | random | none (default all)
  --seed S                  run seed: data order, init, dropout (default 1)
  --init-from FILE          start from these weights (a checkpoint or an exported
                            PyTorch state dict) with a fresh optimiser
  --val-max-batches N       cap validation batches per mini-epoch
  --keep-last K             checkpoints kept besides the best (default 3)
  --patience N              early stopping after N mini-epochs without improvement
  --resume auto|never       continue from the newest valid checkpoint (default auto)
  --fresh                   start over; earlier checkpoints are moved aside
  --force                   resume even if batch size, dataset, seed or precision changed
  --json                    print the final summary as JSON

Data-parallel (c10d: Gloo on CPU); --batch-size is the global batch, split over the ranks:
  --nproc-per-node N        start N ranks on this machine (a launcher, like torchrun)
  --nnodes M --node-rank K  with M machines, this one being K (default 1 and 0)
  --master-addr A           rank 0's address (default 127.0.0.1)
  --master-port P           rank 0's rendezvous port (default 29500)
  --sync-batch-norm         all-reduce batch-norm statistics over the ranks
  --dist-timeout S          seconds a rank waits for the others before failing (default 60)
A process started with RANK and WORLD_SIZE in its environment (torchrun, Slurm, ...)
trains as that rank. Threads per rank default to the cores / local ranks.

Ctrl-C finishes the current step, writes a checkpoint and exits (130); a second
Ctrl-C exits at once. SIGTERM does the same with exit code 143.`;

const FLAGS = {
  data: { type: 'string' }, run: { type: 'string' }, config: { type: 'string' },
  'mini-epoch-batches': { type: 'string' }, 'mini-epoch-samples': { type: 'string' }, epochs: { type: 'string' },
  'batch-size': { type: 'string' }, model: { type: 'string' }, blocks: { type: 'string' }, channels: { type: 'string' },
  device: { type: 'string' }, precision: { type: 'string' }, threads: { type: 'string' }, workers: { type: 'string' },
  optimizer: { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' }, augment: { type: 'string' },
  seed: { type: 'string' }, 'val-max-batches': { type: 'string' }, 'keep-last': { type: 'string' }, patience: { type: 'string' },
  'init-from': { type: 'string' },
  resume: { type: 'string' }, fresh: { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' },
  'nproc-per-node': { type: 'string' }, nnodes: { type: 'string' }, 'node-rank': { type: 'string' },
  'master-addr': { type: 'string' }, 'master-port': { type: 'string' }, 'sync-batch-norm': { type: 'boolean' },
  'dist-timeout': { type: 'string' },
} as const;

/** Flags that make this process a launcher of local ranks rather than a rank. */
const LAUNCH_FLAGS = ['nproc-per-node', 'nnodes', 'node-rank', 'master-addr', 'master-port'] as const;

/** Config file first, then flags on top. */
export function trainConfigFromArgs(argv: string[]): { config: TrainConfig; json: boolean } {
  const { values, positionals } = parse(argv, FLAGS, TRAIN_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${TRAIN_USAGE}`);
  let config: Record<string, unknown> = {};
  const file = stringFlag(values, 'config');
  if (file) {
    try {
      config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UsageError(`config file ${file} must hold a JSON object`);
    checkConfigKeys(config, `config file ${file}`);
  }
  const set = (key: keyof TrainConfig, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set('data', stringFlag(values, 'data'));
  set('run', stringFlag(values, 'run'));
  set('miniEpochBatches', numberFlag(values, 'mini-epoch-batches'));
  set('miniEpochSamples', numberFlag(values, 'mini-epoch-samples'));
  if (values['mini-epoch-batches'] !== undefined && values['mini-epoch-samples'] !== undefined) {
    throw new UsageError('give only one of --mini-epoch-batches and --mini-epoch-samples');
  }
  if (values['mini-epoch-batches'] !== undefined) delete config.miniEpochSamples;
  if (values['mini-epoch-samples'] !== undefined) delete config.miniEpochBatches;
  set('epochs', numberFlag(values, 'epochs'));
  set('batchSize', numberFlag(values, 'batch-size'));
  set('model', stringFlag(values, 'model'));
  set('initFrom', stringFlag(values, 'init-from'));
  set('blocks', numberFlag(values, 'blocks'));
  set('channels', numberFlag(values, 'channels'));
  set('device', stringFlag(values, 'device'));
  set('precision', stringFlag(values, 'precision'));
  set('threads', numberFlag(values, 'threads'));
  set('workers', numberFlag(values, 'workers'));
  set('optimizer', stringFlag(values, 'optimizer'));
  set('learningRate', numberFlag(values, 'lr'));
  set('weightDecay', numberFlag(values, 'weight-decay'));
  set('augment', stringFlag(values, 'augment'));
  set('seed', numberFlag(values, 'seed'));
  set('valMaxBatches', numberFlag(values, 'val-max-batches'));
  set('keepLast', numberFlag(values, 'keep-last'));
  const patience = numberFlag(values, 'patience');
  if (patience !== undefined) config.earlyStopping = { patience };
  set('resume', stringFlag(values, 'resume'));
  if (values.fresh) config.fresh = true;
  if (values.force) config.force = true;
  if (values['sync-batch-norm']) config.syncBatchNorm = true;
  const timeout = numberFlag(values, 'dist-timeout');
  if (timeout !== undefined) {
    if (!(timeout > 0)) throw new UsageError(`--dist-timeout must be a positive number of seconds, not ${timeout}`);
    config.distributed = { ...(config.distributed as object | undefined), timeoutMs: Math.round(timeout * 1000) };
  }
  if (config.data === undefined) throw new UsageError(`--data is required\n\n${TRAIN_USAGE}`);
  if (config.run === undefined) throw new UsageError(`--run is required\n\n${TRAIN_USAGE}`);
  return { config: config as unknown as TrainConfig, json: Boolean(values.json) };
}

export function describeRecord(r: MiniEpochRecord, batchesPerEpoch?: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const v = r.validation;
  return `epoch ${r.epoch} mini-epoch ${r.miniEpoch} (batch ${r.batchInEpoch}${batchesPerEpoch ? `/${batchesPerEpoch}` : ''}, global ${fmt(r.globalBatch)}, ${fmt(r.samplesSeen)} samples): ` +
    `train loss ${r.train.loss.toFixed(4)} (policy ${r.train.policyLoss.toFixed(3)}, value ${r.train.valueLoss.toFixed(4)})` +
    (v ? ` | val loss ${v.loss.toFixed(4)}, policy top-1 ${pct(v.policyAccuracy)}, value ${pct(v.valueAccuracy)}` : '') +
    ` | ${fmt(r.samplesPerSecond)} samples/s`;
}

/** Terminal output for a run: progress bar on a terminal, one line per mini-epoch. */
export function attachTerminal(orchestrator: MiniEpochOrchestrator, quiet: boolean): void {
  const bar = new ProgressBar();
  let last: MiniEpochRecord | undefined;
  let started = { time: Date.now(), batch: 0, samples: 0 };
  orchestrator.on('batch', (b) => {
    if (b.batchInMiniEpoch <= 1 || b.batchInMiniEpoch <= started.batch) started = { time: Date.now(), batch: b.batchInMiniEpoch, samples: b.samplesSeen };
    const elapsed = (Date.now() - started.time) / 1000;
    const batchRate = elapsed > 0 ? (b.batchInMiniEpoch - started.batch) / elapsed : 0;
    const sampleRate = elapsed > 0 ? (b.samplesSeen - started.samples) / elapsed : 0;
    const eta = batchRate > 0 ? (b.miniEpochBatches - b.batchInMiniEpoch) / batchRate : Number.NaN;
    const losses = last ? ` | last train ${last.train.loss.toFixed(3)}${last.validation ? ` val ${last.validation.loss.toFixed(3)}` : ''}` : '';
    bar.update(b.batchInMiniEpoch, b.miniEpochBatches, `e${b.epoch} m${b.miniEpoch} | ${fmt(sampleRate)} samples/s | ETA ${formatDuration(eta)}${losses}`);
  });
  orchestrator.on('miniEpochEnd', (r) => {
    last = r;
    bar.clear();
    if (!quiet) console.log(describeRecord(r));
  });
  orchestrator.on('resumed', (r) => {
    bar.clear();
    if (!quiet) console.log(`resumed from ${r.checkpoint} (global batch ${fmt(r.globalBatch)})`);
  });
  orchestrator.on('warning', (message) => {
    bar.clear();
    console.error(`warning: ${message}`);
  });
}

export function printSummary(result: TrainRunResult): void {
  const status = { completed: 'finished', 'early-stopped': 'stopped early (no improvement)', interrupted: 'interrupted; resumable', 'nothing-to-train': 'nothing to train' }[result.status];
  console.log(`run ${status}: ${fmt(result.globalBatch)} batches, ${fmt(result.samplesSeen)} samples on ${result.device}`);
  if (result.lastCheckpoint) console.log(`last checkpoint: ${result.lastCheckpoint}`);
  if (result.bestCheckpoint) console.log(`best checkpoint: ${result.bestCheckpoint}`);
  console.log(`metrics: ${result.metricsPath}; log: ${result.logPath}`);
}

/** The launcher's part of the command line, and the arguments each rank gets. */
function launchFromArgs(argv: string[]): LaunchOptions | null {
  const { values } = parse(argv, FLAGS, TRAIN_USAGE);
  if (!LAUNCH_FLAGS.some((f) => values[f] !== undefined)) return null;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--/, '').split('=')[0]!;
    if ((LAUNCH_FLAGS as readonly string[]).includes(flag)) {
      if (!argv[i]!.includes('=')) i++;
      continue;
    }
    args.push(argv[i]!);
  }
  const int = (name: (typeof LAUNCH_FLAGS)[number]) => {
    const v = numberFlag(values, name);
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new UsageError(`--${name} must be a non-negative integer, not ${v}`);
    return v;
  };
  const nproc = int('nproc-per-node') ?? 1;
  if (nproc < 1) throw new UsageError('--nproc-per-node must be at least 1');
  const nnodes = int('nnodes') ?? 1;
  if (nnodes < 1) throw new UsageError('--nnodes must be at least 1');
  const nodeRank = int('node-rank') ?? 0;
  if (nodeRank >= nnodes) throw new UsageError(`--node-rank ${nodeRank} must be less than --nnodes ${nnodes}`);
  const masterPort = int('master-port');
  if (masterPort !== undefined && (masterPort < 1 || masterPort > 65535)) throw new UsageError(`--master-port must be from 1 to 65535, not ${masterPort}`);
  const masterAddr = stringFlag(values, 'master-addr');
  return {
    nprocPerNode: nproc, nnodes, nodeRank, script: process.argv[1]!, args: ['train', ...args],
    ...(masterAddr !== undefined ? { masterAddr } : {}), ...(masterPort !== undefined ? { masterPort } : {}),
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const launch = launchFromArgs(argv);
  if (launch) {
    const { config } = trainConfigFromArgs(launch.args.slice(1));  // usage errors before any rank starts
    const timeoutMs = config.distributed?.timeoutMs ?? DEFAULT_DISTRIBUTED_TIMEOUT_MS;
    const result = await runLaunched({ ...launch, failureGraceMs: timeoutMs + 10_000 });
    if (result.firstFailure && result.exitCode !== 130 && result.exitCode !== 143) {
      const f = result.firstFailure;
      console.error(`hextorch: rank ${f.rank} ${f.signal ? `was killed by ${f.signal}` : `exited with status ${f.code}`}; launcher exits with ${result.exitCode}`);
    }
    return result.exitCode;
  }
  watchLauncher();
  const { config, json } = trainConfigFromArgs(argv);
  const shutdown = installGracefulShutdown((signal) => {
    console.error(`\n${signal} received: finishing the current step, then writing a checkpoint${signal === 'SIGINT' ? ' (Ctrl-C again exits at once)' : ''}`);
  });
  try {
    const result = await runTraining(config, { signal: shutdown.signal, onEvent: (o) => { if (o.isWriter) attachTerminal(o, json); } });
    // Rank 0 speaks for a data-parallel run.
    if (result.rank !== 0) return result.status === 'interrupted' ? shutdown.exitCode() || 130 : 0;
    if (json) console.log(JSON.stringify(result, null, 2));
    else printSummary(result);
    return result.status === 'interrupted' ? shutdown.exitCode() || 130 : 0;
  } finally {
    shutdown.dispose();
  }
}
