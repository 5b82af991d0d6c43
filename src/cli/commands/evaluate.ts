import { evaluate, formatEvaluation } from '../../play/evaluate';
import { numberFlag, parse, requireFlag, stringFlag, UsageError } from '../args';

const USAGE = `Usage: hextorch evaluate --checkpoint C (--data DIR | --records FILE [--format F]) [options]

  --checkpoint C        model file, checkpoint directory, or run directory (its latest)
  --data DIR            a dataset (import/generate output) ...
  --split S             ... its validation (default) or train split
  --records FILE        or a record file, read directly without making a dataset
  --format F            trmph (default) or moves
  --max-positions N     stop after N positions (default: all)
  --batch-size B        positions per forward pass (default 256)
  --ply-buckets LIST    lower ply edges, e.g. 0,10,20,40 (default 0,10,20,30,40,60,80)
  --device D            cpu (default), cuda, cuda:N
  --threads N           CPU threads (default: the cores available)
  --json                print the result as JSON`;

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    checkpoint: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, records: { type: 'string' },
    format: { type: 'string' }, 'max-positions': { type: 'string' }, 'batch-size': { type: 'string' },
    'ply-buckets': { type: 'string' }, device: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${USAGE}`);
  const data = stringFlag(values, 'data');
  const records = stringFlag(values, 'records');
  if (!data === !records) throw new UsageError(`give one of --data and --records\n\n${USAGE}`);
  const buckets = stringFlag(values, 'ply-buckets');
  const plyBuckets = buckets?.split(',').map((t) => {
    const n = Number(t);
    if (t.trim() === '' || !Number.isInteger(n)) throw new UsageError(`--ply-buckets must be integers separated by commas, not '${buckets}'`);
    return n;
  });
  const result = await evaluate({
    checkpoint: requireFlag(values, 'checkpoint', USAGE),
    data,
    records,
    split: stringFlag(values, 'split') as 'train' | 'validation' | undefined,
    format: stringFlag(values, 'format') as 'trmph' | 'moves' | undefined,
    maxPositions: numberFlag(values, 'max-positions'),
    batchSize: numberFlag(values, 'batch-size'),
    plyBuckets,
    device: stringFlag(values, 'device'),
    threads: numberFlag(values, 'threads'),
  });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatEvaluation(result));
  return 0;
}
