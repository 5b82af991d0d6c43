/**
 * A run's report from its metrics.jsonl, as SVG or HTML. It stays small and readable for
 * runs of any length: each curve is reduced to the minimum and maximum of every pixel
 * column (so spikes stay visible), and the table lists the best mini-epoch, the last
 * ones and one row per epoch instead of every mini-epoch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HextorchError } from './errors';
import type { MiniEpochRecord } from './orchestrator';

/** The records of a run directory's metrics.jsonl (or of a .jsonl file given directly). */
export function readMetrics(runDir: string): MiniEpochRecord[] {
  const path = runDir.endsWith('.jsonl') ? runDir : join(runDir, 'metrics.jsonl');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new HextorchError('HEXTORCH_IO', `${path} does not exist: is ${runDir} a training run directory?`);
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as MiniEpochRecord;
      } catch {
        throw new HextorchError('HEXTORCH_CORRUPT_DATA', `${path}:${i + 1} is not a JSON line`);
      }
    });
}

/** Global batches of the checkpoints kept in RUN/checkpoints (none when there is no such directory). */
export function keptCheckpoints(runDir: string): number[] {
  try {
    return readdirSync(join(runDir, 'checkpoints'))
      .map((e) => /^ckpt-e\d+-m\d+-b(\d+)(-interrupted)?$/.exec(e))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

interface Markers {
  /** Global batches of the kept checkpoints (dashed lines). */
  checkpoints?: number[];
  /** Global batch of the best mini-epoch (a red line). */
  best?: number;
}

const WIDTH = 640, HEIGHT = 300, LEFT = 60, RIGHT = 150, TOP = 30, BOTTOM = 40;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

/**
 * At most two points per pixel column: the minimum and the maximum of the points that
 * fall in it, in the order they occur. Short series are returned as they are.
 */
export function downsample(points: Array<[number, number]>, xMin: number, xMax: number, columns = PLOT_WIDTH): Array<[number, number]> {
  if (points.length <= 2 * columns) return points;
  const out: Array<[number, number]> = [];
  const span = xMax - xMin || 1;
  let column = -1;
  let lo: [number, number] | null = null;
  let hi: [number, number] | null = null;
  const flush = () => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else if (lo[0] <= hi[0]) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const c = Math.min(columns - 1, Math.floor(((p[0] - xMin) / span) * columns));
    if (c !== column) {
      flush();
      column = c;
      lo = hi = p;
    } else {
      if (p[1] < lo![1]) lo = p;
      if (p[1] > hi![1]) hi = p;
    }
  }
  flush();
  return out;
}

function fmtTick(x: number): string {
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e5)) return x.toExponential(1);
  return x.toFixed(abs >= 100 ? 0 : 3);
}

function chart(title: string, yLabel: string, series: Series[], markers: Markers = {}): string {
  const all = series.flatMap((s) => s.points);
  const xMin = 0;
  let xMax = 1, yMin = Infinity, yMax = -Infinity;
  for (const [x] of all) xMax = Math.max(xMax, x);
  for (const [, y] of all) {
    if (!Number.isFinite(y)) continue;
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-12) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x: number) => LEFT + ((x - xMin) / (xMax - xMin || 1)) * PLOT_WIDTH;
  const py = (y: number) => TOP + (1 - (y - yMin) / (yMax - yMin)) * (HEIGHT - TOP - BOTTOM);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => yMin + t * (yMax - yMin));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="14" font-weight="bold">${title}</text>`,
    ...ticks.map((t) => `<line x1="${LEFT}" y1="${py(t).toFixed(1)}" x2="${WIDTH - RIGHT}" y2="${py(t).toFixed(1)}" stroke="#eee"/><text x="${LEFT - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmtTick(t)}</text>`),
    `<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH - RIGHT}" y2="${HEIGHT - BOTTOM}" stroke="#333"/>`,
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${HEIGHT - BOTTOM}" stroke="#333"/>`,
    `<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${HEIGHT - 8}" text-anchor="middle">global batch</text>`,
    `<text x="${LEFT - 6}" y="${TOP - 8}" text-anchor="end">${yLabel}</text>`,
    `<text x="${LEFT}" y="${HEIGHT - BOTTOM + 14}" text-anchor="middle">${xMin}</text><text x="${WIDTH - RIGHT}" y="${HEIGHT - BOTTOM + 14}" text-anchor="middle">${xMax}</text>`,
  ];
  // Kept checkpoints as dashed lines (at most one per pixel column), the best in red.
  const columns = new Set<number>();
  for (const x of markers.checkpoints ?? []) {
    const c = Math.round(px(x));
    if (columns.has(c)) continue;
    columns.add(c);
    parts.push(`<line class="checkpoint" x1="${c}" y1="${TOP}" x2="${c}" y2="${HEIGHT - BOTTOM}" stroke="#999" stroke-dasharray="3,3"><title>checkpoint at batch ${x}</title></line>`);
  }
  if (markers.best !== undefined) {
    const c = px(markers.best).toFixed(1);
    parts.push(`<line class="best" x1="${c}" y1="${TOP}" x2="${c}" y2="${HEIGHT - BOTTOM}" stroke="#d62728" stroke-width="1.5"><title>best at batch ${markers.best}</title></line>`);
  }
  let legend = 0;
  series.forEach((s) => {
    if (s.points.length === 0) return;
    const shown = downsample(s.points, xMin, xMax);
    const d = shown.map((p, k) => `${k === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`);
    if (s.points.length <= 100) for (const p of s.points) parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<rect x="${WIDTH - RIGHT + 12}" y="${TOP + legend * 18}" width="10" height="10" fill="${s.color}"/><text x="${WIDTH - RIGHT + 28}" y="${TOP + legend * 18 + 9}">${s.label}</text>`);
    legend++;
  });
  if (markers.checkpoints?.length) {
    parts.push(`<line x1="${WIDTH - RIGHT + 12}" y1="${TOP + legend * 18 + 5}" x2="${WIDTH - RIGHT + 22}" y2="${TOP + legend * 18 + 5}" stroke="#999" stroke-dasharray="3,3"/><text x="${WIDTH - RIGHT + 28}" y="${TOP + legend * 18 + 9}">kept checkpoint</text>`);
    legend++;
  }
  if (markers.best !== undefined) {
    parts.push(`<line x1="${WIDTH - RIGHT + 12}" y1="${TOP + legend * 18 + 5}" x2="${WIDTH - RIGHT + 22}" y2="${TOP + legend * 18 + 5}" stroke="#d62728"/><text x="${WIDTH - RIGHT + 28}" y="${TOP + legend * 18 + 9}">best</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** (global batch, value) points of the records that have the value. */
function points(records: MiniEpochRecord[], f: (r: MiniEpochRecord) => number | undefined): Array<[number, number]> {
  return records.flatMap((r) => {
    const y = f(r);
    return y === undefined || y === null ? [] : [[r.globalBatch, y] as [number, number]];
  });
}

/** The best mini-epoch: lowest validation loss, or lowest training loss when nothing was validated. */
export function bestRecord(records: MiniEpochRecord[]): MiniEpochRecord | undefined {
  const validated = records.some((r) => r.validation);
  let best: MiniEpochRecord | undefined;
  for (const r of records) {
    const loss = validated ? r.validation?.loss : r.train.loss;
    if (loss === undefined || !Number.isFinite(loss)) continue;
    const bestLoss = best ? (validated ? best.validation!.loss : best.train.loss) : Infinity;
    if (loss < bestLoss) best = r;
  }
  return best;
}

export function lossChart(records: MiniEpochRecord[], markers: Markers = {}): string {
  const at = (f: (r: MiniEpochRecord) => number | undefined) => points(records, f);
  return chart('Loss per mini-epoch', 'loss', [
    { label: 'train loss', color: '#1f77b4', points: at((r) => r.train.loss) },
    { label: 'validation loss', color: '#d62728', points: at((r) => r.validation?.loss) },
  ], markers);
}

export function accuracyChart(records: MiniEpochRecord[], markers: Markers = {}): string {
  const at = (f: (r: MiniEpochRecord) => number | undefined) => points(records, f);
  return chart('Accuracy per mini-epoch', 'accuracy', [
    { label: 'train policy top-1', color: '#1f77b4', points: at((r) => r.train.policyAccuracy) },
    { label: 'val policy top-1', color: '#d62728', points: at((r) => r.validation?.policyAccuracy) },
    { label: 'train value', color: '#2ca02c', points: at((r) => r.train.valueAccuracy) },
    { label: 'val value', color: '#ff7f0e', points: at((r) => r.validation?.valueAccuracy) },
  ], markers);
}

export function learningRateChart(records: MiniEpochRecord[], markers: Markers = {}): string {
  return chart('Learning rate', 'LR', [{ label: 'learning rate', color: '#9467bd', points: points(records, (r) => r.learningRate) }], markers);
}

export function throughputChart(records: MiniEpochRecord[], markers: Markers = {}): string {
  return chart('Training speed', 'samples/s', [{ label: 'samples/s', color: '#8c564b', points: points(records, (r) => r.samplesPerSecond) }], markers);
}

/** How many of the last mini-epochs the table lists. */
export const LAST_ROWS = 10;

function row(r: MiniEpochRecord, label: string): string {
  const m = r.validation ?? r.train;
  return `<tr><td>${label}</td><td>${r.epoch}</td><td>${r.miniEpoch}</td><td>${r.globalBatch}</td><td>${r.samplesSeen}</td><td>${r.train.loss.toFixed(4)}</td><td>${r.validation ? r.validation.loss.toFixed(4) : '-'}</td><td>${(100 * m.policyAccuracy).toFixed(1)}%</td><td>${(100 * m.valueAccuracy).toFixed(1)}%</td><td>${r.learningRate.toPrecision(3)}</td><td>${Math.round(r.samplesPerSecond)}</td></tr>`;
}

/** `sections`: extra HTML sections appended to the page (e.g. an evaluation, src/play/evaluate.ts). */
export function htmlReport(runDir: string, records: MiniEpochRecord[], sections: string[] = [], kept: number[] = keptCheckpoints(runDir)): string {
  const best = bestRecord(records);
  const markers: Markers = { checkpoints: kept, ...(best ? { best: best.globalBatch } : {}) };
  const rows: string[] = [];
  if (best) rows.push(row(best, 'best'));
  // One row per epoch: its last mini-epoch.
  const epochEnds = new Map<number, MiniEpochRecord>();
  for (const r of records) epochEnds.set(r.epoch, r);
  const perEpoch = [...epochEnds.values()];
  if (perEpoch.length > 1) for (const r of perEpoch) rows.push(row(r, `end of epoch ${r.epoch}`));
  for (const r of records.slice(-LAST_ROWS)) rows.push(row(r, 'last'));
  const last = records[records.length - 1];
  const summary = last
    ? `${records.length} mini-epochs, ${perEpoch.length} epoch(s), ${last.globalBatch} batches, ${last.samplesSeen} samples; ${kept.length} checkpoint(s) kept` +
      (best ? `; best: epoch ${best.epoch} mini-epoch ${best.miniEpoch} (batch ${best.globalBatch}), ${best.validation ? 'validation' : 'training'} loss ${(best.validation ?? best.train).loss.toFixed(4)}` : '')
    : 'no mini-epoch finished yet';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hextorch run ${runDir}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head>
<body><h1>hextorch run: ${runDir}</h1>
<p>${summary}. Curves show the minimum and maximum of each pixel column; dashed lines mark the checkpoints kept on disk, the red line the best mini-epoch.</p>
${lossChart(records, markers)}
${accuracyChart(records, markers)}
${learningRateChart(records, markers)}
${throughputChart(records, markers)}
<h2>Mini-epochs (best, end of each epoch, last ${LAST_ROWS}; all of them are in metrics.jsonl)</h2>
<table><tr><th></th><th>epoch</th><th>mini-epoch</th><th>global batch</th><th>samples</th><th>train loss</th><th>val loss</th><th>policy acc</th><th>value acc</th><th>LR</th><th>samples/s</th></tr>
${rows.join('\n')}
</table>
${sections.join('\n')}
</body></html>
`;
}
