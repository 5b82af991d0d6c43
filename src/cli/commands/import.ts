import { importRecords } from '../../dataset';
import { fmt, numberFlag, parse, requireFlag, stringFlag, UsageError } from '../args';
import { ProgressBar } from '../progress';

const USAGE = `Usage: hextorch import --format trmph|moves|sgf --out DIR [options] FILES...

  FILES               record files, directories of them, or .zip archives of them
  --format F          trmph (#13,a1b2... b), moves (one game per line, a1 b2 ...)
                      or sgf (Little Golem SGF, one or many games per file)
  --out DIR           dataset directory to create
  --val-fraction F    fraction of games for validation (default 0.05)
  --seed S            split and mixing seed (default 1)
  --size N            board size of move lists (default 13); sgf: the size kept
                      (default: the first game's), other sizes are skipped
  --only-resign-or-connection
                      sgf: skip games the site adjudicated (timeouts, forfeits)
  --on-invalid MODE   fail (default: nothing written) or skip
  --keep-duplicates   keep exact duplicate games
  --json              print the summary as JSON`;

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      format: { type: 'string' },
      out: { type: 'string' },
      'val-fraction': { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      'on-invalid': { type: 'string' },
      'keep-duplicates': { type: 'boolean' },
      'only-resign-or-connection': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length === 0) throw new UsageError(`no input files given\n\n${USAGE}`);
  const format = requireFlag(values, 'format', USAGE);
  const bar = new ProgressBar();
  const valFraction = numberFlag(values, 'val-fraction');
  const seed = numberFlag(values, 'seed');
  const boardSize = numberFlag(values, 'size');
  const onInvalid = stringFlag(values, 'on-invalid');
  const summary = await importRecords({
    format: format as 'trmph',
    inputs: positionals,
    out: requireFlag(values, 'out', USAGE),
    ...(valFraction !== undefined ? { valFraction } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(boardSize !== undefined ? { boardSize } : {}),
    ...(onInvalid !== undefined ? { onInvalid: onInvalid as 'fail' } : {}),
    keepDuplicates: Boolean(values['keep-duplicates']),
    onlyResignOrConnection: Boolean(values['only-resign-or-connection']),
    onProgress: (done, total) => bar.update(Math.round(done / 1024), Math.round(total / 1024), 'KiB read'),
  });
  bar.clear();
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  const skipped = Object.entries(summary.skippedByReason);
  console.log(`games read         ${fmt(summary.recordsRead)}`);
  console.log(`games imported     ${fmt(summary.gamesImported)}`);
  console.log(`duplicates dropped ${fmt(summary.duplicates)}`);
  console.log(`skipped            ${skipped.length ? skipped.map(([k, n]) => `${k} ${fmt(n)}`).join(', ') : 'none'}`);
  console.log(`positions          ${fmt(summary.positions)} (train ${fmt(summary.trainPositions)}, validation ${fmt(summary.validationPositions)})`);
  console.log(`games split        train ${fmt(summary.trainGames)}, validation ${fmt(summary.validationGames)}`);
  console.log(`wins               Blue ${fmt(summary.blueWins)}, Red ${fmt(summary.redWins)}`);
  console.log(`written            ${fmt(summary.bytes)} bytes in ${summary.shards} shards`);
  console.log(`time               ${summary.seconds.toFixed(2)} s (${fmt(summary.positions / Math.max(summary.seconds, 1e-9))} positions/s)`);
  for (const bad of summary.invalid) console.log(`  skipped ${bad.file}:${bad.line}: ${bad.reason}`);
  return 0;
}
