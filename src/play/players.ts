/**
 * Player specs as users write them, and the players a TypeScript game loop drives:
 * native players (random, policy, mcts) and external engines speaking the Hex Text
 * Protocol (`engine:COMMAND`).
 *
 * Spec syntax: `random`, `policy:CHECKPOINT`, `mcts:CHECKPOINT`, a bare CHECKPOINT
 * (policy), or `engine:COMMAND`; native specs take options after `?`, as in
 * `mcts:runs/r1?playouts=400&batch=16`.
 */
import { HextorchError, callNative, invalidOption } from '../errors';
import { cellName, parseCell } from '../hex';
import { native } from '../native';
import type { NativePlayer, NativePlayerOptions } from '../native-types';
import { availableCores, BOARD_SIZES, checkInteger, checkNumber } from '../options';
import { resolveWeightsFile as resolveCheckpoint } from '../interop/checkpoint-files';
import { HtpClient } from './htp-client';

export type PlayerKind = 'random' | 'policy' | 'mcts';

/** Search and sampling settings of a native player (defaults in `resolvePlayerOptions`). */
export interface PlayerSettings {
  /** MCTS simulations per move (default 200). */
  playouts?: number;
  /** MCTS time per move in seconds (default: none; playouts then may be 0). */
  seconds?: number;
  /** MCTS leaves evaluated per forward pass (default 8; 1 = one at a time). */
  batch?: number;
  cpuct?: number;
  fpuReduction?: number;
  reuseTree?: boolean;
  /** Dirichlet noise at the root: alpha (0 = none) and weight. */
  dirichletAlpha?: number;
  dirichletWeight?: number;
  /** 0: best move; > 0: sample p^(1/T) (policy) or visits^(1/T) (mcts). */
  temperature?: number;
  seed?: number;
  device?: string;
  threads?: number;
}

export type PlayerSpec =
  | ({ kind: PlayerKind; checkpoint?: string } & PlayerSettings)
  | { kind: 'engine'; command: string };

const SETTING_KEYS: Record<string, keyof PlayerSettings> = {
  playouts: 'playouts', seconds: 'seconds', batch: 'batch', cpuct: 'cpuct', fpu: 'fpuReduction', fpuReduction: 'fpuReduction',
  reuse: 'reuseTree', reuseTree: 'reuseTree', noise: 'dirichletAlpha', dirichletAlpha: 'dirichletAlpha',
  noiseWeight: 'dirichletWeight', dirichletWeight: 'dirichletWeight', temperature: 'temperature', seed: 'seed',
  device: 'device', threads: 'threads',
};

/** Parses a spec string; `defaults` fill settings the spec leaves out. */
export function parsePlayerSpec(text: string, defaults: PlayerSettings = {}): PlayerSpec {
  if (typeof text !== 'string' || text.trim() === '') throw invalidOption('player', text, 'random, policy:CHECKPOINT, mcts:CHECKPOINT or engine:COMMAND');
  if (text.startsWith('engine:')) {
    const command = text.slice('engine:'.length).trim();
    if (!command) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `player '${text}': engine: needs a command to run`);
    return { kind: 'engine', command };
  }
  const [head, query] = splitOnce(text, '?');
  const settings: PlayerSettings = { ...defaults };
  if (query !== undefined) {
    for (const pair of query.split('&').filter(Boolean)) {
      const [key, value] = splitOnce(pair, '=');
      const name = SETTING_KEYS[key];
      if (!name || value === undefined) {
        throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `player '${text}': unknown setting '${pair}' (known: ${Object.keys(SETTING_KEYS).join(', ')})`);
      }
      if (name === 'device') settings.device = value;
      else if (name === 'reuseTree') settings.reuseTree = value !== '0' && value !== 'false';
      else {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `player '${text}': ${key} must be a number, not '${value}'`);
        (settings as Record<string, number>)[name] = n;
      }
    }
  }
  if (head === 'random') return { kind: 'random', ...settings };
  const [kind, path] = head.startsWith('policy:') ? ['policy' as const, head.slice(7)] : head.startsWith('mcts:') ? ['mcts' as const, head.slice(5)] : ['policy' as const, head];
  if (!path) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `player '${text}': ${kind} needs a checkpoint path`);
  return { kind, checkpoint: path, ...settings };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Checks a native spec and fills defaults; the checkpoint path is resolved to its model file. */
export function resolvePlayerOptions(spec: Exclude<PlayerSpec, { kind: 'engine' }>, boardSize?: number): NativePlayerOptions {
  const seconds = checkNumber('seconds', spec.seconds ?? 0, 0, 1e6);
  return {
    kind: spec.kind,
    checkpoint: spec.kind === 'random' ? undefined : resolveCheckpoint(spec.checkpoint ?? ''),
    boardSize: boardSize === undefined ? undefined : checkInteger('boardSize', boardSize, BOARD_SIZES.min, BOARD_SIZES.max),
    device: spec.device ?? 'cpu',
    threads: checkInteger('threads', spec.threads ?? availableCores(), 1, 1024),
    temperature: checkNumber('temperature', spec.temperature ?? 0, 0, 100),
    seed: checkInteger('seed', spec.seed ?? 1, 0),
    playouts: checkInteger('playouts', spec.playouts ?? (seconds > 0 ? 0 : 200), seconds > 0 ? 0 : 1, 1e7),
    seconds,
    batch: checkInteger('batch', spec.batch ?? 8, 1, 4096),
    cpuct: checkNumber('cpuct', spec.cpuct ?? 1.5, 1e-6, 100),
    fpuReduction: checkNumber('fpuReduction', spec.fpuReduction ?? 0.25, -2, 2),
    reuseTree: spec.reuseTree ?? true,
    dirichletAlpha: checkNumber('dirichletAlpha', spec.dirichletAlpha ?? 0, 0, 100),
    dirichletWeight: checkNumber('dirichletWeight', spec.dirichletWeight ?? 0.25, 0, 1),
  };
}

export function describeSpec(spec: PlayerSpec): string {
  if (spec.kind === 'engine') return `engine ${spec.command}`;
  if (spec.kind === 'random') return 'random';
  const extra = spec.kind === 'mcts' ? ` (${spec.playouts ?? 200} playouts${spec.seconds ? `, ${spec.seconds}s` : ''}, batch ${spec.batch ?? 8})` : spec.temperature ? ` (temperature ${spec.temperature})` : '';
  return `${spec.kind} ${spec.checkpoint}${extra}`;
}

/** A player a TypeScript game loop drives, one game at a time. */
export interface MovePlayer {
  readonly name: string;
  /** The board size its network plays, when it has one. */
  readonly boardSize: number | undefined;
  newGame(boardSize: number): Promise<void>;
  /** The move for the side to move after `moves` (cell indices, Blue first), or 'resign'. */
  genmove(moves: number[]): Promise<number | 'resign'>;
  close(): Promise<void>;
}

/** A native player (random, policy, mcts) behind the MovePlayer interface. */
export class NativeMovePlayer implements MovePlayer {
  readonly name: string;
  readonly boardSize: number | undefined;
  private constructor(readonly handle: NativePlayer, name: string, boardSize: number | undefined) {
    this.name = name;
    this.boardSize = boardSize;
  }

  static async create(spec: Exclude<PlayerSpec, { kind: 'engine' }>, boardSize?: number): Promise<NativeMovePlayer> {
    const options = resolvePlayerOptions(spec, boardSize);
    if (options.kind === 'random' && options.boardSize === undefined) options.boardSize = 13;
    const handle = await callNative(() => native().createPlayer(options));
    const d = handle.describe();
    return new NativeMovePlayer(handle, describeSpec(spec), spec.kind === 'random' ? undefined : d.boardSize);
  }

  async newGame(): Promise<void> {}

  async genmove(moves: number[]): Promise<number> {
    const info = await callNative(() => this.handle.genmove(moves));
    return info.move;
  }

  async close(): Promise<void> {
    this.handle.dispose();
  }
}

/** An external engine speaking HTP, started as a child process. */
export class EngineMovePlayer implements MovePlayer {
  readonly name: string;
  readonly boardSize = undefined;
  private size = 0;
  /** Moves the engine's board holds, in order. */
  private known: number[] = [];

  private constructor(private readonly client: HtpClient, command: string) {
    this.name = `engine ${command}`;
  }

  static async start(command: string): Promise<EngineMovePlayer> {
    const client = HtpClient.spawn(command);
    const player = new EngineMovePlayer(client, command);
    await client.send('name');  // fails early when the program does not speak HTP
    return player;
  }

  async newGame(boardSize: number): Promise<void> {
    this.size = boardSize;
    await this.client.send(`boardsize ${boardSize}`);
    await this.client.send('clear_board');
    this.known = [];
  }

  async genmove(moves: number[]): Promise<number | 'resign'> {
    const n = this.size;
    const extends_ = this.known.length <= moves.length && this.known.every((m, k) => moves[k] === m);
    if (!extends_) {
      await this.client.send('clear_board');
      this.known = [];
    }
    for (let k = this.known.length; k < moves.length; k++) {
      await this.client.send(`play ${k % 2 === 0 ? 'black' : 'white'} ${cellName(n, moves[k]!)}`);
      this.known.push(moves[k]!);
    }
    const colour = moves.length % 2 === 0 ? 'black' : 'white';
    const answer = (await this.client.send(`genmove ${colour}`)).trim().toLowerCase();
    if (answer === 'resign') return 'resign';
    const move = parseCellText(n, answer);
    if (move === undefined || moves.includes(move)) {
      throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${this.name} answered genmove ${colour} with '${answer}', which is not a legal move`);
    }
    this.known.push(move);
    return move;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Parses `c3` (any case) on an n×n board; undefined when it is not a cell of the board. */
export function parseCellText(n: number, text: string): number | undefined {
  try {
    return parseCell(n, text);
  } catch {
    return undefined;
  }
}

/** Opens a player from its spec. */
export async function openPlayer(spec: PlayerSpec, boardSize?: number): Promise<MovePlayer> {
  if (spec.kind === 'engine') return EngineMovePlayer.start(spec.command);
  return NativeMovePlayer.create(spec, boardSize);
}
