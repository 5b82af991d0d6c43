/** What a dataset directory records about itself, read through the core's one manifest parser. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importRecords, openDataset } from '../../src/index';
import { tempDir } from '../helpers';

const GAME = 'c1 a1 c2 a2 c3 a3 c4 a4 c5 a5 c6 a6 c7 a7 c8 a8 c9 a9 c10 a10 c11 a11 c12 a12 c13';

test('a dataset records no absolute path and still opens after it is moved', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'inputs', 'deep'), { recursive: true });
  const input = join(root, 'inputs', 'deep', 'games.dat');
  writeFileSync(input, `${GAME}\n${GAME.replace('c13', 'b13')}\n`);
  const out = join(root, 'first');
  await importRecords({ format: 'moves', inputs: [input], out, valFraction: 0.5 });
  const text = readFileSync(join(out, 'dataset.json'), 'utf8');
  assert.ok(!text.includes(root), `dataset.json names a path of this machine:\n${text}`);

  const moved = join(root, 'moved');
  renameSync(out, moved);
  const info = await openDataset(moved, { verify: true });
  assert.deepEqual(info.source.files, ['games.dat']);
  assert.equal(info.source.kind, 'import');
  assert.deepEqual(info.games, { total: 2, blueWins: 2, redWins: 0 });
  assert.equal(info.train.games + info.validation.games, 2);
  assert.equal(info.train.positions + info.validation.positions, 26 + 26);
});

test('a manifest naming a shard outside its directory is refused by name', async () => {
  const root = tempDir();
  const input = join(root, 'games.dat');
  writeFileSync(input, `${GAME}\n`);
  const out = join(root, 'ds');
  await importRecords({ format: 'moves', inputs: [input], out, valFraction: 0 });
  const manifestPath = join(out, 'dataset.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { splits: { train: { shards: Array<{ file: string }> } } };
  manifest.splits.train.shards[0]!.file = '../elsewhere.hxs';
  writeFileSync(manifestPath, JSON.stringify(manifest));
  await assert.rejects(openDataset(out), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'HEXTORCH_CORRUPT_DATA');
    assert.match(e.message, /outside the dataset directory/);
    return true;
  });
});
