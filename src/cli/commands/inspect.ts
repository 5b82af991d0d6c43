import { statSync } from 'node:fs';
import { inspectShard, openDataset, readPosition } from '../../dataset';
import { cellName, drawBoard } from '../../hex';
import { fmt, numberFlag, parse, UsageError } from '../args';

const USAGE = `Usage: hextorch inspect PATH [--sample K] [--split train|validation] [--no-verify] [--json]

PATH is a dataset directory or a shard file. Checksums of every block are verified
unless --no-verify. --sample K draws position K with its targets.`;

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { sample: { type: 'string' }, split: { type: 'string' }, 'no-verify': { type: 'boolean' }, json: { type: 'boolean' } },
    USAGE,
  );
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new UsageError(`give exactly one PATH\n\n${USAGE}`);
  const verify = !values['no-verify'];
  const isDir = (() => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  })();
  const sample = numberFlag(values, 'sample');
  const split = (values.split as 'train' | 'validation' | undefined) ?? 'train';
  if (split !== 'train' && split !== 'validation') throw new UsageError(`--split must be train or validation, not '${String(values.split)}'`);
  if (sample !== undefined) {
    const p = readPosition(isDir ? { dir: path, split } : { shard: path }, sample);
    if (values.json) {
      console.log(JSON.stringify({ ...p, cells: Array.from(p.cells) }, null, 2));
      return 0;
    }
    console.log(drawBoard(p.boardSize, p.cells, p.policy ?? undefined));
    console.log(`position ${sample}: game ${p.game}, ply ${p.ply}, ${p.toMove === 'blue' ? 'Blue (X)' : 'Red (O)'} to move`);
    console.log(`policy target: ${p.policy === null ? 'none (final position)' : `${cellName(p.boardSize, p.policy)} (marked *)`}`);
    console.log(`value target: ${p.value} (${p.value === 0 ? 'Blue' : 'Red'} won)`);
    return 0;
  }
  if (isDir) {
    const d = await openDataset(path, { verify });
    if (values.json) {
      console.log(JSON.stringify({ ...d, checksums: verify ? 'ok' : 'not verified' }, null, 2));
      return 0;
    }
    console.log(`dataset ${path}: ${d.boardSize}x${d.boardSize}, ${fmt(d.games.total)} games (Blue ${fmt(d.games.blueWins)}, Red ${fmt(d.games.redWins)})`);
    for (const name of ['train', 'validation'] as const) {
      const s = d[name];
      console.log(`  ${name}: ${fmt(s.games)} games, ${fmt(s.positions)} positions, ${s.shards.length} shards, fingerprint ${s.fingerprint}`);
    }
    console.log(`checksums: ${verify ? 'all blocks ok' : 'not verified'}`);
    return 0;
  }
  const s = await inspectShard(path, { verify });
  const shard = s.shards[0]!;
  if (values.json) {
    console.log(JSON.stringify({ ...shard, checksums: verify ? 'ok' : 'not verified' }, null, 2));
    return 0;
  }
  console.log(`shard ${path}: format v${shard.version}, ${shard.boardSize}x${shard.boardSize}, ${fmt(shard.records)} records of ${shard.recordSize} bytes, ` +
    `${shard.blockRecords} records per checksum block, ${shard.validation ? 'validation' : 'train'} split`);
  console.log(`checksums: ${verify ? 'all blocks ok' : 'not verified'}`);
  return 0;
}
