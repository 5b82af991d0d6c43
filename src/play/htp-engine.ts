/**
 * The engine side of the Hex Text Protocol (the GTP dialect of benzene/MoHex and
 * HexGui): black = Blue (moves first, joins rows 1..N), white = Red. Answers are
 * `=[id] result` or `?[id] message`, each followed by a blank line. Every input line
 * gets an answer or is a comment/blank; nothing a controller sends makes it throw.
 */
import { callNativeSync } from '../errors';
import { cellName, drawBoard } from '../hex';
import { native } from '../native';
import { type MovePlayer, parseCellText } from './players';

export interface HtpEngineOptions {
  /** Opens the player for a board size (called again when the size changes). */
  openPlayer: (boardSize: number) => Promise<MovePlayer>;
  /** The size the network plays (other sizes are refused); undefined: any size. */
  fixedSize?: number;
  /** Settings changed by `param_hextorch NAME VALUE`; returns false for an unknown name. */
  setParam?: (name: string, value: string) => boolean;
  params?: () => Record<string, string | number | boolean>;
  name?: string;
  version?: string;
}

const COMMANDS = [
  'protocol_version', 'name', 'version', 'known_command', 'list_commands', 'quit', 'boardsize', 'clear_board',
  'play', 'genmove', 'undo', 'showboard', 'final_score', 'all_legal_moves', 'param_game', 'param_hextorch',
] as const;

class Failure extends Error {}

export class HtpEngine {
  private size: number;
  private moves: number[] = [];
  private player: MovePlayer | undefined;
  private playerSize = 0;
  private cells: Uint8Array;
  private winner: 'black' | 'white' | undefined;

  constructor(private readonly options: HtpEngineOptions) {
    this.size = options.fixedSize ?? 13;
    this.cells = new Uint8Array(this.size * this.size);
  }

  /** Handles one input line; undefined for blank lines and comments. */
  async handle(rawLine: string): Promise<{ answer: string; quit: boolean } | undefined> {
    // GTP preprocessing: drop control characters but tab, tabs become spaces, cut comments.
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    const line = rawLine.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '').replace(/\t/g, ' ').replace(/#.*$/, '').trim();
    if (!line) return undefined;
    const words = line.split(/\s+/);
    let id = '';
    if (/^\d+$/.test(words[0]!)) id = words.shift()!;
    const command = (words.shift() ?? '').toLowerCase();
    try {
      if (!command) throw new Failure('missing command');
      const result = await this.run(command, words);
      return { answer: `=${id} ${result}\n\n`, quit: command === 'quit' };
    } catch (error) {
      const message = error instanceof Failure ? error.message : `internal error: ${(error as Error).message ?? String(error)}`;
      return { answer: `?${id} ${message.replace(/\n+/g, ' ')}\n\n`, quit: false };
    }
  }

  private async run(command: string, args: string[]): Promise<string> {
    const n = this.size;
    switch (command) {
      case 'protocol_version': return '2';
      case 'name': return this.options.name ?? 'hextorch';
      case 'version': return this.options.version ?? '';
      case 'known_command': return (COMMANDS as readonly string[]).includes((args[0] ?? '').toLowerCase()) ? 'true' : 'false';
      case 'list_commands': return COMMANDS.join('\n');
      case 'quit': return '';
      case 'boardsize': {
        if (args.length < 1 || args.length > 2) throw new Failure('boardsize expects a size (and optionally the same height)');
        const size = Number(args[0]);
        if (args.length === 2 && Number(args[1]) !== size) throw new Failure('unacceptable size: only square boards are supported');
        if (!Number.isInteger(size) || size < 5 || size > 19) throw new Failure(`unacceptable size: '${args[0]}' (5 to 19 are supported)`);
        if (this.options.fixedSize !== undefined && size !== this.options.fixedSize) {
          throw new Failure(`unacceptable size: the network plays ${this.options.fixedSize}x${this.options.fixedSize}`);
        }
        this.size = size;
        this.clear();
        return '';
      }
      case 'clear_board':
        this.clear();
        return '';
      case 'play': {
        if (args.length !== 2) throw new Failure('play expects a colour and a cell, as in: play black c3');
        const colour = parseColour(args[0]!);
        const text = args[1]!.toLowerCase();
        if (text === 'resign') return '';
        if (text === 'swap-pieces') throw new Failure('illegal move: swap-pieces (swap is off)');
        const cell = parseCellText(n, text);
        if (cell === undefined) throw new Failure(`illegal move: ${colour} ${text} (invalid: not a cell of the ${n}x${n} board)`);
        if (this.cells[cell]) throw new Failure(`illegal move: ${colour} ${text} (occupied)`);
        if (this.winner) throw new Failure(`illegal move: ${colour} ${text} (the game is over: ${this.winner} has connected)`);
        if (colour !== this.toMove()) throw new Failure(`illegal move: ${colour} ${text} (${this.toMove()} is to move; hextorch keeps alternating moves)`);
        this.place(cell);
        return '';
      }
      case 'genmove': {
        if (args.length !== 1) throw new Failure('genmove expects a colour, as in: genmove white');
        const colour = parseColour(args[0]!);
        if (this.winner) return colour === this.winner ? (() => { throw new Failure(`the game is over: ${this.winner} has connected`); })() : 'resign';
        if (colour !== this.toMove()) throw new Failure(`${this.toMove()} is to move, not ${colour}`);
        const player = await this.currentPlayer();
        const move = await player.genmove([...this.moves]);
        if (move === 'resign') return 'resign';
        this.place(move);
        return cellName(n, move);
      }
      case 'undo': {
        if (args.length !== 0) throw new Failure('undo takes no arguments');
        if (this.moves.length === 0) throw new Failure('cannot undo: the board is empty');
        const moves = this.moves.slice(0, -1);
        this.clear();
        for (const m of moves) this.place(m);
        return '';
      }
      case 'showboard':
        return `\n${drawBoard(n, this.cells)}\n${this.toMove()} to move${this.winner ? `; ${this.winner} has won` : ''}`;
      case 'final_score':
        return this.winner === 'black' ? 'B+' : this.winner === 'white' ? 'W+' : 'cannot score';
      case 'all_legal_moves': {
        if (this.winner) return '';
        const legal: string[] = [];
        for (let i = 0; i < n * n; i++) if (!this.cells[i]) legal.push(cellName(n, i));
        return legal.join(' ');
      }
      case 'param_game': {
        if (args.length === 0) return '\n[bool] allow_swap 0';
        if (args.length === 2 && args[0] === 'allow_swap') {
          if (args[1] === '0' || args[1] === 'false') return '';
          throw new Failure('swap is not supported by hextorch');
        }
        throw new Failure('param_game expects no arguments or: allow_swap 0');
      }
      case 'param_hextorch': {
        if (args.length === 0) {
          const p = this.options.params?.() ?? {};
          return `\n${Object.entries(p).map(([k, v]) => `${k} ${String(v)}`).join('\n')}`;
        }
        if (args.length !== 2) throw new Failure('param_hextorch expects no arguments, or a name and a value');
        if (!this.options.setParam) throw new Failure('this engine has no settings');
        let known: boolean;
        try {
          known = this.options.setParam(args[0]!, args[1]!);
        } catch (error) {
          throw new Failure((error as Error).message);
        }
        if (!known) throw new Failure(`unknown parameter '${args[0]}'`);
        await this.player?.close();
        this.player = undefined;
        return '';
      }
      default:
        throw new Failure('unknown command');
    }
  }

  private toMove(): 'black' | 'white' {
    return this.moves.length % 2 === 0 ? 'black' : 'white';
  }

  private clear(): void {
    this.moves = [];
    this.cells = new Uint8Array(this.size * this.size);
    this.winner = undefined;
  }

  private place(cell: number): void {
    const colour = this.toMove();
    this.cells[cell] = colour === 'black' ? 1 : 2;
    this.moves.push(cell);
    // The rules live in the core: it replays the moves and names the winner.
    if (callNativeSync(() => native().gameWinner(this.size, this.moves)) !== null) this.winner = colour;
  }

  private async currentPlayer(): Promise<MovePlayer> {
    if (!this.player || this.playerSize !== this.size) {
      await this.player?.close();
      this.player = undefined;
      try {
        this.player = await this.options.openPlayer(this.size);
      } catch (error) {
        throw new Failure(`cannot start the player: ${(error as Error).message}`);
      }
      this.playerSize = this.size;
      await this.player.newGame(this.size);
    }
    return this.player;
  }

  async close(): Promise<void> {
    await this.player?.close();
    this.player = undefined;
  }
}

function parseColour(text: string): 'black' | 'white' {
  const t = text.toLowerCase();
  if (t === 'b' || t === 'black') return 'black';
  if (t === 'w' || t === 'white') return 'white';
  throw new Failure(`'${text}' is not a colour (black/b or white/w)`);
}
