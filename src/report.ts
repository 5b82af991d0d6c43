/** Plots of loss and accuracy per mini-epoch, from a run's metrics.jsonl, as SVG or HTML. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HextorchError } from './errors';
import type { MiniEpochRecord } from './orchestrator';

export function readMetrics(runDir: string): MiniEpochRecord[] {
  const path = join(runDir, 'metrics.jsonl');
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

interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

function chart(title: string, yLabel: string, series: Series[]): string {
  const width = 640, height = 320, left = 60, right = 150, top = 30, bottom = 40;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMin = Math.min(...xs, 0), xMax = Math.max(...xs, 1);
  let yMin = Math.min(...ys, Infinity), yMax = Math.max(...ys, -Infinity);
  if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * (width - left - right);
  const py = (y: number) => top + (1 - (y - yMin) / (yMax - yMin)) * (height - top - bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => yMin + t * (yMax - yMin));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${title}</text>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#333"/>`,
    ...ticks.map((t) => `<line x1="${left}" y1="${py(t)}" x2="${width - right}" y2="${py(t)}" stroke="#eee"/><text x="${left - 6}" y="${py(t) + 4}" text-anchor="end">${t.toFixed(3)}</text>`),
    `<text x="${(left + width - right) / 2}" y="${height - 8}" text-anchor="middle">global batch</text>`,
    `<text x="${left - 6}" y="${top - 8}" text-anchor="end">${yLabel}</text>`,
    `<text x="${left}" y="${height - bottom + 14}" text-anchor="middle">${xMin}</text><text x="${width - right}" y="${height - bottom + 14}" text-anchor="middle">${xMax}</text>`,
  ];
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.points) parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<rect x="${width - right + 12}" y="${top + i * 18}" width="10" height="10" fill="${s.color}"/><text x="${width - right + 28}" y="${top + i * 18 + 9}">${s.label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** (global batch, value) points of the records that have the value. */
function points(records: MiniEpochRecord[], f: (r: MiniEpochRecord) => number | undefined): Array<[number, number]> {
  return records.flatMap((r) => {
    const y = f(r);
    return y === undefined ? [] : [[r.globalBatch, y] as [number, number]];
  });
}

export function lossChart(records: MiniEpochRecord[]): string {
  const at = (f: (r: MiniEpochRecord) => number | undefined) => points(records, f);
  return chart('Loss per mini-epoch', 'loss', [
    { label: 'train loss', color: '#1f77b4', points: at((r) => r.train.loss) },
    { label: 'validation loss', color: '#d62728', points: at((r) => r.validation?.loss) },
  ]);
}

export function accuracyChart(records: MiniEpochRecord[]): string {
  const at = (f: (r: MiniEpochRecord) => number | undefined) => points(records, f);
  return chart('Accuracy per mini-epoch', 'accuracy', [
    { label: 'train policy top-1', color: '#1f77b4', points: at((r) => r.train.policyAccuracy) },
    { label: 'val policy top-1', color: '#d62728', points: at((r) => r.validation?.policyAccuracy) },
    { label: 'train value', color: '#2ca02c', points: at((r) => r.train.valueAccuracy) },
    { label: 'val value', color: '#ff7f0e', points: at((r) => r.validation?.valueAccuracy) },
  ]);
}

/** `sections`: extra HTML sections appended to the page (e.g. an evaluation, src/play/evaluate.ts). */
export function htmlReport(runDir: string, records: MiniEpochRecord[], sections: string[] = []): string {
  const rows = records
    .map((r) => `<tr><td>${r.epoch}</td><td>${r.miniEpoch}</td><td>${r.globalBatch}</td><td>${r.samplesSeen}</td><td>${r.train.loss.toFixed(4)}</td><td>${r.validation ? r.validation.loss.toFixed(4) : '-'}</td><td>${(100 * (r.validation ?? r.train).policyAccuracy).toFixed(1)}%</td><td>${(100 * (r.validation ?? r.train).valueAccuracy).toFixed(1)}%</td><td>${Math.round(r.samplesPerSecond)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>hextorch run ${runDir}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style></head>
<body><h1>hextorch run: ${runDir}</h1>
${lossChart(records)}
${accuracyChart(records)}
<h2>Mini-epochs</h2>
<table><tr><th>epoch</th><th>mini-epoch</th><th>global batch</th><th>samples</th><th>train loss</th><th>val loss</th><th>policy acc</th><th>value acc</th><th>samples/s</th></tr>
${rows}
</table>
${sections.join('\n')}
</body></html>
`;
}
