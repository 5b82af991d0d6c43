/** The typed interface of the native addon: everything that crosses N-API. */

export interface NativeInfo {
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudaDevices: string[];
  cudnnVersion: number | null;
  threads: number;
  buildType: string;
  /** OMP_WAIT_POLICY and GOMP_SPINCOUNT as libgomp read them when the addon was loaded (null: unset). */
  ompWaitPolicy: string | null;
  gompSpinCount: string | null;
  /** glibc's malloc arena limit: hextorch's cap (null: none applied) and the user's own setting (null: none). */
  mallocArenas: { glibc: boolean; cap: number | null; userSetting: string | null };
}

export interface NativeBuildSummary {
  boardSize: number;
  games: number;
  trainGames: number;
  validationGames: number;
  positions: number;
  trainPositions: number;
  validationPositions: number;
  blueWins: number;
  redWins: number;
  bytes: number;
  shards: number;
  seconds: number;
}

export interface NativeInvalidRecord {
  file: string;
  line: number;
  kind: string;
  reason: string;
}

export interface NativeImportSummary extends NativeBuildSummary {
  recordsRead: number;
  gamesImported: number;
  duplicates: number;
  skippedByReason: Record<string, number>;
  invalid: NativeInvalidRecord[];
}

export interface NativeShardInfo {
  path: string;
  records: number;
  version: number;
  boardSize: number;
  recordSize: number;
  blockRecords: number;
  validation: boolean;
}

export interface NativeSplitInfo {
  positions: number;
  fingerprint: string;
  shards: NativeShardInfo[];
}

export interface NativeManifest {
  games: { total: number; blueWins: number; redWins: number };
  trainGames: number;
  validationGames: number;
  seed: number;
  valFraction: number;
  source: Record<string, unknown>;
}

export interface NativeInspection {
  boardSize: number;
  train: NativeSplitInfo;
  validation?: NativeSplitInfo;
  /** dataset.json as the core parsed it (for a dataset directory, not a shard file). */
  manifest?: NativeManifest;
}

export interface NativePosition {
  boardSize: number;
  cells: Uint8Array;
  toMove: 'blue' | 'red';
  policy: number | null;
  value: number;
  game: number;
  ply: number;
}

export interface NativeBatch {
  readonly size: number;
  readonly boardSize: number;
  readonly epoch: number;
  readonly index: number;
  toArrays(): { planes: Float32Array; policy: Int32Array; value: Float32Array };
  dispose(): void;
}

export interface NativeCursor {
  epoch: number;
  batch: number;
}

export interface NativeLoaderOptions {
  dir?: string;
  shards?: string[];
  split: 'train' | 'validation';
  batchSize: number;
  augment: 'all' | 'random' | 'none';
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  workers: number;
  prefetch: number;
  maxBatches: number;
  /** Data-parallel: this rank's share of every global batch. */
  rank?: number;
  worldSize?: number;
}

export interface NativeDataLoader {
  next(): Promise<NativeBatch | null>;
  /** A batch already built, at once: undefined when none is ready, null when the epoch has none. */
  tryNext(): NativeBatch | null | undefined;
  cursor(): NativeCursor;
  seek(cursor: NativeCursor): void;
  describe(): { batchesPerEpoch: number; examplesPerEpoch: number; positions: number; boardSize: number; fingerprint: string; workers: number };
  dispose(): void;
}

export interface NativeMetricSums {
  policyLossSum: number;
  policyCount: number;
  policyCorrect: number;
  valueLossSum: number;
  valueCorrect: number;
  samples: number;
  batches: number;
  nonFiniteStep: number;
}

export interface NativeTrainerOptions {
  model: string;
  boardSize: number;
  blocks: number;
  channels: number;
  dropout: number;
  device: string;
  precision: string;
  threads: number;
  optimizer: string;
  learningRate: number;
  weightDecay: number;
  momentum: number;
  valueHeadLrFactor: number;
  valueHeadWeightDecayFactor: number;
  gradientClip: number;
  policyWeight: number;
  valueWeight: number;
  seed: number;
  /** Weights file to start from (checkpoint model.pt or PyTorch state dict). */
  initFrom?: string;
  schedule: { kind: string; warmupSteps: number; totalSteps: number; minFactor: number; stepSize: number; gamma: number };
  /** Data-parallel: the process group, and synchronised batch norm. */
  communicator?: NativeCommunicator;
  syncBatchNorm?: boolean;
}

export interface NativeCommunicatorOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  timeoutMs: number;
}

export interface NativeCommunicator {
  describe(): { rank: number; worldSize: number };
  barrier(what: string): Promise<void>;
  allGather(label: string, value: string): Promise<string[]>;
  allReduceSum(values: Float64Array, what: string): Promise<Float64Array>;
  dispose(): void;
}

/**
 * Where the time of one checkpoint file write went, in seconds (wall clock). The SHA-256
 * runs on a thread of its own beside the rest, so the parts add up to more than the total.
 */
export interface CheckpointWriteProfile {
  /** Open to close. */
  totalSeconds: number;
  /** LibTorch's zip writer: pickling the archive, the CRC-32 of every record. */
  serialiseSeconds: number;
  /** write(2) into the page cache, starting write-back. */
  writeSeconds: number;
  /** SHA-256 of the file (its own thread). */
  hashSeconds: number;
  /** Waiting for the SHA-256 once the fsync returned: the part hidden by neither. */
  hashWaitSeconds: number;
  /** The final fsync. */
  syncSeconds: number;
  /**
   * CPU time of the writing thread (serialise, write) and of the hashing thread. On an
   * idle machine the write takes about the larger of the two plus the fsync's tail; they
   * stay comparable on a shared machine, where wall clock does not.
   */
  writerCpuSeconds: number;
  hashCpuSeconds: number;
}

export interface NativeTrainer {
  trainStep(batch: NativeBatch): Promise<void>;
  takeTrainMetrics(): Promise<NativeMetricSums>;
  evaluateBatch(batch: NativeBatch): Promise<void>;
  takeEvalMetrics(): Promise<NativeMetricSums>;
  predict(planes: Float32Array, count: number): Promise<{ policy: Float32Array; value: Float32Array; logits: Float32Array }>;
  /** Writes and flushes the file; resolves with its size and SHA-256 (computed while writing) and where the time went. */
  save(path: string, extra: string): Promise<{ bytes: number; sha256: string; profile: CheckpointWriteProfile }>;
  /** Reads the file once; with `expected`, a different size or SHA-256 is HEXTORCH_CORRUPT_DATA. */
  load(path: string, expected?: { bytes: number; sha256: string }): Promise<string>;
  weightsDigest(): Promise<string>;
  /** As of the end of the last call (published by the trainer thread): safe while a call runs. */
  state(): { step: number; samples: number; learningRate: number; stepSeconds: number; allReduceBytesPerStep: number; allReduceWaitSeconds: number };
  /** Data-parallel: ask every rank to stop after the next step; whether they agreed to. */
  requestStop(stop: boolean): void;
  stopAgreed(): boolean;
  describe(): { device: string; precision: 'fp32' | 'bf16'; precisionReason: string; parameters: number; model: string; boardSize: number };
  dispose(): void;
}

/** A player's options as they cross to native code (checked in src/play/players.ts). */
export interface NativePlayerOptions {
  kind: 'random' | 'policy' | 'mcts';
  checkpoint?: string;
  boardSize?: number;
  device?: string;
  threads?: number;
  maxBatch?: number;
  temperature?: number;
  seed?: number;
  playouts?: number;
  seconds?: number;
  batch?: number;
  cpuct?: number;
  fpuReduction?: number;
  reuseTree?: boolean;
  dirichletAlpha?: number;
  dirichletWeight?: number;
}

export interface NativeMoveInfo {
  move: number;
  /** Expected result for the side that moved, in [-1, 1]. */
  value: number;
  playouts: number;
  reusedVisits: number;
  /** [cell, visits] of the root's visited children (mcts). */
  visits: Array<[number, number]>;
}

export interface NativePlayer {
  genmove(moves: number[]): Promise<NativeMoveInfo>;
  describe(): { kind: string; boardSize: number; network: string };
  dispose(): void;
}

export interface NativeGameResult {
  index: number;
  boardSize: number;
  aIsBlue: boolean;
  openingMoves: number;
  moves: number[];
  winner: 'blue' | 'red';
}

export interface NativeMatchSummary {
  games: NativeGameResult[];
  stopped: boolean;
  seconds: number;
  positionsEvaluated: number;
  forwardPasses: number;
  networks: string;
  boardSize: number;
}

export interface NativeMatchOptions {
  games: number;
  boardSize: number;
  parallel: number;
  seed: number;
  randomOpening: boolean;
  openings?: number[][];
  a: NativePlayerOptions;
  b: NativePlayerOptions;
}

export interface NativeEvalSums {
  positions: number;
  policyPositions: number;
  top1: number;
  top5: number;
  crossEntropySum: number;
  valueSquaredErrorSum: number;
  valueCorrect: number;
}

export interface NativeEvaluation {
  boardSize: number;
  source: string;
  network: string;
  games: number;
  seconds: number;
  overall: NativeEvalSums;
  byPly: Array<NativeEvalSums & { fromPly: number; toPly: number | null }>;
  calibration: Array<{ count: number; predictedSum: number; redWins: number }>;
}

export interface NativeNetworkSpec {
  model: string;
  boardSize: number;
  blocks: number;
  channels: number;
}

export type NativeGraphAttribute = { int: number } | { ints: number[] } | { float: number };

/** A network's eval-mode forward pass as ONNX (opset 13) operators, described by the network itself. */
export interface NativeModelGraph {
  boardSize: number;
  input: string;
  outputs: string[];
  nodes: { op: string; name: string; inputs: string[]; outputs: string[]; attributes: Record<string, NativeGraphAttribute> }[];
  /** Weights by state-dict name. */
  initializers: { name: string; dims: number[]; data: Float32Array }[];
}

export interface NativeAddon {
  info(): NativeInfo;
  importRecords(
    options: Record<string, unknown>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<NativeImportSummary>;
  generateDataset(options: Record<string, unknown>): Promise<NativeBuildSummary>;
  /** Whether a file in an input directory or archive holds records of the format. */
  isRecordFile(format: string, name: string): boolean;
  inspectDataset(options: { dir?: string; shard?: string; verify: boolean }): Promise<NativeInspection>;
  readPosition(options: { dir?: string; shard?: string; split: string; index: number }): NativePosition;
  createTrainer(options: NativeTrainerOptions): Promise<NativeTrainer>;
  connectDistributed(options: NativeCommunicatorOptions): Promise<NativeCommunicator>;
  distributedAvailable(): { available: boolean; reason: string };
  /** An exclusive OS lock (flock) on `path`: the descriptor holding it, or the holder's note when taken. */
  lockFile(path: string, content: string): number | { holder: string };
  unlockFile(fd: number): void;
  exportGraph(options: NativeNetworkSpec & { weights: string }): Promise<NativeModelGraph>;
  exportStateDict(options: NativeNetworkSpec & { weights: string; out: string }): Promise<number>;
  NativeDataLoader: new (options: NativeLoaderOptions) => NativeDataLoader;
  NativeBatch: abstract new () => NativeBatch;
  createPlayer(options: NativePlayerOptions): Promise<NativePlayer>;
  runMatch(options: NativeMatchOptions, onGame?: (game: NativeGameResult) => void): { done: Promise<NativeMatchSummary>; stop(): void };
  evaluateNetwork(options: Record<string, unknown>, onProgress?: (done: number, total: number) => void): Promise<NativeEvaluation>;
  /** The model's input planes for positions (cells 0/1/2, count*N*N bytes; redToMove 0/1 per position). */
  encodePlanes(cells: Uint8Array, redToMove: Uint8Array, boardSize: number): Float32Array;
  /** Replays moves from the empty board under the core's rules; the winner, if any (throws on an illegal move). */
  gameWinner(boardSize: number, moves: number[]): 'blue' | 'red' | null;
  /** The opening a match gives game `index` (pairs share one): a seeded random first move. */
  matchOpening(boardSize: number, seed: number, index: number): number[];
  /** The precision a trainer on this device computes in for the option, and why (runtime/precision.h). */
  choosePrecision(options: { precision: string; cuda: boolean; cudaDevice?: number }): { precision: 'fp32' | 'bf16'; reason: string; cpuBf16Flags: string[] };
  /** The loss (train/loss.h: stated there only) and the other means of summed metrics. */
  summarizeMetrics(sums: Omit<NativeMetricSums, 'nonFiniteStep'>, weights: { policyWeight: number; valueWeight: number }): NativeMetricMeans;
}

export interface NativeMetricMeans {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  policyAccuracy: number;
  valueAccuracy: number;
}
