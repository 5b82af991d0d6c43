import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DataLoader, generateGames, importRecords, openDataset, readPosition, StreamingAugmentedDataset } from '../../src/index';
import { sharedDataDir, tempDir } from '../helpers';

const root = tempDir();
const small = join(root, 'small');
const ready = generateGames({ games: 120, boardSize: 7, seed: 2, out: small });

async function collect(loader: DataLoader, count = loader.length - loader.batchInEpoch) {
  const out: Array<{ planes: Float32Array; policy: Int32Array; value: Float32Array }> = [];
  for await (const batch of loader.take(count)) {
    out.push(batch.toArrays());
    batch.dispose();
  }
  return out;
}

describe('import and datasets', () => {
  test('neurohex raw_games.dat gives the figures of HEX.md', { skip: sharedDataDir() ? false : '../shared/data is not present' }, async () => {
    const out = join(root, 'neurohex');
    const summary = await importRecords({ format: 'moves', inputs: [join(sharedDataDir()!, 'neurohex', 'raw_games.dat')], out });
    assert.equal(summary.recordsRead, 10985);
    assert.equal(summary.duplicates, 3);
    assert.equal(summary.gamesImported, 10982);
    assert.equal(summary.positions, 561799);
    assert.equal(summary.blueWins, 5961);
    assert.equal(summary.redWins, 5021);
    const info = await openDataset(out, { verify: true });
    assert.equal(info.boardSize, 13);
    assert.equal(info.train.positions + info.validation.positions, 561799);
    assert.equal(info.train.games + info.validation.games, 10982);
    const p = readPosition({ dir: out, split: 'validation' }, 0);
    assert.equal(p.cells.length, 169);
    assert.equal(p.cells.filter((c) => c !== 0).length, p.ply);
  });

  test('bad options are clear errors before any work starts', async () => {
    await assert.rejects(importRecords({ format: 'pgn' as 'trmph', inputs: ['x'], out: join(root, 'x') }), /option 'format' is 'pgn'; expected one of trmph, moves, sgf/);
    await assert.rejects(importRecords({ format: 'moves', inputs: [join(root, 'missing.dat')], out: join(root, 'y') }), /does not exist/);
    await assert.rejects(generateGames({ games: 0, out: join(root, 'z') }), /option 'games'/);
    await assert.rejects(generateGames({ games: 5, boardSize: 4, out: join(root, 'z') }), /option 'boardSize' is 4/);
    await assert.rejects(openDataset(join(root, 'nope')), /does not exist/);
  });

  test('a corrupted shard is detected on read, naming the file', async () => {
    await ready;
    const copy = join(root, 'corrupt');
    await generateGames({ games: 120, boardSize: 7, seed: 2, out: copy });
    const shard = readdirSync(copy).find((f) => f.startsWith('train-'))!;
    const bytes = readFileSync(join(copy, shard));
    bytes[200] ^= 0xff;
    writeFileSync(join(copy, shard), bytes);
    await assert.rejects(openDataset(copy, { verify: true }), (e: Error & { code?: string }) => e.code === 'HEXTORCH_CORRUPT_DATA' && e.message.includes(shard));
    const loader = new DataLoader({ dir: copy }, { batchSize: 64, workers: 1 });
    await assert.rejects(collect(loader), /checksum mismatch/);
    loader.dispose();
  });
});

describe('DataLoader', () => {
  test('shapes, augmentation coverage and length', async () => {
    const summary = await ready;
    const loader = new DataLoader({ dir: small }, { batchSize: 100, workers: 2 });
    assert.equal(loader.positions, summary.trainPositions);
    assert.equal(loader.examplesPerEpoch, 4 * summary.trainPositions);
    assert.equal(loader.length, Math.ceil((4 * summary.trainPositions) / 100));
    const batches = await collect(loader);
    assert.equal(batches.length, loader.length);
    const total = batches.reduce((n, b) => n + b.value.length, 0);
    assert.equal(total, 4 * summary.trainPositions);
    const first = batches[0]!;
    assert.equal(first.planes.length, 100 * 3 * 49);
    assert.ok(first.policy.every((p) => p >= -1 && p < 49));
    assert.equal(loader.epoch, 1, 'the cursor moves to the next epoch after the last batch');
    loader.dispose();
  });

  test('same seed, same stream for 1, 2 and 4 workers; the next epoch differs', async () => {
    await ready;
    const streams = [];
    for (const workers of [1, 2, 4]) {
      const loader = new DataLoader({ dir: small, seed: 9 }, { batchSize: 64, workers });
      streams.push(await collect(loader));
      if (workers === 1) {
        const next = await collect(loader);
        assert.notDeepEqual(next[0]!.policy, streams[0]![0]!.policy);
      }
      loader.dispose();
    }
    assert.deepEqual(streams[1], streams[0]);
    assert.deepEqual(streams[2], streams[0]);
  });

  test('restore(state) continues with a byte-identical remainder, at any cut', async () => {
    await ready;
    const make = () => new DataLoader({ dir: small, seed: 3 }, { batchSize: 50, workers: 2 });
    const reference = make();
    const all = [...(await collect(reference)), ...(await collect(reference))];
    const n = reference.length;
    reference.dispose();
    for (const cut of [0, 1, Math.floor(n / 2), n - 1, n, n + 3]) {
      const first = make();
      let taken = 0;
      while (taken < cut) {
        const b = await first.next();
        b!.dispose();
        taken++;
      }
      const state = JSON.parse(JSON.stringify(first.state()));
      first.dispose();
      const resumed = make();
      resumed.restore(state);
      const rest: typeof all = [];
      while (rest.length < all.length - cut) rest.push(...(await collect(resumed)));
      assert.deepEqual(rest, all.slice(cut), `cut at ${cut}`);
      resumed.dispose();
    }
  });

  test('resuming twice within one epoch still gives the uninterrupted stream', async () => {
    await ready;
    const make = () => new DataLoader({ dir: small, seed: 4 }, { batchSize: 40, workers: 2 });
    const reference = make();
    const all = await collect(reference);
    reference.dispose();
    const a = make();
    const firstPart = await collect(a, 3);
    const s1 = a.state();
    a.dispose();
    const b = make();
    b.restore(s1);
    const secondPart = await collect(b, 4);
    const s2 = b.state();
    b.dispose();
    const c = make();
    c.restore(s2);
    const rest = await collect(c);
    c.dispose();
    assert.deepEqual([...firstPart, ...secondPart, ...rest], all);
  });

  test('restoring a state against another dataset or batch size is a clear error', async () => {
    await ready;
    const other = join(root, 'other');
    await generateGames({ games: 60, boardSize: 7, seed: 5, out: other });
    const a = new DataLoader({ dir: small }, { batchSize: 32, workers: 1 });
    const state = a.state();
    const b = new DataLoader({ dir: other }, { batchSize: 32, workers: 1 });
    assert.throws(() => b.restore(state), /the dataset changed \(fingerprint/);
    const c = new DataLoader({ dir: small }, { batchSize: 16, workers: 1 });
    assert.throws(() => c.restore(state), /batchSize was 32, now 16/);
    for (const l of [a, b, c]) l.dispose();
  });

  test('validation reader: same batches every time, maxBatches cap, dropLast', async () => {
    await ready;
    const val = new DataLoader(new StreamingAugmentedDataset({ dir: small, split: 'validation' }), { batchSize: 16, workers: 2, maxBatches: 3 });
    assert.equal(val.length, 3);
    const once = await collect(val);
    val.restore({ ...val.state(), epoch: 0, sampleInEpoch: 0 });
    assert.deepEqual(await collect(val), once);
    val.dispose();
    const dropped = new DataLoader({ dir: small, augment: 'none' }, { batchSize: 1000, dropLast: true, workers: 1 });
    const batches = await collect(dropped);
    assert.ok(batches.every((b) => b.value.length === 1000));
    dropped.dispose();
  });

  test('bad loader options are errors naming the option', async () => {
    await ready;
    assert.throws(() => new DataLoader({ dir: small }, { batchSize: 0 }), /option 'batchSize' is 0/);
    assert.throws(() => new DataLoader({ dir: small, augment: 'some' as 'all' }), /option 'augment' is 'some'; expected one of all, random, none/);
    assert.throws(() => new DataLoader({ dir: small }, { workers: 0 }), /option 'workers' is 0/);
    assert.throws(() => new DataLoader({ dir: join(root, 'missing') }), /does not exist/);
    assert.ok(!existsSync(join(root, 'missing')));
  });
});
