/**
 * Where a rank learns its place, as torchrun does: RANK, WORLD_SIZE, LOCAL_RANK,
 * LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (so torchrun, Slurm scripts and Kubernetes
 * job specs that set them work unchanged), with explicit options taking precedence.
 */
import { HextorchError, invalidOption } from '../errors';
import { availableCores } from '../options';

export interface DistributedOptions {
  rank?: number;
  worldSize?: number;
  localRank?: number;
  localWorldSize?: number;
  masterAddr?: string;
  masterPort?: number;
  /** How long a rank waits for the others before failing, naming the silent rank (default 60000). */
  timeoutMs?: number;
  /** All-reduce batch-norm statistics over the ranks (as PyTorch's SyncBatchNorm). */
  syncBatchNorm?: boolean;
}

export interface ResolvedDistributed {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  timeoutMs: number;
  syncBatchNorm: boolean;
}

function fromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `environment variable ${name} is '${text}'; expected a non-negative integer`);
  return value;
}

/**
 * The distributed setting of this process, or null when it trains alone (no options
 * and no WORLD_SIZE in the environment).
 */
export function resolveDistributed(options: DistributedOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedDistributed | null {
  const o = options ?? {};
  const worldSize = o.worldSize ?? fromEnv(env, 'WORLD_SIZE');
  if (worldSize === undefined && o.rank === undefined && env.RANK === undefined) return null;
  const world = worldSize ?? 1;
  if (!Number.isInteger(world) || world < 1) throw invalidOption('distributed.worldSize', world, 'an integer >= 1');
  const rank = o.rank ?? fromEnv(env, 'RANK') ?? 0;
  if (!Number.isInteger(rank) || rank < 0 || rank >= world) throw invalidOption('distributed.rank', rank, `an integer from 0 to ${world - 1} (WORLD_SIZE ${world})`);
  const localWorldSize = o.localWorldSize ?? fromEnv(env, 'LOCAL_WORLD_SIZE') ?? 1;
  const localRank = o.localRank ?? fromEnv(env, 'LOCAL_RANK') ?? 0;
  const masterPort = o.masterPort ?? fromEnv(env, 'MASTER_PORT') ?? 29500;
  if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535) throw invalidOption('distributed.masterPort', masterPort, 'a port from 1 to 65535');
  const timeoutMs = o.timeoutMs ?? fromEnv(env, 'HEXTORCH_DIST_TIMEOUT_MS') ?? 60_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw invalidOption('distributed.timeoutMs', timeoutMs, 'a positive integer (milliseconds)');
  return {
    rank,
    worldSize: world,
    localRank,
    localWorldSize: Math.max(1, localWorldSize),
    masterAddr: o.masterAddr ?? env.MASTER_ADDR ?? '127.0.0.1',
    masterPort,
    timeoutMs,
    syncBatchNorm: o.syncBatchNorm ?? false,
  };
}

/** Threads per rank by default: the cores shared by the ranks on this machine. */
export function defaultThreadsPerRank(localWorldSize: number): number {
  return Math.max(1, Math.floor(availableCores() / Math.max(1, localWorldSize)));
}
