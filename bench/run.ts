/**
 * npm run bench: every figure the issues ask for, each measured side by side with its
 * reference in the same run. Prints a table per section and writes bench-results.json.
 *
 *
 *   node dist/bench/run.js [--only S,...] [--quick] [section flags]
 *
 * `node dist/bench/run.js --help` lists the sections and every flag (BENCH_USAGE in
 * bench/options.ts, where the flags are declared and checked before anything runs).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointStore, DataLoader, generateGames, importRecords, info, MiniEpochOrchestrator, openDataset, Trainer, type CheckpointWriteProfile } from '../src/index';
import { writeFileDurable } from '../src/atomic-file';
import { writeTogether } from '../src/checkpoint-store';
import { resolveLogger } from '../src/logger';
import { launchRanks } from '../src/distributed/launcher';
import { createServer } from 'node:net';
import { benchSoak } from './soak';
import { benchPlay } from './play';
import { benchScale } from './scale';
import { benchContention } from './contention';
import { openMpWaitVariables } from '../src/openmp-wait';
import { describeCpu } from './machine';
import { BENCH_USAGE, type BenchOptions, type BenchSection, BenchUsageError, parseBenchArgs, type TrainerModel } from './options';

const repo = resolve(__dirname, '..', '..');
const work = join(repo, '.hextorch', 'bench');
/** The command line, checked before anything runs: --help prints the usage, a bad flag is one line and exit 2. */
const options: BenchOptions = (() => {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
})();
if (options.help) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
const { quick, only, soakMiniEpochs } = options;
const shared = process.env.HEXTORCH_SHARED_DATA ?? resolve(repo, '..', 'shared', 'data');
const neurohexFile = join(shared, 'neurohex', 'raw_games.dat');
const python = process.env.HEXTORCH_BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const nativeTrainLoop = join(repo, 'build', 'hextorch_bench_train');
/** The C++ bench programs run with the OpenMP wait setting a hextorch process gets (src/openmp-wait.ts). */
const nativeEnv = { ...process.env, ...openMpWaitVariables(process.env) };

interface Row {
  name: string;
  value: number | string;
  unit: string;
  note?: string;
}
const results: Record<string, Row[]> = {};

function report(section: string, rows: Row[]): void {
  results[section] = rows;
  console.log(`\n## ${section}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const value = typeof r.value === 'number' ? formatNumber(r.value) : r.value;
    console.log(`  ${r.name.padEnd(width)}  ${value.padStart(14)} ${r.unit}${r.note ? `   (${r.note})` : ''}`);
  }
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return x.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : abs >= 1 ? 2 : 4 });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function wanted(section: BenchSection): boolean {
  return !only || only.includes(section);
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/** The 13x13 dataset for the stream figures: at least 20M positions (2M with --quick). */
async function bigDataset(): Promise<string> {
  const games = quick ? 15_000 : 145_000;
  const dir = join(work, `synthetic-13-${games}`);
  if (!existsSync(join(dir, 'dataset.json'))) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`(generating ${games.toLocaleString()} games of 13x13 into ${dir}, once)`);
    await generateGames({ games, boardSize: 13, seed: 1, out: dir, valFraction: 0.01 });
  }
  return dir;
}

/** Neurohex 13x13 imported once (or a synthetic stand-in without ../shared/data). */
async function neurohexDataset(): Promise<{ dir: string; real: boolean }> {
  const real = existsSync(neurohexFile);
  const dir = join(work, real ? 'neurohex' : 'synthetic-13-11000');
  if (!existsSync(join(dir, 'dataset.json'))) {
    rmSync(dir, { recursive: true, force: true });
    if (real) await importRecords({ format: 'moves', inputs: [neurohexFile], out: dir });
    else await generateGames({ games: 11_000, boardSize: 13, seed: 2, out: dir });
  }
  return { dir, real };
}

function rawReadMBps(files: string[]): number {
  const buffer = Buffer.allocUnsafe(8 << 20);
  let bytes = 0;
  const started = performance.now();
  for (const file of files) {
    const fd = openSync(file, 'r');
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) bytes += n;
    closeSync(fd);
  }
  return bytes / 2 ** 20 / seconds(started);
}

async function benchImport(): Promise<void> {
  const rows: Row[] = [];
  if (existsSync(neurohexFile)) {
    const times: number[] = [];
    let positions = 0;
    for (let i = 0; i < 3; i++) {
      const out = join(work, `import-${i}`);
      rmSync(out, { recursive: true, force: true });
      const started = performance.now();
      const s = await importRecords({ format: 'moves', inputs: [neurohexFile], out });
      times.push(seconds(started));
      positions = s.positions;
      rmSync(out, { recursive: true, force: true });
    }
    rows.push({ name: 'import neurohex (parse, validate, dedup, split, mix, write)', value: positions / median(times), unit: 'positions/s', note: `${positions.toLocaleString()} positions, median of 3, target >= 1,000,000` });
  } else {
    rows.push({ name: 'import neurohex', value: 'skipped', unit: '', note: '../shared/data not present' });
  }
  const dir = await bigDataset();
  const d = await openDataset(dir);
  const files = [...d.train.shards, ...d.validation.shards].map((s) => s.path);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  rawReadMBps(files);  // warm the page cache
  const raw = median([rawReadMBps(files), rawReadMBps(files), rawReadMBps(files)]);
  const shardTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await openDataset(dir, { verify: true });
    shardTimes.push(seconds(started));
  }
  const shardSeconds = median(shardTimes);
  const positions = d.train.positions + d.validation.positions;
  rows.push({ name: 'raw sequential file read (page cache)', value: raw, unit: 'MB/s', note: `${(bytes / 2 ** 20).toFixed(0)} MB of shards` });
  rows.push({ name: 'shard read with checksum verification', value: bytes / 2 ** 20 / shardSeconds, unit: 'MB/s' });
  rows.push({ name: 'shard read with checksum verification', value: positions / shardSeconds, unit: 'positions/s' });
  rows.push({ name: 'shard read / raw read', value: bytes / 2 ** 20 / shardSeconds / raw, unit: 'x', note: 'target >= 0.5' });
  report('import and shard reads (issue 3)', rows);
}

const nativeStreamLoop = join(repo, 'build', 'hextorch_bench_stream');

/** One JSON line from hextorch_bench_stream (bench/native/stream_loop.cpp). */
function runStreamTool(args: string[]): Record<string, number | string> {
  const r = spawnSync(nativeStreamLoop, args, { encoding: 'utf8', env: nativeEnv });
  if (r.status !== 0) throw new Error(`hextorch_bench_stream ${args[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number | string>;
}

/**
 * The loader's rate (consumed from TypeScript, and from C++), its process CPU time per
 * sample (what other work on the machine does not change) and the rate that CPU time
 * allows on two free cores; then the question a user asks: does the loader slow the
 * training step? The trainer steps on a pre-made batch with no loader, on the same batch
 * with a loader open and its queue full, and fed by the loader, alternating fresh
 * processes.
 */
async function benchStream(): Promise<void> {
  const rows: Row[] = [];
  const dir = await bigDataset();
  const src = Buffer.alloc(256 << 20, 1);
  const dst = Buffer.allocUnsafe(256 << 20);
  src.copy(dst);
  const copies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    src.copy(dst);
    copies.push(256 / 1024 / seconds(started));
  }
  const memcpy = median(copies);
  const batches = quick ? 1500 : 6000;
  const rounds = quick ? 2 : 3;
  const bytesPerSample = 3 * 169 * 4 + 8 + 4;
  const ts: { samplesPerSecond: number; cpuNsPerSample: number; peakRssMiB: number; positions: number }[] = [];
  const cxx: { samplesPerSecond: number; cpuNsPerSample: number; readerCpuNsPerSample: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const child = spawnSync(process.execPath, [join(__dirname, 'stream-child.js'), JSON.stringify({ dir, batches, workers: 2, batchSize: 256 })], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`stream child failed: ${child.stderr}`);
    ts.push(JSON.parse(child.stdout) as (typeof ts)[number]);
    if (existsSync(nativeStreamLoop)) cxx.push(runStreamTool(['stream', dir, String(batches), '2', '256']) as unknown as (typeof cxx)[number]);
  }
  const rate = (xs: { samplesPerSecond: number }[]) => `${range(xs.map((x) => x.samplesPerSecond / 1e6))} M/s`;
  const cpuNs = (xs: { cpuNsPerSample: number }[]) => median(xs.map((x) => x.cpuNsPerSample));
  // Two free cores run 2 s of CPU time per second: the rate the loader's CPU time allows.
  const onTwoCores = (ns: number) => 2e9 / ns;
  rows.push({ name: 'memory copy bandwidth (one core)', value: memcpy, unit: 'GB/s' });
  rows.push({ name: 'augmented samples/s from TypeScript, 13x13, batch 256, 2 workers', value: median(ts.map((s) => s.samplesPerSecond)), unit: 'samples/s', note: `${rate(ts)} over ${rounds} runs; ${(median(ts.map((s) => s.samplesPerSecond)) * bytesPerSample / 2 ** 30).toFixed(2)} GB/s of batch tensors; wall clock: only meaningful on a quiet machine` });
  rows.push({ name: '  process CPU time per sample (TypeScript consumer)', value: cpuNs(ts), unit: 'ns', note: `range ${range(ts.map((s) => s.cpuNsPerSample), 0)}` });
  rows.push({ name: '  rate that CPU time allows on 2 free cores', value: onTwoCores(cpuNs(ts)), unit: 'samples/s', note: 'target >= 3,000,000 (2 s of CPU per second / CPU time per sample)' });
  if (cxx.length > 0) {
    rows.push({ name: 'augmented samples/s from C++ (no N-API), same settings', value: median(cxx.map((s) => s.samplesPerSecond)), unit: 'samples/s', note: rate(cxx) });
    rows.push({ name: '  process CPU time per sample (C++ consumer)', value: cpuNs(cxx), unit: 'ns', note: `of which reader threads ${median(cxx.map((s) => s.readerCpuNsPerSample)).toFixed(0)} ns` });
    rows.push({ name: '  rate that CPU time allows on 2 free cores', value: onTwoCores(cpuNs(cxx)), unit: 'samples/s' });
  }
  rows.push({ name: 'peak RSS of the streaming process', value: median(ts.map((s) => s.peakRssMiB)), unit: 'MiB', note: `dataset of ${ts[0]!.positions.toLocaleString()} positions; target < 1024` });

  const loader = new DataLoader({ dir }, { batchSize: 256, workers: 2 });
  const firstBatch = async (batch: number) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      loader.restore({ ...loader.state(), epoch: 3, sampleInEpoch: batch * 256 });
      (await loader.next())!.dispose();
      times.push(seconds(started));
    }
    return median(times);
  };
  const near0 = await firstBatch(1);
  const nearEnd = await firstBatch(loader.length - 2);
  const state = { ...loader.state(), epoch: 3, sampleInEpoch: (loader.length - 2) * 256 };
  loader.dispose();
  const openTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const fresh = new DataLoader({ dir }, { batchSize: 256, workers: 2 });
    fresh.restore(state);
    (await fresh.next())!.dispose();
    openTimes.push(seconds(started));
    fresh.dispose();
  }
  rows.push({ name: 'first batch after restore near the start', value: near0 * 1000, unit: 'ms' });
  rows.push({ name: 'first batch after restore near the end', value: nearEnd * 1000, unit: 'ms', note: 'target: equal within noise, < 1 s' });
  rows.push({ name: 'open a loader, restore near the end, first batch', value: median(openTimes) * 1000, unit: 'ms', note: 'what a resumed run pays' });

  if (existsSync(nativeStreamLoop)) {
    // tiny: the shortest training step, so the one any interference would show in.
    const steps = quick ? 30 : 80;
    const feeds = ['fixed', 'idle', 'fed'] as const;
    const runs: Record<(typeof feeds)[number], Record<string, number>[]> = { fixed: [], idle: [], fed: [] };
    for (let round = 0; round < rounds; round++) {
      for (const feed of feeds) runs[feed].push(runStreamTool(['train', dir, 'tiny', String(steps), String(threads), '2', feed]) as Record<string, number>);
    }
    const stepRate = (feed: (typeof feeds)[number]) => median(runs[feed].map((r) => r.samplesPerSecond!));
    const perCpu = (feed: (typeof feeds)[number]) => median(runs[feed].map((r) => r.samples! / r.cpuSeconds!));
    const base = stepRate('fixed');
    rows.push({ name: `training steps (tiny, ${threads} threads) on a pre-made batch, no loader`, value: base, unit: 'samples/s', note: `${range(runs.fixed.map((r) => r.samplesPerSecond!), 0)}; ${perCpu('fixed').toFixed(0)} per CPU-second` });
    // Wall-clock ratios answer the question on a quiet machine; samples per CPU-second
    // (the whole process's, readers included) answer it on a shared one.
    const compare = (feed: 'idle' | 'fed', readers: string) =>
      `CPU-time ratio ${(perCpu(feed) / perCpu('fixed')).toFixed(3)}; ${range(runs[feed].map((r) => r.samplesPerSecond!), 0)} samples/s; readers used ${median(runs[feed].map((r) => (r.readerCpuSeconds! / r.seconds!) * 1000)).toFixed(2)} ms of CPU per second${readers}`;
    rows.push({ name: '  same batch, loader open with its queue full', value: stepRate('idle') / base, unit: 'x', note: compare('idle', ' (asleep)') });
    rows.push({ name: '  fed by the loader (2 workers), batch after batch', value: stepRate('fed') / base, unit: 'x', note: compare('fed', '') });
  }
  report('streaming augmented data loader (issues 4 and 10)', rows);
}

interface LoopResult {
  samplesPerSecond: number;
  /** Samples per second of process CPU time: comparable on a machine shared with other work. */
  samplesPerCpuSecond: number;
  flopsPerSample: number;
}

function runNativeLoop(dir: string, preset: string, batches: number, precision: string, batchSize: number): LoopResult {
  const r = spawnSync(nativeTrainLoop, [dir, preset, String(batchSize), String(batches), String(threads), '2', precision, 'auto', device], { encoding: 'utf8', env: nativeEnv });
  if (r.status !== 0) throw new Error(`native loop failed: ${r.stderr}`);
  const [rate, flops] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return { samplesPerSecond: rate!.samplesPerSecond!, samplesPerCpuSecond: rate!.samples! / rate!.cpuSeconds!, flopsPerSample: flops!.trainingFlopsPerSample! };
}

function runTsLoop(dir: string, preset: Preset, batches: number, precision: 'fp32' | 'bf16', batchSize: number): { samplesPerSecond: number; overhead: number } {
  const r = spawnSync(process.execPath, [join(__dirname, 'train-child.js'), JSON.stringify({ dir, preset, batches, precision, threads, device, batchSize })], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`trainer child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { samplesPerSecond: number; overhead: number };
}

/**
 * The PyTorch reference, run as a Python user would: with OpenBLAS's default threads, or
 * with OPENBLAS_NUM_THREADS=1 (the better configuration on small CPUs). Its pure compute
 * loop (the same batch over and over) is its best rate, the data pipeline left out.
 */
function runPython(dir: string, preset: string, batches: number, precision: string, openblasOne: boolean, batchSize: number): { samplesPerSecond: number; computeSamplesPerSecond: number; computeSamplesPerCpuSecond: number } | undefined {
  const env = { ...process.env };
  if (openblasOne) env.OPENBLAS_NUM_THREADS = '1';
  else delete env.OPENBLAS_NUM_THREADS;
  const r = spawnSync(python, [join(repo, 'bench', 'python', 'train_reference.py'), dir, preset, String(batchSize), String(batches), String(threads), precision, 'compute-only', device], { encoding: 'utf8', env });
  if (r.status !== 0) {
    console.log(`(python reference unavailable: ${r.stderr.trim().split('\n').pop()})`);
    return undefined;
  }
  return JSON.parse(r.stdout);
}

type Preset = TrainerModel;
/** --device=cuda runs the trainer section on the GPU (bf16; scripts/gpu-check.sh). */
const { threads, device, batchSizes, models } = options;

function range(values: number[], digits = 2): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
}

/** One precision's practical peak: the fastest of what `--peak` measured, and which it was. */
interface PrecisionPeak {
  gflops: number;
  source: string;
  measured: Record<string, number>;
  /** The large matrix product's rate alone (SGEMM in fp32): the issue's "GEMM rate". */
  gemmGflops: number;
}

/**
 * The machine's practical peak in this run, fp32 and (where the CPU has native bf16) bf16:
 * the fastest of a large matrix product and oneDNN 3x3 convolutions at the networks'
 * channel counts (bench/native/train_loop.cpp --peak), so utilisation stays <= 100 %.
 */
function peakGflops(): { fp32: PrecisionPeak; bf16?: PrecisionPeak } {
  const r = spawnSync(nativeTrainLoop, ['--peak', String(threads)], { encoding: 'utf8', env: nativeEnv });
  if (r.status !== 0) throw new Error(`peak measurement failed: ${r.stderr}`);
  const raw = JSON.parse(r.stdout) as Record<string, unknown>;
  const pick = (name: string): PrecisionPeak | undefined =>
    typeof raw[`${name}Gflops`] === 'number' ? { gflops: raw[`${name}Gflops`] as number, source: raw[`${name}Source`] as string, measured: raw[`${name}Measured`] as Record<string, number>, gemmGflops: raw[`${name}GemmGflops`] as number } : undefined;
  return { fp32: pick('fp32')!, bf16: pick('bf16') };
}

async function benchTrainer(): Promise<void> {
  const rows: Row[] = [];
  const { dir, real } = await neurohexDataset();
  const cpu = device === 'cpu';
  const peak = cpu ? peakGflops() : undefined;
  if (peak) {
    for (const [name, p] of [['fp32', peak.fp32], ['bf16', peak.bf16]] as const) {
      if (!p) continue;
      const others = Object.entries(p.measured).map(([k, v]) => `${k} ${formatNumber(v)}`).join('; ');
      rows.push({ name: `practical peak, ${name}: ${p.source}`, value: p.gflops, unit: 'GFLOP/s', note: `${threads} threads, this run; the fastest of: ${others}` });
    }
  }
  const targets: Record<Preset, number> = { tiny: 1.3, resnet: 1.1, snowflake: 1.1 };
  const batchesPerRun: Record<Preset, number> = { tiny: quick ? 12 : 40, resnet: quick ? 2 : 4, snowflake: quick ? 2 : 4 };
  const plan = models.map((preset) => [preset, batchesPerRun[preset]] as const);
  const reps = options.rounds ?? (quick ? 1 : 2);
  for (const [preset, cpuBatches] of plan) {
   for (const batchSize of batchSizes) {
    const batches = cpu ? cpuBatches : 50;
    for (const precision of cpu ? (['fp32', 'bf16'] as const) : (['bf16'] as const)) {
      const ts: number[] = [];
      const overheads: number[] = [];
      const cpp: LoopResult[] = [];
      const pyDefault: number[] = [];
      const pyOne: number[] = [];
      const pyCpu: number[] = [];
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      // Alternating fresh processes: each round runs every contender once.
      for (let rep = 0; rep < reps; rep++) {
        const t = runTsLoop(dir, preset, batches, precision, batchSize);
        ts.push(t.samplesPerSecond);
        overheads.push(t.overhead);
        const c = runNativeLoop(dir, preset, batches, precision, batchSize);
        cpp.push(c);
        const a = runPython(dir, preset, batches, precision, false, batchSize);
        const b = runPython(dir, preset, batches, precision, true, batchSize);
        if (!a || !b) continue;
        pyDefault.push(a.computeSamplesPerSecond);
        pyOne.push(b.computeSamplesPerSecond);
        const best = Math.max(a.computeSamplesPerSecond, b.computeSamplesPerSecond);
        ratios.push(t.samplesPerSecond / best);
        pyCpu.push(Math.max(a.computeSamplesPerCpuSecond, b.computeSamplesPerCpuSecond));
        cpuRatios.push(c.samplesPerCpuSecond / pyCpu[pyCpu.length - 1]!);
      }
      const label = `${preset} ${precision}${batchSize === 256 ? '' : ` batch ${batchSize}`}`;
      const flops = cpp[0]!.flopsPerSample;
      const cppRate = median(cpp.map((c) => c.samplesPerSecond));
      const peakUsed = !peak ? undefined : precision === 'bf16' && peak.bf16 ? peak.bf16 : peak.fp32;
      const peakRate = peakUsed?.gflops;
      rows.push({ name: `${label}: Trainer.trainOnBatches (TypeScript)`, value: median(ts), unit: 'samples/s', note: `range ${range(ts, 0)}, ${reps} fresh processes, ${batches} batches of 256` });
      rows.push({ name: `${label}: pure C++ loop`, value: cppRate, unit: 'samples/s', note: `range ${range(cpp.map((c) => c.samplesPerSecond), 0)}` });
      rows.push({ name: `${label}: TypeScript layer overhead`, value: 100 * median(overheads), unit: '%', note: `range ${range(overheads.map((o) => 100 * o))}; wall time outside the native steps; target < 3` });
      if (peakRate) {
        rows.push({ name: `${label}: model FLOPs utilisation (C++ loop)`, value: (100 * cppRate * flops) / 1e9 / peakRate, unit: '% of peak', note: `${formatNumber((cppRate * flops) / 1e9)} GFLOP/s at ${formatNumber(flops / 1e6)} MFLOP per training sample, against the ${precision === 'bf16' && peak?.bf16 ? 'bf16' : 'fp32'} peak (${peakUsed?.source})` });
        // The issue's goal reads against the GEMM rate: the same figure against the large matrix
        // product alone (a lower peak than the row above, so a higher fraction).
        const gemmRate = peakUsed!.gemmGflops;
        if (gemmRate) rows.push({ name: `${label}: model FLOPs utilisation against the ${precision === 'bf16' && peak?.bf16 ? 'bf16' : 'fp32'} GEMM rate (C++ loop)`, value: (100 * cppRate * flops) / 1e9 / gemmRate, unit: '% of GEMM', note: `against the large matrix product alone (${formatNumber(gemmRate)} GFLOP/s this run); the row above divides by the fastest of it and the 3x3 convolutions` });
      } else rows.push({ name: `${label}: achieved compute (C++ loop)`, value: (cppRate * flops) / 1e9, unit: 'GFLOP/s' });
      if (ratios.length === 0) continue;
      rows.push({ name: `${label}: PyTorch, default OpenBLAS threads`, value: median(pyDefault), unit: 'samples/s', note: `range ${range(pyDefault, 0)}; compute loop (same batch), no data pipeline` });
      rows.push({ name: `${label}: PyTorch, OPENBLAS_NUM_THREADS=1`, value: median(pyOne), unit: 'samples/s', note: `range ${range(pyOne, 0)}` });
      rows.push({ name: `${label}: hextorch / PyTorch at its best`, value: median(ratios), unit: 'x', note: `range ${range(ratios)} (each round against the better PyTorch configuration); target >= ${targets[preset]}` });
      if (cpu) rows.push({ name: `${label}: same, in CPU time per sample`, value: median(cpuRatios), unit: 'x', note: `range ${range(cpuRatios)}; C++ loop vs PyTorch, robust to other load on the machine` });
    }
   }
  }
  report(`trainer throughput on ${real ? 'neurohex' : 'synthetic'} 13x13, ${cpu ? `${threads} threads` : device} (issue 10)`, rows);
}

interface LearningRun {
  seed: number;
  precision: 'fp32' | 'bf16';
  loss: number;
  policyAccuracy: number;
  valueAccuracy: number;
  cpuSecondsPerSample: number;
}

/**
 * One learning run: resnet 3x48 from `seed` (initialisation, data order, dropout) for a
 * fixed number of samples in `precision`, then validated in fp32 on the whole validation
 * split, so both precisions' weights are judged by the same arithmetic.
 */
async function learningRun(dir: string, seed: number, precision: 'fp32' | 'bf16', samples: number): Promise<LearningRun> {
  const loader = new DataLoader({ dir, seed }, { batchSize: 256, workers: 1 });
  const options = { model: 'resnet' as const, blocks: 3, channels: 48, boardSize: loader.boardSize, device: 'cpu', threads, learningRate: 2e-3, seed };
  const trainer = await Trainer.create({ ...options, precision });
  const weights = join(work, `learning-${precision}-${seed}.pt`);
  const cpuStart = process.cpuUsage();
  const trained = await trainer.trainOnBatches(loader.take(samples / 256));
  const cpu = process.cpuUsage(cpuStart);
  await trainer.saveCheckpoint(weights);
  trainer.dispose();
  loader.dispose();
  const judge = await Trainer.create({ ...options, precision: 'fp32', initFrom: weights });
  const val = new DataLoader({ dir, split: 'validation' }, { batchSize: 512, workers: 1 });
  const m = await judge.validate(val);
  judge.dispose();
  val.dispose();
  rmSync(weights, { force: true });
  return { seed, precision, loss: m.loss, policyAccuracy: m.policyAccuracy, valueAccuracy: m.valueAccuracy, cpuSecondsPerSample: (cpu.user + cpu.system) / 1e6 / trained.samples };
}

function standardDeviation(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
}

/**
 * Whether bf16 autocast learns as well as fp32 (issue 10: precision 'auto' picks bf16
 * only if so; issue 5's accuracy figures come from the same runs). Each seed trains once
 * in each precision, the order alternating between seeds; the fp32 runs' seed-to-seed
 * spread is the noise the bf16 difference is judged against.
 */
async function benchLearning(): Promise<void> {
  const { dir, real } = await neurohexDataset();
  const samples = 256 * Math.round((options.learningSamples ?? (quick ? 25_600 : 102_400)) / 256);
  const seedCount = options.learningSeeds ?? (quick ? 2 : 3);
  const seeds = Array.from({ length: seedCount }, (_, k) => k + 1);
  const started = performance.now();
  const runs: LearningRun[] = [];
  for (const [k, seed] of seeds.entries()) {
    for (const precision of k % 2 === 0 ? (['fp32', 'bf16'] as const) : (['bf16', 'fp32'] as const)) {
      runs.push(await learningRun(dir, seed, precision, samples));
    }
  }
  const of = (precision: string) => runs.filter((r) => r.precision === precision);
  const fp32 = of('fp32');
  const bf16 = of('bf16');
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const differences = seeds.map((seed) => bf16.find((r) => r.seed === seed)!.loss - fp32.find((r) => r.seed === seed)!.loss);
  const noise = standardDeviation(fp32.map((r) => r.loss));
  const difference = mean(bf16.map((r) => r.loss)) - mean(fp32.map((r) => r.loss));
  const d = await openDataset(dir);
  const meanEmpty = 169 - (d.train.positions / d.train.games - 1) / 2;
  const span = (rs: LearningRun[], f: (r: LearningRun) => number, scale = 1, digits = 4) => range(rs.map((r) => scale * f(r)), digits);
  const rows: Row[] = seeds.map((seed) => ({
    name: `seed ${seed}: validation loss fp32 / bf16`,
    value: `${fp32.find((r) => r.seed === seed)!.loss.toFixed(4)} / ${bf16.find((r) => r.seed === seed)!.loss.toFixed(4)}`,
    unit: '',
    note: `bf16 - fp32 = ${differences[seeds.indexOf(seed)]!.toFixed(4)}`,
  }));
  rows.push(
    { name: 'validation loss, mean over the seeds: fp32 / bf16', value: `${mean(fp32.map((r) => r.loss)).toFixed(4)} / ${mean(bf16.map((r) => r.loss)).toFixed(4)}`, unit: '' },
    { name: 'bf16 - fp32 (mean difference)', value: difference.toFixed(4), unit: '', note: `per seed ${differences.map((x) => x.toFixed(4)).join(', ')}` },
    { name: 'noise: fp32 seed-to-seed standard deviation', value: noise.toFixed(4), unit: '', note: `fp32 losses ${span(fp32, (r) => r.loss)}` },
    { name: 'bf16 within noise of fp32 (|mean difference| <= noise)', value: Math.abs(difference) <= noise ? 'yes' : 'no', unit: '' },
    { name: 'validation policy top-1: fp32 / bf16', value: `${span(fp32, (r) => r.policyAccuracy, 100, 1)} / ${span(bf16, (r) => r.policyAccuracy, 100, 1)}`, unit: '%', note: `uniform over empty cells ~${(100 / meanEmpty).toFixed(2)} %` },
    { name: 'validation value accuracy: fp32 / bf16', value: `${span(fp32, (r) => r.valueAccuracy, 100, 1)} / ${span(bf16, (r) => r.valueAccuracy, 100, 1)}`, unit: '%', note: 'target > 60' },
    { name: 'process CPU time per training sample: fp32 / bf16', value: `${span(fp32, (r) => r.cpuSecondsPerSample, 1e3, 2)} / ${span(bf16, (r) => r.cpuSecondsPerSample, 1e3, 2)}`, unit: 'ms', note: `bf16 ${(mean(fp32.map((r) => r.cpuSecondsPerSample)) / mean(bf16.map((r) => r.cpuSecondsPerSample))).toFixed(2)}x faster per CPU-second` },
    { name: "precision 'auto' on this machine", value: info().autoPrecision.cpu.precision, unit: '', note: info().autoPrecision.cpu.reason },
    { name: 'section wall time', value: seconds(started), unit: 's' },
  );
  report(`learning: fp32 against bf16 autocast on ${real ? 'neurohex' : 'synthetic'} (split by game), resnet 3x48, ${samples.toLocaleString('en-US')} training samples per run, ${seeds.length} seeds, validated in fp32 (issues 5 and 10)`, rows);
}

function diskWriteMBps(bytes: number): number {
  const path = join(work, 'disk-speed.tmp');
  const chunk = Buffer.alloc(4 << 20, 7);
  const started = performance.now();
  const fd = openSync(path, 'w');
  for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  fsyncSync(fd);
  closeSync(fd);
  const rate = bytes / 2 ** 20 / seconds(started);
  rmSync(path);
  return rate;
}

async function benchOrchestrator(): Promise<void> {
  const rows: Row[] = [];
  const dir = join(work, 'synthetic-9-1500');
  if (!existsSync(join(dir, 'dataset.json'))) await generateGames({ games: 1500, boardSize: 9, seed: 7, out: dir });
  const trainLoader = new DataLoader({ dir }, { batchSize: 256, workers: 1 });
  const valLoader = new DataLoader({ dir, split: 'validation' }, { batchSize: 256, workers: 1, maxBatches: 8 });
  const trainer = await Trainer.create({ model: 'tiny', boardSize: 9, device: 'cpu', threads: 2 });
  const checkpointDir = join(work, 'orchestrator-run');
  rmSync(checkpointDir, { recursive: true, force: true });
  const controller = new AbortController();
  const orchestrator = new MiniEpochOrchestrator({ trainer, trainLoader, valLoader, miniEpochBatches: 40, epochs: 1, checkpointDir, signal: controller.signal });
  const records: Array<{ wall: number; train: number; validation: number; checkpoint: number }> = [];
  let last = performance.now();
  orchestrator.on('miniEpochEnd', (r) => {
    const now = performance.now();
    records.push({ wall: (now - last) / 1000, train: r.trainSeconds, validation: r.validationSeconds, checkpoint: r.checkpointSeconds ?? 0 });
    last = now;
  });
  const limit = quick ? 3 : 6;
  orchestrator.on('miniEpochEnd', () => {
    if (records.length >= limit) controller.abort();
  });
  await orchestrator.run();
  const n = records.length;
  const avg = (f: (r: (typeof records)[number]) => number) => records.reduce((s, r) => s + f(r), 0) / n;
  rows.push({ name: 'mini-epoch of 40 batches: wall time', value: avg((r) => r.wall) * 1000, unit: 'ms', note: `mean of ${n}` });
  rows.push({ name: '  training', value: avg((r) => r.train) * 1000, unit: 'ms' });
  rows.push({ name: '  validation (8 batches)', value: avg((r) => r.validation) * 1000, unit: 'ms' });
  rows.push({ name: '  checkpoint (tiny model)', value: avg((r) => r.checkpoint) * 1000, unit: 'ms' });
  rows.push({ name: '  orchestration overhead (the rest)', value: avg((r) => r.wall - r.train - r.validation - r.checkpoint) * 1000, unit: 'ms', note: `${((100 * avg((r) => r.wall - r.train - r.validation - r.checkpoint)) / avg((r) => r.wall)).toFixed(2)} % of the wall time` });
  trainer.dispose();
  trainLoader.dispose();
  valLoader.dispose();

  // A reference-sized checkpoint: snowflake, Adam state after one step.
  const big = join(work, 'synthetic-13-2000');
  if (!existsSync(join(big, 'dataset.json'))) await generateGames({ games: 2000, boardSize: 13, seed: 3, out: big });
  const loader = new DataLoader({ dir: big }, { batchSize: 32, workers: 1 });
  const snowflake = await Trainer.create({ model: 'snowflake', boardSize: 13, device: 'cpu', threads: 2 });
  await snowflake.trainOnBatches(loader.take(1));
  const storeDir = join(work, 'checkpoint-speed');
  rmSync(storeDir, { recursive: true, force: true });
  const store = new CheckpointStore({ dir: storeDir, keepLast: 1, keepBest: false, logger: resolveLogger(undefined, 'bench') });
  await store.open();
  // Alternating: a checkpoint write (as the orchestrator does it: model.pt and a state
  // file, manifest, rename, latest), then the same bytes written and fsynced plainly.
  // Process CPU time is printed too: on a shared machine it stays comparable.
  const times: number[] = [];
  const disks: number[] = [];
  const cpus: number[] = [];
  const diskCpus: number[] = [];
  const parts: CheckpointWriteProfile[] = [];
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const cpuStarted = cpuNow();
    const c = await store.write(
      { epoch: 0, miniEpoch: i, globalBatch: i + 1, samplesSeen: 0, validationLoss: null, interrupted: false, createdAt: new Date().toISOString() },
      (d) =>
        writeTogether({
          'model.pt': snowflake.saveCheckpoint(join(d, 'model.pt')),
          'state.json': writeFileDurable(join(d, 'state.json'), '{}\n'),
        }),
    );
    times.push(seconds(started));
    cpus.push(cpuNow() - cpuStarted);
    parts.push(snowflake.lastCheckpointWrite!);
    bytes = c.bytes;
    const diskCpuStarted = cpuNow();
    disks.push(diskWriteMBps(bytes));
    diskCpus.push(cpuNow() - diskCpuStarted);
  }
  const write = median(times);
  const disk = median(disks);
  const diskSeconds = bytes / 2 ** 20 / disk;
  const ms = (x: number): string => formatNumber(x * 1000);
  const part = (f: (p: CheckpointWriteProfile) => number): number => median(parts.map(f)) * 1000;
  rows.push({ name: 'snowflake checkpoint: size', value: bytes / 2 ** 20, unit: 'MiB', note: 'model + Adam state' });
  rows.push({ name: 'snowflake checkpoint: write (serialize + SHA-256 while writing, fsync, manifest, rename)', value: write * 1000, unit: 'ms', note: `median of 5, ${ms(Math.min(...times))}-${ms(Math.max(...times))}; ${formatNumber(bytes / 2 ** 20 / write)} MB/s` });
  rows.push({ name: '  model.pt (open to close)', value: part((p) => p.totalSeconds), unit: 'ms', note: 'median of 5; the parts below overlap (SHA-256 on its own thread)' });
  rows.push({ name: '    serialise (LibTorch zip writer: pickle, CRC-32 of every record)', value: part((p) => p.serialiseSeconds), unit: 'ms' });
  rows.push({ name: '    write(2) into the page cache, write-back started', value: part((p) => p.writeSeconds), unit: 'ms' });
  rows.push({ name: '    SHA-256 (second thread, beside serialise and write)', value: part((p) => p.hashSeconds), unit: 'ms', note: `${formatNumber(bytes / 2 ** 20 / (part((p) => p.hashSeconds) / 1000))} MB/s` });
  rows.push({ name: '    final fsync', value: part((p) => p.syncSeconds), unit: 'ms' });
  rows.push({ name: '    SHA-256 left after the fsync', value: part((p) => p.hashWaitSeconds), unit: 'ms' });
  rows.push({ name: '    CPU time: writing thread (serialise, write) / hashing thread', value: `${formatNumber(part((p) => p.writerCpuSeconds))} / ${formatNumber(part((p) => p.hashCpuSeconds))}`, unit: 'ms', note: 'on an idle machine model.pt takes about the larger plus the fsync tail' });
  rows.push({ name: '  state.json, manifest, rename, latest (the rest)', value: median(times.map((t, i) => t - parts[i]!.totalSeconds)) * 1000, unit: 'ms' });
  rows.push({ name: '  process CPU time per checkpoint write', value: median(cpus) * 1000, unit: 'ms', note: `plain write of the same bytes: ${ms(median(diskCpus))} ms` });
  rows.push({ name: 'disk write speed, same bytes, with fsync', value: disk, unit: 'MB/s', note: `median of 5 alternating with the writes, ${formatNumber(Math.min(...disks))}-${formatNumber(Math.max(...disks))}; ${ms(diskSeconds)} ms for the checkpoint's bytes` });
  rows.push({ name: 'checkpoint write time / (bytes / disk speed)', value: write / diskSeconds, unit: 'x', note: `goal <= 1.5; per pair ${times.map((t, i) => (t / (bytes / 2 ** 20 / disks[i]!)).toFixed(2)).join(', ')}` });
  snowflake.dispose();
  loader.dispose();
  rmSync(storeDir, { recursive: true, force: true });
  report('mini-epoch orchestration and checkpoints (issue 6)', rows);
}

interface DistRun { samplesPerSecond: number; bytesPerStep: number; waitMsPerStep: number; stepMs: number }

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** `ranks` local ranks x `threads` threads each (ranks 0: one process without distribution). */
async function runDistributed(dir: string, preset: string, batches: number, ranks: number, threads: number): Promise<DistRun> {
  const child = join(__dirname, 'dist-child.js');
  const argument = JSON.stringify({ dir, preset, batches, threads });
  if (ranks === 0) {
    const r = spawnSync(process.execPath, [child, argument], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as DistRun;
  }
  const lines: string[] = [];
  const launch = launchRanks({ nprocPerNode: ranks, masterPort: await freePort(), script: child, args: [argument], inheritRankZero: false, onLine: (rank, line) => { if (rank === 0) lines.push(line); } });
  const result = await launch.done;
  if (result.exitCode !== 0) throw new Error(`distributed bench failed (${result.exitCode}): ${lines.join('\n')}`);
  return JSON.parse(lines.find((l) => l.startsWith('{'))!) as DistRun;
}

async function benchDistributed(): Promise<void> {
  const rows: Row[] = [];
  const { dir, real } = await neurohexDataset();
  for (const [preset, batches] of [['tiny', quick ? 10 : 30], ['resnet', quick ? 3 : 8], ['snowflake', quick ? 2 : 5]] as const) {
    const two: DistRun[] = [];
    const one: DistRun[] = [];
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      two.push(await runDistributed(dir, preset, batches, 2, 1));
      one.push(await runDistributed(dir, preset, batches, 0, 2));
    }
    const t = median(two.map((r) => r.samplesPerSecond));
    const o = median(one.map((r) => r.samplesPerSecond));
    rows.push({ name: `${preset}: gradient all-reduce per step`, value: two[0]!.bytesPerStep / 2 ** 20, unit: 'MB', note: 'fp32, one flat buffer per ~25 MB bucket' });
    rows.push({ name: `${preset}: all-reduce wait not hidden by backward`, value: median(two.map((r) => r.waitMsPerStep)), unit: 'ms/step', note: `of ${formatNumber(median(two.map((r) => r.stepMs)))} ms per step, 2 ranks` });
    rows.push({ name: `${preset}: 2 ranks x 1 thread (Gloo, 127.0.0.1)`, value: t, unit: 'samples/s', note: `global batch 256, ${batches} steps, median of ${two.length}` });
    rows.push({ name: `${preset}: 1 process x 2 threads`, value: o, unit: 'samples/s', note: 'alternating with the line above' });
    rows.push({ name: `${preset}: 2 ranks / 1 process`, value: t / o, unit: 'x', note: 'on 2 cores parity is the best case' });
  }
  report(`data-parallel training on ${real ? 'neurohex' : 'synthetic'} 13x13 (issue 11)`, rows);
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true });
  const i = info();
  console.log(`hextorch ${i.version}, LibTorch ${i.torchVersion}, CUDA ${i.cuda.available ? i.cuda.devices.join(', ') : 'none'}, ${readdirSync('/sys/devices/system/cpu').filter((c) => /^cpu\d+$/.test(c)).length} CPUs${quick ? ', --quick' : ''}`);
  const cpu = describeCpu();
  console.log(`CPU: ${cpu.model}`);
  console.log(`CPU flags: ${cpu.flags.join(' ')}`);
  if (wanted('import')) await benchImport();
  if (wanted('stream')) await benchStream();
  if (wanted('trainer')) await benchTrainer();
  if (wanted('learning')) await benchLearning();
  if (wanted('orchestrator')) await benchOrchestrator();
  if (wanted('distributed')) await benchDistributed();
  if (wanted('play')) {
    const play = await benchPlay({ work, quick, validation: (await neurohexDataset()).dir });
    report(play.section, play.rows);
  }
  // Seed scale takes minutes and ~6 GB of disk: only when asked for by name.
  if (only?.includes('scale')) {
    const scale = await benchScale(repo);
    report(scale.section, scale.rows);
  }
  // A few minutes: only when asked for by name.
  if (only?.includes('contention')) {
    const contention = await benchContention({ nativeTrainLoop, dir: (await neurohexDataset()).dir, quick });
    report(contention.section, contention.rows);
  }
  // Long (a few minutes): only when asked for by name.
  if (only?.includes('soak')) {
    const total = soakMiniEpochs ?? (quick ? 300 : 2000);
    report(`soak: ${total.toLocaleString('en-US')} mini-epochs of tiny, a checkpoint each (issue 9)`, await benchSoak(work, quick, soakMiniEpochs));
  }
  const out = join(repo, 'bench-results.json');
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), quick, torch: i.torchVersion, cpu, results }, null, 2)}\n`);
  console.log(`\nJSON: ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
