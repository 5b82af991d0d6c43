/** Matches: the native runner through the API and the CLI, records read back by import, engines, Ctrl-C. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runMatch } from '../../src/play/match';
import { cliPath, runCli, startCli, tempDir } from '../helpers';
import { tinyCheckpoint } from './helpers';

let checkpoint: string;
const dir = tempDir('hextorch-play-');
before(async () => {
  checkpoint = await tinyCheckpoint(dir, 7);
});

test('match CLI: wins per side and colour, interval, and records that import reads back', () => {
  const out = join(dir, 'games.trmph');
  const r = runCli(['match', 'random', `mcts:${checkpoint}?playouts=12&batch=4`, '--games', '8', '--parallel', '4', '--threads', '1', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as Record<string, number | string | boolean>;
  assert.equal(result.games, 8);
  assert.equal(Number(result.aWins) + Number(result.bWins), 8);
  assert.equal(result.aBlueGames, 4);
  assert.equal(Number(result.blueWins) + Number(result.redWins), 8);
  assert.ok(Number(result.winRateLow) <= Number(result.winRate) && Number(result.winRate) <= Number(result.winRateHigh));
  assert.equal(result.boardSize, 7);
  assert.equal(result.stopped, false);
  assert.ok(Number(result.forwardPasses) < Number(result.positionsEvaluated), 'games share forward passes');
  const lines = readFileSync(out, 'utf8').split('\n').filter((l) => /^#7,/.test(l));
  assert.equal(lines.length, 8);
  // The records are trmph that import accepts: every game, every winner as stated.
  const data = join(dir, 'imported');
  const imported = runCli(['import', '--format', 'trmph', '--out', data, '--val-fraction', '0', '--keep-duplicates', '--json', out]);
  assert.equal(imported.status, 0, imported.stderr);
  const summary = JSON.parse(imported.stdout) as { gamesImported: number; blueWins: number; redWins: number };
  assert.equal(summary.gamesImported, 8);
  assert.equal(summary.blueWins, result.blueWins);
  assert.equal(summary.redWins, result.redWins);
  // Human output names both sides and the Elo line.
  const human = runCli(['match', 'random', 'random', '--games', '4', '--size', '5', '--out', join(dir, 'r.trmph')]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /A win rate .*95% CI/);
  assert.match(human.stdout, /Elo A - B/);
  assert.match(human.stdout, /as Blue \d+\/2, as Red \d+\/2/);
});

test('match API: same seed, same games; a stop signal keeps the finished games', async () => {
  const one = await runMatch({ a: `policy:${checkpoint}?temperature=1`, b: 'random', games: 6, parallel: 3, seed: 5, defaults: { threads: 1 } });
  const two = await runMatch({ a: `policy:${checkpoint}?temperature=1`, b: 'random', games: 6, parallel: 3, seed: 5, defaults: { threads: 1 } });
  const byIndex = (r: typeof one) => [...r.records].sort((x, y) => x.index - y.index).map((g) => g.trmph);
  assert.deepEqual(byIndex(one), byIndex(two));
  const controller = new AbortController();
  const stopped = await runMatch({
    a: 'random', b: 'random', games: 500, parallel: 2, boardSize: 9, signal: controller.signal,
    onGame: (_g, finished) => finished >= 3 && controller.abort(),
  });
  assert.equal(stopped.stopped, true);
  assert.ok(stopped.games >= 3 && stopped.games < 500, String(stopped.games));
  await assert.rejects(runMatch({ a: 'mcts:/nonexistent/ckpt', b: 'random', games: 2 }), /does not exist/);
  await assert.rejects(runMatch({ a: 'random', b: 'random?bogus=1', games: 2 }), /unknown setting/);
  await assert.rejects(runMatch({ a: `policy:${checkpoint}`, b: 'random', games: 2, boardSize: 9, defaults: { threads: 1 } }), /7x7/);
});

test('match against an external engine speaking HTP (hextorch gtp as a child process)', async () => {
  const engine = `engine:${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} gtp --player random --size 7 --seed 3`;
  const result = await runMatch({ a: `policy:${checkpoint}`, b: engine, games: 2, defaults: { threads: 1 }, recordsFile: join(dir, 'engine.trmph') });
  assert.equal(result.games, 2);
  assert.equal(result.boardSize, 7);
  for (const g of result.records) {
    assert.equal(g.ending, 'connection');
    assert.equal(new Set(g.moves).size, g.moves.length, 'no cell twice');
  }
  await assert.rejects(runMatch({ a: 'random', b: 'engine:/bin/false', games: 1, boardSize: 7 }), /engine '\/bin\/false'/);
});

test('Ctrl-C stops a match cleanly and reports the games finished so far', async () => {
  const out = join(dir, 'interrupted.trmph');
  const run = startCli(['match', 'random', 'random', '--games', '100000', '--size', '13', '--parallel', '2', '--out', out]);
  for (let k = 0; k < 600 && !(existsSync(out) && /#13,/.test(readFileSync(out, 'utf8'))); k++) await new Promise((r) => setTimeout(r, 50));
  run.child.kill('SIGINT');
  const { code, stdout } = await run.done;
  assert.equal(code, 130);
  const finished = Number(/stopped early: (\d+) of 100000 games finished/.exec(stdout)?.[1]);
  assert.ok(finished >= 1, stdout);
  assert.equal(readFileSync(out, 'utf8').split('\n').filter((l) => /^#13,/.test(l)).length, finished);
});
