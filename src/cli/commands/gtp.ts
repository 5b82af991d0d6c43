import { createInterface } from 'node:readline';
import { HtpEngine } from '../../play/htp-engine';
import { NativeMovePlayer, parsePlayerSpec, type PlayerSettings, type PlayerSpec } from '../../play/players';
import { version } from '../../version';
import { numberFlag, parse, stringFlag, UsageError } from '../args';
import { playerSettingsFromFlags } from '../player-flags';

const USAGE = `Usage: hextorch gtp [--checkpoint C] [--player mcts|policy|random] [options]

Speaks the Hex Text Protocol (the GTP dialect of benzene/MoHex and HexGui) on stdin and
stdout: black = Blue (moves first, joins rows 1..N), white = Red. Logs go to stderr.

  --checkpoint C        model file, checkpoint directory, or run directory (its latest)
  --player P            mcts (default with a checkpoint), policy, or random
  --playouts N          MCTS playouts per move (default 200)
  --seconds S           MCTS time per move instead of playouts
  --batch K             MCTS leaves per forward pass (default 8)
  --temperature T       sample moves (default 0: best move)
  --seed S              (default 1)
  --size S              board size for the random player (default 13)
  --threads N --device D

Settings can be changed while running: param_hextorch playouts 800.`;

export async function gtpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    checkpoint: { type: 'string' }, player: { type: 'string' }, playouts: { type: 'string' }, seconds: { type: 'string' },
    batch: { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, size: { type: 'string' },
    threads: { type: 'string' }, device: { type: 'string' },
  }, USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${USAGE}`);
  const checkpoint = stringFlag(values, 'checkpoint');
  const kind = stringFlag(values, 'player') ?? (checkpoint ? 'mcts' : 'random');
  if (kind !== 'random' && !checkpoint) throw new UsageError(`--player ${kind} needs --checkpoint\n\n${USAGE}`);
  const settings: PlayerSettings = playerSettingsFromFlags(values);
  if (!['mcts', 'policy', 'random'].includes(kind)) throw new UsageError(`--player must be mcts, policy or random, not '${kind}'\n\n${USAGE}`);
  let spec = parsePlayerSpec(kind === 'random' ? 'random' : `${kind}:${checkpoint}`, settings) as Exclude<PlayerSpec, { kind: 'engine' }>;
  // Load the network once at start: a bad checkpoint is an exit-time error, not a protocol one.
  let first: NativeMovePlayer | undefined = await NativeMovePlayer.create(spec, numberFlag(values, 'size'));
  const fixedSize = first.boardSize;
  const engine = new HtpEngine({
    name: 'hextorch',
    version,
    fixedSize: fixedSize ?? numberFlag(values, 'size'),
    openPlayer: async (size) => {
      if (first && (fixedSize !== undefined || size === (numberFlag(values, 'size') ?? 13))) {
        const player = first;
        first = undefined;
        return player;
      }
      await first?.close();
      first = undefined;
      return NativeMovePlayer.create(spec, size);
    },
    setParam: (name, value) => {
      const n = Number(value);
      const numeric: Record<string, keyof PlayerSettings> = { playouts: 'playouts', seconds: 'seconds', batch: 'batch', temperature: 'temperature', seed: 'seed' };
      const key = numeric[name];
      if (!key) return false;
      if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`${name} must be a number, not '${value}'`);
      const next = { ...spec, [key]: n };
      if (key === 'seconds' && next.playouts === undefined) next.playouts = 0;
      spec = next;
      return true;
    },
    params: () => ({ player: spec.kind, playouts: spec.playouts ?? 200, seconds: spec.seconds ?? 0, batch: spec.batch ?? 8, temperature: spec.temperature ?? 0, seed: spec.seed ?? 1 }),
  });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) {
      const reply = await engine.handle(line);
      if (!reply) continue;
      process.stdout.write(reply.answer);
      if (reply.quit) break;
    }
  } finally {
    lines.close();
    await engine.close();
    await first?.close();
  }
  return 0;
}
