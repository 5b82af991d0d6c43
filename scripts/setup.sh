#!/usr/bin/env bash
# Installs and builds what the command at hand needs, showing each step with its time.
# Idempotent: when everything is in place and nothing changed it finishes in seconds.
#
#   setup.sh           the demo and the library: LibTorch, the addon, the TypeScript
#   setup.sh --test    everything `npm test` runs: plus GoogleTest, the C++ tests,
#                      the native benchmark target and PyTorch under Python (the
#                      interop test loads exported state dicts with it)
#   setup.sh --bench   `npm run bench`: --test plus PyTorch under Python (the reference)
#   setup.sh --lint    scripts/lint.sh: clang-format and the node modules, no build
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-demo}
case "$mode" in
  demo | --test | --bench | --lint) ;;
  *) echo "usage: setup.sh [--test | --bench | --lint]" >&2; exit 2 ;;
esac

# cpu_ticks PID: CPU time (user + system, clock ticks) of the processes that the shell PID
# has run and waited for, from /proc (0 where there is none).
tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  set -- $s
  echo $(( ${14} + ${15} ))
}
started=$(date +%s%N) started_cpu=$(cpu_ticks $$)
# report NAME PID T0 C0: prints NAME with the wall seconds since T0 (ns) and the CPU
# seconds of the shell PID's children since C0 (ticks).
report() {
  printf 'setup: %-38s %6.1f s  CPU %6.1f s\n' "$1" "$(( $(date +%s%N) - $3 ))e-9" "$(( ($(cpu_ticks "$2") - $4) * 1000 / tck ))e-3"
}
quiet() { "$@" >/dev/null; }
# step NAME COMMAND...: runs COMMAND and prints NAME with the seconds it took.
step() {
  local name=$1 me=$BASHPID t0 c0
  shift
  t0=$(date +%s%N) c0=$(cpu_ticks "$me")
  "$@"
  report "$name" "$me" "$t0" "$c0"
}

# System packages: LibTorch (CPU) with OpenBLAS (without it LibTorch runs on the
# reference BLAS, about 16x slower), Gloo's headers (data-parallel training on c10d),
# the C++ toolchain, the JSON headers and libcrypto (SHA-256 of checkpoints while they
# are written).
packages=(libtorch-dev libopenblas0-pthread libgloo-dev cmake g++ make ninja-build nlohmann-json3-dev libssl-dev)
case "$mode" in
  --test) packages+=(libgtest-dev python3-torch) ;;  # python3-torch: the interop test loads PyTorch exports
  --bench) packages+=(libgtest-dev python3-torch) ;;
  --lint) packages=(clang-format) ;;
esac
# Node dependencies, when the lock file changed since the last install. They need no
# Debian package: they install while apt works.
npm_job=
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "install node modules" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error &
  npm_job=$!
  trap '[ -z "$npm_job" ] || kill "$npm_job" 2>/dev/null || true' EXIT
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: run as root, or install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  echo "setup: installing ${missing[*]} and what they need"
  apt_install=(apt-get install -y -qq --no-install-recommends)
  step "apt: package lists" apt-get update -qq
  step "apt: download" "${apt_install[@]}" --download-only "${missing[@]}"
  # dpkg syncs every unpacked file to disk before renaming it into place; for a first
  # install of about 400 packages that waiting is over a third of the step (measured in
  # docs/benchmarks.md, "First run"). --force-unsafe-io leaves the syncing to the kernel
  # for this install only, as container images and CI runners do.
  step "apt: unpack and configure" quiet "${apt_install[@]}" -o Dpkg::Options::=--force-unsafe-io "${missing[@]}"
fi
if [ -n "$npm_job" ]; then wait "$npm_job"; npm_job=; fi

if [ "$mode" = --lint ]; then exit 0; fi

# The native build (incremental). The demo needs the addon only: a fresh build is
# configured without the C++ tests (no GoogleTest needed) and builds one target; --test
# and --bench configure the tests in (the same build directory) and build everything.
jobs=$(nproc 2>/dev/null || echo 2)
tests=OFF
if [ "$mode" != demo ]; then tests=ON; fi
configured=$(sed -n 's/^HEXTORCH_BUILD_TESTS:BOOL=//p' build/CMakeCache.txt 2>/dev/null || true)
native() {
  "$@" > build.log 2>&1 || { cat build.log; echo "setup: native build failed" >&2; exit 1; }
}
if [ -z "$configured" ] || { [ "$tests" = ON ] && [ "$configured" != ON ]; }; then
  step "configure native build (tests $tests)" native npx cmake-js configure --out build --CDHEXTORCH_BUILD_TESTS=$tests --log-level error
  configured=$tests
fi
if [ "$tests" = ON ]; then
  step "build addon, C++ tests and benchmark" native npx cmake-js build --out build --parallel "$jobs" --log-level error
else
  step "build addon" native npx cmake-js build --out build --target hextorch --parallel "$jobs" --log-level error
fi

# The demo and the library need dist/src only; the tests and benchmarks are compiled too
# for --test and --bench.
tsproject=tsconfig.json tswhat="src, test, bench"
if [ "$mode" = demo ]; then tsproject=tsconfig.build.json tswhat=src; fi
step "compile TypeScript ($tswhat)" npx tsc -p "$tsproject"
chmod +x dist/src/cli/main.js
report "ready ($mode)" $$ "$started" "$started_cpu"
