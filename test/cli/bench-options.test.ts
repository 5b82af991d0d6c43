/**
 * The bench's command line (bench/options.ts): --help prints every section and flag and
 * exits 0; a bad flag or value is one line naming it and exit 2. Nothing runs in either
 * case (no machine header, no bench-results.json written).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BENCH_SECTIONS, parseBenchArgs } from '../../bench/options';
import { repoRoot } from '../helpers';

const runJs = join(repoRoot, 'dist', 'bench', 'run.js');

function bench(args: string[]) {
  const r = spawnSync(process.execPath, [runJs, ...args], { encoding: 'utf8', timeout: 60_000, cwd: repoRoot });
  // The run's first line names the machine: nothing may have started.
  assert.doesNotMatch(r.stdout, /^hextorch .*LibTorch/m, `${args.join(' ')} started the bench`);
  return r;
}

describe('bench command line', () => {
  test('--help prints the usage with every section and flag, exits 0, and runs nothing', () => {
    for (const flag of ['--help', '-h', '--only=trainer --help']) {
      const r = bench(flag.split(' '));
      assert.equal(r.status, 0, r.stderr);
      for (const section of BENCH_SECTIONS) assert.match(r.stdout, new RegExp(`^  ${section} `, 'm'), `section ${section}`);
      for (const name of ['--only', '--quick', '--threads', '--device', '--batch-sizes', '--models', '--rounds', '--learning-samples', '--learning-seeds', '--soak-mini-epochs', '--help']) {
        assert.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'), `flag ${name}`);
      }
      assert.equal(r.stderr, '');
    }
  });

  test('an unknown option or a malformed value is one line naming it, exit 2, before anything runs', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /^bench: unknown option --bogus /],
      [['--threads', '1', '--frob'], /^bench: unknown option --frob /],
      [['--threads=x'], /^bench: --threads=x: expected an integer >= 1$/],
      [['--threads'], /^bench: --threads needs a value$/],
      [['--quick=yes'], /^bench: --quick takes no value$/],
      [['trainer'], /^bench: unexpected argument 'trainer'/],
      [['--only=trainer,nope'], /^bench: --only=trainer,nope: no section named 'nope'/],
      [['--batch-sizes=256,0'], /^bench: --batch-sizes=256,0: expected a comma-separated list of integers >= 1$/],
      [['--models=tiny,huge'], /^bench: --models=tiny,huge: no model named 'huge'; expected some of tiny, resnet, snowflake$/],
      [['--rounds=0'], /^bench: --rounds=0: expected an integer >= 1$/],
      [['--device=tpu'], /^bench: --device=tpu: expected cpu, cuda or cuda:N$/],
      [['--soak-mini-epochs=5'], /^bench: --soak-mini-epochs=5: expected an integer >= 20$/],
    ];
    for (const [args, message] of cases) {
      const r = bench(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr.trimEnd(), message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line for ${args.join(' ')}`);
      assert.equal(r.stdout, '');
    }
  });

  test('the flags as the docs and scripts use them parse to the options each section reads', () => {
    const defaults = parseBenchArgs([]);
    assert.deepEqual(defaults, { help: false, quick: false, only: undefined, threads: 2, device: 'cpu', batchSizes: [256], models: ['tiny', 'resnet', 'snowflake'], rounds: undefined, learningSamples: undefined, learningSeeds: undefined, soakMiniEpochs: undefined });
    const o = parseBenchArgs(['--only=trainer,soak', '--quick', '--threads=1', '--device=cuda', '--batch-sizes=256,1024', '--models=snowflake,tiny', '--rounds=4', '--learning-samples=25600', '--learning-seeds=2', '--soak-mini-epochs=5000']);
    assert.deepEqual(o, { help: false, quick: true, only: ['trainer', 'soak'], threads: 1, device: 'cuda', batchSizes: [256, 1024], models: ['snowflake', 'tiny'], rounds: 4, learningSamples: 25_600, learningSeeds: 2, soakMiniEpochs: 5000 });
    // A space between flag and value means the same.
    assert.deepEqual(parseBenchArgs(['--only', 'trainer', '--threads', '1']), { ...defaults, only: ['trainer'], threads: 1 });
  });
});
