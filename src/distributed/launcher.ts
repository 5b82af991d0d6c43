/**
 * Starts the local ranks of a data-parallel run, as torchrun does: N child processes
 * with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set.
 * Signals to the launcher go to every rank (each finishes its step; rank 0 writes one
 * checkpoint); rank 0's output is the run's view (it reports global figures), other
 * ranks' lines are prefixed with their rank; the launcher ends with the status of the
 * first rank that failed. A rank whose launcher dies (even by SIGKILL) ends too: it
 * watches a pipe from the launcher.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { checkInteger, checkString, optional } from '../options';
import { DEFAULT_DISTRIBUTED_TIMEOUT_MS } from './process-group';

export interface LaunchOptions {
  /** Ranks to start on this machine. */
  nprocPerNode: number;
  /** Machines in the run (default 1) and this machine's index (default 0). */
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** Script each rank runs with node, and its arguments. */
  script: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** After a rank fails, how long the others get to notice and exit before they are killed (default 60 s + 10 s). */
  failureGraceMs?: number;
  /** Where lines of ranks other than 0 go (default: stderr, prefixed with the rank). */
  onLine?: (rank: number, line: string) => void;
  /** Pass rank 0's output through to this process's (default true); else it goes to onLine too. */
  inheritRankZero?: boolean;
}

export interface RankExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchResult {
  /** 0 when every rank succeeded; else the status of the first rank that failed. */
  exitCode: number;
  firstFailure: RankExit | null;
  ranks: RankExit[];
}

export interface Launch {
  readonly children: ChildProcess[];
  readonly done: Promise<LaunchResult>;
  /** Forwards a signal to every rank still running. */
  signal(signal: NodeJS.Signals): void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1, SIGABRT: 6, SIGSEGV: 11 };

function statusOf(exit: RankExit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? (SIGNAL_NUMBERS[exit.signal] ?? 1) : 1);
}

export function launchRanks(options: LaunchOptions): Launch {
  const perNode = checkInteger('nprocPerNode', options.nprocPerNode, 1, 1024);
  const nnodes = checkInteger('nnodes', optional(options.nnodes, 1), 1, 65536);
  const nodeRank = checkInteger('nodeRank', optional(options.nodeRank, 0), 0, nnodes - 1);
  const masterAddr = checkString('masterAddr', optional(options.masterAddr, '127.0.0.1'));
  const masterPort = checkInteger('masterPort', optional(options.masterPort, 29500), 1, 65535);
  const worldSize = perNode * nnodes;
  const onLine = options.onLine ?? ((rank, line) => process.stderr.write(`[rank ${rank}] ${line}\n`));
  const inherit = options.inheritRankZero ?? true;
  const children: ChildProcess[] = [];
  const exits: RankExit[] = [];
  let firstFailure: RankExit | null = null;
  let forwarded = false;
  let killTimer: NodeJS.Timeout | undefined;

  const done = new Promise<LaunchResult>((resolve) => {
    for (let local = 0; local < perNode; local++) {
      const rank = nodeRank * perNode + local;
      const passThrough = inherit && rank === 0;
      const child = spawn(process.execPath, [options.script, ...options.args], {
        env: {
          ...process.env,
          ...options.env,
          RANK: String(rank),
          WORLD_SIZE: String(worldSize),
          LOCAL_RANK: String(local),
          LOCAL_WORLD_SIZE: String(perNode),
          MASTER_ADDR: masterAddr,
          MASTER_PORT: String(masterPort),
          HEXTORCH_LAUNCHER_PIPE: '1',
        },
        stdio: ['pipe', passThrough ? 'inherit' : 'pipe', passThrough ? 'inherit' : 'pipe'],
        // Its own process group: a Ctrl-C at the terminal reaches the launcher only, which forwards it once.
        detached: true,
      });
      children.push(child);
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => onLine(rank, line));
      }
      child.on('close', (code, signal) => {
        const exit = { rank, code, signal };
        exits.push(exit);
        if (statusOf(exit) !== 0 && !firstFailure) {
          firstFailure = exit;
          if (!forwarded) {
            // The others notice the failure within their timeout; past that, they are stopped.
            const grace = options.failureGraceMs ?? DEFAULT_DISTRIBUTED_TIMEOUT_MS + 10_000;
            killTimer = setTimeout(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')), grace);
            killTimer.unref();
          }
        }
        if (exits.length === perNode) {
          if (killTimer) clearTimeout(killTimer);
          exits.sort((a, b) => a.rank - b.rank);
          resolve({ exitCode: firstFailure ? statusOf(firstFailure) : 0, firstFailure, ranks: exits });
        }
      });
    }
  });
  return {
    children,
    done,
    signal: (signal) => {
      forwarded = true;
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
    },
  };
}

/**
 * Runs the ranks to the end, forwarding this process's SIGINT/SIGTERM to them; resolves
 * with the launcher's exit status.
 */
export async function runLaunched(options: LaunchOptions): Promise<LaunchResult> {
  const launch = launchRanks(options);
  const forward = (signal: NodeJS.Signals) => launch.signal(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await launch.done;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** In a rank started by the launcher: end when the launcher is gone (its pipe closes). */
export function watchLauncher(): void {
  if (process.env.HEXTORCH_LAUNCHER_PIPE !== '1' || !process.stdin) return;
  process.stdin.on('end', () => process.kill(process.pid, 'SIGKILL'));
  process.stdin.on('error', () => process.kill(process.pid, 'SIGKILL'));
  process.stdin.resume();
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
