#!/usr/bin/env bash
# The CUDA check: builds hextorch against the LibTorch of a PyTorch 2.x install (with
# CUDA), runs the C++ tests, the Node tests including test/gpu, and the trainer
# benchmark on the GPU (bf16, batch 256 and 1024) against that machine's PyTorch.
#
#   NODE=/path/to/node PYTHON=python3 bash scripts/gpu-check.sh
#
# NODE defaults to `node` on PATH (>= 20.17), PYTHON to python3 (it must import a torch
# with CUDA). Used as is by .github/workflows/cuda.yml on self-hosted GPU runners.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE=${NODE:-$(command -v node || true)}
PYTHON=${PYTHON:-python3}
[ -x "$NODE" ] || { echo "gpu-check: no Node binary (set NODE=/path/to/node)" >&2; exit 2; }
export PATH="$(dirname "$NODE"):$PATH"

prefix=$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
"$PYTHON" - <<'PY'
import sys, torch
print(f"gpu-check: PyTorch {torch.__version__}, CUDA {torch.version.cuda}")
if not torch.cuda.is_available():
    sys.exit("gpu-check: this PyTorch sees no CUDA device")
print("gpu-check: " + ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())))
PY
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

export CMAKE_PREFIX_PATH="$prefix${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
# The bench's PyTorch reference is this PyTorch, not Debian's.
export HEXTORCH_BENCH_PYTHON="$(command -v "$PYTHON")"
jobs=$(nproc)

npm ci --ignore-scripts
npx cmake-js configure --out build-cuda --CDCMAKE_PREFIX_PATH="$prefix" --CDHEXTORCH_BUILD_TESTS=ON --log-level error
npx cmake-js build --out build-cuda --parallel "$jobs" --log-level error
# The addon and the tests look in build/: point it at this build.
rm -rf build && ln -s build-cuda build
npx tsc -p tsconfig.json

node -e "const i=require('./dist/src/index').info(); console.log(JSON.stringify(i)); if(!i.cuda.available){console.error('gpu-check: the addon sees no CUDA device');process.exit(1)}"

ctest --test-dir build --output-on-failure --timeout 900
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
node --test --test-concurrency=1 "${files[@]}"

node dist/bench/run.js --only=trainer --device=cuda --batch-sizes=256,1024
