/** CUDA: trains on the GPU with bf16 autocast; skipped, with the reason shown, without a GPU. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataLoader, generateGames, info, Trainer } from '../../src/index';
import { tempDir } from '../helpers';

const cuda = info().cuda;
const skip = cuda.available ? false : 'no CUDA device: this LibTorch build or machine has no GPU';

test('trains, validates and predicts on CUDA with bf16 autocast', { skip }, async () => {
  const data = join(tempDir(), 'data');
  await generateGames({ games: 100, boardSize: 9, seed: 1, out: data });
  const trainer = await Trainer.create({ model: 'resnet', boardSize: 9, device: 'cuda' });
  assert.match(trainer.device, /^cuda/);
  assert.equal(trainer.precision, 'bf16');
  const loader = new DataLoader({ dir: data }, { batchSize: 128 });
  const result = await trainer.trainOnBatches(loader.take(20));
  assert.equal(result.batches, 20);
  assert.ok(Number.isFinite(result.loss));
  const val = new DataLoader({ dir: data, split: 'validation' }, { batchSize: 128 });
  const m = await trainer.validate(val);
  assert.ok(m.samples > 0);
  const [p] = await trainer.predict([{ moves: ['e5'] }]);
  assert.equal(p!.policy[4 * 9 + 4], 0);
  trainer.dispose();
  loader.dispose();
  val.dispose();
});

test('a CUDA device that does not exist is a clear error', { skip }, async () => {
  await assert.rejects(Trainer.create({ boardSize: 9, device: `cuda:${cuda.deviceCount}` }), /CUDA devices/);
});

test('asking for CUDA without a GPU is a clear error', { skip: cuda.available ? 'a GPU is present' : false }, async () => {
  await assert.rejects(Trainer.create({ boardSize: 9, device: 'cuda' }), /CUDA is not available/);
});
