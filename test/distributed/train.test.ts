/**
 * Data-parallel training end to end, with real processes on Gloo over 127.0.0.1:
 * equivalence with one process, exact resume after SIGKILL, a change of world size,
 * graceful stop through the launcher, and faults that must be named errors, not hangs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Trainer } from '../../src/index';
import { runCli, startCli, tempDir } from '../helpers';

const root = tempDir();
const data = join(root, 'data');
const config = join(root, 'config.json');

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// tiny on 7x7 without augmentation or dropout, global batch 32: about 12 steps, a
// checkpoint and a validation after each (per-step figures to compare). fp32, because
// the bounds below are float32 rounding bounds (auto picks bf16 on CPUs with native bf16).
const trainArgs = (run: string, extra: string[] = []) => [
  'train', '--config', config, '--data', data, '--run', run, '--epochs', '1', '--batch-size', '32', '--mini-epoch-batches', '1',
  '--augment', 'none', '--val-max-batches', '2', '--seed', '5', '--keep-last', '40', '--threads', '1', '--precision', 'fp32', '--json', ...extra,
];
const twoRanks = (port: number) => ['--nproc-per-node', '2', '--master-port', String(port), '--sync-batch-norm', '--dist-timeout', '5'];

interface Summary { weightsDigest: string; globalBatch: number; samplesSeen: number; resumedFrom: string | null; status: string; lastCheckpoint: string }
function summaryOf(stdout: string): Summary {
  const start = stdout.indexOf('{');
  assert.ok(start >= 0, `no JSON summary in:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as Summary;
}
interface Record { globalBatch: number; train: { loss: number }; validation: { loss: number; policyAccuracy: number } }
const records = (run: string): Record[] => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record);
const checkpoints = (run: string) => readdirSync(join(run, 'checkpoints')).filter((e) => e.startsWith('ckpt-')).sort();
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

let single: Summary;
let parallel: Summary;

before(() => {
  writeFileSync(config, JSON.stringify({ dropout: 0 }));
  const g = runCli(['generate', '--games', '10', '--size', '7', '--seed', '3', '--out', data]);
  assert.equal(g.status, 0, g.stderr);
});

describe('equivalence with one process', () => {
  test('2 ranks x 16 with synchronised batch norm follow 1 process x 32: per-step losses, validation and final weights', async () => {
    const one = runCli(trainArgs(join(root, 'single')));
    assert.equal(one.status, 0, one.stderr);
    single = summaryOf(one.stdout);
    const two = runCli(trainArgs(join(root, 'parallel'), twoRanks(await freePort())));
    assert.equal(two.status, 0, two.stderr + two.stdout);
    parallel = summaryOf(two.stdout);
    assert.equal(parallel.globalBatch, single.globalBatch);
    assert.equal(parallel.samplesSeen, single.samplesSeen, 'the same samples, counted globally');
    const a = records(join(root, 'single'));
    const b = records(join(root, 'parallel'));
    assert.equal(b.length, a.length);
    assert.ok(a.length >= 10, `${a.length} steps`);
    // float32 sums over a batch are taken in another order (per rank, then over the
    // ranks): the first steps differ by ~1e-7 relative. Adam amplifies such differences
    // (it normalises gradient components near zero to full-size steps, so their
    // rounding decides the step), about 2x per step from the 8th step on. Measured on
    // this data: <= 1.5e-4 over 12 steps (and 2e-3 by step 22); bounds 1e-3 per step,
    // 2e-3 on the final validation loss.
    for (let i = 0; i < a.length; i++) {
      assert.ok(relative(b[i]!.train.loss, a[i]!.train.loss) < 1e-3, `step ${i + 1}: train loss ${b[i]!.train.loss} vs ${a[i]!.train.loss}`);
      assert.ok(relative(b[i]!.validation.loss, a[i]!.validation.loss) < 1e-3, `step ${i + 1}: validation loss ${b[i]!.validation.loss} vs ${a[i]!.validation.loss}`);
    }
    assert.ok(relative(b.at(-1)!.validation.loss, a.at(-1)!.validation.loss) < 2e-3);
    // Final weights, as the function they compute: predictions on the same positions.
    const predictions = async (run: string) => {
      const trainer = await Trainer.create({ boardSize: 7, threads: 1, precision: 'fp32' });
      try {
        await trainer.loadCheckpoint(join(run, 'checkpoints', checkpoints(run).at(-1)!, 'model.pt'));
        return await trainer.predict([{ moves: [] }, { moves: ['d4'] }, { moves: ['a1', 'g7', 'c3'] }, { moves: ['b2', 'f6'] }]);
      } finally {
        trainer.dispose();
      }
    };
    const pa = await predictions(join(root, 'single'));
    const pb = await predictions(join(root, 'parallel'));
    for (let k = 0; k < pa.length; k++) {
      assert.ok(Math.abs(pa[k]!.value - pb[k]!.value) < 1e-3, `value ${k}`);
      pa[k]!.policy.forEach((p, i) => assert.ok(Math.abs(p - pb[k]!.policy[i]!) < 1e-3, `policy ${k}/${i}`));
    }
    assert.ok(!readdirSync(join(root, 'parallel')).some((f) => /rank/.test(f)), 'only rank 0 writes run files');
  });

  test('1 rank is bit-identical to the run without distribution', async () => {
    const run = join(root, 'one-rank');
    const r = runCli(trainArgs(run), { env: { RANK: '0', WORLD_SIZE: '1', MASTER_PORT: String(await freePort()) } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(summaryOf(r.stdout).weightsDigest, single.weightsDigest);
    assert.deepEqual(records(run).map((x) => x.train.loss), records(join(root, 'single')).map((x) => x.train.loss));
  });
});

describe('resume', () => {
  test('kill -9 of rank 1: rank 0 names it within the timeout; the same command resumes bit-identically', async () => {
    const run = join(root, 'killed');
    const args = trainArgs(run, twoRanks(await freePort()));
    const killed = runCli(args, { env: { HEXTORCH_FAULT: 'train-step:7', HEXTORCH_FAULT_RANK: '1' } });
    assert.equal(killed.status, 137, killed.stderr);
    assert.match(killed.stderr, /rank 1 was killed by SIGKILL/);
    assert.match(killed.stderr, /distributed .* failed on rank 0: rank 1 stopped responding \(killed or crashed\)/);
    const kept = checkpoints(run);
    assert.ok(kept.length >= 5 && kept.length <= 7, `checkpoints left: ${kept.join(', ')}`);
    const resumed = runCli(trainArgs(run, twoRanks(await freePort())));
    assert.equal(resumed.status, 0, resumed.stderr);
    const s = summaryOf(resumed.stdout);
    assert.ok(s.resumedFrom);
    assert.equal(s.weightsDigest, parallel.weightsDigest);
  });

  test('a run of 2 ranks resumed on 1 process with the same global batch sees every sample once', async () => {
    const run = join(root, 'regrouped');
    const killed = runCli(trainArgs(run, twoRanks(await freePort())), { env: { HEXTORCH_FAULT: 'mini-epoch-end:6', HEXTORCH_FAULT_RANK: '0' } });
    assert.notEqual(killed.status, 0);
    const resumed = runCli(trainArgs(run));
    assert.equal(resumed.status, 0, resumed.stderr);
    const s = summaryOf(resumed.stdout);
    assert.match(s.resumedFrom ?? '', /-b0*6$/);
    assert.equal(s.globalBatch, single.globalBatch);
    assert.equal(s.samplesSeen, single.samplesSeen, 'no sample skipped or repeated');
  });
});

describe('faults are named errors, not hangs', () => {
  test('the rendezvous port is in use', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = runCli(trainArgs(join(root, 'port')), { env: { RANK: '0', WORLD_SIZE: '2', MASTER_PORT: String(port), HEXTORCH_DIST_TIMEOUT_MS: '3000' } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      server.close();
    }
  });

  test('a rank that never arrives', async () => {
    const started = Date.now();
    const r = runCli(trainArgs(join(root, 'alone')), { env: { RANK: '0', WORLD_SIZE: '2', MASTER_PORT: String(await freePort()), HEXTORCH_DIST_TIMEOUT_MS: '2000' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /rank 1 never arrived at the rendezvous at 127\.0\.0\.1:\d+ within 2 s \(world size 2\)/);
    assert.ok(Date.now() - started < 30_000);
  });

  test('ranks started with different options', async () => {
    const port = String(await freePort());
    const env = (rank: number) => ({ RANK: String(rank), WORLD_SIZE: '2', MASTER_PORT: port, HEXTORCH_DIST_TIMEOUT_MS: '10000' });
    const rank0 = startCli(trainArgs(join(root, 'mismatch')), env(0));
    const rank1 = startCli(trainArgs(join(root, 'mismatch'), ['--batch-size', '64', '--model', 'resnet']), env(1));
    const [a, b] = await Promise.all([rank0.done, rank1.done]);
    for (const r of [a, b]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /the ranks disagree on the training options: .*batchSize: rank 0 has 32, rank 1 has 64/);
      assert.match(r.stderr, /model: rank 0 has "tiny", rank 1 has "resnet"/);
      assert.doesNotMatch(r.stderr, /threads/);
    }
  });

  test('SIGTERM to the launcher: every rank finishes its step, one checkpoint, all exit 143, resumable', async () => {
    const run = join(root, 'sigterm');
    const started = startCli(trainArgs(run, twoRanks(await freePort())));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        let count = 0;
        try {
          count = checkpoints(run).length;
        } catch {
          // not created yet
        }
        if (count >= 3) {
          clearInterval(timer);
          started.child.kill('SIGTERM');
          resolve();
        }
      }, 20);
      started.child.on('close', () => reject(new Error(`finished before the signal: ${started.output()}`)));
    });
    const result = await started.done;
    assert.equal(result.code, 143, result.stdout + result.stderr);
    assert.equal((result.stderr.match(/SIGTERM received/g) ?? []).length, 2, 'both ranks got the signal');
    const interrupted = checkpoints(run).filter((c) => c.endsWith('-interrupted'));
    assert.ok(interrupted.length <= 1, `at most one interrupted checkpoint: ${interrupted.join(', ')}`);
    const resumed = runCli(trainArgs(run, twoRanks(await freePort())));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(summaryOf(resumed.stdout).weightsDigest, parallel.weightsDigest);
  });
});
