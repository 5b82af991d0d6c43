/** `hextorch generate` and `import` on a full disk: one line, a non-zero exit, no files left. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDir } from '../helpers';

const root = mkdtempSync(join(tmpdir(), 'hextorch-disk-'));
const disk = join(root, 'disk');
mkdirSync(disk);
// CI runs as root; where mounting is refused the tests say so and skip.
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { encoding: 'utf8' });
const refused = mount.status === 0 ? false : `mounting a tmpfs was refused: ${(mount.stderr || mount.error?.message || '').trim()}`;
after(() => {
  if (!refused) spawnSync('umount', ['-l', disk]);
  rmSync(root, { recursive: true, force: true });
});

function expectOneLineIoError(result: ReturnType<typeof runCli>, out: string) {
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `more than one line:\n${result.stderr}`);
  assert.match(lines[0]!, /^hextorch: cannot \w+/);
  assert.ok(lines[0]!.includes(out), lines[0]);
  assert.match(lines[0]!, /No space left on device/);
  assert.deepEqual(readdirSync(out), [], 'files were left behind');
}

describe('a full disk', { skip: refused }, () => {
  test('generate exits 1 with one line naming the file and removes what it wrote', () => {
    const out = join(disk, 'generated');
    expectOneLineIoError(runCli(['generate', '--games', '1500', '--size', '13', '--seed', '3', '--out', out]), out);
  });

  test('import exits 1 with one line naming the file and removes what it wrote', () => {
    const input = join(tempDir(), 'games.dat');
    // One valid game 2,000 times, duplicates kept: about 2.8 MB of records.
    const game = 'c1 a1 c2 a2 c3 a3 c4 a4 c5 a5 c6 a6 c7 a7 c8 a8 c9 a9 c10 a10 c11 a11 c12 a12 c13';
    writeFileSync(input, `${game}\n`.repeat(2000));
    const out = join(disk, 'imported');
    const result = runCli(['import', '--format', 'moves', '--keep-duplicates', '--out', out, input]);
    expectOneLineIoError(result, out);
  });
});
