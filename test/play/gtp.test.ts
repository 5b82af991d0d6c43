/** `hextorch gtp` driven over stdin/stdout as a controller would, with a real checkpoint. */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { cliPath, tempDir } from '../helpers';
import { tinyCheckpoint } from './helpers';

/** A controller: sends a line, reads one answer (up to the blank line). */
class Controller {
  private buffer = '';
  private waiters: Array<(answer: string) => void> = [];
  readonly exit: Promise<number | null>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.buffer += d;
      for (let end = this.buffer.indexOf('\n\n'); end >= 0 && this.waiters.length; end = this.buffer.indexOf('\n\n')) {
        const answer = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        this.waiters.shift()!(answer);
      }
    });
    this.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }
  send(line: string, timeoutMs = 60_000): Promise<string> {
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to '${line.slice(0, 60)}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    this.child.stdin.write(`${line}\n`);
    return answer;
  }
}

let checkpoint: string;
const dir = tempDir('hextorch-gtp-');
before(async () => {
  checkpoint = await tinyCheckpoint(dir, 7);
});

const started: Controller[] = [];
after(() => started.forEach((c) => c.child.kill()));  // a failed assertion leaves no engine running

function start(args: string[]): Controller {
  const c = new Controller(spawn(process.execPath, [cliPath, 'gtp', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  started.push(c);
  return c;
}

test('gtp answers the protocol commands and plays on its own board', async () => {
  const c = start(['--checkpoint', checkpoint, '--playouts', '24', '--threads', '1']);
  assert.equal(await c.send('1 name'), '=1 hextorch');
  assert.equal(await c.send('protocol_version'), '= 2');
  assert.equal(await c.send('known_command genmove'), '= true');
  assert.equal(await c.send('known_command fly'), '= false');
  const list = await c.send('list_commands');
  for (const name of ['name', 'version', 'protocol_version', 'known_command', 'list_commands', 'boardsize', 'clear_board', 'play', 'genmove', 'undo', 'showboard', 'quit']) {
    assert.match(list, new RegExp(`^(= )?${name}$`, 'm'));
  }
  assert.equal(await c.send('boardsize 7'), '= ');
  assert.equal(await c.send('play b d4'), '= ');
  const reply = await c.send('genmove white');
  const cell = /^= ([a-g][1-7])$/.exec(reply)?.[1];
  assert.ok(cell && cell !== 'd4', `genmove answered '${reply}'`);
  // genmove played the move on the engine's board: the cell is now occupied.
  assert.match(await c.send(`play black ${cell}`), /^\? illegal move: black .* \(occupied\)$/);
  const board = await c.send('showboard');
  assert.match(board, /X/);
  assert.match(board, /O/);
  assert.match(board, /black to move/);
  assert.equal(await c.send('undo'), '= ');  // takes back white's move
  assert.match(await c.send('showboard'), /white to move/);
  assert.match(await c.send('2 genmove w'), /^=2 [a-g][1-7]$/);
  assert.equal(await c.send('param_hextorch playouts 8'), '= ');
  assert.match(await c.send('param_hextorch'), /playouts 8/);
  assert.match(await c.send('genmove black'), /^= [a-g][1-7]$/);
  assert.equal(await c.send('clear_board'), '= ');
  assert.equal(await c.send('undo'), '? cannot undo: the board is empty');
  assert.equal(await c.send('quit'), '= ');
  assert.equal(await c.exit, 0);
});

test('gtp answers malformed input and illegal moves with protocol errors, never a crash', async () => {
  const c = start(['--checkpoint', checkpoint, '--player', 'policy', '--threads', '1']);
  const errors = [
    'fly me to the moon',
    'play',
    'play black',
    'play purple c3',
    'play black z9',
    'play black c99',
    'play black 33',
    'play white swap-pieces',
    'genmove',
    'genmove green',
    'boardsize',
    'boardsize 9',
    'boardsize x',
    'boardsize 500',
    'undo now',
    `play black ${'a'.repeat(5000)}`,
    '\u0001\u0002 play \u0007black c3 c4',
    'param_hextorch playouts lots',
    'param_hextorch colour red',
    'param_game allow_swap 1',
  ];
  for (const line of errors) {
    const answer = await c.send(line);
    assert.match(answer, /^\? \S/, `'${line.slice(0, 40)}' answered '${answer.slice(0, 80)}'`);
  }
  assert.equal(await c.send('unknown_thing'), '? unknown command');
  assert.equal(await c.send('12 fly'), '?12 unknown command');
  // Comments and blank lines get no answer; the next command still does.
  c.child.stdin.write('# a comment\n\n   \n');
  assert.equal(await c.send('name'), '= hextorch');
  // Out of turn, occupied, after the end.
  assert.equal(await c.send('play black a1'), '= ');
  assert.match(await c.send('play black b1'), /^\? illegal move: black b1 \(white is to move/);
  assert.match(await c.send('play white a1'), /^\? illegal move: white a1 \(occupied\)$/);
  for (const cell of ['b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4', 'a5', 'b5', 'a6', 'b6', 'a7']) {
    assert.equal(await c.send(`play ${['b1', 'b2', 'b3', 'b4', 'b5', 'b6'].includes(cell) ? 'white' : 'black'} ${cell}`), '= ', cell);
  }
  assert.equal(await c.send('final_score'), '= B+');  // a1..a7 joins row 1 to row 7
  assert.match(await c.send('play white c1'), /^\? illegal move: white c1 \(the game is over/);
  assert.equal(await c.send('genmove white'), '= resign');
  c.child.stdin.end();  // end of input ends the engine cleanly
  assert.equal(await c.exit, 0);
});
