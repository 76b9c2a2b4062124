#!/usr/bin/env bash
# The whole test suite: set-up, build, test bed (images and registries on 127.0.0.1),
# every test through ctest, then the registries are stopped again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
TESTBED="$ROOT/tests/testbed/testbed.sh"
"$TESTBED" build >&2
trap '"$TESTBED" registry-stop >&2 || true' EXIT
"$TESTBED" registry-start >&2
export BULKHEAD_TESTBED_ENV="${BULKHEAD_TESTBED_DIR:-$ROOT/.testbed}/testbed.env"
export BULKHEAD_REQUIRE_TESTBED=1
export BULKHEAD_BINARY="$BUILD_DIR/src/cli/bulkhead"
# The shared advisory snapshot (real feeds): ../shared/data/advisories beside the checkout
# or beside any of its ancestors (a clone nested deeper), unless given.
if [[ -z ${BULKHEAD_ADVISORY_DATA:-} ]]; then
  dir=$ROOT
  while [[ $dir != / ]]; do
    dir=$(dirname "$dir")
    if [[ -d $dir/shared/data/advisories ]]; then
      export BULKHEAD_ADVISORY_DATA="$dir/shared/data/advisories"
      break
    fi
  done
fi
# Tests get their own cache so they never see a developer's.
export BULKHEAD_CACHE_DIR="$BUILD_DIR/test-cache"
rm -rf "$BULKHEAD_CACHE_DIR"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" ${CTEST_ARGS:-}
