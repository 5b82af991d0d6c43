/** precision 'auto' as a run resolves, records and resumes it: real addon, real run directories, the CLI. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { generateGames } from '../../src/dataset';
import { info } from '../../src/info';
import { runTraining, type TrainConfig } from '../../src/training-run';
import { runCli, tempDir } from '../helpers';

const root = tempDir('hextorch-precision-');
const data = join(root, 'data');

function config(run: string, extra: Partial<TrainConfig> = {}): TrainConfig {
  return { data, run: join(root, run), model: 'tiny', epochs: 1, batchSize: 32, miniEpochBatches: 8, valMaxBatches: 1, augment: 'none', device: 'cpu', threads: 1, seed: 3, ...extra };
}

function recorded(run: string): { config: Record<string, unknown>; state: { config: Record<string, unknown> } } {
  const dir = join(root, run);
  const latest = readFileSync(join(dir, 'checkpoints', 'latest'), 'utf8').trim();
  return {
    config: JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
    state: JSON.parse(readFileSync(join(dir, 'checkpoints', latest, 'state.json'), 'utf8')) as { config: Record<string, unknown> },
  };
}

describe('precision auto', () => {
  const picked = info().autoPrecision.cpu;
  const other = picked.precision === 'bf16' ? 'fp32' : 'bf16';

  before(async () => {
    await generateGames({ games: 40, boardSize: 7, seed: 3, out: data });
  });

  test('a run records what auto picked on this CPU, and why, in config.json and its checkpoints', async () => {
    await runTraining(config('auto'));
    const r = recorded('auto');
    assert.equal(r.config.precision, picked.precision);
    assert.equal(r.config.precisionReason, picked.reason);
    assert.equal(r.state.config.precision, picked.precision);
    assert.match(readFileSync(join(root, 'auto', 'train.log'), 'utf8'), new RegExp(`"msg":"training in ${picked.precision}"`));
  });

  test('a resumed run keeps its recorded precision where auto picks another, bit-identically; asking for another is a named mismatch', async () => {
    const straight = await runTraining(config('straight', { precision: other, epochs: 2 }));
    await runTraining(config('resumed', { precision: other, epochs: 1 }));
    const resumed = await runTraining(config('resumed', { epochs: 2 }));  // precision: auto
    assert.ok(resumed.resumedFrom, 'resumed');
    const r = recorded('resumed');
    assert.equal(r.config.precision, other);
    assert.match(String(r.config.precisionReason), /kept from the run's checkpoints/);
    assert.equal(resumed.weightsDigest, straight.weightsDigest);
    await assert.rejects(runTraining(config('resumed', { epochs: 3, precision: picked.precision })), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HEXTORCH_RESUME_MISMATCH');
      assert.match(error.message, new RegExp(`precision was "${other}", now "${picked.precision}"`));
      return true;
    });
  });

  test('the CLI: info says what auto picks and why; a wrong --precision exits 2 naming it', () => {
    const text = runCli(['info']);
    assert.equal(text.status, 0, text.stderr);
    assert.ok(text.stdout.includes(`precision: auto picks ${picked.precision} on the CPU (${picked.reason})`), text.stdout);
    const json = JSON.parse(runCli(['info', '--json']).stdout) as { autoPrecision: { cpu: { precision: string }; cpuBf16Flags: string[] } };
    assert.equal(json.autoPrecision.cpu.precision, json.autoPrecision.cpuBf16Flags.length > 0 ? 'bf16' : 'fp32');
    const bad = runCli(['train', '--data', data, '--run', join(root, 'bad'), '--mini-epoch-batches', '2', '--precision', 'fp16']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /option 'precision' is 'fp16'; expected one of auto, fp32, bf16/);
  });
});
