#!/usr/bin/env bash
# The first run on a bare machine: `npm run demo` in a fresh clone on a minimal Debian 12,
# the apt install of LibTorch and the toolchain included (docs/benchmarks.md, "First run").
#
#   sudo bash bench/first-run.sh [--base DIR] [--ref REV] [--keep]
#
# Needs root (debootstrap, chroot, bind mounts) and the network (deb.debian.org and the
# npm registry). Not part of `npm test` or `npm run bench`.
#
# The bare machine is a debootstrap'd Debian 12 "bookworm" (variant minbase: apt, dpkg
# and the required packages, about what a Debian container image holds) with this
# machine's node binary and npm copied in, kept as DIR/bookworm-minbase.tar so every
# measurement starts from the same state (made on the first run; delete it to remake
# it). Each run unpacks it into a new directory, clones REV (default HEAD) of this
# repository into /root/hextorch there, and times `npm run demo` as root inside chroot;
# scripts/setup.sh prints each step with its wall and CPU time. The log goes to
# DIR/logs/. --keep leaves the unpacked root behind.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

base=${HEXTORCH_FIRST_RUN_BASE:-/var/tmp/hextorch-first-run}
ref=HEAD
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --ref) ref=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: first-run.sh [--base DIR] [--ref REV] [--keep]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "first-run.sh: needs root (debootstrap, chroot and bind mounts)" >&2
  exit 2
fi
for tool in debootstrap unshare chroot git; do
  command -v "$tool" >/dev/null || { echo "first-run.sh: needs $tool (apt-get install debootstrap util-linux git)" >&2; exit 2; }
done
commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}") || { echo "first-run.sh: --ref $ref is not a commit of $repo" >&2; exit 2; }

mkdir -p "$base/logs"
tarball=$base/bookworm-minbase.tar
if [ ! -f "$tarball" ]; then
  echo "first-run: making the bare Debian 12 base (debootstrap --variant=minbase bookworm)"
  tmp=$base/base.tmp
  rm -rf "$tmp"
  debootstrap --variant=minbase bookworm "$tmp" http://deb.debian.org/debian > "$base/logs/debootstrap.log"
  # As a Debian 12 image ships: the release, its updates and security suites, and no
  # package lists or downloaded packages (the first `apt-get update` fetches them).
  rm -f "$tmp/etc/apt/sources.list"
  cat > "$tmp/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$tmp/var/lib/apt/lists" "$tmp/var/cache/apt"
  mkdir -p "$tmp/var/lib/apt/lists/partial" "$tmp/var/cache/apt/archives/partial"
  # Node 20 and npm, as this machine has them (the issue's bare machine has Node 20).
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$node_bin")")/lib/node_modules/npm
  [ -d "$npm_dir" ] || { echo "first-run.sh: npm not found at $npm_dir" >&2; exit 2; }
  install -m 755 "$node_bin" "$tmp/usr/local/bin/node"
  mkdir -p "$tmp/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$tmp/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/usr/local/bin/npx"
  tar -C "$tmp" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  rm -rf "$tmp"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
root=$base/root-$stamp
log=$base/logs/first-run-$stamp.log
mkdir -p "$root"
cleanup() { if [ "$keep" = 0 ]; then rm -rf --one-file-system "$root"; fi; }
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
git clone --quiet --no-local --no-checkout "$repo" "$root/root/hextorch"
git -C "$root/root/hextorch" checkout --quiet "$commit"

{
  echo "first-run: $(git -C "$repo" log -1 --format='%h %s' "$commit" | cut -c1-100)"
  echo "first-run: node $("$root/usr/local/bin/node" --version) (npm $("$root/usr/local/bin/node" "$root/usr/local/lib/node_modules/npm/bin/npm-cli.js" --version)), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "first-run: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$log"

# Where this machine's network inspects TLS, node trusts an extra CA (NODE_EXTRA_CA_CERTS):
# the chroot gets the same file, so that npm reaches the registry as it does here.
extra_env=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$root/usr/local/share/node-extra-ca.pem"
  extra_env=(NODE_EXTRA_CA_CERTS=/usr/local/share/node-extra-ca.pem)
fi

# A private mount namespace: the bind mounts go away with it, whatever happens.
# Inside: a clean environment (no ccache, no npm cache, no proxies from this shell).
set +e
unshare --mount --propagation private bash -s "$root" "${extra_env[@]}" <<'EOF' 2>&1 | tee -a "$log"
set -e
root=$1
shift
mount --rbind /proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
touch "$root/etc/resolv.conf"
mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb "$@" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c '
    cd /root/hextorch
    t0=$(date +%s%N)
    npm run demo
    rc=$?
    wall=$(( $(date +%s%N) - t0 ))
    # CPU time of everything npm ran (children waited for): user and system.
    s=$(cat /proc/$$/stat); s=${s##*) }; set -- $s
    tck=$(getconf CLK_TCK)
    awk -v rc=$rc -v w="$wall" -v u="${14}" -v s="${15}" -v t="$tck" \
      "BEGIN { printf \"first-run: npm run demo exit %d, %.1f s wall, CPU %.1f s (user %.1f, system %.1f)\n\", rc, w / 1e9, (u + s) / t, u / t, s / t }"
    exit $rc'
EOF
rc=${PIPESTATUS[0]}
set -e
echo "first-run: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
# The figures in one place: setup's steps, then the demo itself (npm run demo less setup).
awk '
  /^setup: / && / s  CPU / { line[++n] = $0; if ($2 == "ready") { rw = $(NF-4); rc = $(NF-1) } }
  /^first-run: npm run demo exit/ { tw = $7; tc = $11 }
  END {
    print "first-run: summary"
    for (i = 1; i <= n; i++) print "  " line[i]
    if (tw != "" && rw != "") printf "  demo (after setup)                             %6.1f s  CPU %6.1f s\n  npm run demo in all                            %6.1f s  CPU %6.1f s\n", tw - rw, tc - rc, tw, tc
  }' "$log" | tee -a "$log"
echo "first-run: log in $log"
exit "$rc"
