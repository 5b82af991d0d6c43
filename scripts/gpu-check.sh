#!/usr/bin/env bash
# The CUDA check: builds hextorch against the LibTorch of a PyTorch 2.x install (with
# CUDA), runs the C++ tests, the Node tests including test/gpu, and the trainer
# benchmark on the GPU (bf16, batch 256 and 1024) against that machine's PyTorch.
#
#   NODE=/path/to/node PYTHON=python3 bash scripts/gpu-check.sh
#
# NODE defaults to `node` on PATH (>= 20.17), PYTHON to python3 (it must import a torch
# with CUDA). Used as is by .github/workflows/cuda.yml on self-hosted GPU runners.
#
# Offline: where .gpu-bundle/ (scripts/gpu-bundle.sh, or GPU_BUNDLE=DIR) is present, the
# check needs no network and no Node install: it takes Node, node_modules, the build
# dependencies the system lacks (nlohmann-json, GoogleTest, OpenSSL headers) and the
# shared data from the bundle, and runs no `npm ci`. Without a bundle it installs the
# node modules with `npm ci` as before.
#
# GPU_CHECK_CPU=1 runs the same steps without CUDA (any LibTorch, e.g. Debian's): the
# build, ctest, the Node tests (test/gpu's CUDA tests skip) and a short CPU trainer bench
# (tiny, --quick). It checks the script and the bundle on a machine without a GPU.
#
# GPU_CHECK_TESTS=0 skips ctest and the Node tests, GPU_CHECK_TESTS=gpu runs ctest and
# test/gpu's Node tests only, GPU_CHECK_BENCH=0 skips the bench (the build always runs,
# incrementally), so that the check can be split over calls of a time-limited machine;
# GPU_CHECK_BENCH_FLAGS adds flags to the bench (e.g. --rounds=1).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
cpu_mode=${GPU_CHECK_CPU:-0}
bundle=${GPU_BUNDLE:-.gpu-bundle}
build=build-cuda
jobs=$(nproc)
started=$SECONDS
# step NAME: prints NAME with the seconds since the start.
step() { echo "gpu-check: [$((SECONDS - started)) s] $1"; }

# unpack NAME DEST: extracts $bundle/NAME.tar.xz into DEST (xz, else Python's tarfile).
unpack() {
  local archive=$bundle/$1.tar.xz
  [ -f "$archive" ] || { echo "gpu-check: $archive is missing (rerun scripts/gpu-bundle.sh)" >&2; exit 1; }
  mkdir -p "$2"
  if command -v xz >/dev/null; then
    xz -dc "$archive" | tar -C "$2" -xf -
  else
    "$PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$2"
  fi
}

cmake_prefix=()
cmake_defs=()
offline=0
if [ -f "$bundle/node.tar.xz" ]; then
  offline=1
  step "offline: using $bundle ($(head -1 "$bundle/MANIFEST" 2>/dev/null || echo 'no MANIFEST'))"
  lock=$(sha256sum package-lock.json | cut -d' ' -f1)
  if ! grep -q "^lock $lock\$" "$bundle/MANIFEST"; then
    echo "gpu-check: $bundle was made for another package-lock.json: rerun scripts/gpu-bundle.sh" >&2
    exit 1
  fi
  unpacked=$bundle/unpacked
  [ -x "$unpacked/node/bin/node" ] || unpack node "$unpacked"
  NODE=$(cd "$unpacked/node/bin" && pwd)/node
  if ! cmp -s node_modules/.gpu-bundle-lock.json package-lock.json 2>/dev/null; then
    if [ -d node_modules ] && [ -f node_modules/.package-lock.json ] && [ ! -f node_modules/.gpu-bundle-lock.json ]; then
      echo "gpu-check: keeping the node_modules installed here"
    else
      rm -rf node_modules
      unpack node_modules .
    fi
  fi
  # Build dependencies: the system's where it has them, else the bundle's
  # (GPU_CHECK_BUNDLED_DEPS=1 takes the bundle's always, to test them).
  [ -d "$unpacked/deps" ] || unpack deps "$unpacked/deps"
  deps=$(cd "$unpacked/deps/usr" && pwd)
  force=${GPU_CHECK_BUNDLED_DEPS:-0}
  if [ "$force" = 1 ] || { [ ! -f /usr/include/nlohmann/json.hpp ] && [ ! -f /usr/local/include/nlohmann/json.hpp ]; } ||
     [ ! -f /usr/include/gtest/gtest.h ]; then
    echo "gpu-check: nlohmann-json and GoogleTest from the bundle"
    cmake_prefix+=("$deps")
  fi
  if [ "$force" = 1 ] || [ ! -f /usr/include/openssl/evp.h ]; then
    crypto=$( (ldconfig -p 2>/dev/null || true) | awk '/libcrypto\.so\.3 .*x86-64/ { print $NF; exit }')
    [ -n "$crypto" ] || crypto=$("$PYTHON" -c 'import _ssl' 2>/dev/null && ldd "$("$PYTHON" -c 'import _ssl; print(_ssl.__file__)')" | awk '/libcrypto/ { print $3; exit }' || true)
    [ -n "$crypto" ] || { echo "gpu-check: no libcrypto.so.3 on this machine" >&2; exit 1; }
    echo "gpu-check: OpenSSL headers from the bundle, library $crypto"
    cmake_defs+=("--CDOPENSSL_INCLUDE_DIR=$deps/include" "--CDOPENSSL_CRYPTO_LIBRARY=$crypto")
  fi
  if [ -z "${HEXTORCH_SHARED_DATA:-}" ] && [ ! -d ../shared/data ] && [ -f "$bundle/shared-data.tar.xz" ]; then
    [ -d "$unpacked/shared/data" ] || unpack shared-data "$unpacked/shared"
    export HEXTORCH_SHARED_DATA=$(cd "$unpacked/shared/data" && pwd)
  fi
fi

NODE=${NODE:-$(command -v node || true)}
[ -x "$NODE" ] || { echo "gpu-check: no Node binary (set NODE=/path/to/node, or make a bundle: scripts/gpu-bundle.sh)" >&2; exit 2; }
export PATH="$(dirname "$NODE"):$PATH"
echo "gpu-check: node $(node --version) ($NODE)"

step "PyTorch"
prefix=$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
# GPU_CHECK_CPU selects the mode; the Python block prints what it finds and, in GPU mode,
# the compute capability for TORCH_CUDA_ARCH_LIST.
arch=$(GPU_CHECK_CPU=$cpu_mode "$PYTHON" - <<'PY'
import os, sys, torch
cpu = os.environ["GPU_CHECK_CPU"] == "1"
print(f"gpu-check: PyTorch {torch.__version__}, CUDA {torch.version.cuda}, C++11 ABI {torch.compiled_with_cxx11_abi()}", file=sys.stderr)
if cpu:
    print("gpu-check: CPU mode (GPU_CHECK_CPU=1): no CUDA needed, the bench runs on the CPU", file=sys.stderr)
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit("gpu-check: this PyTorch sees no CUDA device (GPU_CHECK_CPU=1 checks the rest without one)")
print("gpu-check: " + ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())), file=sys.stderr)
print("%d.%d" % torch.cuda.get_device_capability(0))
PY
)
if [ "$cpu_mode" != 1 ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  # LibTorch's CMake package (Caffe2/public/cuda.cmake) enables CMake's CUDA language and
  # finds the toolkit through nvcc; it compiles no kernel of ours, and this list only
  # spares it probing the GPU.
  if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
  command -v nvcc >/dev/null || { echo "gpu-check: no nvcc (LibTorch's CMake package needs the CUDA toolkit): add it to PATH" >&2; exit 1; }
  nvcc --version | tail -1
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$arch}
  echo "gpu-check: TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST"
fi
cmake --version | head -1

# The bench's PyTorch reference is this PyTorch, not Debian's.
export HEXTORCH_BENCH_PYTHON="$(command -v "$PYTHON")"

if [ "$offline" = 0 ]; then
  step "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund
fi

step "configure ($build)"
prefix_path=$(IFS=';'; echo "$prefix${cmake_prefix[*]:+;${cmake_prefix[*]}}")
node node_modules/cmake-js/bin/cmake-js configure --out "$build" --CDCMAKE_PREFIX_PATH="$prefix_path" \
  --CDHEXTORCH_BUILD_TESTS=ON "${cmake_defs[@]}" --log-level error
step "build (parallel $jobs)"
node node_modules/cmake-js/bin/cmake-js build --out "$build" --parallel "$jobs" --log-level error
# The addon and the tests look in build/: point it at this build.
if [ -e build ] && [ ! -L build ]; then rm -rf build; fi
ln -sfn "$build" build
step "TypeScript"
node node_modules/typescript/bin/tsc -p tsconfig.json
chmod +x dist/src/cli/main.js  # run as a program by the CLI tests, as setup.sh leaves it

node -e "
const i = require('./dist/src/index').info();
console.log(JSON.stringify(i));
if (process.argv[1] !== '1' && !i.cuda.available) { console.error('gpu-check: the addon sees no CUDA device'); process.exit(1); }
" "$cpu_mode"

case "${GPU_CHECK_TESTS:-1}" in
  0) ;;
  gpu)
    step "tests (ctest, then node --test dist/test/gpu)"
    bash scripts/test.sh dist/test/gpu
    ;;
  *)
    # Not the npm package test: it packs and installs through npm and setup.sh (apt, the
    # registry), which a GPU machine without network or npm lacks; CI runs it on the CPU.
    step "tests (ctest, then node --test, all but test/cli/package)"
    TEST_EXCLUDE='/cli/package\.test\.js$' bash scripts/test.sh
    ;;
esac

read -r -a bench_flags <<< "${GPU_CHECK_BENCH_FLAGS:-}"
if [ "${GPU_CHECK_BENCH:-1}" = 0 ]; then
  :
elif [ "$cpu_mode" = 1 ]; then
  step "trainer bench (CPU, tiny, --quick)"
  node dist/bench/run.js --only=trainer --quick --models=tiny "${bench_flags[@]}"
else
  step "trainer bench (CUDA, bf16, batch 256 and 1024)"
  node dist/bench/run.js --only=trainer --device=cuda --batch-sizes=256,1024 "${bench_flags[@]}"
fi
step "passed"
