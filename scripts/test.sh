#!/usr/bin/env bash
# The test suite: C++ tests of native/core (ctest), then the TypeScript tests (node:test).
#
#   test.sh [DIR]   DIR (e.g. dist/test/gpu): only the TypeScript tests under it
#   TEST_EXCLUDE=REGEX leaves out the TypeScript test files whose path matches REGEX
set -euo pipefail
cd "$(dirname "$0")/.."
# The C++ tests run with the OpenMP wait setting a hextorch process gets (src/openmp-wait.ts;
# nothing when OMP_WAIT_POLICY or GOMP_SPINCOUNT is set already).
wait_setting=$(node -e 'for (const [k, v] of Object.entries(require("./dist/src/openmp-wait").openMpWaitVariables(process.env))) console.log(`${k}=${v}`)')
env $wait_setting ctest --test-dir build --output-on-failure --timeout 900
mapfile -t files < <(find "${1:-dist/test}" -name '*.test.js' | sort | grep -Ev "${TEST_EXCLUDE:-^$}")
node --test --test-concurrency=1 "${files[@]}"
