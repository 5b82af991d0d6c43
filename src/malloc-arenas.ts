/**
 * glibc's malloc arenas in a hextorch process, as `info` reports them. The rule is the
 * native core's (shareMallocArenas, native/core/util/memory.cpp): when the addon loads it
 * caps the arenas at 2 unless the user set a limit (MALLOC_ARENA_MAX, or
 * glibc.malloc.arena_max in GLIBC_TUNABLES) in the environment the process started
 * with; glibc applied that already, and it is kept.
 */
import type { NativeInfo } from './native-types';

export interface MallocArenas {
  /** 'hextorch': its cap applies; 'user': the user's own limit, kept; 'not glibc': another C library, nothing set. */
  source: 'hextorch' | 'user' | 'not glibc';
  /** The cap hextorch set (null: none). */
  cap: number | null;
  /** The user's setting, e.g. 'MALLOC_ARENA_MAX=8' (null: none). */
  userSetting: string | null;
  description: string;
}

export function describeMallocArenas(seen: NativeInfo['mallocArenas']): MallocArenas {
  const { cap, userSetting } = seen;
  if (!seen.glibc) return { source: 'not glibc', cap, userSetting, description: "the C library's own (not glibc; hextorch sets nothing)" };
  if (userSetting !== null) return { source: 'user', cap, userSetting, description: `${userSetting}: set by the user, kept` };
  return {
    source: 'hextorch',
    cap,
    userSetting,
    description: `at most ${cap} (hextorch's default: threads share arenas, so freed memory is reused instead of spread over one arena per thread; MALLOC_ARENA_MAX chooses otherwise)`,
  };
}
