import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DataLoader, generateGames, Trainer } from '../../src/index';
import { tempDir } from '../helpers';

const root = tempDir();
const data = join(root, 'data');
const ready = generateGames({ games: 150, boardSize: 7, seed: 4, out: data });

const options = { model: 'tiny' as const, boardSize: 7, device: 'cpu', threads: 2, seed: 11 };
const loader = (seed = 1) => new DataLoader({ dir: data, seed }, { batchSize: 32, workers: 1 });

describe('Trainer', () => {
  test('trains lazily on batches, reports metrics and advances its state', async () => {
    await ready;
    const trainer = await Trainer.create(options);
    const l = loader();
    let pulled = 0;
    async function* counted() {
      for await (const b of l.take(5)) {
        pulled++;
        yield b;
      }
    }
    const result = await trainer.trainOnBatches(counted());
    assert.equal(pulled, 5);
    assert.equal(result.batches, 5);
    assert.equal(result.samples, 160);
    assert.ok(result.policyLoss > 0 && Number.isFinite(result.loss));
    assert.ok(result.valueAccuracy >= 0 && result.valueAccuracy <= 1);
    assert.deepEqual({ step: trainer.state.globalStep, samples: trainer.state.samplesSeen }, { step: 5, samples: 160 });
    const val = new DataLoader({ dir: data, split: 'validation' }, { batchSize: 64, workers: 1 });
    const metrics = await trainer.validate(val);
    assert.equal(metrics.samples, val.positions);
    assert.equal(trainer.state.globalStep, 5, 'validation does not step');
    trainer.dispose();
    l.dispose();
    val.dispose();
  });

  test('a second call while one is running is a clear error', async () => {
    await ready;
    const trainer = await Trainer.create(options);
    const l = loader();
    const [a, b] = [await l.next(), await l.next()];
    const first = trainer.trainOnBatches([a!]);
    await assert.rejects(trainer.trainOnBatches([b!]), (e: Error & { code?: string }) => e.code === 'HEXTORCH_BUSY');
    await first;
    trainer.dispose();
    trainer.dispose();  // idempotent
    await assert.rejects(trainer.trainOnBatches([]), /disposed/);
    l.dispose();
  });

  test('save → load → continue is bit-identical to never stopping', async () => {
    await ready;
    const straight = await Trainer.create(options);
    const l1 = loader();
    await straight.trainOnBatches(l1.take(8));

    const path = join(root, 'half.pt');
    const first = await Trainer.create(options);
    const l2 = loader();
    await first.trainOnBatches(l2.take(4));
    await first.saveCheckpoint(path, { cursor: l2.state() });
    first.dispose();

    const second = await Trainer.create(options);
    const extra = (await second.loadCheckpoint(path)) as { cursor: ReturnType<DataLoader['state']> };
    const l3 = loader();
    l3.restore(extra.cursor);
    await second.trainOnBatches(l3.take(4));
    assert.equal(await second.weightsDigest(), await straight.weightsDigest());
    const untrained = await Trainer.create(options);
    assert.notEqual(await untrained.weightsDigest(), await straight.weightsDigest());
    for (const t of [straight, second, untrained]) t.dispose();
    for (const l of [l1, l2, l3]) l.dispose();
  });

  test('predict proposes only empty cells and accepts moves or cells', async () => {
    await ready;
    const trainer = await Trainer.create(options);
    const l = loader();
    await trainer.trainOnBatches(l.take(10));
    const [fromMoves, fromCells] = await trainer.predict([
      { moves: ['d4', 'c3', 0] },
      { cells: Array.from({ length: 49 }, (_, i) => (i < 7 ? 1 : i < 14 ? 2 : 0)), toMove: 'blue' },
    ]);
    for (const occupied of [24, 16, 0]) assert.equal(fromMoves!.policy[occupied], 0);
    for (let i = 0; i < 14; i++) assert.equal(fromCells!.policy[i], 0);
    assert.ok(fromCells!.bestMove >= 14);
    const sum = Array.from(fromMoves!.policy).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
    assert.ok(fromMoves!.value >= -1 && fromMoves!.value <= 1);
    await assert.rejects(trainer.predict([{ moves: ['d4', 'd4'] }]), /occupied/);
    await assert.rejects(trainer.predict([{ moves: ['z9'] }]), /not a cell|off the/);
    trainer.dispose();
    l.dispose();
  });

  test('bad trainer options name the option and the allowed values', async () => {
    await assert.rejects(Trainer.create({ ...options, model: 'huge' as 'tiny' }), /option 'model' is 'huge'; expected one of tiny, resnet, snowflake/);
    await assert.rejects(Trainer.create({ ...options, device: 'tpu' }), /option 'device' is 'tpu'/);
    await assert.rejects(Trainer.create({ ...options, optimizer: 'lion' as 'adam' }), /option 'optimizer'/);
    await assert.rejects(Trainer.create({ ...options, boardSize: 20 }), /option 'boardSize' is 20/);
  });

  test('optimisers and schedules run; the LR follows the schedule', async () => {
    await ready;
    for (const optimizer of ['adam', 'adamw', 'sgd'] as const) {
      const trainer = await Trainer.create({ ...options, optimizer, learningRate: 0.01, schedule: { kind: 'cosine', warmupSteps: 2, totalSteps: 6 }, valueHead: { lrFactor: 0.5 } });
      const l = loader();
      assert.ok(Math.abs(trainer.state.learningRate - 0.005) < 1e-12, 'warm-up starts at 1/2 of the LR');
      await trainer.trainOnBatches(l.take(6));
      assert.ok(trainer.state.learningRate < 1e-9, `cosine reaches 0 after totalSteps (${optimizer})`);
      trainer.dispose();
      l.dispose();
    }
  });

  test('a model learns: validation policy accuracy well above uniform after a short run', async () => {
    await ready;
    const trainer = await Trainer.create({ ...options, learningRate: 3e-3 });
    const l = loader();
    await trainer.trainOnBatches(l.take(150));
    const val = new DataLoader({ dir: data, split: 'validation' }, { batchSize: 128, workers: 1 });
    const m = await trainer.validate(val);
    assert.ok(m.policyAccuracy > 3 / 49, `policy top-1 ${m.policyAccuracy} vs uniform ~${(1 / 25).toFixed(3)}`);
    trainer.dispose();
    l.dispose();
    val.dispose();
  });
});
