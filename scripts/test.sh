#!/usr/bin/env bash
# The test suite: C++ tests of native/core (ctest), then the TypeScript tests (node:test).
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure --timeout 900
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency=1 "${files[@]}"
