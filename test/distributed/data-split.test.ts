/**
 * Data-parallel reads on real shards: the ranks' shares of every global batch put
 * together are exactly the single-process batch, and a loader state taken with one
 * world size continues with another without skipping or repeating a sample (counted).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataLoader, generateGames } from '../../src/index';
import { tempDir } from '../helpers';

const root = tempDir();
const data = join(root, 'data');
const ready = generateGames({ games: 60, boardSize: 7, seed: 4, out: data });
const B = 24;

type Arrays = { planes: Float32Array; policy: Int32Array; value: Float32Array };

function loader(rank: number, worldSize: number) {
  return new DataLoader({ dir: data, augment: 'random', seed: 9 }, { batchSize: B, workers: 1, rank, worldSize });
}

async function take(l: DataLoader, count: number): Promise<Arrays[]> {
  const out: Arrays[] = [];
  for await (const batch of l.take(count)) {
    out.push(batch.toArrays());
    batch.dispose();
  }
  return out;
}

/** One fingerprint per example: its planes, policy target and value. */
function examples(batches: Arrays[], cells: number): string[] {
  const keys: string[] = [];
  for (const b of batches) {
    for (let j = 0; j < b.policy.length; j++) {
      const h = createHash('sha1');
      h.update(Buffer.from(b.planes.buffer, b.planes.byteOffset + j * 3 * cells * 4, 3 * cells * 4));
      h.update(`${b.policy[j]}/${b.value[j]}`);
      keys.push(h.digest('hex'));
    }
  }
  return keys;
}

function concat(parts: Arrays[]): Arrays {
  const cat = <T extends Float32Array | Int32Array>(xs: T[], make: (n: number) => T) => {
    const out = make(xs.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of xs) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  return {
    planes: cat(parts.map((p) => p.planes), (n) => new Float32Array(n)),
    policy: cat(parts.map((p) => p.policy), (n) => new Int32Array(n)),
    value: cat(parts.map((p) => p.value), (n) => new Float32Array(n)),
  };
}

test('the ranks of a world of 2 and 3 together read exactly the single-process batches, the short last one included', async () => {
  await ready;
  const single = loader(0, 1);
  const reference = await take(single, single.length);
  assert.ok(single.examplesPerEpoch % B !== 0, 'the epoch should end with a short batch');
  for (const world of [2, 3]) {
    const ranks = Array.from({ length: world }, (_, r) => loader(r, world));
    const shares = await Promise.all(ranks.map((l) => take(l, l.length)));
    for (let i = 0; i < reference.length; i++) {
      assert.deepEqual(concat(shares.map((s) => s[i]!)), reference[i], `world ${world}, batch ${i}`);
    }
    assert.deepEqual(ranks.map((l) => l.state()), ranks.map(() => single.state()), 'the state stays global');
    ranks.forEach((l) => l.dispose());
  }
  single.dispose();
});

test('a state taken on 2 ranks continues on 1 (and back on 3): every sample once, none skipped or repeated', async () => {
  await ready;
  const single = loader(0, 1);
  const cells = single.boardSize * single.boardSize;
  const reference = examples(await take(single, single.length), cells);
  const cutA = 7, cutB = 13;
  const two = [loader(0, 2), loader(1, 2)];
  const first = await Promise.all(two.map((l) => take(l, cutA)));
  const state = two[0]!.state();
  assert.equal(state.sampleInEpoch, cutA * B);
  const one = loader(0, 1);
  one.restore(state);
  const middle = await take(one, cutB - cutA);
  const three = [loader(0, 3), loader(1, 3), loader(2, 3)];
  three.forEach((l) => l.restore(one.state()));
  const last = await Promise.all(three.map((l) => take(l, l.length - cutB)));
  const seen = [
    ...first.flatMap((rankBatches) => examples(rankBatches, cells)),
    ...examples(middle, cells),
    ...last.flatMap((rankBatches) => examples(rankBatches, cells)),
  ];
  assert.equal(seen.length, single.examplesPerEpoch, 'as many samples as an epoch');
  assert.deepEqual([...seen].sort(), [...reference].sort(), 'the same multiset of samples as one process');
  [single, one, ...two, ...three].forEach((l) => l.dispose());
});

test('a global batch that does not divide over the ranks is a named error', async () => {
  await ready;
  assert.throws(() => new DataLoader({ dir: data }, { batchSize: 25, rank: 0, worldSize: 2 }), /option 'batchSize' is 25; expected a multiple of the world size 2/);
  assert.throws(() => new DataLoader({ dir: data }, { batchSize: 24, rank: 2, worldSize: 2 }), /option 'rank' is 2/);
});
