/** Game records in, dataset directories out; and reading what a dataset holds. */
import { callNative, callNativeSync, HextorchError } from './errors';
import { extractZipInputs } from './interop/zip-inputs';
import { native } from './native';
import type { NativeBuildSummary, NativeImportSummary, NativeInspection, NativePosition } from './native-types';
import { BOARD_SIZES, checkBoolean, checkInteger, checkNumber, checkOneOf, checkString, optional } from './options';

export type RecordFormat = 'trmph' | 'moves' | 'sgf';

export interface ImportOptions {
  format: RecordFormat;
  /**
   * Files, directories whose files are read in name order (for SGF their `.sgf` and
   * `.txt` files), and `.zip` archives of such files.
   */
  inputs: string[];
  /** Output dataset directory; must not already hold a dataset. */
  out: string;
  /**
   * Board size of move lists (default 13); for trmph the records' own size, checked when
   * given; for SGF the size kept (default: the first imported game's), other sizes skipped.
   */
  boardSize?: number;
  /** SGF: keep only games that ended by resignation or connection (skip the adjudicated ones). */
  onlyResignOrConnection?: boolean;
  /** What to do with invalid records: fail (default, nothing written) or skip (counted by reason). */
  onInvalid?: 'fail' | 'skip';
  keepDuplicates?: boolean;
  /** Fraction of games held out for validation (default 0.05). */
  valFraction?: number;
  seed?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export type BuildSummary = NativeBuildSummary;
export type ImportSummary = NativeImportSummary;

export async function importRecords(options: ImportOptions): Promise<ImportSummary> {
  const format = checkOneOf('format', options.format, ['trmph', 'moves', 'sgf'] as const);
  if (!Array.isArray(options.inputs) || options.inputs.length === 0) {
    throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', "option 'inputs' must list at least one file or directory");
  }
  const request = {
    format,
    inputs: options.inputs.map((f, i) => checkString(`inputs[${i}]`, f)),
    out: checkString('out', options.out),
    boardSize: options.boardSize === undefined ? 0 : checkInteger('boardSize', options.boardSize, BOARD_SIZES.min, BOARD_SIZES.max),
    onInvalid: checkOneOf('onInvalid', optional(options.onInvalid, 'fail'), ['fail', 'skip'] as const),
    keepDuplicates: checkBoolean('keepDuplicates', optional(options.keepDuplicates, false)),
    onlyResignOrConnection: checkBoolean('onlyResignOrConnection', optional(options.onlyResignOrConnection, false)),
    valFraction: checkNumber('valFraction', optional(options.valFraction, 0.05), 0, 0.99),
    seed: checkInteger('seed', optional(options.seed, 1), 0),
  };
  const zips = await extractZipInputs(request.inputs, (name) => native().isRecordFile(format, name));
  try {
    const summary = await callNative(() => native().importRecords({ ...request, inputs: zips.inputs }, options.onProgress));
    for (const bad of summary.invalid) bad.file = zips.rename(bad.file);
    return summary;
  } catch (error) {
    if (error instanceof Error) error.message = zips.rename(error.message);
    throw error;
  } finally {
    await zips.cleanup();
  }
}

export interface GenerateOptions {
  games: number;
  boardSize?: number;
  seed?: number;
  out: string;
  valFraction?: number;
}

/** Synthetic games (heuristic legal play), written straight to a dataset directory. */
export async function generateGames(options: GenerateOptions): Promise<BuildSummary> {
  const request = {
    games: checkInteger('games', options.games, 1),
    boardSize: checkInteger('boardSize', optional(options.boardSize, 13), BOARD_SIZES.min, BOARD_SIZES.max),
    seed: checkInteger('seed', optional(options.seed, 1), 0),
    out: checkString('out', options.out),
    valFraction: checkNumber('valFraction', optional(options.valFraction, 0.05), 0, 0.99),
  };
  return callNative(() => native().generateDataset(request));
}

export interface SplitInfo {
  games: number;
  positions: number;
  fingerprint: string;
  shards: NativeInspection['train']['shards'];
}

export interface DatasetInfo {
  dir: string;
  boardSize: number;
  games: { total: number; blueWins: number; redWins: number };
  train: SplitInfo;
  validation: SplitInfo;
  source: Record<string, unknown>;
}

/**
 * Opens a dataset directory: manifest, counts, shard headers. With `verify` (default
 * false) every checksum block is read and checked too.
 */
export async function openDataset(dir: string, options: { verify?: boolean } = {}): Promise<DatasetInfo> {
  checkString('dir', dir);
  const inspection = await callNative(() => native().inspectDataset({ dir, verify: options.verify ?? false }));
  const manifest = inspection.manifest!;
  const split = (name: 'train' | 'validation'): SplitInfo => ({
    games: name === 'train' ? manifest.trainGames : manifest.validationGames,
    positions: inspection[name]!.positions,
    fingerprint: inspection[name]!.fingerprint,
    shards: inspection[name]!.shards,
  });
  return {
    dir,
    boardSize: inspection.boardSize,
    games: manifest.games,
    train: split('train'),
    validation: split('validation'),
    source: manifest.source,
  };
}

/** Headers and checksum status of one shard file. */
export async function inspectShard(path: string, options: { verify?: boolean } = {}): Promise<NativeInspection['train']> {
  const inspection = await callNative(() => native().inspectDataset({ shard: checkString('path', path), verify: options.verify ?? true }));
  return inspection.train;
}

export type Position = NativePosition;

/** Decodes one position of a dataset split (or of a shard file). */
export function readPosition(source: { dir: string; split?: 'train' | 'validation' } | { shard: string }, index: number): Position {
  checkInteger('index', index, 0);
  const request = 'shard' in source ? { shard: source.shard, split: 'train', index } : { dir: source.dir, split: source.split ?? 'train', index };
  return callNativeSync(() => native().readPosition(request));
}
