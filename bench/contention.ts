/**
 * Bench section `contention` (named only): the training step under other CPU load, for
 * each way libgomp's threads can wait. LibTorch's OpenMP threads spin at each barrier
 * before sleeping; on a busy machine the spinning thread can hold the core that the
 * thread it waits for needs. This measures it instead of guessing:
 *
 *   models tiny and snowflake (hextorch_bench_train, batch 256, precision auto)
 *   × load: nothing added, then 1 and 2 busy processes started here (`sh` busy loops,
 *     killed after each block)
 *   × 1 thread (no team: the reference, waiting does not apply) and 2 threads under
 *     libgomp's default, OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT 0 / 1,000 / 10,000 /
 *     100,000, and hextorch's rule (src/openmp-wait.ts); --quick: 1 thread, libgomp's
 *     default, GOMP_SPINCOUNT=0 and hextorch's rule, one round
 *
 * Every configuration is a fresh process, and each round runs them all in turn, so
 * slow drifts of the machine's own load fall on all of them alike. Reported per row:
 * samples/s (wall clock) and the process CPU time per sample (all threads: spinning
 * shows up there), medians with ranges over the rounds, and the rate against libgomp's
 * default at the same load.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { openMpWaitVariables, spinCount as hextorchSpinCount } from '../src/openmp-wait';

export interface ContentionRow {
  name: string;
  value: number | string;
  unit: string;
  note?: string;
}

interface Policy {
  label: string;
  threads: number;
  env: Record<string, string>;
}

interface Sample {
  samplesPerSecond: number;
  cpuMsPerSample: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function formatRate(x: number): string {
  return x.toFixed(x >= 10 ? 0 : 1);
}

function range(values: number[], digits: number): string {
  if (values.length === 0) return '-';
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  return lo === hi ? lo : `${lo}–${hi}`;
}

/**
 * The policies compared. libgomp's default is spelled out (GCC 12's value), since leaving
 * both variables unset now means hextorch's rule. OMP_WAIT_POLICY=passive is GCC 12's
 * GOMP_SPINCOUNT=0 (no spinning at all), so --quick runs only the latter.
 */
function policies(quick: boolean): Policy[] {
  const spins = quick ? [0] : [0, 1_000, 10_000, 100_000];
  return [
    { label: '1 thread (no waiting)', threads: 1, env: {} },
    { label: "2 threads, libgomp's default (GOMP_SPINCOUNT=300000)", threads: 2, env: { GOMP_SPINCOUNT: '300000' } },
    ...(quick ? [] : [{ label: '2 threads, OMP_WAIT_POLICY=passive', threads: 2, env: { OMP_WAIT_POLICY: 'passive' } }]),
    ...spins.filter((n) => n !== hextorchSpinCount).map((n) => ({ label: `2 threads, GOMP_SPINCOUNT=${n}`, threads: 2, env: { GOMP_SPINCOUNT: String(n) } })),
    { label: `2 threads, hextorch's rule (GOMP_SPINCOUNT=${hextorchSpinCount})`, threads: 2, env: openMpWaitVariables({}) },
  ];
}

/** `count` busy processes (shell loops), killed by the returned function. */
function startLoad(count: number): () => void {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) children.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const stop = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', stop);
  return () => {
    stop();
    process.removeListener('exit', stop);
  };
}

/** A run slower than this is stopped and reported as slower than what it would have had to reach: the section's time stays bounded. */
const runLimitSeconds = 60;

function runStep(nativeTrainLoop: string, dir: string, preset: string, batches: number, warmup: number, policy: Policy): Sample {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  delete env.GOMP_SPINCOUNT;
  Object.assign(env, policy.env);
  const r = spawnSync(nativeTrainLoop, [dir, preset, '256', String(batches), String(policy.threads), '2', 'auto', 'auto', 'cpu', String(warmup)], { encoding: 'utf8', env, timeout: runLimitSeconds * 1000 });
  if (r.signal === 'SIGTERM') return { samplesPerSecond: 0, cpuMsPerSample: Number.NaN };
  if (r.status !== 0) throw new Error(`native loop failed (${preset}, ${policy.label}): ${r.stderr}`);
  const rate = JSON.parse(r.stdout.trim().split('\n')[0]!) as { samples: number; samplesPerSecond: number; cpuSeconds: number };
  return { samplesPerSecond: rate.samplesPerSecond, cpuMsPerSample: (1000 * rate.cpuSeconds) / rate.samples };
}

export async function benchContention(options: { nativeTrainLoop: string; dir: string; quick: boolean }): Promise<{ section: string; rows: ContentionRow[] }> {
  const { nativeTrainLoop, dir, quick } = options;
  // [model, timed batches, warm-up batches]
  const models: Array<[string, number, number]> = [['tiny', quick ? 6 : 20, 2], ['snowflake', quick ? 1 : 3, 1]];
  const loads = [0, 1, 2];
  const list = policies(quick);
  const rounds = quick ? 1 : 3;
  const results = new Map<string, Sample[]>();
  const key = (model: string, load: number, policy: Policy) => `${model}|${load}|${policy.label}`;
  const loadAverages: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const load of loads) {
      const stop = startLoad(load);
      try {
        loadAverages.push(loadavg()[0]!);
        for (const [model, batches, warmup] of models) {
          for (const policy of list) {
            const k = key(model, load, policy);
            const sample = runStep(nativeTrainLoop, dir, model, batches, warmup, policy);
            results.set(k, [...(results.get(k) ?? []), sample]);
            process.stderr.write(`contention: round ${round + 1}/${rounds}, load ${load}, ${model}, ${policy.label}: ${sample.samplesPerSecond ? `${sample.samplesPerSecond.toFixed(0)} samples/s, ${sample.cpuMsPerSample.toFixed(3)} ms CPU/sample` : `stopped after ${runLimitSeconds} s`}\n`);
          }
        }
      } finally {
        stop();
      }
    }
  }
  const rows: ContentionRow[] = [];
  for (const [model, batches, warmup] of models) {
    for (const load of loads) {
      const reference = median(results.get(key(model, load, list[1]!))!.map((s) => s.samplesPerSecond));
      for (const policy of list) {
        const samples = results.get(key(model, load, policy))!;
        const rate = samples.map((s) => s.samplesPerSecond);
        const cpu = samples.map((s) => s.cpuMsPerSample).filter(Number.isFinite);
        const stopped = samples.filter((x) => x.samplesPerSecond === 0).length;
        rows.push({
          name: `${model}, ${load === 0 ? 'no load added' : `${load} busy process${load > 1 ? 'es' : ''}`}, ${policy.label}`,
          value: stopped === samples.length ? `< ${formatRate(((batches + warmup) * 256) / runLimitSeconds)}` : median(rate),
          unit: 'samples/s',
          note: `${stopped ? `${stopped} of ${samples.length} run(s) stopped after ${runLimitSeconds} s (counted as 0); ` : ''}range ${range(rate, 0)}; CPU ${cpu.length ? median(cpu).toFixed(3) : '-'} ms/sample (${range(cpu, 3)}); ${reference > 0 ? `${(median(rate) / reference).toFixed(2)}x libgomp's default` : "libgomp's default stopped"}`,
        });
      }
    }
    rows.push({ name: `${model}: batches per run`, value: batches, unit: 'of 256', note: `after ${warmup} warm-up step(s); ${rounds} round(s), fresh processes in turn` });
  }
  rows.push({ name: 'CPU', value: cpus()[0]?.model ?? 'unknown', unit: '', note: `${cpus().length} CPUs` });
  rows.push({ name: 'load average (1 min) at the start of each block', value: `${Math.min(...loadAverages).toFixed(1)}–${Math.max(...loadAverages).toFixed(1)}`, unit: '', note: 'other work on the machine shows here; the busy processes added count toward it' });
  return { section: 'OpenMP waiting under CPU load: libgomp wait policies (bench/contention.ts)', rows };
}
