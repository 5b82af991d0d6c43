#!/usr/bin/env bash
# Style gate: clang-format over native/ (C++) and ESLint over src, test and bench
# (TypeScript). Checks only; `scripts/lint.sh --fix` rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --lint >/dev/null

fix=${1:-}
mapfile -t cxx < <(git ls-files 'native/*.cpp' 'native/*.h' 'bench/native/*.cpp')
status=0
if [ "$fix" = --fix ]; then
  clang-format -i "${cxx[@]}"
  npx eslint --fix src test bench || status=1
else
  clang-format --dry-run -Werror "${cxx[@]}" || { echo "lint: C++ is not formatted (scripts/lint.sh --fix)" >&2; status=1; }
  npx eslint --max-warnings 0 src test bench || { echo "lint: ESLint found problems" >&2; status=1; }
fi
[ $status -eq 0 ] && echo "lint: ok (${#cxx[@]} C++ files, TypeScript in src test bench)"
exit $status
