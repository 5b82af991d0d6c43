#!/usr/bin/env bash
# prebuildify runs "<node-gyp> rebuild --target=... --release"; hextorch builds with
# CMake, so this stands in for node-gyp (`prebuildify --node-gyp scripts/cmake-js-rebuild.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx cmake-js rebuild --out build --parallel "$(nproc 2>/dev/null || echo 2)" --CDHEXTORCH_BUILD_TESTS=OFF
