/**
 * Loads the native addon through node-gyp-build (prebuilds/ first, then build/Release).
 * A failure explains what was tried, whether LibTorch was found and how to fix it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HextorchError } from './errors';
import type { NativeAddon } from './native-types';
import { openMpWaitVariables } from './openmp-wait';

export const packageRoot = resolve(__dirname, '..', '..');

let addon: NativeAddon | undefined;
/** How libgomp's wait setting came about when the addon was loaded (src/openmp-wait.ts). */
export const openMpWaitAtLoad = { due: false, preloaded: false };

export function native(): NativeAddon {
  if (!addon) addon = loadAddon();
  return addon;
}

function loadAddon(): NativeAddon {
  // libgomp (LibTorch's OpenMP) reads its environment once, when it is loaded with the
  // addon: hextorch's wait rule goes in just before and comes out right after, so child
  // processes see the user's environment unchanged.
  // Where libgomp is loaded already, its settings are fixed: nothing is set then.
  const preloaded = libgompLoaded();
  const due = Object.keys(openMpWaitVariables(process.env)).length > 0;
  const added = preloaded ? {} : openMpWaitVariables(process.env);
  Object.assign(process.env, added);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    const loaded = nodeGypBuild(packageRoot) as NativeAddon;
    Object.assign(openMpWaitAtLoad, { due, preloaded });
    return loaded;
  } catch (error) {
    throw new HextorchError('HEXTORCH_LOAD_FAILED', explainLoadFailure(error), { cause: error });
  } finally {
    for (const name of Object.keys(added)) delete process.env[name];
  }
}

/** Whether libgomp is already in this process (loaded by another module): then its settings are fixed. */
function libgompLoaded(): boolean {
  try {
    return /\/libgomp[^/\n]*\.so/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return false;  // no /proc (not Linux): cannot tell
  }
}

/** Directories holding LibTorch's shared libraries, as the dynamic loader would search them. */
export function findLibtorch(): string[] {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${process.arch === 'x64' ? 'x86_64' : process.arch}-linux-gnu`,
    '/usr/local/lib',
    '/usr/lib',
  ];
  return dirs.filter((dir) => {
    try {
      return readdirSync(dir).some((name) => name.startsWith('libtorch_cpu.so'));
    } catch {
      return false;
    }
  });
}

export function explainLoadFailure(error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  const platformDir = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  const tried = [
    `${platformDir}${existsSync(platformDir) ? '' : ' (missing)'}`,
    `${join(packageRoot, 'build', 'Release', 'hextorch.node')}${existsSync(join(packageRoot, 'build', 'Release', 'hextorch.node')) ? '' : ' (missing)'}`,
  ];
  const libtorch = findLibtorch();
  return [
    `hextorch could not load its native addon: ${reason.split('\n')[0]}`,
    '',
    'Tried:',
    ...tried.map((t) => `  - ${t}`),
    `LibTorch shared libraries (libtorch_cpu.so): ${libtorch.length > 0 ? `found in ${libtorch.join(', ')}` : 'not found'}`,
    '',
    'Possible solutions:',
    '  - Install LibTorch: on Debian/Ubuntu `apt-get install libtorch-dev libopenblas0-pthread`,',
    '    or install PyTorch and point the loader at it: export LD_LIBRARY_PATH=$(python3 -c "import torch,os;print(os.path.dirname(torch.__file__))")/lib',
    '  - If LibTorch lives elsewhere, add its lib/ directory to LD_LIBRARY_PATH.',
    '  - Rebuild the addon from source for this machine: `npm run build:native`',
    '    (needs cmake, a C++17 compiler, LibTorch and nlohmann-json3-dev).',
  ].join('\n');
}
