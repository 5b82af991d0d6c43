/**
 * The machine-load warning end to end: a real `hextorch train --threads 2` while busy-looping
 * child processes hold the cores. It waits for the warning, stops the run (SIGTERM, graceful)
 * and checks the event's figures in train.log. (No "quiet machine, no warning" test: the
 * machine that runs the tests is shared with other tests and jobs.)
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { machineLoadRule } from '../../src/machine-load';
import { runCli, startCli, tempDir } from '../helpers';

const cores = availableParallelism();

describe('machine load warning', { skip: process.platform !== 'linux' ? 'Linux only' : cores > 32 ? 'more cores than this test should fill' : false }, () => {
  test('training with 2 threads while busy processes run warns once, with the figures, and suggests --threads 1', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    assert.equal(runCli(['generate', '--games', '60', '--size', '5', '--seed', '1', '--out', data]).status, 0);
    const run = join(root, 'run');
    // Enough busy loops that 2 threads cannot have cores of their own: threads + others > cores.
    const busy: ChildProcess[] = [];
    for (let i = 0; i < Math.max(2, cores - 1); i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      const cli = startCli(['train', '--data', data, '--run', run, '--threads', '2', '--batch-size', '32', '--mini-epoch-batches', '20', '--epochs', '100000', '--val-max-batches', '1']);
      const deadline = Date.now() + 120_000;
      while (!/warning: the machine is oversubscribed/.test(cli.output()) && Date.now() < deadline && cli.child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      cli.child.kill('SIGTERM');
      const result = await cli.done;
      const warnings = result.stderr.split('\n').filter((l) => l.startsWith('warning: the machine is oversubscribed'));
      assert.equal(warnings.length, 1, result.stderr);
      assert.match(warnings[0]!, new RegExp(`other processes used [\\d.]+ of ${cores} cores on average over [\\d.]+ s while training with 2 threads; .*consider --threads 1`));
      const events = readFileSync(join(run, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'machine-oversubscribed');
      assert.equal(events.length, 1);
      const e = events[0];
      assert.equal(e.level, 40, 'a warning');
      assert.equal(e.threads, 2);
      assert.equal(e.cores, cores);
      assert.ok(e.windowSeconds >= machineLoadRule.windowSeconds && e.windowSeconds < 60, `window ${e.windowSeconds} s`);
      // The busy loops (and whatever else runs here): at least the rule's half core, at most every core.
      assert.ok(e.otherCores >= machineLoadRule.minOtherCores && e.otherCores <= cores + 0.05, `other processes ${e.otherCores} cores`);
      assert.ok(e.threads + e.otherCores > e.cores);
    } finally {
      for (const child of busy) child.kill('SIGKILL');
    }
  });
});
