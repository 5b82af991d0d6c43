/** The hextorch binary as a user runs it: output, exit codes, files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliPath, repoRoot, runCli, sharedDataDir, tempDir } from '../helpers';

const root = tempDir();

describe('hextorch CLI', () => {
  test('info prints versions, CUDA and threads; --json too', () => {
    const text = runCli(['info']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /hextorch \d+\.\d+\.\d+/);
    assert.match(text.stdout, /LibTorch \d+\.\d+/);
    const json = runCli(['info', '--json']);
    const info = JSON.parse(json.stdout);
    assert.equal(typeof info.torchVersion, 'string');
    assert.equal(typeof info.cuda.available, 'boolean');
    assert.ok(info.threads >= 1);
  });

  test('run as a program, the CLI starts node sized for memory, with a young generation of fixed size', () => {
    // The shebang passes V8 --optimize-for-size and the same minimum and maximum
    // semi-space (docs/benchmarks.md, Soak).
    const shebang = readFileSync(cliPath, 'utf8').split('\n', 1)[0]!;
    const min = /--min-semi-space-size=(\d+)/.exec(shebang)?.[1];
    const max = /--max-semi-space-size=(\d+)/.exec(shebang)?.[1];
    assert.match(shebang, /^#!\/usr\/bin\/env -S node /);
    assert.match(shebang, / --optimize-for-size( |$)/);
    assert.ok(min !== undefined && min === max, shebang);
    // Executed directly (as the installed `hextorch` and `npm run demo` run it), node accepts the flags.
    const direct = spawnSync(cliPath, ['info', '--json'], { encoding: 'utf8' });
    assert.equal(direct.status, 0, direct.stderr);
    assert.equal(typeof JSON.parse(direct.stdout).torchVersion, 'string');
    assert.match(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.demo, /&& dist\/src\/cli\/main\.js demo$/);
  });

  test('unknown commands and flags exit 2 with usage', () => {
    assert.equal(runCli(['fly']).status, 2);
    const bad = runCli(['generate', '--gamez', '3']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /gamez/);
    assert.equal(runCli(['train', '--help']).status, 0);
  });

  test('import: summary, --json, and every kind of bad input is a clear error with nothing written', () => {
    const records = join(root, 'games.trmph');
    writeFileSync(records, '# trmph header\n#5,c1a1c2a2c3a3c4a4c5 b\nhttp://www.trmph.com/hex/board#5,a1a2b1b2c1c2d1d2a4e2 r\n#5,c1a1c2a2c3a3c4a4c5 b\n');
    const out = join(root, 'imported');
    const ok = runCli(['import', '--format', 'trmph', '--out', out, '--val-fraction', '0', '--json', records]);
    assert.equal(ok.status, 0, ok.stderr);
    const summary = JSON.parse(ok.stdout);
    assert.equal(summary.gamesImported, 2);
    assert.equal(summary.duplicates, 1);
    assert.equal(summary.positions, 10 + 11);

    const bad = join(root, 'bad.trmph');
    writeFileSync(bad, '#5,c1c1 b\n#5,c1a1c2a2c3a3c4a4c5 1\n');
    const failed = runCli(['import', '--format', 'trmph', '--out', join(root, 'bad-out'), bad]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, new RegExp(`${bad}:1: cell c1 is played twice`));
    assert.match(failed.stderr, new RegExp(`${bad}:2: legacy winner token '1' is ambiguous`));
    assert.ok(!existsSync(join(root, 'bad-out', 'dataset.json')));

    const missing = runCli(['import', '--format', 'moves', '--out', join(root, 'm'), join(root, 'nope.dat')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.dat does not exist/);
    writeFileSync(join(root, 'empty.dat'), '');
    assert.match(runCli(['import', '--format', 'moves', '--out', join(root, 'e'), join(root, 'empty.dat')]).stderr, /is empty/);
    mkdirSync(join(root, 'no-records'));
    assert.match(runCli(['import', '--format', 'moves', '--out', join(root, 'n'), join(root, 'no-records')]).stderr, /holds no record files/);
    writeFileSync(join(root, 'a-file'), 'x');
    const unwritable = runCli(['import', '--format', 'trmph', '--out', join(root, 'a-file', 'out'), records]);
    assert.equal(unwritable.status, 1);
    assert.match(unwritable.stderr, /a-file/);
    const again = runCli(['import', '--format', 'trmph', '--out', out, records]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already holds a dataset/);
    assert.equal(runCli(['import', '--format', 'pgn', '--out', join(root, 's'), records]).status, 2);
  });

  test('import of the neurohex games prints the figures', { skip: sharedDataDir() ? false : '../shared/data is not present' }, () => {
    const r = runCli(['import', '--format', 'moves', '--out', join(root, 'neurohex'), join(sharedDataDir()!, 'neurohex', 'raw_games.dat')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /games imported\s+10,982/);
    assert.match(r.stdout, /duplicates dropped 3/);
    assert.match(r.stdout, /positions\s+561,799/);
    assert.match(r.stdout, /Blue 5,961, Red 5,021/);
  });

  test('generate, inspect (dataset, shard, --sample) and a corrupt shard', () => {
    const data = join(root, 'gen');
    const g = runCli(['generate', '--games', '40', '--size', '6', '--seed', '2', '--out', data]);
    assert.equal(g.status, 0, g.stderr);
    const inspect = runCli(['inspect', data]);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /6x6, 40 games/);
    assert.match(inspect.stdout, /checksums: all blocks ok/);
    const sample = runCli(['inspect', data, '--sample', '3']);
    assert.equal(sample.status, 0, sample.stderr);
    assert.match(sample.stdout, /position 3: game \d+, ply \d+/);
    assert.match(sample.stdout, /value target: [01]/);
    const shard = join(data, 'train-00000.hxs');
    assert.match(runCli(['inspect', shard]).stdout, /format v2, 6x6/);
    const bytes = readFileSync(shard);
    bytes[100] ^= 1;
    writeFileSync(shard, bytes);
    const corrupt = runCli(['inspect', data]);
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, /train-00000\.hxs: checksum mismatch in records/);
    assert.equal(runCli(['inspect', data, '--sample', '999999']).status, 2);
  });

  test('train: option errors name the option and exit 2; a short run writes logs, metrics and a report', () => {
    const data = join(root, 'train-data');
    assert.equal(runCli(['generate', '--games', '60', '--size', '5', '--seed', '1', '--out', data]).status, 0);
    const run = join(root, 'run');
    const base = ['train', '--data', data, '--run', run];
    const cases: Array<[string[], RegExp]> = [
      [['--mini-epoch-batches', '0'], /miniEpochBatches/],
      [['--mini-epoch-batches', '5', '--model', 'huge'], /option 'model' is 'huge'; expected one of tiny, resnet, snowflake/],
      [['--mini-epoch-batches', '5', '--device', 'tpu'], /option 'device'/],
      [['--mini-epoch-batches', '5', '--batch-size', 'many'], /--batch-size must be a number/],
      [['--mini-epoch-samples', '3', '--batch-size', '8'], /less than one batch/],
      [[], /mini-epoch size/],
      [['--mini-epoch-batches', '2', '--mini-epoch-samples', '100'], /only one of/],
    ];
    for (const [args, message] of cases) {
      const r = runCli([...base, ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify({ batchSize: 32, miniEpochBatches: 4, epochs: 1, augment: 'random', threads: 1 }));
    writeFileSync(join(root, 'typo.json'), JSON.stringify({ batchSise: 32 }));
    const typo = runCli([...base, '--config', join(root, 'typo.json'), '--mini-epoch-batches', '3']);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown option 'batchSise'/);

    const ok = runCli([...base, '--config', config, '--mini-epoch-batches', '3']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /epoch 0 mini-epoch 0 \(batch 3/);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(metrics.length >= 2);
    assert.equal(metrics[0].globalBatch, 3, 'the flag overrides the config file');
    assert.equal(metrics[0].samplesSeen, 96);
    const log = readFileSync(join(run, 'train.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const checkpointEvents = log.filter((l) => l.event === 'checkpoint');
    assert.equal(checkpointEvents.length, metrics.length);
    assert.ok(checkpointEvents.every((e) => e.globalBatch > 0 && e.samplesSeen > 0 && typeof e.path === 'string'));
    const report = runCli(['report', run]);
    assert.equal(report.status, 0, report.stderr);
    const html = readFileSync(join(run, 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /validation loss/);
    const rerun = runCli([...base, '--config', config, '--mini-epoch-batches', '3', '--resume', 'never']);
    assert.equal(rerun.status, 2);
    assert.match(rerun.stderr, /already holds checkpoints/);
    const changed = runCli([...base, '--config', config, '--mini-epoch-batches', '3', '--batch-size', '16', '--epochs', '2']);
    assert.equal(changed.status, 1);
    assert.match(changed.stderr, /batchSize was 32, now 16/);
  });

  test('a non-finite loss stops the run, names the batch, and leaves the good checkpoints', async () => {
    const data = join(root, 'nan-data');
    assert.equal(runCli(['generate', '--games', '60', '--size', '5', '--seed', '1', '--out', data]).status, 0);
    const config = join(root, 'nan.json');
    // The LR jumps by 1e12 after 6 steps: training diverges soon after.
    writeFileSync(config, JSON.stringify({ schedule: { kind: 'step', stepSize: 6, gamma: 1e12 }, gradientClip: 0, batchSize: 32, miniEpochBatches: 3, threads: 1, epochs: 20 }));
    const run = join(root, 'nan-run');
    const r = runCli(['train', '--data', data, '--run', run, '--config', config]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const match = /loss is (NaN|infinite) at global batch (\d+)/.exec(r.stderr);
    assert.ok(match, r.stderr);
    const badBatch = Number(match[2]);
    const { CheckpointStore } = await import('../../src/checkpoint-store');
    const { resolveLogger } = await import('../../src/logger');
    const store = new CheckpointStore({ dir: join(run, 'checkpoints'), keepLast: 3, keepBest: true, logger: resolveLogger(undefined, 'test') });
    await store.open();
    const newest = await store.newestValid();
    assert.ok(newest, 'a valid checkpoint remains');
    assert.ok(newest.globalBatch < badBatch && newest.globalBatch >= 6);
  });

  test('report on a directory that is not a run is a clear error', () => {
    const r = runCli(['report', join(root, 'nowhere')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /metrics\.jsonl does not exist/);
  });
});
