/** evaluate() against a hand computation with predict() on the same checkpoint, and on a dataset split. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { generateGames, openDataset } from '../../src/dataset';
import { parseCell } from '../../src/hex';
import { evaluate } from '../../src/play/evaluate';
import { Trainer } from '../../src/trainer';
import { runCli, tempDir } from '../helpers';
import { tinyCheckpoint } from './helpers';

let checkpoint: string;
const dir = tempDir('hextorch-play-');
before(async () => {
  checkpoint = await tinyCheckpoint(dir, 7);
});

const GAMES = [
  { moves: ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5', 'a6', 'b6', 'a7'], winner: 'b' },
  { moves: ['a1', 'a4', 'b1', 'b4', 'c1', 'c4', 'd1', 'd4', 'e1', 'e4', 'f1', 'f4', 'a7', 'g4'], winner: 'r' },
];

test('evaluate on a record file equals a hand computation from predict()', async () => {
  const file = join(dir, 'games.trmph');
  writeFileSync(file, `# two games\n${GAMES.map((g) => `#7,${g.moves.join('')} ${g.winner}`).join('\n')}\n`);
  const e = await evaluate({ checkpoint, records: file, batchSize: 5, plyBuckets: [0, 10], threads: 1 });

  // evaluate() computes in fp32 (as play and export do); predict() in the trainer's precision.
  const trainer = await Trainer.create({ model: 'tiny', boardSize: 7, device: 'cpu', threads: 1, precision: 'fp32' });
  await trainer.loadCheckpoint(checkpoint);
  let positions = 0, policyPositions = 0, top1 = 0, top5 = 0, ce = 0, mse = 0, correct = 0, late = 0;
  for (const game of GAMES) {
    const redWon = game.winner === 'r' ? 1 : 0;
    for (let k = 0; k <= game.moves.length; k++) {
      const [p] = await trainer.predict([{ moves: game.moves.slice(0, k) }]);
      positions++;
      if (k >= 10) late++;
      const pRed = (p!.value + 1) / 2;
      mse += (pRed - redWon) ** 2;
      if ((p!.value > 0) === (redWon === 1)) correct++;
      if (k === game.moves.length) continue;
      policyPositions++;
      const target = parseCell(7, game.moves[k]!);
      const better = Array.from(p!.policy).filter((x) => x > p!.policy[target]!).length;
      if (better < 1) top1++;
      if (better < 5) top5++;
      ce -= Math.log(p!.policy[target]!);
    }
  }
  trainer.dispose();
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-4, `${what}: evaluate ${a}, by hand ${b}`);
  assert.equal(e.games, 2);
  assert.equal(e.overall.positions, positions);
  assert.equal(e.overall.policyPositions, policyPositions);
  close(e.overall.policyTop1, top1 / policyPositions, 'top-1');
  close(e.overall.policyTop5, top5 / policyPositions, 'top-5');
  close(e.overall.policyCrossEntropy, ce / policyPositions, 'cross-entropy');
  close(e.overall.valueMse, mse / positions, 'value MSE');
  close(e.overall.valueAccuracy, correct / positions, 'value accuracy');
  assert.deepEqual(e.byPly.map((b) => [b.fromPly, b.toPly, b.positions]), [[0, 10, positions - late], [10, null, late]]);
  assert.equal(e.calibration.length, 10);
  assert.equal(e.calibration.reduce((s, c) => s + c.count, 0), positions);

  writeFileSync(join(dir, 'bad.trmph'), '#7,a1a1 b\n');
  await assert.rejects(evaluate({ checkpoint, records: join(dir, 'bad.trmph'), threads: 1 }), /bad\.trmph:1: .*played twice/);
  writeFileSync(join(dir, 'nine.trmph'), '#9,a1 b\n');
  await assert.rejects(evaluate({ checkpoint, records: join(dir, 'nine.trmph'), threads: 1 }), /9x9 game, but the network plays 7x7/);
});

test('evaluate on a dataset split counts every position; the CLI prints a table or JSON', async () => {
  const data = join(dir, 'data');
  await generateGames({ games: 60, boardSize: 7, seed: 3, out: data });
  const validation = (await openDataset(data)).validation!.positions;
  const e = await evaluate({ checkpoint: join(checkpoint), data, threads: 1 });
  assert.equal(e.overall.positions, validation);
  const cli = runCli(['evaluate', '--checkpoint', checkpoint, '--data', data, '--max-positions', '50', '--threads', '1']);
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /top-1/);
  assert.match(cli.stdout, /calibration/);
  assert.match(cli.stdout, /^all\s+50 /m);
  const json = runCli(['evaluate', '--checkpoint', checkpoint, '--data', data, '--split', 'train', '--max-positions', '40', '--json', '--threads', '1']);
  assert.equal(JSON.parse(json.stdout).overall.positions, 40);
  const usage = runCli(['evaluate', '--checkpoint', checkpoint]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /--data and --records/);
});

test('the report page includes an evaluation of the run\'s latest checkpoint', async () => {
  const data = join(dir, 'report-data');
  await generateGames({ games: 30, boardSize: 7, seed: 5, out: data });
  const run = join(dir, 'run');
  const ckpt = join(run, 'checkpoints', 'ckpt-e0000-m0000-b000000001');
  mkdirSync(ckpt, { recursive: true });
  copyFileSync(checkpoint, join(ckpt, 'model.pt'));
  writeFileSync(join(run, 'checkpoints', 'latest'), 'ckpt-e0000-m0000-b000000001\n');
  const m = { loss: 1, policyLoss: 1, valueLoss: 0.5, policyAccuracy: 0.3, valueAccuracy: 0.6, samples: 256, batches: 1 };
  const record = {
    epoch: 0, miniEpoch: 0, batchInEpoch: 1, globalBatch: 1, samplesSeen: 256, train: m, validation: m, learningRate: 1e-3,
    samplesPerSecond: 2000, trainSeconds: 0.1, validationSeconds: 0.01, checkpoint: 'ckpt-e0000-m0000-b000000001', time: new Date(0).toISOString(),
  };
  writeFileSync(join(run, 'metrics.jsonl'), `${JSON.stringify(record)}\n`);
  const r = runCli(['report', run, '--evaluate', data, '--max-positions', '30']);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  assert.match(html, /<h2>Evaluation<\/h2>/);
  assert.match(html, /<tr><td>all<\/td><td>30<\/td>/);
  assert.match(html, /Calibration of P\(Red wins\)/);
});
