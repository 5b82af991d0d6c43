import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MiniEpochOrchestrator, type OrchestratorOptions } from '../../src/orchestrator';
import { readMetrics } from '../../src/report';
import { tempDir } from '../helpers';
import { FakeLoader, FakeTrainer } from './fakes';

function setup(length: number, options: Partial<OrchestratorOptions> & { withValidation?: boolean } = {}) {
  const trainer = new FakeTrainer();
  const trainLoader = new FakeLoader(length);
  const valLoader = new FakeLoader(2);
  const { withValidation = true, ...rest } = options;
  const orchestrator = new MiniEpochOrchestrator({
    trainer,
    trainLoader,
    ...(withValidation ? { valLoader } : {}),
    epochs: 1,
    checkpointDir: join(tempDir(), 'checkpoints'),
    ...rest,
  });
  return { trainer, trainLoader, valLoader, orchestrator };
}

/** The run's history as written to its metrics file. */
function history(summary: { metricsPath: string }) {
  return readMetrics(summary.metricsPath);
}

describe('mini-epoch schedule', () => {
  test('13 batches per epoch, N = 5, 2 epochs: chunks [5,5,3,5,5,3] and 6 validations', async () => {
    const { trainer, orchestrator } = setup(13, { miniEpochBatches: 5, epochs: 2 });
    const ends: number[] = [];
    const epochEnds: number[] = [];
    orchestrator.on('miniEpochEnd', (r) => ends.push(r.batchInEpoch));
    orchestrator.on('epochEnd', (e) => epochEnds.push(e.epoch));
    const summary = await orchestrator.run();
    assert.deepEqual(trainer.chunks, [5, 5, 3, 5, 5, 3]);
    assert.equal(trainer.validations, 6);
    assert.deepEqual(ends, [5, 10, 13, 5, 10, 13]);
    assert.deepEqual(epochEnds, [0, 1]);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.globalBatch, 26);
    assert.equal(summary.miniEpochs, 6);
    assert.equal(history(summary).length, 6);
  });

  test('7 batches, N = 3: chunks [3,3,1]; every event carries batch and sample counts', async () => {
    const { trainer, orchestrator } = setup(7, { miniEpochBatches: 3 });
    const records: Array<{ globalBatch: number; samplesSeen: number; checkpoint: string | null }> = [];
    orchestrator.on('miniEpochEnd', (r) => records.push(r));
    await orchestrator.run();
    assert.deepEqual(trainer.chunks, [3, 3, 1]);
    assert.deepEqual(records.map((r) => r.globalBatch), [3, 6, 7]);
    assert.deepEqual(records.map((r) => r.samplesSeen), [12, 24, 28]);
    assert.ok(records.every((r) => r.checkpoint !== null));
  });

  test('0 batches: nothing trained and a clear warning', async () => {
    const { trainer, orchestrator } = setup(0, { miniEpochBatches: 3 });
    const warnings: string[] = [];
    orchestrator.on('warning', (w) => warnings.push(w));
    const summary = await orchestrator.run();
    assert.equal(summary.status, 'nothing-to-train');
    assert.deepEqual(trainer.chunks, []);
    assert.match(warnings.join('\n'), /no batches/);
  });

  test('mini-epoch size in samples is rounded to whole batches; less than a batch is an error', async () => {
    const { trainer, orchestrator } = setup(10, { miniEpochSamples: 17 });  // batch 4 → 17/4 = 4.25 → 4 batches
    assert.equal(orchestrator.miniEpochBatches, 4);
    await orchestrator.run();
    assert.deepEqual(trainer.chunks, [4, 4, 2]);
    assert.throws(() => setup(10, { miniEpochSamples: 3 }), /less than one batch/);
    assert.throws(() => setup(10, {}), /exactly one of/);
    assert.throws(() => setup(10, { miniEpochBatches: 2, miniEpochSamples: 8 }), /exactly one of/);
    assert.throws(() => setup(10, { miniEpochBatches: 0 }), /miniEpochBatches/);
  });

  test('without a validation loader, checkpoints are still written', async () => {
    const { trainer, orchestrator } = setup(6, { miniEpochBatches: 2, withValidation: false });
    const checkpoints: string[] = [];
    orchestrator.on('checkpoint', (c) => checkpoints.push(c.name));
    const summary = await orchestrator.run();
    assert.equal(trainer.validations, 0);
    assert.equal(checkpoints.length, 3);
    assert.ok(history(summary).every((r) => r.validation === null));
  });

  test('early stopping after `patience` mini-epochs without improvement', async () => {
    const { trainer, orchestrator } = setup(20, { miniEpochBatches: 2, earlyStopping: { patience: 2, minDelta: 0.01 } });
    trainer.validationLosses = [1.0, 0.8, 0.795, 0.9, 0.5];
    const summary = await orchestrator.run();
    assert.equal(summary.status, 'early-stopped');
    assert.equal(trainer.validations, 4);  // 0.795 and 0.9 do not improve 0.8 by 0.01
  });
});

describe('resume', () => {
  test('resumes in the middle of an epoch at exactly the next batch', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const first = setup(13, { miniEpochBatches: 5, epochs: 2, checkpointDir: dir });
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 10) throw new Error('simulated crash');
    });
    await assert.rejects(first.orchestrator.run(), /simulated crash/);

    const second = setup(13, { miniEpochBatches: 5, epochs: 2, checkpointDir: dir });
    const summary = await second.orchestrator.run();
    assert.ok(summary.resumedFrom?.includes('b000000010'));
    assert.equal(second.trainer.step, 26);
    assert.deepEqual(second.trainer.chunks, [3, 5, 5, 3]);
    assert.equal(summary.miniEpochs, 6);
    assert.deepEqual(history(summary).map((r) => r.globalBatch), [5, 10, 13, 18, 23, 26], 'one line per mini-epoch, none twice');
  });

  test('a stop request mid-mini-epoch checkpoints at once; the resumed run closes that mini-epoch', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const controller = new AbortController();
    const first = setup(13, { miniEpochBatches: 5, checkpointDir: dir, signal: controller.signal });
    first.trainer.afterStep = (step) => {
      if (step === 7) controller.abort();
    };
    const stopped = await first.orchestrator.run();
    assert.equal(stopped.status, 'interrupted');
    assert.equal(first.trainer.step, 7);
    assert.match(stopped.lastCheckpoint ?? '', /b000000007-interrupted$/);

    const second = setup(13, { miniEpochBatches: 5, checkpointDir: dir });
    const summary = await second.orchestrator.run();
    assert.deepEqual(second.trainer.chunks, [3, 3]);
    assert.deepEqual(history(summary).map((r) => r.batchInEpoch), [5, 10, 13]);
    assert.equal(history(summary)[1]!.train.batches, 5, 'the interrupted mini-epoch keeps the metrics of its first batches');
  });

  test('a directory with checkpoints is never silently restarted', async () => {
    const dir = join(tempDir(), 'checkpoints');
    await setup(4, { miniEpochBatches: 2, checkpointDir: dir }).orchestrator.run();
    await assert.rejects(setup(4, { miniEpochBatches: 2, checkpointDir: dir, resume: 'never' }).orchestrator.run(), /already holds checkpoints/);
    const fresh = setup(4, { miniEpochBatches: 2, checkpointDir: dir, fresh: true });
    const summary = await fresh.orchestrator.run();
    assert.equal(summary.resumedFrom, null);
    assert.equal(fresh.trainer.step, 4);
    assert.ok(readdirSync(dir).some((e) => e.startsWith('archived-')), 'old checkpoints are moved aside, not deleted');
  });

  test('changing the batch size or dataset is refused unless forced', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const first = setup(10, { miniEpochBatches: 2, checkpointDir: dir, epochs: 1 });
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 4) throw new Error('stop');
    });
    await assert.rejects(first.orchestrator.run());
    const other = new FakeLoader(10, 4, 'another-dataset');
    const refused = new MiniEpochOrchestrator({ trainer: new FakeTrainer(), trainLoader: other, miniEpochBatches: 2, epochs: 1, checkpointDir: dir });
    await assert.rejects(refused.run(), (e: Error & { code?: string }) => e.code === 'HEXTORCH_RESUME_MISMATCH' && /dataset changed/.test(e.message));
    const forced = new MiniEpochOrchestrator({ trainer: new FakeTrainer(), trainLoader: new FakeLoader(10, 4, 'another-dataset'), miniEpochBatches: 2, epochs: 1, checkpointDir: dir, force: true });
    const summary = await forced.run();
    assert.equal(summary.status, 'completed');
  });

  test('a corrupt newest checkpoint falls back to the previous one with a warning', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const first = setup(10, { miniEpochBatches: 2, checkpointDir: dir, keepLast: 5 });
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 6) throw new Error('stop');
    });
    await assert.rejects(first.orchestrator.run());
    const newest = readdirSync(dir).filter((e) => e.startsWith('ckpt-')).sort().pop()!;
    assert.match(newest, /b000000006/);
    appendFileSync(join(dir, newest, 'model.pt'), 'garbage');
    const second = setup(10, { miniEpochBatches: 2, checkpointDir: dir });
    const warnings: string[] = [];
    second.orchestrator.on('warning', (w) => warnings.push(w));
    const summary = await second.orchestrator.run();
    assert.match(summary.resumedFrom ?? '', /b000000004/);
    assert.match(warnings.join('\n'), /newer checkpoints are corrupt/);
    assert.equal(second.trainer.step, 10);
  });

  test('only corrupt checkpoints: refuses to start from scratch', async () => {
    const dir = join(tempDir(), 'checkpoints');
    await setup(2, { miniEpochBatches: 2, checkpointDir: dir, keepLast: 1, keepBest: false }).orchestrator.run();
    const only = readdirSync(dir).find((e) => e.startsWith('ckpt-'))!;
    writeFileSync(join(dir, only, 'state.json'), '{}');
    await assert.rejects(setup(2, { miniEpochBatches: 2, checkpointDir: dir }).orchestrator.run(), /none is valid/);
  });
});

describe('checkpoint retention', () => {
  test('keeps the last K plus the best by validation loss, and rebuilds the list from disk', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const { trainer, orchestrator } = setup(12, { miniEpochBatches: 2, checkpointDir: dir, keepLast: 2 });
    trainer.validationLosses = [0.9, 0.3, 0.8, 0.7, 0.6, 0.5];
    await orchestrator.run();
    const kept = readdirSync(dir).filter((e) => e.startsWith('ckpt-')).sort();
    assert.deepEqual(kept, ['ckpt-e0000-m0001-b000000004', 'ckpt-e0000-m0004-b000000010', 'ckpt-e0000-m0005-b000000012']);
    assert.equal(readFileSync(join(dir, 'latest'), 'utf8').trim(), 'ckpt-e0000-m0005-b000000012');
  });

  test('stale temporaries of a killed write are swept on start', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const { orchestrator } = setup(2, { miniEpochBatches: 2, checkpointDir: dir });
    await orchestrator.run();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '.tmp-ckpt-e0000-m0009-b000000099-123'));
    writeFileSync(join(dir, '.tmp-ckpt-e0000-m0009-b000000099-123', 'model.pt'), 'partial');
    const again = setup(2, { miniEpochBatches: 2, checkpointDir: dir, epochs: 2 });
    await again.orchestrator.run();
    assert.ok(!readdirSync(dir).some((e) => e.startsWith('.tmp-')));
  });
});

describe('constant-size run state, history in metrics.jsonl', () => {
  function newestState(dir: string): { bytes: number; state: Record<string, unknown> } {
    const newest = readdirSync(dir).filter((e) => e.startsWith('ckpt-')).sort().pop()!;
    const text = readFileSync(join(dir, newest, 'state.json'), 'utf8');
    return { bytes: Buffer.byteLength(text), state: JSON.parse(text) as Record<string, unknown> };
  }

  test('after 1,000 mini-epochs the run state is as small as after 10', async () => {
    const sizes: number[] = [];
    for (const miniEpochs of [10, 1000]) {
      const dir = join(tempDir(), 'checkpoints');
      const { orchestrator } = setup(miniEpochs, { miniEpochBatches: 1, checkpointDir: dir, keepLast: 1, keepBest: false, withValidation: false });
      const summary = await orchestrator.run();
      assert.equal(summary.miniEpochs, miniEpochs);
      assert.equal(history(summary).length, miniEpochs, 'the history is complete in metrics.jsonl');
      const { bytes, state } = newestState(dir);
      assert.equal((state.metrics as { records: number }).records, miniEpochs);
      assert.ok(!('history' in state));
      sizes.push(bytes);
    }
    // Only the digits of the counters differ.
    assert.ok(Math.abs(sizes[1]! - sizes[0]!) < 64, `state.json: ${sizes[0]} bytes after 10 mini-epochs, ${sizes[1]} after 1,000`);
  });

  test('resume cuts metrics.jsonl back to the checkpoint: lines written after it never appear twice', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const metricsPath = join(dir, 'metrics.jsonl');
    const first = setup(13, { miniEpochBatches: 5, epochs: 2, checkpointDir: dir });
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 10) throw new Error('simulated crash');
    });
    await assert.rejects(first.orchestrator.run(), /simulated crash/);
    // A line appended before a checkpoint that was never committed (the kill came in between).
    appendFileSync(metricsPath, '{"epoch":0,"miniEpoch":2,"globalBatch":13,"lost":true}\n{"partial');
    const second = setup(13, { miniEpochBatches: 5, epochs: 2, checkpointDir: dir });
    const summary = await second.orchestrator.run();
    const lines = readFileSync(metricsPath, 'utf8').trim().split('\n');
    assert.equal(lines.length, 6);
    assert.ok(!lines.some((l) => l.includes('"lost"') || l.includes('partial')));
    assert.deepEqual(history(summary).map((r) => r.globalBatch), [5, 10, 13, 18, 23, 26]);
  });

  test('an edited history is refused on resume; --force sets it aside and goes on', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const metricsPath = join(dir, 'metrics.jsonl');
    const first = setup(10, { miniEpochBatches: 2, checkpointDir: dir });
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 6) throw new Error('stop');
    });
    await assert.rejects(first.orchestrator.run());
    writeFileSync(metricsPath, readFileSync(metricsPath, 'utf8').replace('"epoch":0', '"epoch":7'));
    await assert.rejects(setup(10, { miniEpochBatches: 2, checkpointDir: dir }).orchestrator.run(), (e: Error & { code?: string }) => e.code === 'HEXTORCH_CORRUPT_DATA' && /metrics\.jsonl does not match the checkpoint's history/.test(e.message));
    const forced = setup(10, { miniEpochBatches: 2, checkpointDir: dir, force: true });
    const warnings: string[] = [];
    forced.orchestrator.on('warning', (w) => warnings.push(w));
    const summary = await forced.orchestrator.run();
    assert.equal(summary.status, 'completed');
    assert.match(warnings.join('\n'), /set aside as .*metrics\.jsonl\.set-aside-/);
    assert.ok(readdirSync(dir).some((e) => e.startsWith('metrics.jsonl.set-aside-')), 'the edited file is kept');
    assert.deepEqual(history(summary).map((r) => r.globalBatch), [8, 10]);
  });

  test('the best mini-epoch and early stopping survive a resume as constant-size summaries', async () => {
    const dir = join(tempDir(), 'checkpoints');
    const first = setup(20, { miniEpochBatches: 2, checkpointDir: dir, earlyStopping: { patience: 3 } });
    first.trainer.validationLosses = [1.0, 0.5, 0.9, 0.8];
    first.orchestrator.on('miniEpochEnd', (r) => {
      if (r.globalBatch === 8) throw new Error('stop');
    });
    await assert.rejects(first.orchestrator.run());
    const second = setup(20, { miniEpochBatches: 2, checkpointDir: dir, earlyStopping: { patience: 3 } });
    second.trainer.validationLosses = [0.7];
    const summary = await second.orchestrator.run();
    assert.equal(summary.status, 'early-stopped', 'two bad mini-epochs before the kill count toward the patience');
    assert.equal(second.trainer.validations, 1);
    assert.equal(summary.best?.globalBatch, 4);
    assert.equal(summary.best?.loss, 0.5);
    assert.equal(summary.last?.globalBatch, 10);
  });
});
