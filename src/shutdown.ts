/**
 * Graceful shutdown for long runs: the first SIGINT/SIGTERM only sets a flag (an
 * aborted signal) — the current step finishes and a checkpoint is written; a second
 * SIGINT exits at once (130) without touching existing checkpoints.
 */
export interface Shutdown {
  signal: AbortSignal;
  /** The signal received first, if any: SIGINT or SIGTERM. */
  received(): NodeJS.Signals | undefined;
  exitCode(): number;
  dispose(): void;
}

export function installGracefulShutdown(onFirst: (signal: NodeJS.Signals) => void): Shutdown {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (first) {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    first = signal;
    onFirst(signal);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => first,
    exitCode: () => (first === 'SIGINT' ? 130 : first === 'SIGTERM' ? 143 : 0),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
