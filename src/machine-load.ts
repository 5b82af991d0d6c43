/**
 * Whether other processes keep the machine's cores busy while a multi-threaded Trainer
 * runs, measured during training so that the run can say so.
 *
 * A 2-thread step on a machine whose cores are taken by other processes scatters (0.46× to
 * 21× the quiet rate in docs/benchmarks.md, "OpenMP waiting under load"): a thread of the
 * OpenMP team that the kernel has descheduled stalls the others at every barrier, while a
 * 1-thread step stays steady. The thread count is never changed automatically (the step's
 * arithmetic depends on it); the run only warns and suggests `--threads 1`.
 *
 * The rule (the one place it is stated): over a window of at least `windowSeconds`, the
 * other processes' CPU use is the busy time of the CPUs this process may run on (from
 * /proc/stat; idle and iowait excluded, a VM's steal time included) minus this process's
 * own CPU time (process.cpuUsage(), all its threads, LibTorch's included), divided by the
 * window's wall time: a number of cores. A CPU run with `threads` ≥ 2 is oversubscribed
 * when the others use at least `minOtherCores` on average and `threads` + that use exceeds
 * the cores available (os.availableParallelism()): some of the team's threads cannot have
 * a core of their own. Linux only: elsewhere nothing is measured and nothing is said.
 */
import { readFileSync } from 'node:fs';
import { availableCores } from './options';

export const machineLoadRule = {
  /**
   * Other processes' average use, in cores, below which nothing is said: half a core,
   * so that one busy process counts even when it sleeps half the time (one busy process
   * already made 2-thread steps scatter), while background daemons, a shell or an editor
   * (well under 0.1 core) do not.
   */
  minOtherCores: 0.5,
  /** The window over which the use is averaged: long enough that a short burst (a compiler, a backup's start) does not count. */
  windowSeconds: 10,
  /** After a warning and a window that cleared it, the earliest a second warning comes. */
  repeatAfterSeconds: 600,
} as const;

/** One window's figures. */
export interface LoadSample {
  /** Cores available to the process (os.availableParallelism()). */
  cores: number;
  /** The Trainer's intra-op threads. */
  threads: number;
  /** Other processes' average CPU use over the window, in cores. */
  otherCores: number;
  windowSeconds: number;
}

/** The decision, on a window's figures: true when the run should warn. */
export function oversubscribed(sample: LoadSample, minOtherCores: number = machineLoadRule.minOtherCores): boolean {
  return sample.threads >= 2 && sample.otherCores >= minOtherCores && sample.threads + sample.otherCores > sample.cores;
}

/** Cumulative counters at one moment (Linux). */
export interface CpuCounters {
  /** Busy and total clock ticks summed over the CPUs this process may run on. */
  busyTicks: number;
  totalTicks: number;
  cpus: number;
  /** This process's CPU time (all threads) and a monotonic clock, in seconds. */
  processSeconds: number;
  wallSeconds: number;
}

/** The CPU numbers in a list like "0-3,6,8-9" (Cpus_allowed_list). */
export function parseCpuList(list: string): Set<number> {
  const cpus = new Set<number>();
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [from, to] = part.split('-').map(Number);
    if (!Number.isInteger(from)) continue;
    for (let cpu = from!; cpu <= (Number.isInteger(to) ? to! : from!); cpu++) cpus.add(cpu);
  }
  return cpus;
}

/** Busy and total ticks of the given CPUs in a /proc/stat text (all CPUs when `allowed` is null). */
export function parseProcStat(text: string, allowed: Set<number> | null): { busyTicks: number; totalTicks: number; cpus: number } {
  let busyTicks = 0;
  let totalTicks = 0;
  let cpus = 0;
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match || (allowed && !allowed.has(Number(match[1])))) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user and nice]
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = match[2]!.trim().split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    busyTicks += busy;
    totalTicks += busy + idle + iowait;
    cpus++;
  }
  return { busyTicks, totalTicks, cpus };
}

/** The CPUs this process may run on, or null when that cannot be read (then all count). */
function allowedCpus(): Set<number> | null {
  try {
    const line = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const cpus = line ? parseCpuList(line[1]!) : null;
    return cpus && cpus.size > 0 ? cpus : null;
  } catch {
    return null;
  }
}

/** The counters now; null where they cannot be read (not Linux, no /proc). */
export function readCpuCounters(allowed: Set<number> | null = allowedCpus()): CpuCounters | null {
  if (process.platform !== 'linux') return null;
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const usage = process.cpuUsage();
  const stat = parseProcStat(text, allowed);
  if (stat.cpus === 0) return null;
  return { ...stat, processSeconds: (usage.user + usage.system) / 1e6, wallSeconds: performance.now() / 1000 };
}

/**
 * Other processes' average CPU use between two readings, in cores; null when no clock tick
 * passed. The ticks' own clock (total ticks per CPU) gives the busy cores, so the kernel's
 * tick rate is not needed.
 */
export function otherCoresBetween(before: CpuCounters, after: CpuCounters): number | null {
  const ticksPerCpu = (after.totalTicks - before.totalTicks) / after.cpus;
  const wall = after.wallSeconds - before.wallSeconds;
  if (!(ticksPerCpu > 0) || !(wall > 0)) return null;
  const busyCores = (after.busyTicks - before.busyTicks) / ticksPerCpu;
  const ownCores = (after.processSeconds - before.processSeconds) / wall;
  return Math.max(0, busyCores - ownCores);
}

export type LoadEvent = { kind: 'oversubscribed' | 'cleared'; sample: LoadSample };

export interface MachineLoadWatchOptions {
  threads: number;
  /** Default: os.availableParallelism(). */
  cores?: number;
  windowSeconds?: number;
  repeatAfterSeconds?: number;
  /** Default: readCpuCounters (tests pass their own readings, and their clock in seconds). */
  read?: () => CpuCounters | null;
  clock?: () => number;
}

/**
 * Judges the load window by window, at the moments the caller polls it (between training
 * steps): `poll()` returns an event when the state changes — 'oversubscribed' once, then
 * 'cleared' after a window under the rule, and 'oversubscribed' again only after that and
 * `repeatAfterSeconds` since the last warning.
 */
export class MachineLoadWatch {
  private readonly threads: number;
  private readonly cores: number;
  private readonly windowSeconds: number;
  private readonly repeatAfterSeconds: number;
  private readonly read: () => CpuCounters | null;
  private readonly clock: () => number;
  private start: CpuCounters | null;
  private warnedAt: number | null = null;
  private active = false;

  constructor(options: MachineLoadWatchOptions) {
    this.threads = options.threads;
    this.cores = options.cores ?? availableCores();
    this.windowSeconds = options.windowSeconds ?? machineLoadRule.windowSeconds;
    this.repeatAfterSeconds = options.repeatAfterSeconds ?? machineLoadRule.repeatAfterSeconds;
    const allowed = options.read ? null : allowedCpus();
    this.read = options.read ?? (() => readCpuCounters(allowed));
    this.clock = options.clock ?? (() => performance.now() / 1000);
    this.start = this.read();
  }

  /** Whether anything is measured here (Linux with /proc). */
  get measuring(): boolean {
    return this.start !== null;
  }

  poll(): LoadEvent | null {
    // The clock first: /proc is read once a window, not at every step.
    if (!this.start || this.clock() - this.start.wallSeconds < this.windowSeconds) return null;
    const now = this.read();
    if (!now) return null;
    const otherCores = otherCoresBetween(this.start, now);
    const windowSeconds = now.wallSeconds - this.start.wallSeconds;
    this.start = now;
    if (otherCores === null) return null;
    const sample: LoadSample = { cores: this.cores, threads: this.threads, otherCores, windowSeconds };
    if (oversubscribed(sample)) {
      if (this.active || (this.warnedAt !== null && now.wallSeconds - this.warnedAt < this.repeatAfterSeconds)) return null;
      this.active = true;
      this.warnedAt = now.wallSeconds;
      return { kind: 'oversubscribed', sample };
    }
    if (!this.active) return null;
    this.active = false;
    return { kind: 'cleared', sample };
  }
}
