import { generateGames } from '../../dataset';
import { fmt, numberFlag, parse, requireFlag } from '../args';

const USAGE = `Usage: hextorch generate --games N --size S --seed X --out DIR [--val-fraction F] [--json]

Synthetic games (legal play with a cheap local heuristic), deterministic per seed.`;

export async function generateCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { games: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, 'val-fraction': { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  const games = numberFlag(values, 'games');
  const boardSize = numberFlag(values, 'size');
  const seed = numberFlag(values, 'seed');
  const valFraction = numberFlag(values, 'val-fraction');
  const summary = await generateGames({
    games: games ?? Number.NaN,
    out: requireFlag(values, 'out', USAGE),
    ...(boardSize !== undefined ? { boardSize } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(valFraction !== undefined ? { valFraction } : {}),
  });
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  console.log(`generated ${fmt(summary.games)} games of ${summary.boardSize}x${summary.boardSize}: ${fmt(summary.positions)} positions ` +
    `(train ${fmt(summary.trainPositions)}, validation ${fmt(summary.validationPositions)}), Blue ${fmt(summary.blueWins)} / Red ${fmt(summary.redWins)} wins, ` +
    `${fmt(summary.bytes)} bytes, ${summary.seconds.toFixed(2)} s`);
  return 0;
}
