/**
 * Bench section `play` (issue 12): MCTS playouts per second (batched leaves against one
 * leaf at a time) for tiny and resnet, positions per second of evaluate(), and games
 * per minute of a match with the policy player (games batched together against one at
 * a time). Untrained networks: speed does not depend on the weights. Repeats alternate
 * the variants compared and the median is reported.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../src/play/evaluate';
import { runMatch } from '../src/play/match';
import { NativeMovePlayer } from '../src/play/players';
import { Trainer } from '../src/trainer';

export interface PlayRow {
  name: string;
  value: number | string;
  unit: string;
  note?: string;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function checkpoint(dir: string, model: 'tiny' | 'resnet', blocks: number, channels: number): Promise<string> {
  const path = join(dir, `${model}-${blocks}x${channels}-13.pt`);
  if (!existsSync(path)) {
    const trainer = await Trainer.create({ model, blocks, channels, boardSize: 13, device: 'cpu', seed: 1 });
    await trainer.saveCheckpoint(path, { bench: true });
    trainer.dispose();
  }
  return path;
}

/** Playouts per second of one genmove, median over alternating repeats. */
async function playoutsPerSecond(ckpt: string, batches: number[], playouts: number, repeats: number, threads: number): Promise<Map<number, number>> {
  const players = new Map<number, NativeMovePlayer>();
  for (const batch of batches) {
    players.set(batch, await NativeMovePlayer.create({ kind: 'mcts', checkpoint: ckpt, playouts, batch, reuseTree: false, threads }));
  }
  const position = [84, 85, 71, 97];  // a few stones near the centre of 13x13
  const rates = new Map<number, number[]>(batches.map((b) => [b, []]));
  try {
    for (const p of players.values()) await p.genmove(position);  // warm-up
    for (let r = 0; r < repeats; r++) {
      for (const batch of batches) {
        const started = performance.now();
        await players.get(batch)!.genmove(position);
        rates.get(batch)!.push(playouts / ((performance.now() - started) / 1000));
      }
    }
  } finally {
    for (const p of players.values()) await p.close();
  }
  return new Map([...rates].map(([b, v]) => [b, median(v)]));
}

export async function benchPlay(options: { work: string; quick: boolean; validation?: string; threads?: number }): Promise<{ section: string; rows: PlayRow[] }> {
  const dir = join(options.work, 'play');
  mkdirSync(dir, { recursive: true });
  const threads = options.threads ?? 2;
  const rows: PlayRow[] = [];
  const nets = [
    { label: 'tiny 2x32', path: await checkpoint(dir, 'tiny', 0, 0) },
    { label: 'resnet 6x96', path: await checkpoint(dir, 'resnet', 0, 0) },
  ];
  const playouts = options.quick ? 64 : 256;
  const repeats = options.quick ? 2 : 3;
  for (const net of nets) {
    const rates = await playoutsPerSecond(net.path, [1, 8, 32], playouts, repeats, threads);
    const one = rates.get(1)!;
    for (const [batch, rate] of rates) {
      rows.push({
        name: `mcts ${net.label} 13x13, ${batch === 1 ? 'one leaf at a time' : `${batch} leaves per forward`}`,
        value: rate,
        unit: 'playouts/s',
        note: batch === 1 ? `${playouts} playouts per move, median of ${repeats}` : `${(rate / one).toFixed(2)}x one leaf`,
      });
    }
  }
  if (options.validation) {
    for (const net of nets) {
      const maxPositions = options.quick ? 2000 : 10000;
      const e = await evaluate({ checkpoint: net.path, data: options.validation, maxPositions, batchSize: 256, threads });
      rows.push({ name: `evaluate ${net.label}, batches of 256`, value: e.positionsPerSecond, unit: 'positions/s', note: `${e.overall.positions} positions` });
    }
  }
  const games = options.quick ? 32 : 64;
  for (const net of nets.slice(0, 1)) {
    for (const parallel of [1, options.quick ? 16 : 32]) {
      const r = await runMatch({ a: `policy:${net.path}?temperature=1`, b: `policy:${net.path}?temperature=1&seed=2`, games, parallel, defaults: { threads } });
      rows.push({
        name: `match policy vs policy, ${net.label} 13x13, ${parallel === 1 ? 'one game at a time' : `${parallel} games at once`}`,
        value: r.gamesPerMinute,
        unit: 'games/min',
        note: `${r.games} games, ${(r.positionsEvaluated / Math.max(1, r.forwardPasses)).toFixed(1)} positions per forward pass`,
      });
    }
  }
  return { section: `play: MCTS, evaluate and matches, ${threads} threads (issue 12)`, rows };
}
