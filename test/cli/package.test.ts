/**
 * The npm package as users get it: `npm pack` (which runs prebuildify), installed into
 * an empty project with cmake and the C++ compiler off the PATH. The prebuilt binary
 * alone must load; without it, the load error explains itself, and the install step
 * builds from source once a toolchain is there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, tempDir } from '../helpers';

test('the packed package loads its prebuilt binary with no compiler or cmake on the PATH', { timeout: 900_000 }, () => {
  const root = tempDir('hextorch-pack-');
  const pack = spawnSync('npm', ['pack', '--pack-destination', root, '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 900_000 });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(root, readdirSync(root).find((f) => f.endsWith('.tgz'))!);
  const files = (JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('[\n  {'))) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  assert.ok(files.some((f) => /^prebuilds\/linux-x64\/.+\.node$/.test(f)), `no prebuilt binary in the package: ${files.filter((f) => f.startsWith('prebuilds')).join(', ')}`);
  assert.ok(!files.some((f) => f.startsWith('build/')), 'build/ is not shipped');

  // A PATH with node, npm and sh only: no cmake, no g++, no make.
  const bin = join(root, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const env = { ...process.env, PATH: bin };
  assert.notEqual(spawnSync('cmake', ['--version'], { env }).status, 0, 'cmake must not be reachable');

  const project = join(root, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const install = spawnSync(join(bin, 'npm'), ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: project, env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(install.status, 0, install.stderr);

  const script = `
    const h = require('hextorch');
    (async () => {
      const i = h.info();
      const s = await h.generateGames({ games: 5, boardSize: 5, out: 'data' });
      const l = new h.DataLoader({ dir: 'data' }, { batchSize: 8, workers: 1 });
      const b = await l.next();
      console.log(JSON.stringify({ torch: i.torchVersion, positions: s.positions, batch: b.size }));
      l.dispose();
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: project, env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { torch: string; positions: number; batch: number };
  assert.match(out.torch, /^\d+\.\d+/);
  assert.equal(out.batch, 8);

  rmSync(join(project, 'node_modules', 'hextorch', 'prebuilds'), { recursive: true, force: true });
  const broken = spawnSync(process.execPath, ['-e', "require('hextorch').info()"], { cwd: project, env, encoding: 'utf8' });
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /could not load its native addon/);
  assert.match(broken.stderr, /LibTorch shared libraries \(libtorch_cpu\.so\): found in/);
  assert.match(broken.stderr, /Possible solutions/);
  assert.match(broken.stderr, /npm run build:native/);

  // With the toolchain back on the PATH, the install step builds from source when no
  // prebuilt binary loads.
  const fromSource = spawnSync(process.execPath, [join(project, 'node_modules', 'hextorch', 'scripts', 'install.js')], { cwd: project, encoding: 'utf8', timeout: 900_000 });
  assert.equal(fromSource.status, 0, fromSource.stderr);
  assert.match(fromSource.stderr, /building from source/);
  const rebuilt = spawnSync(process.execPath, ['-e', "console.log(require('hextorch').info().torchVersion)"], { cwd: project, encoding: 'utf8' });
  assert.equal(rebuilt.status, 0, rebuilt.stderr);
  assert.match(rebuilt.stdout, /^\d+\.\d+/);
});
