/** Little Golem SGF import: files, directories and zip archives, skips and failures by name. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { importRecords, openDataset, parseCell, readPosition } from '../../src/index';
import { repoRoot, runCli, sharedDataDir, tempDir } from '../helpers';

const fixtures = join(repoRoot, 'test', 'interop', 'fixtures');
const games = join(fixtures, 'little-golem.sgf');
const malformed = join(fixtures, 'malformed.sgf');
const root = tempDir('hextorch-sgf-');
let outs = 0;
const out = () => join(root, `ds${outs++}`);

/** A zip archive written by Python's zipfile (deflated), entries as given. */
function zip(path: string, entries: Record<string, string>): string {
  const script = 'import sys, json, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nfor name, src in json.loads(sys.argv[2]).items(): z.write(src, name)\nz.close()';
  const r = spawnSync('python3', ['-c', script, path, JSON.stringify(entries)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return path;
}

describe('Little Golem SGF import', () => {
  test('a file of many games: skips by reason, duplicates, colours and swap as HEX.md says', async () => {
    const dir = out();
    const s = await importRecords({ format: 'sgf', inputs: [games], out: dir, valFraction: 0 });
    assert.equal(s.recordsRead, 8);
    assert.equal(s.boardSize, 13); // the first game's
    assert.equal(s.gamesImported, 4); // #101 #102 #107 #108
    assert.equal(s.duplicates, 1); // #101 again
    assert.deepEqual(s.skippedByReason, { 'board-size': 1, 'no-stones': 1, unfinished: 1 });
    assert.deepEqual(s.invalid, []);
    assert.equal(s.blueWins, 3); // #101 RE[B], #102 swapped RE[W], #108 W connected
    assert.equal(s.redWins, 1); // #107 RE[W]
    assert.equal(s.positions, 4 + 4 + 4 + 26);
    // #102 `;W[ak];B[swap];W[ed];B[di]` is a11 (Blue) d5 (Red) i4 (Blue) in our records.
    const info = await openDataset(dir);
    const at = (cell: string) => parseCell(13, cell);
    let found = 0;
    for (let i = 0; i < info.train.positions; i++) {
      const p = readPosition({ dir, split: 'train' }, i);
      if (p.ply === 3 && p.cells[at('a11')] === 1 && p.cells[at('d5')] === 2 && p.cells[at('i4')] === 1) {
        found++;
        assert.equal(p.value, 0, 'Blue won #102');
      }
    }
    assert.equal(found, 1);
  });

  test('--size keeps another size; only games ending by resignation or connection on request', async () => {
    const s11 = await importRecords({ format: 'sgf', inputs: [games], out: out(), boardSize: 11, valFraction: 0 });
    assert.equal(s11.gamesImported, 1);
    assert.equal(s11.skippedByReason['board-size'], 7);
    const decided = await importRecords({ format: 'sgf', inputs: [games], out: out(), onlyResignOrConnection: true, valFraction: 0 });
    assert.equal(decided.gamesImported, 3);
    assert.equal(decided.skippedByReason.adjudicated, 1);
  });

  test('malformed games fail the import naming file, game and reason, or are skipped and counted', async () => {
    await assert.rejects(importRecords({ format: 'sgf', inputs: [malformed], out: out() }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HEXTORCH_INVALID_RECORD');
      assert.match(error.message, /malformed\.sgf:2: game 2 \(game #202\): move 2 B\[zz\] is off the 13x13 board/);
      assert.match(error.message, /malformed\.sgf:3: game 3 \(game #203\): cell b2 is played twice/);
      return true;
    });
    const s = await importRecords({ format: 'sgf', inputs: [malformed], out: out(), onInvalid: 'skip', valFraction: 0 });
    assert.equal(s.gamesImported, 1);
    assert.deepEqual(s.skippedByReason, { 'off-board': 1, 'played-twice': 1 });
  });

  test('directories give their .sgf and .txt files; zip archives are read entry by entry', async () => {
    const dir = join(root, 'archive-dir');
    mkdirSync(dir);
    copyFileSync(games, join(dir, 'a.sgf'));
    copyFileSync(join(fixtures, 'more-games.txt'), join(dir, 'b.txt'));
    writeFileSync(join(dir, 'README.md'), 'not a record file\n');
    const fromDir = await importRecords({ format: 'sgf', inputs: [dir], out: out(), valFraction: 0 });
    assert.equal(fromDir.recordsRead, 9);
    assert.equal(fromDir.gamesImported, 5);

    const readme = join(dir, 'README.md');
    const archive = zip(join(root, 'lg.zip'), { 'hex/2021/a.sgf': games, 'hex/b.txt': join(fixtures, 'more-games.txt'), 'README.md': readme });
    const zipOut = out();
    const fromZip = await importRecords({ format: 'sgf', inputs: [archive], out: zipOut, valFraction: 0 });
    assert.equal(fromZip.recordsRead, 9);
    const manifest = JSON.parse(readFileSync(join(zipOut, 'dataset.json'), 'utf8')) as { source: { format: string; files: string[] } };
    assert.equal(manifest.source.format, 'sgf');
    assert.deepEqual(manifest.source.files, ['a.sgf', 'b.txt']); // the entries' base names, in entry name order
    assert.equal(fromZip.gamesImported, 5);
    assert.equal(fromZip.duplicates, 1);

    const bad = zip(join(root, 'bad.zip'), { 'x/malformed.sgf': malformed });
    await assert.rejects(importRecords({ format: 'sgf', inputs: [bad], out: out() }), /bad\.zip:x\/malformed\.sgf:2: game 2 \(game #202\)/);
    const skipped = await importRecords({ format: 'sgf', inputs: [bad], out: out(), onInvalid: 'skip' });
    assert.equal(skipped.invalid[0]!.file, `${bad}:x/malformed.sgf`);
    await assert.rejects(importRecords({ format: 'sgf', inputs: [zip(join(root, 'empty.zip'), { 'README.md': readme })], out: out() }), /holds no record files/);
    const notSgf = join(root, 'notes.sgf');
    writeFileSync(notSgf, 'no game here\n');
    await assert.rejects(importRecords({ format: 'sgf', inputs: [notSgf], out: out() }), /notes\.sgf holds no game records/);
  });

  test('the neurohex games written as Little Golem SGF, plain and swapped, give HEX.md\'s figures', { skip: sharedDataDir() ? false : '../shared/data is not present' }, async () => {
    // Every game ends on its winning move, so each game's replay checks that the colour
    // RE implies owns the connection: with swap, after transposing and exchanging colours.
    const lines = readFileSync(join(sharedDataDir()!, 'neurohex', 'raw_games.dat'), 'utf8').split('\n').filter((l) => l.trim());
    const letter = (k: number) => String.fromCharCode(97 + k);
    const plain: string[] = [];
    const swapped: string[] = [];
    lines.forEach((line, g) => {
      const cells = line.trim().split(/\s+/).map((c) => parseCell(13, c));
      const blueWon = cells.length % 2 === 1;
      const head = `(;FF[4]EV[neurohex]PB[b]PW[w]SZ[13]GC[game #${g}]`;
      // Without swap W = Blue; W[xy] = column x, row y; RE names the loser.
      const moves = cells.map((i, k) => `;${k % 2 ? 'B' : 'W'}[${letter(i % 13)}${letter(Math.floor(i / 13))}]`);
      plain.push(`${head}RE[${blueWon ? 'B' : 'W'}]${moves.join('')})`);
      // With swap: the first stone as written, later moves transposed, SGF B = Blue.
      const later = cells.slice(1).map((i, k) => `;${k % 2 ? 'B' : 'W'}[${letter(Math.floor(i / 13))}${letter(i % 13)}]`);
      swapped.push(`${head}RE[${blueWon ? 'W' : 'B'}]${moves[0]};B[swap]${later.join('')})`);
    });
    const figures = (s: Awaited<ReturnType<typeof importRecords>>) => [s.recordsRead, s.duplicates, s.gamesImported, s.positions, s.blueWins, s.redWins];
    for (const [name, games] of [['plain.sgf', plain], ['swapped.sgf', swapped]] as const) {
      const file = join(root, name);
      writeFileSync(file, `${games.join('\n')}\n`);
      const s = await importRecords({ format: 'sgf', inputs: [file], out: out() });
      assert.deepEqual(figures(s), [10985, 3, 10982, 561799, 5961, 5021], name);
    }
  });

  test('hextorch import --format sgf', () => {
    const ok = runCli(['import', '--format', 'sgf', '--out', out(), '--only-resign-or-connection', games]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /games imported\s+3/);
    assert.match(ok.stdout, /adjudicated 1/);
    const failed = runCli(['import', '--format', 'sgf', '--out', out(), malformed]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /game 2 \(game #202\)/);
  });
});
