/**
 * End to end with real processes: a training run killed with SIGKILL at each kind of
 * point, then resumed, ends with weights bit-identical to an uninterrupted run and
 * loses at most the work since the last checkpoint. SIGINT leaves a resumable
 * checkpoint; a corrupted newest checkpoint falls back to the previous one.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli, startCli, tempDir } from '../helpers';

const root = tempDir();
const data = join(root, 'data');
// 7x7, no augmentation, batch 64: about 78 batches an epoch → mini-epochs [20, 20, 20, 18].
const trainArgs = (run: string) => [
  'train', '--data', data, '--run', run, '--epochs', '2', '--batch-size', '64', '--mini-epoch-batches', '20',
  '--augment', 'none', '--val-max-batches', '2', '--threads', '2', '--seed', '5', '--keep-last', '10', '--json',
];

function summaryOf(stdout: string): { weightsDigest: string; globalBatch: number; resumedFrom: string | null; status: string } {
  const start = stdout.indexOf('{');
  assert.ok(start >= 0, `no JSON summary in:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

let reference: ReturnType<typeof summaryOf>;
let batchesPerEpoch = 0;

before(() => {
  const g = runCli(['generate', '--games', '160', '--size', '7', '--seed', '3', '--out', data]);
  assert.equal(g.status, 0, g.stderr);
  const r = runCli(trainArgs(join(root, 'reference')));
  assert.equal(r.status, 0, r.stderr);
  reference = summaryOf(r.stdout);
  batchesPerEpoch = reference.globalBatch / 2;
  assert.ok(batchesPerEpoch > 60 && batchesPerEpoch % 20 !== 0, `want a partial final mini-epoch, got ${batchesPerEpoch} batches`);
});

function checkpointBatches(run: string): number[] {
  return readdirSync(join(run, 'checkpoints'))
    .filter((e) => e.startsWith('ckpt-'))
    .map((e) => Number(/-b(\d+)/.exec(e)![1]));
}

describe('SIGKILL at any point, then resume: bit-identical weights', () => {
  const cases: Array<{ name: string; fault: () => string; lastCheckpointBefore: () => number }> = [
    { name: 'inside a mini-epoch', fault: () => 'train-step:30', lastCheckpointBefore: () => 20 },
    { name: 'at a mini-epoch boundary', fault: () => 'mini-epoch-end:2', lastCheckpointBefore: () => 40 },
    { name: 'inside the final partial mini-epoch of an epoch', fault: () => 'train-step:65', lastCheckpointBefore: () => 60 },
    { name: 'during validation', fault: () => 'validation:3', lastCheckpointBefore: () => 40 },
    { name: 'during a checkpoint write', fault: () => 'checkpoint-write:4', lastCheckpointBefore: () => 60 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = join(root, c.name.replace(/\W+/g, '-'));
      const killed = runCli(trainArgs(run), { env: { HEXTORCH_FAULT: c.fault() } });
      assert.equal(killed.signal, 'SIGKILL', `the run was not killed: ${killed.stdout}${killed.stderr}`);
      const kept = checkpointBatches(run);
      assert.equal(Math.max(0, ...kept), c.lastCheckpointBefore(), `checkpoints after the kill: ${kept.join(', ')}`);
      const resumed = runCli(trainArgs(run));
      assert.equal(resumed.status, 0, resumed.stderr);
      const summary = summaryOf(resumed.stdout);
      assert.match(summary.resumedFrom ?? '', new RegExp(`-b0*${c.lastCheckpointBefore()}$`), 'resumes from the last checkpoint before the kill');
      assert.equal(summary.globalBatch, reference.globalBatch);
      assert.equal(summary.weightsDigest, reference.weightsDigest);
      assert.ok(!readdirSync(join(run, 'checkpoints')).some((e) => e.startsWith('.tmp-')), 'no temporary left');
    });
  }
});

function checkpointCount(run: string): number {
  try {
    return checkpointBatches(run).length;
  } catch {
    return 0;
  }
}

/** Starts a training run, calls `act` once it has written `count` checkpoints, and waits for its end. */
async function interruptAfter(run: string, count: number, act: (child: ReturnType<typeof startCli>['child']) => void) {
  const started = startCli(trainArgs(run));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (checkpointCount(run) >= count) {
        clearInterval(timer);
        act(started.child);
        resolve();
      }
    }, 20);
    started.child.on('close', () => {
      clearInterval(timer);
      reject(new Error(`the run finished before it was interrupted: ${started.output()}`));
    });
  });
  return started.done;
}

describe('signals and corruption', () => {
  test('SIGINT finishes the step, writes a resumable checkpoint and exits 130', async () => {
    const run = join(root, 'sigint');
    const result = await interruptAfter(run, 2, (child) => child.kill('SIGINT'));
    assert.equal(result.code, 130, result.stdout + result.stderr);
    assert.match(result.stderr, /SIGINT received/);
    const resumed = runCli(trainArgs(run));
    assert.equal(resumed.status, 0, resumed.stderr);
    const summary = summaryOf(resumed.stdout);
    assert.ok(summary.resumedFrom);
    assert.equal(summary.weightsDigest, reference.weightsDigest);
  });

  test('a second SIGINT exits at once and leaves the existing checkpoints valid', async () => {
    const run = join(root, 'double-sigint');
    const result = await interruptAfter(run, 1, (child) => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 5);
    });
    assert.equal(result.code, 130, result.stdout + result.stderr);
    const resumed = runCli(trainArgs(run));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stderr, /corrupt/);
    assert.equal(summaryOf(resumed.stdout).weightsDigest, reference.weightsDigest);
  });

  test('SIGTERM exits 143 with a checkpoint', async () => {
    const run = join(root, 'sigterm');
    const result = await interruptAfter(run, 1, (child) => child.kill('SIGTERM'));
    assert.equal(result.code, 143, result.stdout + result.stderr);
    assert.ok(checkpointBatches(run).length > 0);
  });

  test('a corrupted newest checkpoint falls back to the previous one', () => {
    const run = join(root, 'corrupt');
    const first = runCli(trainArgs(run));
    assert.equal(first.status, 0, first.stderr);
    const newest = readdirSync(join(run, 'checkpoints')).filter((e) => e.startsWith('ckpt-')).sort().pop()!;
    appendFileSync(join(run, 'checkpoints', newest, 'model.pt'), 'flipped');
    const again = runCli(trainArgs(run));
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /newer checkpoints are corrupt/);
    const summary = summaryOf(again.stdout);
    assert.notEqual(summary.resumedFrom, join(run, 'checkpoints', newest));
    assert.equal(summary.weightsDigest, reference.weightsDigest);
  });
});
