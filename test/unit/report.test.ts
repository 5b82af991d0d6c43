import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MiniEpochRecord } from '../../src/orchestrator';
import { downsample, htmlReport, readMetrics } from '../../src/report';
import { tempDir } from '../helpers';

function record(i: number, loss: number): MiniEpochRecord {
  const m = { loss, policyLoss: loss, valueLoss: loss / 2, policyAccuracy: 0.3, valueAccuracy: 0.6, samples: 256, batches: 1 };
  return {
    epoch: Math.floor(i / 1000), miniEpoch: i % 1000, batchInEpoch: (i % 1000) + 1, globalBatch: i + 1, samplesSeen: 256 * (i + 1),
    train: m, validation: { ...m, loss: loss + 0.01 }, learningRate: 1e-3 * (1 - i / 6000), samplesPerSecond: 2000 + (i % 7),
    trainSeconds: 0.1, validationSeconds: 0.01, checkpoint: `ckpt-b${i + 1}`, time: new Date(0).toISOString(),
  };
}

test('a 5,000-mini-epoch run gives a small report that still shows the best mini-epoch, LR, speed and checkpoints', () => {
  const run = tempDir();
  const records = Array.from({ length: 5000 }, (_, i) => record(i, 2 - i / 5000 + 0.05 * Math.sin(i)));
  records[3217] = record(3217, 0.123456);  // a sharp dip: the best, and it must survive downsampling
  writeFileSync(join(run, 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  mkdirSync(join(run, 'checkpoints'));
  for (const b of [3218, 4998, 4999, 5000]) mkdirSync(join(run, 'checkpoints', `ckpt-e0004-m0000-b${String(b).padStart(9, '0')}`));
  const html = htmlReport(run, readMetrics(run));
  const kb = Buffer.byteLength(html) / 1024;
  assert.ok(kb < 300, `report is ${kb.toFixed(0)} KB`);
  assert.match(html, /<tr><td>best<\/td><td>3<\/td><td>217<\/td><td>3218<\/td>/, 'the best row');
  assert.match(html, /0\.1335/, 'its validation loss');
  assert.equal((html.match(/<tr><td>last<\/td>/g) ?? []).length, 10);
  assert.equal((html.match(/<tr><td>end of epoch/g) ?? []).length, 5);
  assert.match(html, /Learning rate/);
  assert.match(html, /samples\/s/);
  assert.equal((html.match(/class="checkpoint"/g) ?? []).length / 4, 2, 'kept checkpoints marked once per pixel column on each of the 4 charts (4998-5000 share one)');
  assert.match(html, /class="best"[^>]*><title>best at batch 3218/);
  // The dip is drawn: some point of the loss curve sits at the chart's minimum.
  assert.match(html, /0\.12\d/);
});

test('downsampling keeps the minimum and maximum of every column, in order', () => {
  const pts: Array<[number, number]> = Array.from({ length: 1000 }, (_, i) => [i, i === 500 ? -5 : i === 501 ? 9 : 0]);
  const out = downsample(pts, 0, 999, 10);
  assert.ok(out.length <= 20);
  assert.ok(out.some((p) => p[1] === -5) && out.some((p) => p[1] === 9));
  for (let k = 1; k < out.length; k++) assert.ok(out[k]![0] >= out[k - 1]![0]);
  assert.deepEqual(downsample(pts.slice(0, 15), 0, 14, 10), pts.slice(0, 15));
});
