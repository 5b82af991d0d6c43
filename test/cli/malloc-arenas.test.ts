/**
 * glibc's malloc arenas (native/core/util/memory.cpp, src/malloc-arenas.ts): hextorch caps
 * them at 2 unless the user set a limit, which glibc applied at start and which is kept;
 * `hextorch info` says which applies. Each case is a child process started with the
 * variable in its environment, as glibc needs it. Whether the cap itself is applied or not
 * is observed by the C++ tests (Memory.ThreadsStartedAfterShareMallocArenasGetNoNewArenas,
 * and Memory.UsersMallocArenaMax, which ctest runs with MALLOC_ARENA_MAX=6).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../helpers';

const glibc = Boolean((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime);

/** The environment without the developer's own arena settings, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['MALLOC_ARENA_MAX', 'GLIBC_TUNABLES']) if (!(name in extra)) delete e[name];
  return e;
}

function info(extra: Record<string, string> = {}) {
  const json = runCli(['info', '--json'], { env: env(extra) });
  assert.equal(json.status, 0, json.stderr);
  const text = runCli(['info'], { env: env(extra) });
  assert.equal(text.status, 0, text.stderr);
  return { arenas: JSON.parse(json.stdout).mallocArenas as { source: string; cap: number | null; userSetting: string | null; description: string }, line: /^malloc arenas: .*$/m.exec(text.stdout)?.[0] };
}

describe('malloc arenas', { skip: glibc ? false : 'glibc only' }, () => {
  test("without a setting of the user's, hextorch caps the arenas at 2, and info says so", () => {
    const cases: Array<Record<string, string>> = [{}, { MALLOC_ARENA_MAX: '' }, { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0' }];
    for (const extra of cases) {
      const { arenas, line } = info(extra);
      assert.deepEqual([arenas.source, arenas.cap, arenas.userSetting], ['hextorch', 2, null], JSON.stringify(extra));
      assert.match(line ?? '', /^malloc arenas: at most 2 \(hextorch's default: .*MALLOC_ARENA_MAX chooses otherwise\)$/);
    }
  });

  test("the user's MALLOC_ARENA_MAX (or glibc.malloc.arena_max in GLIBC_TUNABLES) is kept, and info says so", () => {
    const own = info({ MALLOC_ARENA_MAX: '8' });
    assert.deepEqual([own.arenas.source, own.arenas.cap, own.arenas.userSetting], ['user', null, 'MALLOC_ARENA_MAX=8']);
    assert.equal(own.line, 'malloc arenas: MALLOC_ARENA_MAX=8: set by the user, kept');
    const tunable = info({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.arena_max=4:glibc.malloc.check=0' });
    assert.deepEqual([tunable.arenas.source, tunable.arenas.cap, tunable.arenas.userSetting], ['user', null, 'GLIBC_TUNABLES=glibc.malloc.arena_max=4']);
    assert.equal(tunable.line, 'malloc arenas: GLIBC_TUNABLES=glibc.malloc.arena_max=4: set by the user, kept');
  });
});
