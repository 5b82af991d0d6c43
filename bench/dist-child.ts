/**
 * One process of the distributed bench: a rank when RANK/WORLD_SIZE are set (by the
 * launcher), else a single process. Trains `batches` global batches of 256 after a
 * warm-up; rank 0 (or the single process) prints one JSON line.
 * Argument: JSON { dir, preset, batches, threads }.
 */
import { DataLoader, ProcessGroup, resolveDistributed, Trainer } from '../src/index';

async function main(): Promise<void> {
  const { dir, preset, batches, threads } = JSON.parse(process.argv[2]!) as { dir: string; preset: 'tiny' | 'resnet' | 'snowflake'; batches: number; threads: number };
  const dist = resolveDistributed(undefined);
  const group = dist ? await ProcessGroup.connect(dist) : undefined;
  const share = dist ? { rank: dist.rank, worldSize: dist.worldSize } : {};
  const loader = new DataLoader({ dir }, { batchSize: 256, workers: 1, ...share });
  const trainer = await Trainer.create({ model: preset, boardSize: loader.boardSize, device: 'cpu', threads, ...(group ? { distributed: group } : {}) });
  await trainer.trainOnBatches(loader.take(2));
  const before = trainer.state;
  const r = await trainer.trainOnBatches(loader.take(batches));
  const after = trainer.state;
  if (!dist || dist.rank === 0) {
    console.log(JSON.stringify({
      samplesPerSecond: (after.samplesSeen - before.samplesSeen) / r.seconds,
      bytesPerStep: after.allReduceBytesPerStep,
      waitMsPerStep: (1000 * (after.allReduceWaitSeconds - before.allReduceWaitSeconds)) / batches,
      stepMs: (1000 * r.seconds) / batches,
    }));
  }
  trainer.dispose();
  loader.dispose();
  group?.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
