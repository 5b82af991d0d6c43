/** The machine-load rule (src/machine-load.ts): the decision on sampled figures, the /proc readings, and the watch's once-per-episode events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CpuCounters, MachineLoadWatch, machineLoadRule, otherCoresBetween, oversubscribed, parseCpuList, parseProcStat, readCpuCounters } from '../../src/machine-load';

describe('machine load', () => {
  test('the decision: warns when threads + other processes exceed the cores, and others use at least half a core', () => {
    const window = { windowSeconds: 10 };
    // A 2-core machine, 2 threads: one busy process elsewhere is enough.
    assert.equal(oversubscribed({ cores: 2, threads: 2, otherCores: 1.0, ...window }), true);
    assert.equal(oversubscribed({ cores: 2, threads: 2, otherCores: 0.5, ...window }), true);
    // Background noise (a shell, daemons) does not count, however few the cores.
    assert.equal(oversubscribed({ cores: 2, threads: 2, otherCores: 0.3, ...window }), false);
    // Free cores left for the team: no warning, whatever the others use.
    assert.equal(oversubscribed({ cores: 16, threads: 2, otherCores: 10, ...window }), false);
    assert.equal(oversubscribed({ cores: 16, threads: 8, otherCores: 8, ...window }), false);
    assert.equal(oversubscribed({ cores: 16, threads: 8, otherCores: 8.5, ...window }), true);
    // More threads than cores, and others busy.
    assert.equal(oversubscribed({ cores: 2, threads: 4, otherCores: 0.6, ...window }), true);
    // 1 thread never warns: it is the recommended setting on a busy machine.
    assert.equal(oversubscribed({ cores: 2, threads: 1, otherCores: 8, ...window }), false);
    assert.equal(oversubscribed({ cores: 1, threads: 1, otherCores: 3, ...window }), false);
    assert.equal(machineLoadRule.minOtherCores, 0.5);
  });

  test('/proc/stat: busy ticks of the allowed CPUs, idle and iowait excluded, steal included', () => {
    const stat = [
      'cpu  100 0 50 1000 10 0 0 0 0 0',
      'cpu0 10 1 5 100 4 1 1 3 7 0',
      'cpu1 20 0 10 200 0 0 0 0 0 0',
      'cpu2 999 0 0 0 0 0 0 0 0 0',
      'intr 12345',
    ].join('\n');
    assert.deepEqual(parseProcStat(stat, new Set([0, 1])), { busyTicks: 10 + 1 + 5 + 1 + 1 + 3 + 20 + 10, totalTicks: 21 + 104 + 30 + 200, cpus: 2 });
    assert.equal(parseProcStat(stat, null).cpus, 3);
    assert.deepEqual([...parseCpuList('0-2,5,7-8\n')], [0, 1, 2, 5, 7, 8]);
    assert.deepEqual([...parseCpuList('3')], [3]);
  });

  test("other processes' use: busy cores minus this process's own", () => {
    const at = (busyTicks: number, totalTicks: number, processSeconds: number, wallSeconds: number): CpuCounters => ({ busyTicks, totalTicks, cpus: 2, processSeconds, wallSeconds });
    // 10 s at 100 ticks/s on 2 CPUs: 2000 ticks; 1600 busy = 1.6 cores, 0.9 of them ours.
    assert.ok(Math.abs(otherCoresBetween(at(0, 0, 5, 100), at(1600, 2000, 14, 110))! - 0.7) < 1e-9);
    // Our own use beyond the busy ticks (rounding) is not negative.
    assert.equal(otherCoresBetween(at(0, 0, 0, 0), at(100, 2000, 10, 10)), 0);
    assert.equal(otherCoresBetween(at(0, 0, 0, 0), at(0, 0, 0, 1)), null, 'no tick passed');
    if (process.platform === 'linux') {
      const now = readCpuCounters();
      assert.ok(now && now.cpus >= 1 && now.totalTicks > now.busyTicks && now.processSeconds > 0);
    }
  });

  test('the watch: one warning per episode, cleared after a quiet window, again only after the repeat interval', () => {
    // Scripted readings on 2 CPUs at 100 ticks/s; the process itself uses 1 core.
    let wall = 0;
    let busy = 0;
    let own = 0;
    const read = (): CpuCounters => ({ busyTicks: busy, totalTicks: wall * 200, cpus: 2, processSeconds: own, wallSeconds: wall });
    let reads = 0;
    const counted = () => {
      reads++;
      return read();
    };
    const clock = () => wall;
    const watch = new MachineLoadWatch({ threads: 2, cores: 2, windowSeconds: 10, repeatAfterSeconds: 100, read: counted, clock });
    const advance = (seconds: number, otherCores: number) => {
      wall += seconds;
      own += seconds;
      busy += seconds * 100 * (1 + otherCores);
      return watch.poll();
    };
    assert.equal(advance(5, 1), null, 'the window is not over');
    assert.equal(reads, 1, 'within a window only the clock is read, not /proc');
    const first = advance(5, 1);
    assert.equal(first?.kind, 'oversubscribed');
    assert.deepEqual({ ...first!.sample, otherCores: Number(first!.sample.otherCores.toFixed(6)) }, { cores: 2, threads: 2, otherCores: 1, windowSeconds: 10 });
    assert.equal(advance(10, 1), null, 'once, not every window');
    assert.equal(advance(10, 0.1)?.kind, 'cleared');
    assert.equal(advance(10, 1), null, 'busy again, but within the repeat interval');
    assert.equal(advance(70, 1)?.kind, 'oversubscribed', 'busy again after the interval');
    // 1 thread: never.
    const single = new MachineLoadWatch({ threads: 1, cores: 2, windowSeconds: 10, read, clock });
    wall += 10;
    busy += 10 * 100 * 2;
    assert.equal(single.poll(), null);
  });
});
