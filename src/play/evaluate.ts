/**
 * evaluate(): how good a network is on known games. Policy top-1/top-5 and
 * cross-entropy (over the empty cells), value MSE and accuracy, overall and by ply
 * bucket, and a 10-bin calibration table of the predicted P(Red wins). The counting is
 * native (native/core/play/evaluate.cpp); rates are taken here.
 */
import { callNative, HextorchError } from '../errors';
import { native } from '../native';
import type { NativeEvalSums } from '../native-types';
import { availableCores, checkInteger, checkOneOf } from '../options';
import { resolveWeightsFile as resolveCheckpoint } from '../interop/checkpoint-files';

export interface EvaluateOptions {
  /** Model file, checkpoint directory, checkpoints directory or run directory. */
  checkpoint: string;
  /** A dataset directory (import/generate output), or ... */
  data?: string;
  split?: 'train' | 'validation';
  /** ... a record file, read directly (no dataset is built). */
  records?: string;
  format?: 'trmph' | 'moves';
  /** Stop after this many positions (default: all). */
  maxPositions?: number;
  batchSize?: number;
  /** Lower edges of the ply buckets, starting at 0 (default 0,10,20,30,40,60,80). */
  plyBuckets?: number[];
  device?: string;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvaluationMetrics {
  positions: number;
  /** Positions with a next move (all but final positions). */
  policyPositions: number;
  policyTop1: number;
  policyTop5: number;
  /** Mean -ln p(next move), p normalised over the empty cells. */
  policyCrossEntropy: number;
  /** Mean (P(Red wins) - outcome)^2, outcome 1 when Red won (the training loss's value term). */
  valueMse: number;
  /** Share of positions whose value sign names the winner. */
  valueAccuracy: number;
}

export interface CalibrationBin {
  /** Predicted P(Red wins) range [from, to). */
  from: number;
  to: number;
  count: number;
  /** Mean predicted P(Red wins) in the bin, and the observed Red win rate. */
  predicted: number | null;
  observed: number | null;
}

export interface Evaluation {
  checkpoint: string;
  network: string;
  source: string;
  boardSize: number;
  games: number;
  seconds: number;
  positionsPerSecond: number;
  overall: EvaluationMetrics;
  byPly: Array<EvaluationMetrics & { fromPly: number; toPly: number | null }>;
  calibration: CalibrationBin[];
}

function rates(s: NativeEvalSums): EvaluationMetrics {
  const per = (x: number, n: number) => (n > 0 ? x / n : 0);
  return {
    positions: s.positions,
    policyPositions: s.policyPositions,
    policyTop1: per(s.top1, s.policyPositions),
    policyTop5: per(s.top5, s.policyPositions),
    policyCrossEntropy: per(s.crossEntropySum, s.policyPositions),
    valueMse: per(s.valueSquaredErrorSum, s.positions),
    valueAccuracy: per(s.valueCorrect, s.positions),
  };
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  if (!options.data === !options.records) {
    throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'evaluate needs one source: data (a dataset directory) or records (a record file)');
  }
  const checkpoint = resolveCheckpoint(options.checkpoint);
  const plyEdges = options.plyBuckets ?? [0, 10, 20, 30, 40, 60, 80];
  plyEdges.forEach((e, k) => checkInteger(`plyBuckets[${k}]`, e, k === 0 ? 0 : plyEdges[k - 1]! + 1, k === 0 ? 0 : 10_000));
  const raw = await callNative(() =>
    native().evaluateNetwork(
      {
        checkpoint,
        data: options.data,
        split: checkOneOf('split', options.split ?? 'validation', ['train', 'validation'] as const),
        records: options.records,
        format: checkOneOf('format', options.format ?? 'trmph', ['trmph', 'moves'] as const),
        maxPositions: checkInteger('maxPositions', options.maxPositions ?? 0, 0),
        batchSize: checkInteger('batchSize', options.batchSize ?? 256, 1, 65536),
        plyEdges,
        device: options.device ?? 'cpu',
        threads: checkInteger('threads', options.threads ?? availableCores(), 1, 1024),
      },
      options.onProgress,
    ),
  );
  return {
    checkpoint,
    network: raw.network,
    source: raw.source,
    boardSize: raw.boardSize,
    games: raw.games,
    seconds: raw.seconds,
    positionsPerSecond: raw.seconds > 0 ? raw.overall.positions / raw.seconds : 0,
    overall: rates(raw.overall),
    byPly: raw.byPly.map((b) => ({ ...rates(b), fromPly: b.fromPly, toPly: b.toPly })),
    calibration: raw.calibration.map((c, k) => ({
      from: k / 10,
      to: (k + 1) / 10,
      count: c.count,
      predicted: c.count > 0 ? c.predictedSum / c.count : null,
      observed: c.count > 0 ? c.redWins / c.count : null,
    })),
  };
}

/** The human table `hextorch evaluate` prints. */
export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const num = (x: number, d = 4) => x.toFixed(d).padStart(7);
  const row = (label: string, m: EvaluationMetrics) =>
    `${label.padEnd(10)} ${String(m.positions).padStart(9)} ${pct(m.policyTop1)} ${pct(m.policyTop5)} ${num(m.policyCrossEntropy)} ${num(m.valueMse)} ${pct(m.valueAccuracy)}`;
  const lines = [
    `network    ${e.network}`,
    `checkpoint ${e.checkpoint}`,
    `source     ${e.source}${e.games ? ` (${e.games} games)` : ''}`,
    `speed      ${e.overall.positions} positions in ${e.seconds.toFixed(2)} s (${e.positionsPerSecond.toFixed(0)} positions/s)`,
    '',
    `${'plies'.padEnd(10)} ${'positions'.padStart(9)} ${'top-1'.padStart(7)} ${'top-5'.padStart(7)} ${'CE'.padStart(7)} ${'v MSE'.padStart(7)} ${'v acc'.padStart(7)}`,
    ...e.byPly.filter((b) => b.positions > 0).map((b) => row(b.toPly === null ? `${b.fromPly}+` : `${b.fromPly}-${b.toPly - 1}`, b)),
    row('all', e.overall),
    '',
    'calibration: predicted P(Red wins) against the observed Red win rate',
    `${'bin'.padEnd(10)} ${'positions'.padStart(9)} ${'pred'.padStart(7)} ${'obs'.padStart(7)}`,
    ...e.calibration.map((c) => `${`${c.from.toFixed(1)}-${c.to.toFixed(1)}`.padEnd(10)} ${String(c.count).padStart(9)} ${c.predicted === null ? '      -' : pct(c.predicted)} ${c.observed === null ? '      -' : pct(c.observed)}`),
  ];
  return lines.join('\n');
}

/** An HTML section for the report page: the tables of formatEvaluation. */
export function evaluationHtml(e: Evaluation): string {
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const row = (label: string, m: EvaluationMetrics) =>
    `<tr><td>${label}</td><td>${m.positions}</td><td>${pct(m.policyTop1)}</td><td>${pct(m.policyTop5)}</td><td>${m.policyCrossEntropy.toFixed(4)}</td><td>${m.valueMse.toFixed(4)}</td><td>${pct(m.valueAccuracy)}</td></tr>`;
  return `<h2>Evaluation</h2>
<p>${esc(e.network)}; ${esc(e.checkpoint)}; ${esc(e.source)}${e.games ? ` (${e.games} games)` : ''}; ${e.overall.positions} positions</p>
<table><tr><th>plies</th><th>positions</th><th>top-1</th><th>top-5</th><th>policy CE</th><th>value MSE</th><th>value acc</th></tr>
${e.byPly.filter((b) => b.positions > 0).map((b) => row(b.toPly === null ? `${b.fromPly}+` : `${b.fromPly}-${b.toPly - 1}`, b)).join('\n')}
${row('all', e.overall)}
</table>
<h3>Calibration of P(Red wins)</h3>
<table><tr><th>predicted</th><th>positions</th><th>mean predicted</th><th>observed</th></tr>
${e.calibration.map((c) => `<tr><td>${c.from.toFixed(1)}-${c.to.toFixed(1)}</td><td>${c.count}</td><td>${pct(c.predicted)}</td><td>${pct(c.observed)}</td></tr>`).join('\n')}
</table>`;
}
