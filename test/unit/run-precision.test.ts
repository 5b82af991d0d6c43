/** Which precision a run asks for when it starts or resumes (src/run-precision.ts), and the resume check on it. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resumeMismatches } from '../../src/resume-check';
import { precisionForRun } from '../../src/run-precision';
import type { LoaderState } from '../../src/data-loader';
import { tempDir } from '../helpers';

const root = tempDir('hextorch-run-precision-');

function checkpoints(name: string, states: Record<string, string>): string {
  const dir = join(root, name);
  for (const [checkpoint, text] of Object.entries(states)) {
    mkdirSync(join(dir, checkpoint), { recursive: true });
    writeFileSync(join(dir, checkpoint, 'state.json'), text);
  }
  return dir;
}

const state = (precision: string) => JSON.stringify({ config: { precision } });

describe('precisionForRun', () => {
  test('a fresh run asks for the option as given', async () => {
    const none = join(root, 'missing');
    assert.equal(await precisionForRun('auto', none, {}), 'auto');
    assert.equal(await precisionForRun('fp32', none, {}), 'fp32');
  });

  test('auto resuming a run takes the newest readable recorded precision', async () => {
    const dir = checkpoints('recorded', {
      'ckpt-e0000-m0000-b000000002': state('fp32'),
      'ckpt-e0000-m0001-b000000004': state('bf16'),
      'ckpt-e0000-m0002-b000000006': '{ torn',
      'not-a-checkpoint': state('fp32'),
    });
    assert.equal(await precisionForRun('auto', dir, {}), 'bf16');
    assert.equal(await precisionForRun('fp32', dir, {}), 'fp32', 'an explicit option is kept (the resume check compares it)');
    assert.equal(await precisionForRun('auto', dir, { fresh: true }), 'auto');
    assert.equal(await precisionForRun('auto', dir, { resume: 'never' }), 'auto');
  });

  test("runs recorded before precisions were resolved ('auto') resume in what auto meant then", async () => {
    const dir = checkpoints('legacy', { 'ckpt-e0000-m0000-b000000002': state('auto') });
    assert.equal(await precisionForRun('auto', dir, { device: 'cpu' }), 'fp32');
    assert.equal(await precisionForRun('auto', dir, { device: 'cuda:0' }), 'bf16');
  });
});

describe('the resume check on precision', () => {
  const loader = { fingerprint: 'f', batchSize: 32, seed: 1, augment: 'none' } as unknown as LoaderState;
  test('a different recorded precision is a mismatch; a legacy auto is not compared', () => {
    assert.deepEqual(resumeMismatches({ loader, config: { precision: 'bf16' } }, { loader, config: { precision: 'fp32' } }), ['precision was "bf16", now "fp32"']);
    assert.deepEqual(resumeMismatches({ loader, config: { precision: 'bf16' } }, { loader, config: { precision: 'bf16' } }), []);
    assert.deepEqual(resumeMismatches({ loader, config: { precision: 'auto' } }, { loader, config: { precision: 'fp32' } }), []);
  });
});
