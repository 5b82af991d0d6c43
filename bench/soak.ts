/**
 * Soak: many mini-epochs of `tiny` (one batch each, a checkpoint after each) in one
 * process, as a run of days does them. Reports resident memory and open descriptors
 * after warm-up against the end, leftover temporaries and what retention kept.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader, generateGames, MiniEpochOrchestrator, Trainer } from '../src/index';

interface Row {
  name: string;
  value: number | string;
  unit: string;
  note?: string;
}

function rssMiB(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

export async function benchSoak(work: string, quick: boolean): Promise<Row[]> {
  const total = quick ? 300 : 2000;
  const warmup = Math.round(total / 10);
  const keepLast = 3;
  const data = join(work, 'synthetic-9-1500');
  if (!existsSync(join(data, 'dataset.json'))) await generateGames({ games: 1500, boardSize: 9, seed: 7, out: data });
  const trainLoader = new DataLoader({ dir: data }, { batchSize: 64, workers: 1 });
  const valLoader = new DataLoader({ dir: data, split: 'validation' }, { batchSize: 64, workers: 1, maxBatches: 1 });
  const trainer = await Trainer.create({ model: 'tiny', boardSize: 9, device: 'cpu', threads: 2 });
  const runDir = join(work, 'soak-run');
  rmSync(runDir, { recursive: true, force: true });
  const checkpointDir = join(runDir, 'checkpoints');
  const controller = new AbortController();
  const orchestrator = new MiniEpochOrchestrator({
    trainer, trainLoader, valLoader, miniEpochBatches: 1, epochs: 1000, checkpointDir, metricsPath: join(runDir, 'metrics.jsonl'),
    keepLast, keepBest: true, signal: controller.signal, logger: { level: 'warn' },
  });
  let done = 0;
  let atWarmup = { rss: 0, fds: 0 };
  let peakRss = 0;
  const fdCounts = new Set<number>();
  const started = performance.now();
  orchestrator.on('miniEpochEnd', () => {
    done++;
    if (done >= warmup) {
      const rss = rssMiB();
      peakRss = Math.max(peakRss, rss);
      fdCounts.add(openFds());
      if (done === warmup) atWarmup = { rss, fds: openFds() };
      if (done % 250 === 0) console.log(`  soak: ${done} mini-epochs, RSS ${rss.toFixed(1)} MiB, ${openFds()} fds, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    if (done >= total) controller.abort();
  });
  const summary = await orchestrator.run();
  const seconds = (performance.now() - started) / 1000;
  const end = { rss: rssMiB(), fds: openFds() };
  const entries = readdirSync(checkpointDir);
  const temporaries = entries.filter((e) => e.startsWith('.tmp-') || e.endsWith('.tmp'));
  const kept = entries.filter((e) => e.startsWith('ckpt-')).sort();
  const history = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  const lastK = history.slice(-keepLast).map((l) => (JSON.parse(l) as { checkpoint: string }).checkpoint);
  const best = summary.best?.checkpoint;
  const expected = [...new Set([...lastK, ...(best ? [best] : [])])].sort();
  const stateBytes = readFileSync(join(checkpointDir, kept[kept.length - 1]!, 'state.json')).length;
  trainer.dispose();
  trainLoader.dispose();
  valLoader.dispose();
  rmSync(runDir, { recursive: true, force: true });
  const growth = (100 * (end.rss - atWarmup.rss)) / atWarmup.rss;
  return [
    { name: 'mini-epochs (1 batch of 64, 9x9, validation 1 batch, checkpoint each)', value: done, unit: '', note: `${seconds.toFixed(0)} s, ${((1000 * seconds) / done).toFixed(0)} ms each` },
    { name: `resident memory after warm-up (mini-epoch ${warmup})`, value: atWarmup.rss, unit: 'MiB' },
    { name: 'resident memory at the end', value: end.rss, unit: 'MiB', note: `peak ${peakRss.toFixed(1)} MiB` },
    { name: 'resident memory growth after warm-up', value: growth, unit: '%', note: 'goal < 5' },
    { name: 'open file descriptors after warm-up / at the end', value: `${atWarmup.fds} / ${end.fds}`, unit: '', note: `${fdCounts.size} distinct count(s) seen after warm-up: ${[...fdCounts].sort((a, b) => a - b).join(', ')}` },
    { name: 'temporaries left in the checkpoint directory', value: temporaries.length, unit: '' },
    { name: 'checkpoints kept (last K = 3, plus the best)', value: kept.length, unit: '', note: JSON.stringify(kept) === JSON.stringify(expected) ? 'exactly the last 3 + best' : `MISMATCH: expected ${expected.join(', ')}` },
    { name: 'history lines in metrics.jsonl', value: history.length, unit: '' },
    { name: 'state.json of the last checkpoint', value: stateBytes, unit: 'bytes' },
  ];
}
