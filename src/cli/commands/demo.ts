import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generateGames } from '../../dataset';
import { cellName, drawBoard, parseCell } from '../../hex';
import { installGracefulShutdown } from '../../shutdown';
import { Trainer } from '../../trainer';
import { runTraining } from '../../training-run';
import { fmt, numberFlag, parse, stringFlag } from '../args';
import { writeReport } from './report';
import { attachTerminal, printSummary } from './train';

const USAGE = `Usage: hextorch demo [--out DIR] [--games N] [--size S] [--epochs E]

Generates synthetic games, trains a tiny model in mini-epochs with validation and
checkpoints, and writes a report. Default DIR: ./hextorch-demo.`;

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' }, games: { type: 'string' }, size: { type: 'string' }, epochs: { type: 'string' } }, USAGE);
  const out = stringFlag(values, 'out') ?? 'hextorch-demo';
  const games = numberFlag(values, 'games') ?? 1500;
  const boardSize = numberFlag(values, 'size') ?? 9;
  const epochs = numberFlag(values, 'epochs') ?? 1;
  const started = Date.now();
  mkdirSync(out, { recursive: true });
  const data = join(out, `data-${boardSize}x${boardSize}-${games}`);
  const run = join(out, 'run');

  if (!existsSync(join(data, 'dataset.json'))) {
    console.log(`1/3 generating ${fmt(games)} synthetic ${boardSize}x${boardSize} games into ${data}`);
    const g = await generateGames({ games, boardSize, seed: 7, out: data });
    console.log(`    ${fmt(g.positions)} positions (train ${fmt(g.trainPositions)}, validation ${fmt(g.validationPositions)}) in ${g.seconds.toFixed(2)} s`);
  } else {
    console.log(`1/3 reusing the dataset in ${data}`);
  }
  // Each demo starts a new run; the previous one is kept beside it.
  if (existsSync(run)) renameSync(run, join(out, `run-previous-${Date.now()}`));

  console.log(`2/3 training a tiny model (${epochs} epoch${epochs > 1 ? 's' : ''}, 4x augmentation, validation and a checkpoint every mini-epoch)`);
  const shutdown = installGracefulShutdown((signal) => console.error(`\n${signal}: finishing the step and checkpointing`));
  let result;
  try {
    result = await runTraining(
      { data, run, epochs, batchSize: 256, miniEpochBatches: 120, model: 'tiny', device: 'auto', learningRate: 2e-3, valMaxBatches: 8, seed: 7 },
      { signal: shutdown.signal, onEvent: (o) => attachTerminal(o, false) },
    );
  } finally {
    shutdown.dispose();
  }
  printSummary(result);
  const report = writeReport(run, 'html');

  console.log('3/3 asking the trained model about an opening position');
  if (result.bestCheckpoint ?? result.lastCheckpoint) {
    const trainer = await Trainer.create({ model: 'tiny', boardSize, device: 'cpu' });
    try {
      await trainer.loadCheckpoint(join((result.bestCheckpoint ?? result.lastCheckpoint)!, 'model.pt'));
      const moves = ['e5', 'd6'];
      const [p] = await trainer.predict([{ moves }]);
      const cells = new Uint8Array(boardSize * boardSize);
      moves.forEach((m, k) => (cells[parseCell(boardSize, m)] = k % 2 === 0 ? 1 : 2));
      console.log(drawBoard(boardSize, cells, p!.bestMove));
      console.log(`after ${moves.join(' ')}, Blue to move: suggested ${cellName(boardSize, p!.bestMove)} (* above, p=${p!.policy[p!.bestMove]!.toFixed(3)}), P(Red wins) = ${p!.redWinProbability.toFixed(3)}`);
    } finally {
      trainer.dispose();
    }
  }
  const last = result.last;
  console.log('');
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (last?.validation) {
    console.log(`final validation: loss ${last.validation.loss.toFixed(4)}, policy top-1 ${(100 * last.validation.policyAccuracy).toFixed(1)}% (uniform guess ~${(100 / (boardSize * boardSize / 2)).toFixed(1)}%), value accuracy ${(100 * last.validation.valueAccuracy).toFixed(1)}%`);
  }
  console.log(`plot: ${report}`);
  console.log(`checkpoints: ${result.checkpointDir}`);
  return result.status === 'interrupted' ? shutdown.exitCode() || 130 : 0;
}
