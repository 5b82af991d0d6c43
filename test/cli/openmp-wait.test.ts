/**
 * How LibTorch's OpenMP threads wait (src/openmp-wait.ts): hextorch's spin count reaches
 * libgomp unless the user chose one, and the user's choice wins. libgomp itself reports
 * the value it runs with (OMP_DISPLAY_ENV=verbose prints it to stderr when it loads), so
 * these tests read the effective setting from libgomp, not only from hextorch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openMpWaitVariables, spinCount } from '../../src/openmp-wait';
import { repoRoot, runCli } from '../helpers';

/** The environment without any OpenMP wait setting of the developer's, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, OMP_DISPLAY_ENV: 'verbose', ...extra };
  for (const name of ['OMP_WAIT_POLICY', 'GOMP_SPINCOUNT', 'LD_PRELOAD']) if (!(name in extra)) delete e[name];
  return e;
}

/** The spin count libgomp says it runs with (its OMP_DISPLAY_ENV report on stderr). */
function libgompSpinCount(stderr: string): string | undefined {
  return /GOMP_SPINCOUNT = '(\d+)'/.exec(stderr)?.[1];
}

function infoWith(extra: Record<string, string>) {
  const r = runCli(['info', '--json'], { env: env(extra) });
  assert.equal(r.status, 0, r.stderr);
  return { wait: JSON.parse(r.stdout).openMpWait as { waitPolicy: string | null; spinCount: string | null; source: string; description: string }, libgomp: libgompSpinCount(r.stderr) };
}

describe('OpenMP wait policy', () => {
  test('the rule: a spin count unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT (empty counts as unset)', () => {
    assert.deepEqual(openMpWaitVariables({}), { GOMP_SPINCOUNT: String(spinCount) });
    assert.deepEqual(openMpWaitVariables({ GOMP_SPINCOUNT: '' }), { GOMP_SPINCOUNT: String(spinCount) });
    assert.deepEqual(openMpWaitVariables({ GOMP_SPINCOUNT: '5' }), {});
    assert.deepEqual(openMpWaitVariables({ OMP_WAIT_POLICY: 'active' }), {});
    // Below libgomp's own default (300,000 rounds in GCC 12), or it changes nothing.
    assert.ok(spinCount < 300_000);
  });

  test("without a setting of the user's, libgomp runs with hextorch's spin count, and info says so", () => {
    const { wait, libgomp } = infoWith({});
    assert.equal(libgomp, String(spinCount), 'libgomp reports the spin count it runs with');
    assert.equal(wait.source, 'hextorch');
    assert.equal(wait.spinCount, String(spinCount));
    assert.equal(wait.waitPolicy, null);
    const text = runCli(['info'], { env: env() });
    assert.match(text.stdout, new RegExp(`OpenMP waiting: GOMP_SPINCOUNT=${spinCount}, hextorch's default`));
  });

  test("the user's GOMP_SPINCOUNT or OMP_WAIT_POLICY wins", () => {
    const own = infoWith({ GOMP_SPINCOUNT: '12345' });
    assert.equal(own.libgomp, '12345');
    assert.equal(own.wait.source, 'user');
    assert.equal(own.wait.spinCount, '12345');
    const passive = infoWith({ OMP_WAIT_POLICY: 'passive' });
    assert.equal(passive.libgomp, '0', 'passive: libgomp does not spin');
    assert.deepEqual([passive.wait.source, passive.wait.waitPolicy, passive.wait.spinCount], ['user', 'passive', null]);
  });

  test('the setting does not leak into the environment of the process or its children', () => {
    const script = `
      const { info } = require(${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))});
      const { spawnSync } = require('node:child_process');
      const source = info().openMpWait.source;
      const child = spawnSync('sh', ['-c', 'echo \${GOMP_SPINCOUNT-unset}'], { encoding: 'utf8' }).stdout.trim();
      console.log(JSON.stringify({ source, own: process.env.GOMP_SPINCOUNT ?? 'unset', child }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: env() });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(libgompSpinCount(r.stderr), String(spinCount));
    assert.deepEqual(JSON.parse(r.stdout), { source: 'hextorch', own: 'unset', child: 'unset' });
  });

  test('libgomp loaded before hextorch keeps its settings, and info says the rule did not apply', (t) => {
    const libgomp = ['/usr/lib/x86_64-linux-gnu/libgomp.so.1', '/usr/lib/aarch64-linux-gnu/libgomp.so.1'].find(existsSync);
    if (!libgomp) return t.skip('no libgomp.so.1 at the Debian path');
    const { wait, libgomp: seen } = infoWith({ LD_PRELOAD: libgomp });
    assert.equal(seen, '300000', "libgomp's own default");
    assert.equal(wait.source, 'not applied');
    assert.match(wait.description, /another module loaded it first/);
  });
});
