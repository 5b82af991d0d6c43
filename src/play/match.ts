/**
 * Matches between two players: native players (random, policy, mcts) play many games
 * at once in native code with their positions batched into shared forward passes;
 * a match with an external engine (`engine:COMMAND`) is played one game at a time from
 * TypeScript. Either way: colours alternate (A is Blue in even games), pairs of games
 * share an opening, every finished game is appended to a trmph record file, and a
 * stop signal ends the match with the games finished so far.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { callNative, HextorchError } from '../errors';
import { cellName } from '../hex';
import { native } from '../native';
import type { NativeGameResult } from '../native-types';
import { BOARD_SIZES, checkInteger } from '../options';
import { describeSpec, openPlayer, parseCellText, parsePlayerSpec, type PlayerSettings, type PlayerSpec, resolvePlayerOptions } from './players';
import { type MatchStats, matchStats } from './stats';

export interface MatchOptions {
  /** Player specs (see players.ts) or parsed specs. */
  a: string | PlayerSpec;
  b: string | PlayerSpec;
  games: number;
  /** Board size (default: the networks' size, or 13 for random players and engines). */
  boardSize?: number;
  /** Games in play at once (native players; default 16). */
  parallel?: number;
  seed?: number;
  /** Openings, one move list per entry (cell names or indices); pair k plays opening k mod count. */
  openings?: Array<Array<string | number>>;
  /** No opening move: every game starts from the empty board (deterministic players then repeat games). */
  noOpening?: boolean;
  /** Settings for both native players unless their spec sets them. */
  defaults?: PlayerSettings;
  /** Appends every finished game here as a trmph record (with a comment line naming the sides). */
  recordsFile?: string;
  signal?: AbortSignal;
  onGame?: (game: GameRecord, finished: number) => void;
}

export interface GameRecord {
  index: number;
  aIsBlue: boolean;
  winner: 'blue' | 'red';
  moves: number[];
  openingMoves: number;
  /** How it ended: a connection, or a resignation/illegal move by an engine. */
  ending: 'connection' | 'resignation' | 'illegal-move';
  trmph: string;
}

export interface MatchResult extends MatchStats {
  a: string;
  b: string;
  boardSize: number;
  gamesPlanned: number;
  records: GameRecord[];
  stopped: boolean;
  seconds: number;
  gamesPerMinute: number;
  positionsEvaluated: number;
  forwardPasses: number;
}

export function trmphLine(boardSize: number, moves: readonly number[], winner: 'blue' | 'red'): string {
  return `#${boardSize},${moves.map((m) => cellName(boardSize, m)).join('')} ${winner === 'blue' ? 'b' : 'r'}`;
}

/** Reads an openings file: one opening per line, cells separated by spaces or as in trmph (`a1b2`). */
export function readOpenings(path: string, boardSize: number): number[][] {
  const out: number[][] = [];
  readFileSync(path, 'utf8').split('\n').forEach((raw, k) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const cells = line.match(/[a-z]\d{1,2}/gi) ?? [];
    if (cells.join('').length !== line.replace(/[\s,]+/g, '').length) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${path}:${k + 1}: '${line}' is not a list of cells like a1 b2`);
    }
    out.push(cells.map((c) => {
      const i = parseCellText(boardSize, c);
      if (i === undefined) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${path}:${k + 1}: cell ${c} is off the ${boardSize}x${boardSize} board`);
      return i;
    }));
  });
  if (out.length === 0) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `openings file ${path} holds no opening`);
  return out;
}

export async function runMatch(options: MatchOptions): Promise<MatchResult> {
  const a = typeof options.a === 'string' ? parsePlayerSpec(options.a, options.defaults) : options.a;
  const b = typeof options.b === 'string' ? parsePlayerSpec(options.b, options.defaults) : options.b;
  const games = checkInteger('games', options.games, 1, 10_000_000);
  const parallel = checkInteger('parallel', options.parallel ?? 16, 1, 4096);
  const seed = checkInteger('seed', options.seed ?? 1, 0);
  if (options.boardSize !== undefined) checkInteger('boardSize', options.boardSize, BOARD_SIZES.min, BOARD_SIZES.max);
  const openings = options.openings?.map((o, k) => o.map((m) => {
    if (typeof m === 'number') return m;
    const i = options.boardSize ? parseCellText(options.boardSize, m) : undefined;
    if (i === undefined) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `opening ${k + 1}: '${m}' is not a cell (give boardSize with named cells)`);
    return i;
  }));
  if (options.recordsFile) writeFileSync(options.recordsFile, `# hextorch match: A = ${describeSpec(a)}; B = ${describeSpec(b)}\n`);
  const records: GameRecord[] = [];
  const started = performance.now();
  const finished = new Set<number>();
  const finish = (record: GameRecord) => {
    if (finished.has(record.index)) return;
    finished.add(record.index);
    records.push(record);
    if (options.recordsFile) {
      appendFileSync(options.recordsFile, `# game ${record.index}: A ${record.aIsBlue ? 'blue' : 'red'}, ${record.winner === 'blue' ? 'Blue' : 'Red'} won by ${record.ending}\n${record.trmph}\n`);
    }
    options.onGame?.(record, records.length);
  };

  let summary: { stopped: boolean; positionsEvaluated: number; forwardPasses: number; boardSize: number };
  if (a.kind !== 'engine' && b.kind !== 'engine') {
    const resolvedA = resolvePlayerOptions(a);
    const resolvedB = resolvePlayerOptions(b);
    const handle = native().runMatch(
      { games, boardSize: options.boardSize ?? 0, parallel, seed, randomOpening: !options.noOpening, openings, a: resolvedA, b: resolvedB },
      (g: NativeGameResult) => finish(toRecord(g, 'connection')),
    );
    const onAbort = () => handle.stop();
    options.signal?.addEventListener('abort', onAbort);
    if (options.signal?.aborted) handle.stop();
    try {
      const s = await callNative(() => handle.done);
      // The summary is authoritative: games whose callback has not run yet are recorded now.
      for (const g of s.games) finish(toRecord(g, 'connection'));
      summary = { stopped: s.stopped, positionsEvaluated: s.positionsEvaluated, forwardPasses: s.forwardPasses, boardSize: s.boardSize };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  } else {
    summary = await playOneByOne(a, b, { games, seed, boardSize: options.boardSize, openings, noOpening: options.noOpening ?? false, signal: options.signal }, finish);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    ...matchStats(records),
    a: describeSpec(a),
    b: describeSpec(b),
    boardSize: summary.boardSize,
    gamesPlanned: games,
    records,
    stopped: summary.stopped,
    seconds,
    gamesPerMinute: seconds > 0 ? (records.length * 60) / seconds : 0,
    positionsEvaluated: summary.positionsEvaluated,
    forwardPasses: summary.forwardPasses,
  };
}

function toRecord(g: NativeGameResult, ending: GameRecord['ending']): GameRecord {
  return { index: g.index, aIsBlue: g.aIsBlue, winner: g.winner, moves: g.moves, openingMoves: g.openingMoves, ending, trmph: trmphLine(g.boardSize, g.moves, g.winner) };
}

async function playOneByOne(
  a: PlayerSpec,
  b: PlayerSpec,
  o: { games: number; seed: number; boardSize?: number; openings?: number[][]; noOpening: boolean; signal?: AbortSignal },
  finish: (record: GameRecord) => void,
): Promise<{ stopped: boolean; positionsEvaluated: number; forwardPasses: number; boardSize: number }> {
  const playerA = await openPlayer(a, o.boardSize);
  const playerB = await openPlayer(b, o.boardSize).catch(async (error: unknown) => {
    await playerA.close();
    throw error;
  });
  const n = o.boardSize ?? playerA.boardSize ?? playerB.boardSize ?? 13;
  for (const p of [playerA, playerB]) {
    if (p.boardSize !== undefined && p.boardSize !== n) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${p.name} plays ${p.boardSize}x${p.boardSize} boards, not ${n}x${n}`);
    }
  }
  let stopped = false;
  try {
    for (let index = 0; index < o.games; index++) {
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      const aIsBlue = index % 2 === 0;
      const moves = openingFor(o, n, index);
      const openingMoves = moves.length;
      await playerA.newGame(n);
      await playerB.newGame(n);
      let winner: 'blue' | 'red' | null = callNativeWinner(n, moves);
      let ending: GameRecord['ending'] = 'connection';
      while (winner === null) {
        if (o.signal?.aborted) break;
        const blueToMove = moves.length % 2 === 0;
        const mover = blueToMove === aIsBlue ? playerA : playerB;
        let move: number | 'resign' | 'illegal';
        try {
          move = await mover.genmove(moves);
        } catch (error) {
          if (!(error instanceof HextorchError) || error.code !== 'HEXTORCH_INVALID_ARGUMENT') throw error;
          move = 'illegal';
        }
        if (move === 'resign' || move === 'illegal') {
          winner = blueToMove ? 'red' : 'blue';
          ending = move === 'resign' ? 'resignation' : 'illegal-move';
          break;
        }
        moves.push(move);
        winner = callNativeWinner(n, moves);
      }
      if (winner === null) {
        stopped = true;
        break;
      }
      finish({ index, aIsBlue, winner, moves, openingMoves, ending, trmph: trmphLine(n, moves, winner) });
    }
  } finally {
    await playerA.close();
    await playerB.close();
  }
  return { stopped, positionsEvaluated: 0, forwardPasses: 0, boardSize: n };
}

function callNativeWinner(n: number, moves: number[]): 'blue' | 'red' | null {
  return native().gameWinner(n, moves);
}

/** The opening of game `index`: the native runner's rule (seeded first move), asked of the core. */
function openingFor(o: { seed: number; openings?: number[][]; noOpening: boolean }, n: number, index: number): number[] {
  if (o.openings && o.openings.length > 0) return [...o.openings[Math.floor(index / 2) % o.openings.length]!];
  if (o.noOpening) return [];
  return [...native().matchOpening(n, o.seed, index)];
}
