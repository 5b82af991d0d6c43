#!/usr/bin/env bash
# prebuildify runs "<node-gyp> rebuild --target=... --release" and then takes the
# addon from build/Release; hextorch builds with CMake, so this stands in for node-gyp
# (`prebuildify --node-gyp scripts/cmake-js-rebuild.sh`). The build is incremental:
# the addon it leaves in build/Release is what a clean build would produce.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx cmake-js build --out build --parallel "$(nproc 2>/dev/null || echo 2)" --log-level error
