import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestRecord, htmlReport, keptCheckpoints, lossChart, readMetrics } from '../../report';
import { evaluate, evaluationHtml } from '../../play/evaluate';
import { numberFlag, parse, stringFlag, UsageError } from '../args';

const USAGE = `Usage: hextorch report RUN [--format html|svg] [--out FILE] [--evaluate DATA]

Plots loss, accuracy, learning rate and samples/s per mini-epoch from RUN/metrics.jsonl,
with the kept checkpoints and the best mini-epoch marked, and tabulates the best mini-epoch,
the end of each epoch and the last ones (default RUN/report.html). Any run length: curves
are reduced to the min and max per pixel column.
--evaluate DATA adds an evaluation of the run's latest checkpoint on the validation
split of the dataset DATA (at most --max-positions, default 10000).`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, out: { type: 'string' }, evaluate: { type: 'string' }, 'max-positions': { type: 'string' } }, USAGE);
  const runDir = positionals[0];
  if (!runDir || positionals.length > 1) throw new UsageError(`give exactly one RUN directory\n\n${USAGE}`);
  const format = stringFlag(values, 'format') ?? 'html';
  if (format !== 'html' && format !== 'svg') throw new UsageError(`--format must be html or svg, not '${format}'`);
  const data = stringFlag(values, 'evaluate');
  if (data && format !== 'html') throw new UsageError('--evaluate needs the html format');
  const sections = data ? [evaluationHtml(await evaluate({ checkpoint: runDir, data, maxPositions: numberFlag(values, 'max-positions') ?? 10_000 }))] : [];
  const out = writeReport(runDir, format, stringFlag(values, 'out'), sections);
  console.log(`report written to ${out}`);
  return 0;
}

export function writeReport(runDir: string, format: 'html' | 'svg', out?: string, sections: string[] = []): string {
  const records = readMetrics(runDir);
  const path = out ?? join(runDir, format === 'html' ? 'report.html' : 'report.svg');
  const best = bestRecord(records);
  writeFileSync(path, format === 'html' ? htmlReport(runDir, records, sections) : lossChart(records, { checkpoints: keptCheckpoints(runDir), ...(best ? { best: best.globalBatch } : {}) }));
  return path;
}
