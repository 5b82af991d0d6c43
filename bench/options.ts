/**
 * The bench's command line (bench/run.ts): every flag in one table, checked before any
 * section runs. `--help` prints BENCH_USAGE; an unknown flag, a stray argument or a
 * malformed value is one line naming it (exit 2). Flags take `--flag=value` or `--flag value`.
 */
import { parseArgs } from 'node:util';

export const BENCH_SECTIONS = ['import', 'stream', 'trainer', 'learning', 'orchestrator', 'distributed', 'play', 'scale', 'contention', 'soak'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export const BENCH_USAGE = `npm run bench [-- flags], or node dist/bench/run.js [flags]: every figure the issues ask for,
each measured side by side with its reference in the same run. Prints a table per section
and writes bench-results.json.

Sections (default: all but the named-only ones):
  import        import and shard reads (neurohex when ../shared/data has it)
  stream        the streaming augmented data loader against memcpy
  trainer       trainer throughput against PyTorch (both OpenBLAS configurations), FLOP/s and
                utilisation of the practical peak
  learning      validation loss after a fixed number of samples, fp32 against bf16 autocast
  orchestrator  mini-epochs with validation and checkpoints; checkpoint writes against the disk
  distributed   data-parallel ranks against one process
  play          MCTS, evaluation and matches
  scale         seed scale (bench/scale.ts; minutes, ~6 GB of disk): named only
  contention    the trainer step under CPU load per libgomp wait policy (bench/contention.ts): named only
  soak          2,000 mini-epochs with a checkpoint each (bench/soak.ts): named only

Flags:
  --only S[,S...]         run only these sections (names above)
  --quick                 fewer rounds and smaller data everywhere
  --threads N             trainer section: CPU threads (default 2)
  --device D              trainer section: cpu (default), cuda or cuda:N (bf16; scripts/gpu-check.sh)
  --batch-sizes B[,B...]  trainer section: batch sizes (default 256)
  --models M[,M...]       trainer section: tiny, resnet, snowflake (default all three)
  --rounds N              trainer section: rounds of alternating fresh processes per row, each
                          contender once a round (default 2; --quick 1)
  --learning-samples N    learning section: training samples per run, rounded to batches of 256
                          (default 102,400; --quick 25,600)
  --learning-seeds K      learning section: seeds, each trained in fp32 and bf16 (default 3; --quick 2)
  --soak-mini-epochs N    soak section: mini-epochs, at least 20 (default 2,000; --quick 300)
  --help, -h              this text
Flags take --flag=value or --flag value. Exit codes: 0 done, 1 a section failed, 2 bad flags.`;

export const TRAINER_MODELS = ['tiny', 'resnet', 'snowflake'] as const;
export type TrainerModel = (typeof TRAINER_MODELS)[number];

export interface BenchOptions {
  help: boolean;
  quick: boolean;
  /** The sections named in --only; undefined: the default set. */
  only: BenchSection[] | undefined;
  threads: number;
  device: string;
  batchSizes: number[];
  /** The trainer section's models, in the order they run. */
  models: TrainerModel[];
  /** The trainer section's rounds; undefined: 2 (--quick 1). */
  rounds: number | undefined;
  learningSamples: number | undefined;
  learningSeeds: number | undefined;
  soakMiniEpochs: number | undefined;
}

/** A bad command line: one line naming the flag and what was wrong. */
export class BenchUsageError extends Error {}

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  quick: { type: 'boolean' },
  only: { type: 'string' },
  threads: { type: 'string' },
  device: { type: 'string' },
  'batch-sizes': { type: 'string' },
  models: { type: 'string' },
  rounds: { type: 'string' },
  'learning-samples': { type: 'string' },
  'learning-seeds': { type: 'string' },
  'soak-mini-epochs': { type: 'string' },
} as const;

/** The integers in `text` (a comma list when `list`), each at least `min`. */
function integers(name: string, text: string, min: number, list = false): number[] {
  const parts = list ? text.split(',') : [text];
  const values = parts.map(Number);
  if (parts.some((p, i) => !/^\d+$/.test(p) || !Number.isSafeInteger(values[i]) || values[i]! < min)) {
    throw new BenchUsageError(`--${name}=${text}: expected ${list ? 'a comma-separated list of integers' : 'an integer'} >= ${min}`);
  }
  return values;
}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  return text === undefined ? undefined : integers(name, text, min)[0];
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new BenchUsageError(`unknown option ${flag ?? e.message} (--help lists the flags)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new BenchUsageError(flag && FLAGS[flag.replace(/^--/, '') as keyof typeof FLAGS]?.type === 'boolean' ? `${flag} takes no value` : `${flag ?? 'an option'} needs a value`);
    }
    throw new BenchUsageError(e.message.split('\n')[0]!);
  }
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values, positionals } = parse(argv);
  if (positionals.length > 0) throw new BenchUsageError(`unexpected argument '${positionals[0]}' (flags start with --; --help lists them)`);
  const only = values.only?.split(',');
  const unknown = (only ?? []).filter((name) => !(BENCH_SECTIONS as readonly string[]).includes(name));
  if (only && (unknown.length > 0 || only.length === 0)) {
    throw new BenchUsageError(`--only=${values.only}: no section named ${unknown.map((n) => `'${n}'`).join(', ')}; expected some of ${BENCH_SECTIONS.join(', ')}`);
  }
  const device = values.device ?? 'cpu';
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new BenchUsageError(`--device=${device}: expected cpu, cuda or cuda:N`);
  const batchSizes = integers('batch-sizes', values['batch-sizes'] ?? '256', 1, true);
  const models = (values.models ?? TRAINER_MODELS.join(',')).split(',');
  const unknownModels = models.filter((m) => !(TRAINER_MODELS as readonly string[]).includes(m));
  if (unknownModels.length > 0) throw new BenchUsageError(`--models=${values.models}: no model named ${unknownModels.map((m) => `'${m}'`).join(', ')}; expected some of ${TRAINER_MODELS.join(', ')}`);
  return {
    help: values.help ?? false,
    quick: values.quick ?? false,
    only: only as BenchSection[] | undefined,
    threads: integer('threads', values.threads, 1) ?? 2,
    device,
    batchSizes,
    models: models as TrainerModel[],
    rounds: integer('rounds', values.rounds, 1),
    learningSamples: integer('learning-samples', values['learning-samples'], 256),
    learningSeeds: integer('learning-seeds', values['learning-seeds'], 1),
    soakMiniEpochs: integer('soak-mini-epochs', values['soak-mini-epochs'], 20),
  };
}
