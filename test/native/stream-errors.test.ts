/** A shard cut or deleted while the DataLoader streams it, as a TypeScript user sees it. */
import assert from 'node:assert/strict';
import { truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataLoader, generateGames, HextorchError } from '../../src/index';
import { tempDir } from '../helpers';

async function smallDataset(): Promise<string> {
  const out = join(tempDir(), 'ds');
  await generateGames({ games: 400, boardSize: 9, seed: 6, out, valFraction: 0 });
  return out;
}

test('a shard truncated mid-run rejects next() with a named error; the process goes on', async () => {
  const dir = await smallDataset();
  const loader = new DataLoader({ dir, augment: 'none' }, { batchSize: 64, workers: 2 });
  // This small dataset is one group, which a loader reads once and keeps for every later
  // pass and epoch: cut the file after the loader opened it, before its first batch.
  truncateSync(join(dir, 'train-00000.hxs'), 1000);
  let error: unknown;
  for (let b = 0; b <= loader.length && !error; b++) {
    try {
      (await loader.next())!.dispose();
    } catch (e) {
      error = e;
    }
  }
  assert.ok(error instanceof HextorchError, `expected a HextorchError, got ${String(error)}`);
  assert.equal(error.code, 'HEXTORCH_CORRUPT_DATA');
  assert.match(error.message, /train-00000\.hxs/);
  assert.match(error.message, /truncated/);
  loader.dispose();
});

test('a shard deleted mid-run is read to the end of the epoch, then named when reopened', async () => {
  const dir = await smallDataset();
  const loader = new DataLoader({ dir, augment: 'none' }, { batchSize: 64, workers: 2 });
  (await loader.next())!.dispose();
  unlinkSync(join(dir, 'train-00000.hxs'));
  for (let b = 1; b < loader.length; b++) (await loader.next())!.dispose();
  loader.dispose();
  assert.throws(() => new DataLoader({ dir }, { batchSize: 64 }), (e: HextorchError) => {
    assert.equal(e.code, 'HEXTORCH_IO');
    assert.match(e.message, /train-00000\.hxs/);
    return true;
  });
});
