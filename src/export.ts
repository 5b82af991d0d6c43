/**
 * A trained network out of hextorch: ONNX (engines, onnxruntime, web pages) or a
 * PyTorch state dict (Python), each with a model card `FILE.json` beside it.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fsyncPath, writeFileAtomic } from './atomic-file';
import { callNative, HextorchError } from './errors';
import { resolveCheckpoint } from './interop/checkpoint-files';
import { encodeOnnx, INPUT_DOC, ONNX_OPSET, POLICY_DOC, VALUE_DOC } from './interop/onnx';
import { native } from './native';
import type { NativeNetworkSpec } from './native-types';
import { checkOneOf, checkString } from './options';
import { MODEL_PRESETS } from './trainer';
import { version } from './version';

export const EXPORT_FORMATS = ['onnx', 'pytorch'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** A checkpoint directory, its model.pt, a checkpoints directory or a run directory (their latest checkpoint). */
  checkpoint: string;
  format: ExportFormat;
  /** The file to write; the model card goes to `${out}.json`. */
  out: string;
}

/** What an exported file is, written beside it as `FILE.json`. */
export interface ModelCard {
  format: 'hextorch-model-card';
  version: 1;
  file: string;
  exportFormat: ExportFormat;
  onnxOpset?: number;
  model: string;
  boardSize: number;
  blocks: number;
  channels: number;
  dropout: number;
  input: { name: 'planes'; shape: (string | number)[]; planes: string[]; description: string };
  outputs: { policy: { shape: (string | number)[]; description: string }; value: { shape: (string | number)[]; description: string } };
  valueConvention: '+1 = Red wins';
  training: {
    samplesSeen: number | null;
    globalBatch: number | null;
    datasetFingerprint: string | null;
    /** Figures of the last validated mini-epoch, or null when the run had no validation. */
    validation: Record<string, number> | null;
    checkpoint: string | null;
  };
  hextorchVersion: string;
  exportedAt: string;
}

export interface ExportResult {
  out: string;
  card: string;
  format: ExportFormat;
  bytes: number;
  modelCard: ModelCard;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function lastValidation(history: unknown): Record<string, number> | null {
  if (!Array.isArray(history)) return null;
  for (let k = history.length - 1; k >= 0; --k) {
    const v = (history[k] as { validation?: unknown }).validation;
    if (v && typeof v === 'object') return v as Record<string, number>;
  }
  return null;
}

/** Writes a checkpoint's network as ONNX or as a PyTorch state dict, with its model card. */
export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const format = checkOneOf('format', options.format, EXPORT_FORMATS);
  const out = checkString('out', options.out);
  const files = resolveCheckpoint(checkString('checkpoint', options.checkpoint));
  const config = files.state?.config as Record<string, unknown> | undefined;
  if (!config) {
    throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `${options.checkpoint} has no state.json with the run's model options: give a checkpoint directory (RUN/checkpoints/ckpt-...) or a run directory`);
  }
  const spec: NativeNetworkSpec = {
    model: checkOneOf('model', config.model, MODEL_PRESETS),
    boardSize: num(config.boardSize) ?? 0,
    blocks: num(config.blocks) ?? 0,
    channels: num(config.channels) ?? 0,
  };
  const n = spec.boardSize;
  const trainerState = (files.state?.trainer ?? {}) as Record<string, unknown>;
  const card: ModelCard = {
    format: 'hextorch-model-card',
    version: 1,
    file: basename(out),
    exportFormat: format,
    ...(format === 'onnx' ? { onnxOpset: ONNX_OPSET } : {}),
    model: spec.model,
    boardSize: n,
    blocks: spec.blocks,
    channels: spec.channels,
    dropout: num(config.dropout) ?? 0.1,
    input: {
      name: 'planes',
      shape: ['batch', 3, n, n],
      planes: ['Blue stones (1.0 where present)', 'Red stones (1.0 where present)', 'player to move: 0.0 everywhere when Blue is to move, 1.0 when Red is'],
      description: INPUT_DOC,
    },
    outputs: { policy: { shape: ['batch', n * n], description: POLICY_DOC }, value: { shape: ['batch', 1], description: VALUE_DOC } },
    valueConvention: '+1 = Red wins',
    training: {
      samplesSeen: num(trainerState.samplesSeen),
      globalBatch: num(trainerState.globalStep),
      datasetFingerprint: typeof config.datasetFingerprint === 'string' ? config.datasetFingerprint : null,
      // Run state v2 keeps the last mini-epoch (`last`); v1 kept the whole history.
      validation: lastValidation(files.state?.last ? [files.state.last] : files.state?.history),
      checkpoint: files.dir ? basename(files.dir) : null,
    },
    hextorchVersion: version,
    exportedAt: new Date().toISOString(),
  };

  if (format === 'onnx') {
    const graph = await callNative(() => native().exportGraph({ ...spec, weights: files.weights }));
    const bytes = encodeOnnx(graph, {
      producerVersion: version,
      docString: `hextorch ${spec.model} network for ${n}x${n} Hex. ${INPUT_DOC}. ${POLICY_DOC}. ${VALUE_DOC}.`,
      metadata: { model: spec.model, boardSize: String(n), valueConvention: card.valueConvention },
    });
    writeFileAtomic(out, bytes);
  } else {
    const tmp = `${out}.tmp`;
    try {
      await callNative(() => native().exportStateDict({ ...spec, weights: files.weights, out: tmp }));
      fsyncPath(tmp);
      renameSync(tmp, out);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
  const cardPath = `${out}.json`;
  writeFileAtomic(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  return { out, card: cardPath, format, bytes: statSync(out).size, modelCard: card };
}
