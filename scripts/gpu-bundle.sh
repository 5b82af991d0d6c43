#!/usr/bin/env bash
# Prepares, on a machine with network access, everything scripts/gpu-check.sh needs on a
# GPU machine that has PyTorch, CUDA, CMake and a C++ compiler but no Node and no network:
#
#   .gpu-bundle/node.tar.xz          this machine's Node binary (stripped)
#   .gpu-bundle/node_modules.tar.xz  node_modules as `npm ci --ignore-scripts` installs it
#                                    from package-lock.json (cmake-js, node-addon-api,
#                                    node-api-headers, typescript, pino, ...)
#   .gpu-bundle/deps.tar.xz          build dependencies a bare CUDA image may lack, from
#                                    Debian packages: nlohmann-json3-dev, libgtest-dev and
#                                    the OpenSSL headers of libssl-dev (gpu-check.sh uses
#                                    each only where the system has none)
#   .gpu-bundle/shared-data.tar.xz   ../shared/data (the neurohex games), when present
#   .gpu-bundle/MANIFEST             what is in it: versions, sizes, SHA-256
#
# Node's headers: package.json declares N-API ("binary": {"napi_versions": ...}), so
# cmake-js takes them from the node-api-headers package in node_modules and downloads
# nothing. The folder is ignored by git (.gitignore), so a copy of the checkout to a GPU
# machine must name it. Prints its size and the commands to run.
#
#   bash scripts/gpu-bundle.sh [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

out=.gpu-bundle
case "${1:-}" in
  --out) out=${2:?--out needs a folder}; shift 2 ;;
  "") ;;
  *) echo "usage: gpu-bundle.sh [--out DIR]" >&2; exit 2 ;;
esac
[ $# -eq 0 ] || { echo "usage: gpu-bundle.sh [--out DIR]" >&2; exit 2; }

node_bin=$(command -v node || true)
[ -n "$node_bin" ] || { echo "gpu-bundle: no node on PATH" >&2; exit 1; }
node_bin=$(readlink -f "$node_bin")
node_version=$("$node_bin" --version)
# The binary must not depend on shared libraries a GPU image lacks (a distribution's
# node linked against libnode.so would not run there).
if ldd "$node_bin" | grep -qE 'libnode|libuv|libicu|libssl|libcrypto|libz\.|libbrotli|libcares|libnghttp'; then
  echo "gpu-bundle: $node_bin links shared libraries that a GPU image may lack:" >&2
  ldd "$node_bin" >&2
  echo "gpu-bundle: use an official Node build (nodejs.org or NodeSource)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/*.tar.xz "$out/MANIFEST"
xz_opts=(-T0 -6)
pack() { # pack NAME DIR ENTRY...: $out/NAME.tar.xz of ENTRY... under DIR
  local name=$1 dir=$2
  shift 2
  tar -C "$dir" --owner=0 --group=0 --numeric-owner -cf - "$@" | xz "${xz_opts[@]}" > "$out/$name.tar.xz"
}

# Node: the binary alone (npm and npx are not used by gpu-check.sh).
mkdir -p "$work/node/bin"
if command -v strip >/dev/null; then
  strip -o "$work/node/bin/node" "$node_bin"
else
  cp "$node_bin" "$work/node/bin/node"
fi
"$work/node/bin/node" -e 'process.exit(0)'
pack node "$work" node
echo "gpu-bundle: node $node_version ($(du -h "$out/node.tar.xz" | cut -f1) packed)"

# node_modules exactly as the lock file pins it, installed apart from the checkout's own.
mkdir -p "$work/npm"
cp package.json package-lock.json "$work/npm/"
(cd "$work/npm" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
for m in cmake-js node-addon-api node-api-headers typescript; do
  [ -d "$work/npm/node_modules/$m" ] || { echo "gpu-bundle: npm ci installed no $m" >&2; exit 1; }
done
cp package-lock.json "$work/npm/node_modules/.gpu-bundle-lock.json"
pack node_modules "$work/npm" node_modules
echo "gpu-bundle: node_modules ($(du -sh "$work/npm/node_modules" | cut -f1), $(du -h "$out/node_modules.tar.xz" | cut -f1) packed)"

# Build dependencies from Debian packages: headers and CMake packages, relocatable.
debs=(nlohmann-json3-dev libgtest-dev libssl-dev)
(cd "$work" && apt-get download "${debs[@]}" >/dev/null 2>"$work/apt.log") || { cat "$work/apt.log" >&2; exit 1; }
mkdir -p "$work/deps"
for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/deps"; done
# OpenSSL: the headers only (the system's libcrypto.so.3, which Python's ssl module loads,
# is linked); configuration.h moves beside the others so that one include folder holds all.
inc=$work/deps/usr/include
cp "$inc"/x86_64-linux-gnu/openssl/configuration.h "$inc/openssl/"
rm -rf "$inc/x86_64-linux-gnu" "$work/deps/usr/lib/x86_64-linux-gnu/"lib{ssl,crypto}* \
  "$work/deps/usr/lib/x86_64-linux-gnu/pkgconfig" "$work/deps/usr/share/doc" "$work/deps/usr/share/man"
(cd "$work" && for d in *.deb; do dpkg-deb -f "$d" Package Version | sed 's/^[^:]*: //' | paste -sd' '; done) > "$work/deps/VERSIONS"
pack deps "$work/deps" .
echo "gpu-bundle: build dependencies ($(paste -sd';' "$work/deps/VERSIONS"))"

shared=${HEXTORCH_SHARED_DATA:-$root/../shared/data}
if [ -d "$shared" ]; then
  pack shared-data "$(dirname "$shared")" "$(basename "$shared")"
  echo "gpu-bundle: shared data from $shared"
else
  echo "gpu-bundle: no $shared: the tests that read it skip on the GPU machine"
fi

{
  echo "node $node_version"
  echo "lock $(sha256sum package-lock.json | cut -d' ' -f1)"
  cat "$work/deps/VERSIONS"
  (cd "$out" && sha256sum ./*.tar.xz && du -b ./*.tar.xz)
} > "$out/MANIFEST"

# A GPU machine reached through a transfer of at most 64 MiB gets the working tree
# (tracked and untracked, not ignored files) plus the named folders: the bundle must fit.
bundle_bytes=$(du -cb "$out"/* | tail -1 | cut -f1)
tree_bytes=$( (git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null || echo 0) | tail -1 | cut -f1)
limit=$((64 * 1024 * 1024))
total=$((bundle_bytes + tree_bytes))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "gpu-bundle: $out is $(mib "$bundle_bytes") MiB, the working tree $(mib "$tree_bytes") MiB: $(mib "$total") of 64 MiB"
if [ "$total" -gt "$limit" ]; then
  echo "gpu-bundle: over the 64 MiB such a transfer holds" >&2
  exit 1
fi
# OUT: a folder whose files come back from the GPU machine.
log='2>&1 | tee $OUT/gpu-check.log; rc=$?; cp bench-results.json $OUT/ 2>/dev/null; exit $rc'
cat <<EOF
gpu-bundle: on a GPU machine that runs commands of at most 10 minutes each, from a copy of
this checkout with $out in it (OUT: a folder whose files come back):
  1. build, ctest, test/gpu and the CUDA bench (one round), a limit of 570 s:
     set -o pipefail; GPU_CHECK_TESTS=gpu GPU_CHECK_BENCH_FLAGS=--rounds=1 bash scripts/gpu-check.sh $log
  2. right after, on the same machine (the build is kept), the whole Node suite, 570 s:
     set -o pipefail; GPU_CHECK_BENCH=0 bash scripts/gpu-check.sh $log
  Without a time limit, everything in one go (two bench rounds): bash scripts/gpu-check.sh
EOF
