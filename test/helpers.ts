/** Shared test helpers: temporary directories, small datasets, running the CLI. */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after } from 'node:test';

export const repoRoot = resolve(__dirname, '..', '..');
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** ../shared/data (or $HEXTORCH_SHARED_DATA) when present. */
export function sharedDataDir(): string | undefined {
  const dir = process.env.HEXTORCH_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(join(dir, 'neurohex', 'raw_games.dat')) ? dir : undefined;
}

/** A temporary directory removed after the test file finishes. */
export function tempDir(prefix = 'hextorch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? repoRoot,
    timeout: 600_000,
  });
}

/** Starts the CLI and resolves with its exit code, signal and output. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}
