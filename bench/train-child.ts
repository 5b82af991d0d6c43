/**
 * Trainer.trainOnBatches throughput in a fresh process, so it starts as cold as the
 * pure C++ loop it is compared with (same warm-up, same data, model and batch size).
 * Argument: JSON { dir, preset, batches, precision }. Prints one JSON line.
 */
import { DataLoader, Trainer } from '../src/index';

async function main(): Promise<void> {
  const { dir, preset, batches, precision, threads, device, batchSize } = JSON.parse(process.argv[2]!) as { dir: string; preset: 'tiny' | 'resnet' | 'snowflake'; batches: number; precision: 'fp32' | 'bf16'; threads: number; device: string; batchSize: number };
  const loader = new DataLoader({ dir }, { batchSize, workers: 2 });
  const trainer = await Trainer.create({ model: preset, boardSize: loader.boardSize, device, threads, precision });
  await trainer.trainOnBatches(loader.take(3));
  const before = trainer.state.stepSeconds;
  const r = await trainer.trainOnBatches(loader.take(batches));
  // What the TypeScript layer adds: wall time of the call not spent inside native steps.
  const overhead = 1 - (trainer.state.stepSeconds - before) / r.seconds;
  trainer.dispose();
  loader.dispose();
  console.log(JSON.stringify({ samplesPerSecond: r.samplesPerSecond, overhead }));
}

void main();
