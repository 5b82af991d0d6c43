/**
 * How LibTorch's OpenMP threads wait (libgomp), decided once for every hextorch process.
 *
 * LibTorch's intra-op pool is libgomp's team. Between parallel regions its threads
 * spin before they sleep: GCC 12's libgomp spins 300,000 rounds (about 3 ms, longer on
 * CPUs with a slow `pause`) unless told otherwise. On a machine with free cores that
 * spin saves a wake-up per region; on a busy one (shared CI runners, other jobs) the
 * spinning thread holds a core that the thread it waits for needs, and a 2-thread step
 * ran many times slower than a 1-thread one (docs/benchmarks.md, "OpenMP waiting").
 *
 * The rule: unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT, hextorch sets
 * GOMP_SPINCOUNT to `spinCount` below before LibTorch (and with it libgomp) is loaded.
 * libgomp reads its environment once, when it is loaded; the setting is removed from the
 * environment again right after, so child processes see the user's environment.
 */

/** The libgomp spin count hextorch sets (rounds of `pause` before a thread sleeps). */
export const spinCount = 10_000;

/** The environment variables through which a user chooses libgomp's waiting. */
export const userVariables = ['OMP_WAIT_POLICY', 'GOMP_SPINCOUNT'] as const;

/**
 * The variables hextorch adds to `env` before libgomp is loaded: GOMP_SPINCOUNT, or
 * nothing when the user chose a wait policy or a spin count (an explicit value wins).
 */
export function openMpWaitVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  if (userVariables.some((name) => env[name] !== undefined && env[name] !== '')) return {};
  return { GOMP_SPINCOUNT: String(spinCount) };
}

/** What libgomp was told in this process, and by whom (for `info`). */
export interface OpenMpWait {
  /** OMP_WAIT_POLICY and GOMP_SPINCOUNT as libgomp read them when it was loaded (null: unset). */
  waitPolicy: string | null;
  spinCount: string | null;
  /**
   * 'hextorch': its rule applied; 'user': the user's own setting (or libgomp's defaults,
   * left as the user had them); 'not applied': the rule was due but libgomp did not see
   * it (loaded earlier by another module, or the addon loaded from a worker thread, whose
   * environment is its own copy).
   */
  source: 'hextorch' | 'user' | 'not applied';
  description: string;
}

/**
 * Describes the setting libgomp read: `seen` is what the addon captured when it was
 * loaded; `due` whether the rule was to apply (the user set neither variable) and
 * `preloaded` whether libgomp was in the process before the addon.
 */
export function describeOpenMpWait(seen: { waitPolicy: string | null; spinCount: string | null }, due: boolean, preloaded: boolean): OpenMpWait {
  const what = [seen.waitPolicy !== null ? `OMP_WAIT_POLICY=${seen.waitPolicy}` : '', seen.spinCount !== null ? `GOMP_SPINCOUNT=${seen.spinCount}` : ''].filter(Boolean).join(' ');
  if (due && !preloaded && seen.waitPolicy === null && seen.spinCount === String(spinCount)) {
    return { ...seen, source: 'hextorch', description: `${what}, hextorch's default: threads spin briefly, then sleep, so a busy machine does not lose a core to waiting (OMP_WAIT_POLICY or GOMP_SPINCOUNT choose otherwise)` };
  }
  if (due) {
    return { ...seen, source: 'not applied', description: `${what || "libgomp's defaults"}: hextorch's GOMP_SPINCOUNT=${spinCount} did not reach libgomp (${preloaded ? 'another module loaded it first' : 'the addon was loaded from a worker thread'}); set it in the environment before starting node` };
  }
  return { ...seen, source: 'user', description: `${what}: set by the user, kept` };
}
