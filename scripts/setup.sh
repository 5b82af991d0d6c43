#!/usr/bin/env bash
# Installs what hextorch needs and builds it. Idempotent: when everything is in place
# and nothing changed it finishes in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: LibTorch (CPU) with OpenBLAS (without it LibTorch runs on the
# reference BLAS, about 16x slower), Gloo's headers (data-parallel training on c10d), the
# C++ toolchain, and test/JSON headers.
packages=(libtorch-dev libopenblas0-pthread libgloo-dev cmake g++ make ninja-build nlohmann-json3-dev libgtest-dev)
# --bench: also PyTorch under Python (the same LibTorch), the benchmarks' reference.
if [ "${1:-}" = "--bench" ]; then packages+=(python3-torch); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: run as root, or install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node dependencies, when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules"
  npm ci --ignore-scripts --no-audit --no-fund
fi

# Native addon and C++ tests (incremental), then TypeScript (incremental).
jobs=$(nproc 2>/dev/null || echo 2)
npx cmake-js build --out build --parallel "$jobs" --log-level error > build.log 2>&1 || { cat build.log; echo "setup: native build failed" >&2; exit 1; }
npx tsc -p tsconfig.json
chmod +x dist/src/cli/main.js
