/** hextorch: train Hex policy/value networks from TypeScript on LibTorch. */
export { HextorchError, type ErrorCode } from './errors';
export { info, type HextorchInfo } from './info';
export { version } from './version';
export {
  importRecords,
  generateGames,
  openDataset,
  inspectShard,
  readPosition,
  type ImportOptions,
  type ImportSummary,
  type GenerateOptions,
  type BuildSummary,
  type DatasetInfo,
  type SplitInfo,
  type Position,
  type RecordFormat,
} from './dataset';
export {
  StreamingAugmentedDataset,
  DataLoader,
  Batch,
  type DatasetOptions,
  type DataLoaderOptions,
  type LoaderState,
  type Augment,
  type Split,
} from './data-loader';
export {
  Trainer,
  MODEL_PRESETS,
  type TrainerOptions,
  type TrainerState,
  type TrainResult,
  type PredictInput,
  type PredictOutput,
  type ModelPreset,
  type ScheduleOptions,
} from './trainer';
export type { CheckpointWriteProfile } from './native-types';
export { summarize, type Metrics, type MetricSums } from './metrics';
export {
  MiniEpochOrchestrator,
  type OrchestratorOptions,
  type MiniEpochRecord,
  type RunSummary,
  type TrainerLike,
  type LoaderLike,
  type EarlyStoppingOptions,
  type GroupLike,
} from './orchestrator';
export { CheckpointStore, type Checkpoint, type CheckpointMeta } from './checkpoint-store';
export { cellName, parseCell, drawBoard } from './hex';
export { ProcessGroup, distributedAvailability, type ProcessGroupOptions } from './distributed/process-group';
export { resolveDistributed, type DistributedOptions, type ResolvedDistributed } from './distributed/env';
export { launchRanks, runLaunched, type LaunchOptions, type LaunchResult, type Launch, type RankExit } from './distributed/launcher';
export { runTraining, type TrainConfig, type TrainRunResult } from './training-run';
export { evaluate, formatEvaluation, type EvaluateOptions, type Evaluation, type EvaluationMetrics, type CalibrationBin } from './play/evaluate';
export { runMatch, readOpenings, trmphLine, type MatchOptions, type MatchResult, type GameRecord } from './play/match';
export { parsePlayerSpec, openPlayer, NativeMovePlayer, EngineMovePlayer, type PlayerSpec, type PlayerSettings, type MovePlayer } from './play/players';
export { HtpEngine, type HtpEngineOptions } from './play/htp-engine';
export { wilsonInterval, eloFromScore, matchStats, type MatchStats } from './play/stats';
export {
  exportModel,
  exportModel as export,
  EXPORT_FORMATS,
  type ExportOptions,
  type ExportResult,
  type ExportFormat,
  type ModelCard,
} from './export';
