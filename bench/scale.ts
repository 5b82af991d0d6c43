/**
 * Seed scale (`npm run bench -- --only=scale`): a 97M-position 13x13 dataset generated
 * once into bench-data/ (git-ignored, reused when present; about 5.3 GB), then opening,
 * first batches, streaming and a killed-and-resumed `hextorch train` run on it. Each
 * measurement runs in a fresh process (bench/scale-child.ts) for its own peak RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScaleRow {
  name: string;
  value: number | string;
  unit: string;
  note?: string;
}

// About 98M positions at 13x13 with the synthetic player (HEXTORCH_SCALE_GAMES: a smaller smoke run).
const GAMES = Number(process.env.HEXTORCH_SCALE_GAMES ?? 705_000);
const BATCH = 256;

function child(repo: string, job: Record<string, unknown>): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(repo, 'dist', 'bench', 'scale-child.js'), JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`scale child ${String(job.mode)} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function range(values: number[], digits = 0): string {
  return `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
}

interface LogLine {
  event?: string;
  time: string;
  trainSeconds?: number;
  validationSeconds?: number;
  checkpointSeconds?: number;
  miniEpoch?: number;
  epoch?: number;
  globalBatch?: number;
}

function logEvents(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
}

/** Runs `hextorch train` until the log holds `miniEpochs` mini-epoch events, then sends `signal`. */
async function trainUntil(repo: string, args: string[], log: string, miniEpochs: number, signal: NodeJS.Signals): Promise<{ startedAt: number; code: number | null; signal: NodeJS.Signals | null }> {
  const startedAt = Date.now();
  const proc = spawn(process.execPath, [join(repo, 'dist', 'src', 'cli', 'main.js'), 'train', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, sig) => resolve({ code, signal: sig })));
  let done = false;
  void exited.then(() => (done = true));
  while (!done && logEvents(log).filter((e) => e.event === 'mini-epoch').length < miniEpochs) await new Promise((r) => setTimeout(r, 100));
  if (!done) proc.kill(signal);
  const result = await exited;
  if (signal !== 'SIGKILL' && result.code !== 0 && result.code !== 143) throw new Error(`hextorch train failed (${result.code}): ${stderr.trim()}`);
  return { startedAt, ...result };
}

export async function benchScale(repo: string): Promise<{ section: string; rows: ScaleRow[] }> {
  const rows: ScaleRow[] = [];
  const dataRoot = join(repo, 'bench-data');
  const dir = join(dataRoot, `synthetic-13-${GAMES}`);
  const figures = join(dataRoot, `synthetic-13-${GAMES}.generate.json`);
  if (!existsSync(join(dir, 'dataset.json')) || !existsSync(figures)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dataRoot, { recursive: true });
    console.log(`(generating ${GAMES.toLocaleString()} games of 13x13 into ${dir}, once: several minutes, ~5.3 GB)`);
    const g = child(repo, { mode: 'generate', games: GAMES, out: dir });
    writeFileSync(figures, `${JSON.stringify({ ...g, date: new Date().toISOString() })}\n`);
  }
  const g = JSON.parse(readFileSync(figures, 'utf8')) as { seconds: number; peakRssMiB: number; positions: number; bytes: number; shards: number; date: string };
  rows.push({ name: 'dataset', value: g.positions, unit: 'positions', note: `${GAMES.toLocaleString()} synthetic games, ${(g.bytes / 2 ** 30).toFixed(2)} GiB in ${g.shards} shards` });
  rows.push({ name: 'generate: time', value: g.seconds, unit: 's', note: `measured when the data was made (${g.date.slice(0, 16)}Z); ${Math.round(g.positions / g.seconds).toLocaleString()} positions/s` });
  rows.push({ name: 'generate: peak RSS (VmHWM)', value: g.peakRssMiB, unit: 'MiB', note: 'goal < 1024 whatever the size' });

  // Opening and the first batch, at the start and after a restore 10 batches before the
  // end of the epoch: alternating fresh processes.
  const start: Array<Record<string, number>> = [];
  const end: Array<Record<string, number>> = [];
  for (let rep = 0; rep < 4; rep++) {
    start.push(child(repo, { mode: 'first-batch', dir, batchSize: BATCH, fromEnd: 0 }) as Record<string, number>);
    end.push(child(repo, { mode: 'first-batch', dir, batchSize: BATCH, fromEnd: 10 }) as Record<string, number>);
  }
  const opens = [...start, ...end].map((r) => r.openMs!);
  rows.push({ name: 'open (DataLoader over every shard)', value: median(opens), unit: 'ms', note: `median of 8 fresh processes, range ${range(opens)}` });
  const firstStart = start.map((r) => r.firstBatchMs!);
  const firstEnd = end.map((r) => r.firstBatchMs!);
  rows.push({ name: 'first batch at the start of the epoch', value: median(firstStart), unit: 'ms', note: `median of 4, range ${range(firstStart)}; goal < 100` });
  rows.push({ name: 'first batch after restoring near the end', value: median(firstEnd), unit: 'ms', note: `median of 4, range ${range(firstEnd)}; restore itself ${range(end.map((r) => r.restoreMs!), 1)} ms; batch ${(start[0]!.batches! - 10).toLocaleString()} of ${start[0]!.batches!.toLocaleString()}` });

  // Streaming: rate and resident memory over time.
  const s = child(repo, { mode: 'stream', dir, batchSize: BATCH, batches: 30_000 }) as { samplesPerSecond: number; rssMiB: number[]; peakRssMiB: number; samples: number };
  rows.push({ name: 'streaming rate (augment all, default workers)', value: s.samplesPerSecond, unit: 'samples/s', note: `${s.samples.toLocaleString()} samples` });
  rows.push({ name: 'RSS while streaming', value: range(s.rssMiB), unit: 'MiB', note: `sampled every tenth of the run: ${s.rssMiB.map((r) => r.toFixed(0)).join(', ')}; peak (VmHWM) ${s.peakRssMiB.toFixed(0)} MiB, goal < 1024 and flat` });

  // hextorch train, tiny, 20 mini-epochs: SIGKILL after 10, resumed, stopped after 20.
  const run = join(dataRoot, 'scale-run');
  rmSync(run, { recursive: true, force: true });
  const log = join(run, 'train.log');
  // Small mini-epochs and one compute thread: the figure is the orchestration around the
  // steps, which is what a shared 2-core machine can measure without the steps' noise.
  const args = ['--data', dir, '--run', run, '--model', 'tiny', '--mini-epoch-batches', '20', '--val-max-batches', '4', '--keep-last', '2', '--threads', '1', '--workers', '1'];
  const first = await trainUntil(repo, args, log, 10, 'SIGKILL');
  const afterKill = logEvents(log);
  const killedAt = afterKill.filter((e) => e.event === 'mini-epoch').length;
  const second = await trainUntil(repo, args, log, 20, 'SIGTERM');
  const events = logEvents(log);
  const mini = events.filter((e) => e.event === 'mini-epoch');
  const resumed = events.find((e) => e.event === 'resume');
  // Overhead of a mini-epoch: the wall time between two mini-epoch events less the
  // training, validation and checkpoint times the event carries.
  const overheads: number[] = [];
  const walls: number[] = [];
  for (let k = 1; k < mini.length; k++) {
    if (k === killedAt) continue; // spans the kill and the restart
    const wall = (Date.parse(mini[k]!.time) - Date.parse(mini[k - 1]!.time)) / 1000;
    walls.push(wall);
    overheads.push(wall - (mini[k]!.trainSeconds ?? 0) - (mini[k]!.validationSeconds ?? 0) - (mini[k]!.checkpointSeconds ?? 0));
  }
  const trainS = mini.map((e) => e.trainSeconds ?? 0);
  const valS = mini.map((e) => e.validationSeconds ?? 0);
  const ckptS = mini.map((e) => e.checkpointSeconds ?? 0);
  const firstStartup = (Date.parse(mini[0]!.time) - first.startedAt) / 1000 - trainS[0]! - valS[0]! - ckptS[0]!;
  const resumedEvent = mini[killedAt];
  const resumeStartup = resumedEvent ? (Date.parse(resumedEvent.time) - second.startedAt) / 1000 - trainS[killedAt]! - valS[killedAt]! - ckptS[killedAt]! : Number.NaN;
  rows.push({ name: 'train tiny: mini-epochs logged', value: mini.length, unit: '', note: `20 batches of ${BATCH} each, 1 compute thread; SIGKILL after ${killedAt} (exit ${first.signal ?? first.code}), resumed ${resumed ? `at batch ${String(resumed.globalBatch)}` : 'NOT'}, stopped with SIGTERM (exit ${second.code ?? second.signal})` });
  rows.push({ name: 'train tiny: training per mini-epoch', value: median(trainS), unit: 's', note: `range ${range(trainS, 2)}` });
  rows.push({ name: 'train tiny: validation per mini-epoch', value: median(valS), unit: 's', note: `4 batches; range ${range(valS, 2)}` });
  rows.push({ name: 'train tiny: checkpoint per mini-epoch', value: median(ckptS), unit: 's', note: `range ${range(ckptS, 3)}` });
  rows.push({ name: 'train tiny: orchestration overhead per mini-epoch', value: 1000 * median(overheads), unit: 'ms', note: `wall between mini-epoch events less train+validation+checkpoint; range ${range(overheads.map((o) => 1000 * o))} ms of ${median(walls).toFixed(2)} s` });
  rows.push({ name: 'train tiny: start-up before the first mini-epoch', value: firstStartup, unit: 's', note: 'process start to first event, less that mini-epoch\'s own times' });
  rows.push({ name: 'train tiny: start-up when resuming after SIGKILL', value: resumeStartup, unit: 's', note: 'the same after the restart (checkpoint load and data seek included)' });
  return { section: `seed scale: ${(g.positions / 1e6).toFixed(1)}M positions of 13x13 (issue 9)`, rows };
}
