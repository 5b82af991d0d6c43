/**
 * One soak run in a process of its own, so that its memory is the run's alone and its
 * V8 flags are the ones it was started with (the parent starts it with the flags of the
 * `hextorch` command, and once more with node's defaults as the reference).
 * Argument: JSON { data, runDir, total, keepLast }. Prints progress lines, then one line
 * `RESULT <json>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { DataLoader, MiniEpochOrchestrator, Trainer } from '../src/index';

/** What the child samples at the end of each mini-epoch. */
export interface SoakSample {
  /** Resident memory, all of it and its anonymous part (the heaps; the rest is mapped files). */
  rssMiB: number;
  anonMiB: number;
  /** V8's heap: reserved by the heap (heapTotal) and in use, live or not yet collected (heapUsed). */
  heapTotalMiB: number;
  heapUsedMiB: number;
  fds: number;
  /** Full (mark-compact) collections since the first mini-epoch began. */
  majorGcs: number;
  /** Wall time of the mini-epoch, and the part of it outside training and validation steps. */
  ms: number;
  orchestrationMs: number;
  checkpointMs: number;
  /** Process CPU time of the mini-epoch (comparable on a machine shared with other work). */
  cpuMs: number;
}

export interface SoakResult {
  samples: SoakSample[];
  seconds: number;
  kept: string[];
  expectedKept: string[];
  temporaries: number;
  historyLines: number;
  stateBytes: number;
  /** Mini-epochs (one batch each) in one pass over the training data (a quarter of an epoch with augmentation 'all'). */
  passMiniEpochs: number;
  execArgv: string[];
}

function status(): { rssMiB: number; anonMiB: number } {
  const text = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)![1]) / 1024;
  return { rssMiB: field('VmRSS'), anonMiB: field('RssAnon') };
}

async function main(): Promise<void> {
  const { data, runDir, total, keepLast } = JSON.parse(process.argv[2]!) as { data: string; runDir: string; total: number; keepLast: number };
  const trainLoader = new DataLoader({ dir: data }, { batchSize: 64, workers: 1 });
  const valLoader = new DataLoader({ dir: data, split: 'validation' }, { batchSize: 64, workers: 1, maxBatches: 1 });
  const trainer = await Trainer.create({ model: 'tiny', boardSize: 9, device: 'cpu', threads: 2 });
  const checkpointDir = join(runDir, 'checkpoints');
  const controller = new AbortController();
  const orchestrator = new MiniEpochOrchestrator({
    trainer, trainLoader, valLoader, miniEpochBatches: 1, epochs: 1000, checkpointDir, metricsPath: join(runDir, 'metrics.jsonl'),
    keepLast, keepBest: true, signal: controller.signal, logger: { level: 'warn' },
  });
  let majorGcs = 0;
  let counting = false;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (counting && (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const samples: SoakSample[] = [];
  const started = performance.now();
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  orchestrator.on('batch', () => {
    counting = true;
  });
  orchestrator.on('miniEpochEnd', (record) => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const ms = now - last;
    const memory = process.memoryUsage();
    samples.push({
      ...status(),
      heapTotalMiB: memory.heapTotal / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
      fds: readdirSync('/proc/self/fd').length,
      majorGcs,
      ms,
      orchestrationMs: ms - 1000 * (record.trainSeconds + record.validationSeconds),
      checkpointMs: 1000 * (record.checkpointSeconds ?? 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
    const done = samples.length;
    if (done % 250 === 0) {
      const s = samples[done - 1]!;
      console.log(`  soak: ${done} mini-epochs, RSS ${s.rssMiB.toFixed(1)} MiB (V8 heap ${s.heapTotalMiB.toFixed(1)}), ${s.fds} fds, ${s.majorGcs} full GCs, ${((now - started) / 1000).toFixed(0)} s`);
    }
    if (done >= total) controller.abort();
    last = performance.now();
    lastCpu = process.cpuUsage();
  });
  const summary = await orchestrator.run();
  const seconds = (performance.now() - started) / 1000;
  gcObserver.disconnect();
  const entries = readdirSync(checkpointDir);
  const kept = entries.filter((e) => e.startsWith('ckpt-')).sort();
  const history = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  const lastK = history.slice(-keepLast).map((l) => (JSON.parse(l) as { checkpoint: string }).checkpoint);
  const best = summary.best?.checkpoint;
  const result: SoakResult = {
    samples,
    seconds,
    kept,
    expectedKept: [...new Set([...lastK, ...(best ? [best] : [])])].sort(),
    temporaries: entries.filter((e) => e.startsWith('.tmp-') || e.endsWith('.tmp')).length,
    historyLines: history.length,
    stateBytes: readFileSync(join(checkpointDir, kept[kept.length - 1]!, 'state.json')).length,
    passMiniEpochs: Math.ceil(trainLoader.length / 4),
    execArgv: process.execArgv,
  };
  trainer.dispose();
  trainLoader.dispose();
  valLoader.dispose();
  console.log(`RESULT ${JSON.stringify(result)}`);
}

void main();
