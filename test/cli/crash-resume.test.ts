/**
 * End to end with real processes: a training run killed with SIGKILL at each kind of
 * point, then resumed, ends with weights bit-identical to an uninterrupted run and
 * loses at most the work since the last checkpoint. SIGINT leaves a resumable
 * checkpoint; a corrupted newest checkpoint falls back to the previous one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
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

/**
 * metrics.jsonl with the wall-clock fields (time, seconds, samples/s) removed: those differ
 * between any two runs; everything else must match byte for byte.
 */
function deterministicMetrics(run: string): string {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const { time: _t, trainSeconds: _a, validationSeconds: _b, samplesPerSecond: _c, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(rest);
    })
    .join('\n');
}

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
      const metrics = deterministicMetrics(run);
      assert.equal(metrics.split('\n').length, 2 * Math.ceil(batchesPerEpoch / 20), 'one line per mini-epoch, none lost or repeated');
      assert.equal(metrics, deterministicMetrics(join(root, 'reference')), 'the history equals the uninterrupted run\'s');
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

describe('one trainer per run directory', () => {
  test('a second train on a live run fails at once (exit 2) naming pid and host, --fresh too; a dead holder never blocks', async () => {
    const run = join(root, 'locked');
    const first = startCli(trainArgs(run));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (checkpointCount(run) >= 1) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      first.child.on('close', () => {
        clearInterval(timer);
        reject(new Error(`the run finished early: ${first.output()}`));
      });
    });
    const pid = first.child.pid!;
    for (const extra of [[], ['--fresh']]) {
      const started = Date.now();
      const second = runCli([...trainArgs(run), ...extra]);
      assert.equal(second.status, 2, second.stdout + second.stderr);
      assert.match(second.stderr, new RegExp(`in use by process ${pid} on host ${hostname()}`));
      assert.match(second.stderr, /one trainer per run directory/);
      assert.equal(second.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
      assert.ok(Date.now() - started < 15_000, 'fails at once');
    }
    assert.ok(!readdirSync(join(run, 'checkpoints')).some((e) => e.startsWith('archived-')), '--fresh did not touch the live run');
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(existsSync(join(run, 'train.lock')), 'the lock file stays; its OS lock died with the process');
    const resumed = runCli(trainArgs(run));
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(summaryOf(resumed.stdout).weightsDigest, reference.weightsDigest);
    assert.equal(deterministicMetrics(run), deterministicMetrics(join(root, 'reference')));
  });
});

/** Mounts a tmpfs of `size` on `dir`: null, or why it could not (the test is then skipped). */
function mountTmpfs(dir: string, size: string): string | null {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : `cannot mount a tmpfs here (${(r.stderr || r.error?.message || 'needs root').trim()})`;
}

function mountCommand(...args: string[]): void {
  const r = spawnSync('mount', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

/** The newest checkpoint, `latest` and whether every file of the newest matches its manifest. */
async function newestCheckpoint(run: string) {
  const { CheckpointStore } = await import('../../src/checkpoint-store');
  const { resolveLogger } = await import('../../src/logger');
  const dir = join(run, 'checkpoints');
  const store = new CheckpointStore({ dir, keepLast: 10, keepBest: true, logger: resolveLogger({ level: 'silent' }, 'test') });
  const all = await store.open();
  const valid = await store.newestValid();
  return { newest: all[all.length - 1]?.name, valid: valid?.name, latest: readFileSync(join(dir, 'latest'), 'utf8').trim(), temporaries: readdirSync(dir).filter((e) => e.startsWith('.tmp-') || e.endsWith('.tmp')) };
}

type Checkpoints = Awaited<ReturnType<typeof newestCheckpoint>>;

/**
 * A run on a tmpfs of its own (48 MiB, at `name`) that has trained one epoch: `body` gets
 * the mount, the run directory and its newest checkpoint, and the tmpfs is unmounted
 * afterwards. Skips the test where no tmpfs can be mounted.
 */
async function withTmpfsRun(t: TestContext, name: string, body: (mount: string, run: string, before: Checkpoints) => Promise<void>): Promise<void> {
  const mount = join(root, name);
  const skip = mountTmpfs(mount, '48m');
  if (skip) {
    t.skip(skip);
    return;
  }
  try {
    const run = join(mount, 'run');
    const first = runCli([...trainArgs(run), '--epochs', '1']);
    assert.equal(first.status, 0, first.stderr);
    await body(mount, run, await newestCheckpoint(run));
  } finally {
    umount(mount);
  }
}

describe('I/O errors: a clean error, the newest good checkpoint intact, resume afterwards', () => {
  test('a full disk (tmpfs) during a checkpoint write', (t) =>
    withTmpfsRun(t, 'full-disk', async (mount, run, before) => {
      const metricsBefore = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
      // Leave 64 KiB: the next mini-epoch's line fits, its checkpoint's model.pt does not.
      const free = () => { const s = statfsSync(mount); return s.bavail * s.bsize; };
      writeFileSync(join(mount, 'filler'), Buffer.alloc(free() - 64 * 1024));
      const full = runCli(trainArgs(run));
      assert.equal(full.status, 1, full.stdout + full.stderr);
      const lines = full.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, no stack trace:\n${full.stderr}`);
      assert.match(lines[0]!, /^hextorch: cannot write checkpoint .*model\.pt.*disk is full/);
      assert.doesNotMatch(full.stderr, /terminate called|c10::Error|\bat \w+ \(/);
      const after = await newestCheckpoint(run);
      assert.deepEqual(after, before, 'the newest good checkpoint and latest are as they were, no temporaries');
      assert.equal(after.valid, after.newest);
      assert.equal(after.latest, after.newest);
      // Space freed: the run resumes and ends as the uninterrupted one.
      spawnSync('rm', ['-f', join(mount, 'filler')]);
      const resumed = runCli(trainArgs(run));
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.equal(summaryOf(resumed.stdout).weightsDigest, reference.weightsDigest);
      assert.ok(readFileSync(join(run, 'metrics.jsonl'), 'utf8').startsWith(metricsBefore));
      assert.equal(deterministicMetrics(run), deterministicMetrics(join(root, 'reference')));
    }));

  test('a read-only run directory', (t) =>
    withTmpfsRun(t, 'read-only', async (mount, run, before) => {
      mountCommand('-o', 'remount,ro', mount);
      const refused = runCli(trainArgs(run));
      assert.equal(refused.status, 1, refused.stdout + refused.stderr);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      assert.match(refused.stderr, /^hextorch: cannot .*train\.lock: Read-only file system/);
      mountCommand('-o', 'remount,rw', mount);
      assert.deepEqual(await newestCheckpoint(run), before);
      // Only the checkpoint directory read-only: the run trains a mini-epoch, then fails cleanly.
      const checkpoints = join(run, 'checkpoints');
      mountCommand('--bind', checkpoints, checkpoints);
      try {
        mountCommand('-o', 'remount,bind,ro', checkpoints);
        const failed = runCli(trainArgs(run));
        assert.equal(failed.status, 1, failed.stdout + failed.stderr);
        assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
        assert.match(failed.stderr, /^hextorch: cannot write checkpoint .*read-only file system/i);
      } finally {
        umount(checkpoints);
      }
      assert.deepEqual(await newestCheckpoint(run), before);
      const resumed = runCli(trainArgs(run));
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.equal(summaryOf(resumed.stdout).weightsDigest, reference.weightsDigest);
    }));
});
