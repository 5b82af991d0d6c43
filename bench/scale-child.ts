/**
 * The seed-scale measurements that need a process of their own, so that the peak RSS
 * (VmHWM, per process image, reset by exec) is theirs alone. Argument: JSON
 *   { mode: 'generate', games, out }                          generate the dataset
 *   { mode: 'first-batch', dir, batchSize, fromEnd }          open, (restore), first batch
 *   { mode: 'stream', dir, batchSize, batches }               streaming rate and RSS over time
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { DataLoader, generateGames, info } from '../src/index';

function statusMiB(field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.replace(/\D+/g, '')) / 1024 : Number.NaN;
}

function ms(start: number): number {
  return performance.now() - start;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as { mode: string; games: number; out: string; dir: string; batchSize: number; fromEnd: number; batches: number };
  if (job.mode === 'generate') {
    const started = performance.now();
    const summary = await generateGames({ games: job.games, boardSize: 13, seed: 1, out: job.out, valFraction: 0.01 });
    console.log(JSON.stringify({ seconds: ms(started) / 1000, peakRssMiB: statusMiB('VmHWM'), positions: summary.positions, bytes: summary.bytes, shards: summary.shards }));
    return;
  }
  info(); // loads the addon and LibTorch first: opening is timed on its own
  const opened = performance.now();
  const loader = new DataLoader({ dir: job.dir, augment: 'all' }, { batchSize: job.batchSize });
  const openMs = ms(opened);
  if (job.mode === 'first-batch') {
    let restoreMs = 0;
    if (job.fromEnd > 0) {
      const restoring = performance.now();
      loader.restore({ ...loader.state(), sampleInEpoch: (loader.length - job.fromEnd) * job.batchSize });
      restoreMs = ms(restoring);
    }
    const asked = performance.now();
    const batch = (await loader.next())!;
    const firstBatchMs = ms(asked);
    batch.dispose();
    loader.dispose();
    console.log(JSON.stringify({ openMs, restoreMs, firstBatchMs, batches: loader.length, positions: loader.positions }));
    return;
  }
  (await loader.next())!.dispose();
  const rss: number[] = [];
  const started = performance.now();
  let samples = 0;
  for (let i = 0; i < job.batches; i++) {
    const batch = (await loader.next())!;
    samples += batch.size;
    batch.dispose();
    if (i % Math.max(1, Math.floor(job.batches / 10)) === 0) rss.push(statusMiB('VmRSS'));
  }
  const seconds = ms(started) / 1000;
  rss.push(statusMiB('VmRSS'));
  loader.dispose();
  console.log(JSON.stringify({ openMs, samples, seconds, samplesPerSecond: samples / seconds, rssMiB: rss, peakRssMiB: statusMiB('VmHWM') }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
