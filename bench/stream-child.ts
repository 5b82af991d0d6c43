/**
 * Streams a dataset in a process of its own, so its peak RSS is the loader's alone. The
 * peak is sampled from the current RSS while streaming (getrusage's maximum can carry the
 * parent's size across fork and exec).
 * Argument: JSON { dir, batches, workers, batchSize }. Prints one JSON line.
 */
import { DataLoader } from '../src/index';

async function main(): Promise<void> {
  const { dir, batches, workers, batchSize } = JSON.parse(process.argv[2]!) as { dir: string; batches: number; workers: number; batchSize: number };
  const loader = new DataLoader({ dir, augment: 'all' }, { batchSize, workers });
  const rssBefore = process.memoryUsage().rss;
  // Warm-up: the first group of records is read.
  (await loader.next())!.dispose();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let samples = 0;
  let peakRss = process.memoryUsage().rss;
  for (let i = 0; i < batches; i++) {
    const batch = (await loader.next())!;
    samples += batch.size;
    batch.dispose();
    if (i % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  loader.dispose();
  console.log(JSON.stringify({ samples, seconds, samplesPerSecond: samples / seconds, cpuSeconds, cpuNsPerSample: (cpuSeconds / samples) * 1e9, rssBeforeMiB: rssBefore / 2 ** 20, peakRssMiB: peakRss / 2 ** 20, positions: loader.positions }));
}

void main();
