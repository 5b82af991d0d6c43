import { readOpenings, runMatch } from '../../play/match';
import { formatMatchStats } from '../../play/stats';
import { installGracefulShutdown } from '../../shutdown';
import { numberFlag, parse, stringFlag, UsageError } from '../args';
import { playerSettingsFromFlags } from '../player-flags';

const USAGE = `Usage: hextorch match A B --games N [options]

A and B are players:
  random                      uniformly random legal moves
  policy:CHECKPOINT           the network's most likely move (a bare CHECKPOINT means this)
  mcts:CHECKPOINT             PUCT search with the network's priors and value
  engine:COMMAND              an external program speaking the Hex Text Protocol
Native players take settings after '?': mcts:runs/r1?playouts=400&batch=16
(playouts, seconds, batch, cpuct, fpu, reuse, noise, noiseWeight, temperature, seed).

  --games N             games to play (colours alternate: A is Blue in even games)
  --size S              board size (default: the networks' size; 13 otherwise)
  --parallel P          games in play at once, their positions batched (default 16)
  --playouts N          default MCTS playouts per move (default 200)
  --seconds S           default MCTS time per move instead
  --batch K             default MCTS leaves per forward pass (default 8)
  --temperature T       default sampling temperature (default 0: best move)
  --seed S              openings and players' randomness (default 1)
  --openings FILE       one opening per line (cells like a1 b2); pair k plays line k
  --no-opening          start every game from the empty board (default: a seeded
                        random first move, shared by each pair of games)
  --out FILE            write every game as a trmph record (default: match.trmph)
  --threads N           CPU threads for the networks (default: the cores available)
  --device D            cpu (default), cuda, cuda:N
  --json                print the result as JSON

Ctrl-C stops after the current round and reports the games finished so far.`;

export async function matchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    games: { type: 'string' }, size: { type: 'string' }, parallel: { type: 'string' }, playouts: { type: 'string' },
    seconds: { type: 'string' }, batch: { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' },
    openings: { type: 'string' }, 'no-opening': { type: 'boolean' }, out: { type: 'string' }, threads: { type: 'string' },
    device: { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  if (positionals.length !== 2) throw new UsageError(`match needs two players, A and B\n\n${USAGE}`);
  const games = numberFlag(values, 'games');
  if (games === undefined) throw new UsageError(`--games is required\n\n${USAGE}`);
  const boardSize = numberFlag(values, 'size');
  const openingsFile = stringFlag(values, 'openings');
  if (openingsFile && boardSize === undefined) throw new UsageError('--openings needs --size (to read the cells)');
  const out = stringFlag(values, 'out') ?? 'match.trmph';
  const json = values.json === true;
  const shutdown = installGracefulShutdown((signal) => console.error(`\n${signal}: stopping after the current round`));
  const started = Date.now();
  try {
    const result = await runMatch({
      a: positionals[0]!,
      b: positionals[1]!,
      games,
      boardSize,
      parallel: numberFlag(values, 'parallel'),
      seed: numberFlag(values, 'seed'),
      openings: openingsFile ? readOpenings(openingsFile, boardSize!) : undefined,
      noOpening: values['no-opening'] === true,
      defaults: playerSettingsFromFlags(values),
      recordsFile: out,
      signal: shutdown.signal,
      onGame: (_g, finished) => {
        if (!json && process.stderr.isTTY) process.stderr.write(`\r${finished}/${games} games (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      },
    });
    if (!json && process.stderr.isTTY) process.stderr.write('\n');
    if (json) {
      const { records, ...rest } = result;
      console.log(JSON.stringify({ ...rest, records: out, games: records.length }, null, 2));
    } else {
      for (const line of formatMatchStats(result, result.a, result.b)) console.log(line);
      console.log(`board              ${result.boardSize}x${result.boardSize}`);
      console.log(`time               ${result.seconds.toFixed(1)} s (${result.gamesPerMinute.toFixed(1)} games/min${result.forwardPasses ? `, ${result.positionsEvaluated} positions in ${result.forwardPasses} forward passes` : ''})`);
      console.log(`records            ${out}`);
      if (result.stopped) console.log(`stopped early: ${result.games} of ${result.gamesPlanned} games finished`);
    }
    return result.stopped ? shutdown.exitCode() || 130 : 0;
  } finally {
    shutdown.dispose();
  }
}
