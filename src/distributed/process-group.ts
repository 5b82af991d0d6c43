/**
 * A process group for data-parallel training: PyTorch's c10d (TCPStore rendezvous hosted
 * by rank 0, Gloo collectives) through the native addon. One per process; the Trainer
 * uses it for gradients and batch statistics, the orchestrator for barriers and for
 * agreeing when to stop.
 */
import { callNative, callNativeSync, HextorchError } from '../errors';
import { native } from '../native';
import type { NativeCommunicator } from '../native-types';
import { checkInteger, checkString, optional } from '../options';

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Address of rank 0, which hosts the rendezvous store (default 127.0.0.1). */
  masterAddr?: string;
  /** Port of the rendezvous store on rank 0 (default 29500). */
  masterPort?: number;
  /** How long a rank waits for the others at rendezvous, in a collective or at a barrier (default 60 s). */
  timeoutMs?: number;
}

export const DEFAULT_DISTRIBUTED_TIMEOUT_MS = 60_000;

/** Whether this build can train data-parallel, and if not, how to fix it. */
export function distributedAvailability(): { available: boolean; reason: string } {
  return native().distributedAvailable();
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly masterAddr: string;
  readonly masterPort: number;
  readonly timeoutMs: number;
  private handle: NativeCommunicator | undefined;

  private constructor(handle: NativeCommunicator, o: Required<ProcessGroupOptions>) {
    this.handle = handle;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.masterAddr = o.masterAddr;
    this.masterPort = o.masterPort;
    this.timeoutMs = o.timeoutMs;
  }

  /** Joins the group: resolves when every rank has arrived (or fails after timeoutMs, naming the cause). */
  static async connect(options: ProcessGroupOptions): Promise<ProcessGroup> {
    const worldSize = checkInteger('worldSize', options.worldSize, 1, 65536);
    const o: Required<ProcessGroupOptions> = {
      rank: checkInteger('rank', options.rank, 0, worldSize - 1),
      worldSize,
      masterAddr: checkString('masterAddr', optional(options.masterAddr, '127.0.0.1')),
      masterPort: checkInteger('masterPort', optional(options.masterPort, 29500), 1, 65535),
      timeoutMs: checkInteger('timeoutMs', optional(options.timeoutMs, DEFAULT_DISTRIBUTED_TIMEOUT_MS), 1),
    };
    const availability = distributedAvailability();
    if (!availability.available) throw new HextorchError('HEXTORCH_DISTRIBUTED_UNAVAILABLE', availability.reason);
    const handle = await callNative(() => native().connectDistributed(o));
    return new ProcessGroup(handle, o);
  }

  /** @internal the native handle, for the Trainer */
  get native(): NativeCommunicator {
    if (!this.handle) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', 'the process group was disposed');
    return this.handle;
  }

  async barrier(what: string): Promise<void> {
    const handle = this.native;
    await callNative(() => handle.barrier(what));
  }

  /** Every rank's value, in rank order. */
  async allGather(label: string, value: string): Promise<string[]> {
    const handle = this.native;
    return callNative(() => handle.allGather(label, value));
  }

  /** Sums over the ranks (e.g. metric sums). */
  async allReduceSum(values: readonly number[], what: string): Promise<number[]> {
    const handle = this.native;
    return Array.from(await callNative(() => handle.allReduceSum(Float64Array.from(values), what)));
  }

  /** True on every rank when it is true on any rank. */
  async anyTrue(flag: boolean, what: string): Promise<boolean> {
    const [sum] = await this.allReduceSum([flag ? 1 : 0], what);
    return sum! > 0;
  }

  /**
   * Checks that every rank has the same value of each key (batch size, dataset, model, ...);
   * a difference is a named error on every rank.
   */
  async checkSame(what: string, values: Record<string, unknown>): Promise<void> {
    const all = (await this.allGather(what, JSON.stringify(values))).map((v) => JSON.parse(v) as Record<string, unknown>);
    const problems: string[] = [];
    const keys = new Set(all.flatMap((v) => Object.keys(v)));
    for (const key of keys) {
      const reference = JSON.stringify(all[0]![key]);
      const differing = all.map((v, rank) => ({ rank, value: JSON.stringify(v[key]) })).filter((x) => x.value !== reference);
      if (differing.length > 0) {
        problems.push(`${key}: rank 0 has ${reference ?? 'nothing'}, ${differing.map((d) => `rank ${d.rank} has ${d.value ?? 'nothing'}`).join(', ')}`);
      }
    }
    if (problems.length > 0) {
      throw new HextorchError('HEXTORCH_DISTRIBUTED', `the ranks disagree on ${what}: ${problems.join('; ')}. Start every rank with the same options and data`);
    }
  }

  dispose(): void {
    this.handle?.dispose();
    this.handle = undefined;
  }
}

/** @internal for the Trainer: the native handle behind a group */
export function communicatorOf(group: ProcessGroup): NativeCommunicator {
  return callNativeSync(() => group.native);
}
