/**
 * Exports checked against the real consumers: onnxruntime-node runs the ONNX file and
 * Debian's python3-torch loads the state dict into python/hextorch_model.py; both must
 * give Trainer.predict's outputs on positions of the shared Neurohex games.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { exportModel, importRecords, parseCell, Trainer, type ModelCard, type ModelPreset } from '../../src/index';
import { runTraining } from '../../src/training-run';
import { repoRoot, runCli, sharedDataDir, tempDir } from '../helpers';

const N = 13;
const CELLS = N * N;
const COUNT = 64;
const shared = sharedDataDir();
// Debian's python3 (python3-torch), not one a version manager puts first on PATH.
const python = process.env.HEXTORCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const root = tempDir('hextorch-export-');
const PRESETS: { model: ModelPreset; blocks?: number; channels?: number }[] = [{ model: 'tiny' }, { model: 'resnet', blocks: 2, channels: 48 }, { model: 'snowflake' }];

/** 64 positions of the shared games: 8 games, 8 plies each, as move lists and as planes. */
function positions(): { moves: string[][]; planes: Float32Array } {
  const lines = readFileSync(join(shared!, 'neurohex', 'raw_games.dat'), 'utf8').split('\n').filter((l) => l.trim()).slice(100, 108);
  const moves: string[][] = [];
  for (const line of lines) {
    const game = line.trim().split(/\s+/);
    for (let k = 0; k < 8; k++) moves.push(game.slice(0, Math.floor((k * game.length) / 8)));
  }
  // The documented input: plane 0 Blue stones, 1 Red stones, 2 = 1.0 when Red is to move.
  const planes = new Float32Array(COUNT * 3 * CELLS);
  moves.forEach((m, j) => {
    const base = j * 3 * CELLS;
    m.forEach((cell, k) => (planes[base + (k % 2) * CELLS + parseCell(N, cell)] = 1));
    if (m.length % 2 === 1) planes.fill(1, base + 2 * CELLS, base + 3 * CELLS);
  });
  return { moves, planes };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** The part of onnxruntime-node's API used here (the package is not a dependency, so neither are its types). */
interface OrtTensor {
  dims: readonly number[];
  data: unknown;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
}
interface Ort {
  InferenceSession: { create(model: string | Uint8Array): Promise<OrtSession> };
  env: { wasm: { numThreads: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
}

/**
 * onnxruntime-node or onnxruntime-web in a cached scratch folder (kept out of the
 * package's dependencies); `why` when it cannot be installed or loaded.
 */
function installOnnxRuntime(name: 'onnxruntime-node' | 'onnxruntime-web' = 'onnxruntime-node'): { ort?: Ort; why?: string } {
  const dir = join(repoRoot, 'node_modules', '.cache', name);
  const entry = join(dir, 'node_modules', name);
  if (!existsSync(join(entry, 'package.json'))) {
    // onnxruntime-node's install script fetches CUDA binaries from a host that may be unreachable; the CPU runtime is in the package.
    const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `${name}@1.x`], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) return { why: `cannot install ${name}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ort: require(entry) };
  } catch (error) {
    return { why: `${name} does not load: ${(error as Error).message}` };
  }
}

interface Trained {
  preset: (typeof PRESETS)[number];
  run: string;
  onnx: string;
  pytorch: string;
  logits: Float32Array;
  values: Float32Array;
  digest: string;
}

describe('export', { skip: shared ? false : '../shared/data is not present' }, () => {
  const trained: Trained[] = [];
  let input: ReturnType<typeof positions>;

  before(async () => {
    input = positions();
    // A small dataset from the shared games, and a few training steps per preset so that
    // BatchNorm statistics and weights are far from their initial values.
    const games = join(root, 'games.dat');
    writeFileSync(games, readFileSync(join(shared!, 'neurohex', 'raw_games.dat'), 'utf8').split('\n').slice(0, 8).join('\n'));
    const data = join(root, 'data');
    await importRecords({ format: 'moves', inputs: [games], out: data, valFraction: 0.25 });
    for (const preset of PRESETS) {
      const run = join(root, `run-${preset.model}`);
      await runTraining({ data, run, ...preset, epochs: 1, batchSize: 64, miniEpochBatches: 2, augment: 'none', device: 'cpu', threads: 2 });
      // fp32, as the exported models compute (auto may pick bf16 autocast on this CPU).
      const trainer = await Trainer.create({ ...preset, boardSize: N, device: 'cpu', threads: 2, precision: 'fp32' });
      try {
        await trainer.loadCheckpoint(join(run, 'checkpoints', readFileSync(join(run, 'checkpoints', 'latest'), 'utf8').trim(), 'model.pt'));
        const out = await trainer.predict(input.moves.map((moves) => ({ moves })));
        const logits = new Float32Array(COUNT * CELLS);
        out.forEach((o, j) => logits.set(o.logits, j * CELLS));
        const onnx = join(root, `${preset.model}.onnx`);
        const pytorch = join(root, `${preset.model}.pt`);
        await exportModel({ checkpoint: run, format: 'onnx', out: onnx });
        await exportModel({ checkpoint: run, format: 'pytorch', out: pytorch });
        trained.push({ preset, run, onnx, pytorch, logits, values: Float32Array.from(out.map((o) => o.value)), digest: await trainer.weightsDigest() });
      } finally {
        trainer.dispose();
      }
    }
  });

  test('model cards say what each file is', () => {
    for (const t of trained) {
      for (const [file, format] of [[t.onnx, 'onnx'], [t.pytorch, 'pytorch']] as const) {
        const card = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as ModelCard;
        assert.equal(card.exportFormat, format);
        assert.equal(card.model, t.preset.model);
        assert.equal(card.boardSize, N);
        assert.equal(card.valueConvention, '+1 = Red wins');
        assert.equal(card.input.planes.length, 3);
        assert.deepEqual(card.outputs.value.shape, ['batch', 1]);
        assert.ok(card.training.samplesSeen! > 0);
        assert.match(card.training.datasetFingerprint!, /^[0-9a-f]+$/);
        assert.equal(typeof card.training.validation?.loss, 'number');
        assert.match(card.training.checkpoint!, /^ckpt-/);
      }
    }
  });

  test('onnxruntime-node gives Trainer.predict\'s outputs (eval mode, dynamic batch)', async (t) => {
    const { ort, why } = installOnnxRuntime();
    if (!ort) return t.skip(why);
    for (const m of trained) {
      const session = await ort.InferenceSession.create(m.onnx);
      assert.deepEqual(session.inputNames, ['planes']);
      assert.deepEqual([...session.outputNames].sort(), ['policy', 'value']);
      const result = await session.run({ planes: new ort.Tensor('float32', input.planes, [COUNT, 3, N, N]) });
      assert.deepEqual(result.policy!.dims, [COUNT, CELLS]);
      assert.deepEqual(result.value!.dims, [COUNT, 1]);
      const dl = maxDiff(result.policy!.data as Float32Array, m.logits);
      const dv = maxDiff(result.value!.data as Float32Array, m.values);
      assert.ok(dl < 1e-4, `${m.preset.model}: logits differ by ${dl}`);
      assert.ok(dv < 1e-4, `${m.preset.model}: values differ by ${dv}`);
      t.diagnostic(`onnxruntime ${m.preset.model}: max |logit difference| ${dl.toExponential(2)}, max |value difference| ${dv.toExponential(2)}`);
      const one = await session.run({ planes: new ort.Tensor('float32', input.planes.slice(0, 3 * CELLS), [1, 3, N, N]) });
      assert.ok(maxDiff(one.policy!.data as Float32Array, m.logits.subarray(0, CELLS)) < 1e-4);
    }
  });

  test('onnxruntime-web (WebAssembly, as in a web page) runs the export too', async (t) => {
    const { ort, why } = installOnnxRuntime('onnxruntime-web');
    if (!ort) return t.skip(why);
    ort.env.wasm.numThreads = 1;
    const m = trained.find((x) => x.preset.model === 'tiny')!;
    const session = await ort.InferenceSession.create(readFileSync(m.onnx));
    const result = await session.run({ planes: new ort.Tensor('float32', input.planes, [COUNT, 3, N, N]) });
    const dl = maxDiff(result.policy!.data as Float32Array, m.logits);
    assert.ok(dl < 1e-4, `logits differ by ${dl}`);
    assert.ok(maxDiff(result.value!.data as Float32Array, m.values) < 1e-4);
  });

  test('python3-torch loads the state dict into python/hextorch_model.py and gives the same outputs', (t) => {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) return t.skip('python3 with torch is not installed');
    const planesFile = join(root, 'planes.f32');
    writeFileSync(planesFile, input.planes);
    const script = `
import sys, json, torch
sys.path.insert(0, ${JSON.stringify(join(repoRoot, 'python'))})
import hextorch_model
planes = torch.frombuffer(bytearray(open(sys.argv[1], 'rb').read()), dtype=torch.float32).reshape(-1, 3, ${N}, ${N})
report = {}
for path in sys.argv[2:]:
    card = json.load(open(path + '.json'))
    model = hextorch_model.build(card['model'], card['boardSize'], card['blocks'], card['channels'])
    state = torch.load(path)
    result = model.load_state_dict(state, strict=False)
    model.eval()
    with torch.no_grad():
        policy, value = model(planes)
    policy.numpy().astype('float32').tofile(path + '.policy')
    value.numpy().astype('float32').tofile(path + '.value')
    report[path] = {'missing': result.missing_keys, 'unexpected': result.unexpected_keys, 'value_shape': list(value.shape),
                    'loaded': hextorch_model.load_export(path).training is False}
print(json.dumps(report))
`;
    const r = spawnSync(python, ['-c', script, planesFile, ...trained.map((m) => m.pytorch)], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Record<string, { missing: string[]; unexpected: string[]; value_shape: number[]; loaded: boolean }>;
    for (const m of trained) {
      const entry = report[m.pytorch]!;
      assert.deepEqual(entry.missing, [], `${m.preset.model}: missing keys`);
      assert.deepEqual(entry.unexpected, [], `${m.preset.model}: unexpected keys`);
      assert.deepEqual(entry.value_shape, [COUNT, 1]);
      assert.equal(entry.loaded, true);
      const read = (suffix: string) => new Float32Array(new Uint8Array(readFileSync(m.pytorch + suffix)).buffer);
      const dl = maxDiff(read('.policy'), m.logits);
      const dv = maxDiff(read('.value'), m.values);
      assert.ok(dl < 1e-4, `${m.preset.model}: logits differ by ${dl}`);
      assert.ok(dv < 1e-4, `${m.preset.model}: values differ by ${dv}`);
      t.diagnostic(`python3-torch ${m.preset.model}: max |logit difference| ${dl.toExponential(2)}, max |value difference| ${dv.toExponential(2)}`);
    }
  });

  test('initFrom starts from a checkpoint or an export; a misfit names the differing tensors', async () => {
    for (const m of trained) {
      for (const from of [m.pytorch, m.run]) {
        const trainer = await Trainer.create({ ...m.preset, boardSize: N, device: 'cpu', threads: 2, initFrom: from });
        try {
          assert.equal(await trainer.weightsDigest(), m.digest, `${m.preset.model} from ${from}`);
          assert.equal(trainer.state.globalStep, 0);
        } finally {
          trainer.dispose();
        }
      }
    }
    const tiny = trained.find((m) => m.preset.model === 'tiny')!;
    await assert.rejects(Trainer.create({ model: 'tiny', channels: 16, boardSize: N, device: 'cpu', initFrom: tiny.pytorch }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HEXTORCH_SHAPE_MISMATCH');
      assert.match(error.message, /stem\.weight: file \[32,3,3,3\], model \[16,3,3,3\]/);
      return true;
    });
    await assert.rejects(Trainer.create({ model: 'resnet', boardSize: N, device: 'cpu', initFrom: tiny.pytorch }), /blocks\.2\.conv1\.weight: missing from the file|do not fit/);
    // The tower presets have no board-size dependent tensor; snowflake's policy layer does.
    (await Trainer.create({ model: 'tiny', boardSize: 11, device: 'cpu', threads: 2, initFrom: tiny.pytorch })).dispose();
    const snowflake = trained.find((m) => m.preset.model === 'snowflake')!;
    await assert.rejects(Trainer.create({ model: 'snowflake', boardSize: 11, device: 'cpu', initFrom: snowflake.pytorch }),
      /policy_fc\.weight: file \[169,512\], model \[121,512\]/);
  });

  test('hextorch export and train --init-from on the command line', () => {
    const tiny = trained.find((m) => m.preset.model === 'tiny')!;
    const out = join(root, 'cli.onnx');
    const r = runCli(['export', '--checkpoint', tiny.run, '--format', 'onnx', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out) && existsSync(`${out}.json`));
    const bad = runCli(['export', '--checkpoint', tiny.run, '--format', 'tflite', '--out', out]);
    assert.equal(bad.status, 2);
    const run = join(root, 'run-init');
    const train = runCli(['train', '--data', join(root, 'data'), '--run', run, '--init-from', tiny.pytorch, '--mini-epoch-batches', '2',
      '--batch-size', '64', '--augment', 'none', '--device', 'cpu', '--threads', '2']);
    assert.equal(train.status, 0, train.stderr);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { initFrom?: string };
    assert.equal(config.initFrom, tiny.pytorch);
    const latest = readFileSync(join(run, 'checkpoints', 'latest'), 'utf8').trim();
    const state = JSON.parse(readFileSync(join(run, 'checkpoints', latest, 'state.json'), 'utf8')) as { config: { initFrom?: string } };
    assert.equal(state.config.initFrom, tiny.pytorch);
  });
});
