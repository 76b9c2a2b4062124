#!/usr/bin/env bash
# `bulkhead sbom` against cdxgen (@cyclonedx/cdxgen, pinned by bench/cdxgen/package-lock.json)
# on the test-bed image, in the same run: median wall time of repeated runs and what each
# found. bench/run.sh calls it; alone, after a build and `tests/testbed/testbed.sh build`:
#   BUILD_DIR=build bench/sbom_vs_cdxgen.sh
# RUNS (default 5) sets the repetitions. Uses hyperfine when it is there, else a loop of
# `date +%s%N`. No container engine is needed: cdxgen reads the image as an OCI archive
# (it cannot open an OCI layout directory without docker/podman) and the root file system
# as a directory; bulkhead reads the layout, the same archive and the directory.
# bench/README.md explains the differences in what they find.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
RUNS="${RUNS:-5}"
BULKHEAD="${BULKHEAD_BINARY:-$BUILD_DIR/src/cli/bulkhead}"
ENV_FILE="${BULKHEAD_TESTBED_ENV:-${BULKHEAD_TESTBED_DIR:-$ROOT/.testbed}/testbed.env}"
OUT="$BUILD_DIR/bench-sbom"

for tool in jq node npm; do
  command -v "$tool" >/dev/null || { echo "sbom_vs_cdxgen: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
[ -x "$BULKHEAD" ] || { echo "sbom_vs_cdxgen: no bulkhead binary at $BULKHEAD (build first)" >&2; exit 2; }
[ -f "$ENV_FILE" ] || { echo "sbom_vs_cdxgen: no test bed at $ENV_FILE (tests/testbed/testbed.sh build)" >&2; exit 2; }
# shellcheck disable=SC1090
source "$ENV_FILE"
rm -rf "$OUT"
mkdir -p "$OUT"

# cdxgen, installed once per lockfile into the build tree.
lock_hash="$(sha256sum "$ROOT/bench/cdxgen/package-lock.json" | cut -c1-16)"
CDXGEN_DIR="$BUILD_DIR/bench-cdxgen/$lock_hash"
CDXGEN="$CDXGEN_DIR/node_modules/.bin/cdxgen"
if [ ! -x "$CDXGEN" ]; then
  echo "sbom_vs_cdxgen: installing cdxgen into $CDXGEN_DIR" >&2
  mkdir -p "$CDXGEN_DIR"
  cp "$ROOT/bench/cdxgen/package.json" "$ROOT/bench/cdxgen/package-lock.json" "$CDXGEN_DIR/"
  # `npm install` over the committed lockfile installs exactly its versions; `npm ci` would
  # refuse it, since cdxgen names optional per-platform packages that were never published
  # (@cdxgen/safer-exec-darwin-*), which no lockfile can hold.
  npm install --prefix "$CDXGEN_DIR" --no-audit --no-fund --ignore-scripts --loglevel=error >&2
fi
CDXGEN_VERSION="$(jq -r .version "$CDXGEN_DIR/node_modules/@cyclonedx/cdxgen/package.json")"
# cdxgen's own checks of its environment and SBOM are part of its normal run; only its
# network-dependent extras stay off (this machine reaches no registry but npm's).
export FETCH_LICENSE=false CDXGEN_DEBUG_MODE=

image="$TESTBED_OCI:${TESTBED_OCI_TAG:-bookworm}"
archive="$TESTBED_OCI_ARCHIVE"
rootfs="$TESTBED_ROOTFS"
cache="$OUT/cache"

# name|command; each command writes its SBOM to $OUT/<name>.json. cdxgen writes its default
# CycloneDX 1.7: with --spec-version 1.5 this version stops with a TypeError in dedupeBom.
CASES=(
  "bulkhead-layout-nocache|$BULKHEAD sbom --no-cache -f cyclonedx -o $OUT/bulkhead-layout-nocache.json $image"
  "bulkhead-layout-cached|$BULKHEAD sbom --cache-dir $cache -f cyclonedx -o $OUT/bulkhead-layout-cached.json $image"
  "bulkhead-archive-nocache|$BULKHEAD sbom --no-cache -f cyclonedx -o $OUT/bulkhead-archive-nocache.json oci-archive:$archive"
  "bulkhead-rootfs|$BULKHEAD sbom --no-cache -f cyclonedx -o $OUT/bulkhead-rootfs.json rootfs:$rootfs"
  "cdxgen-archive|$CDXGEN -t docker --no-install-deps -o $OUT/cdxgen-archive.json $archive"
  "cdxgen-rootfs|$CDXGEN -t rootfs --no-install-deps -o $OUT/cdxgen-rootfs.json $rootfs"
)
"$BULKHEAD" sbom --cache-dir "$cache" -f json -o /dev/null "$image"  # fills the cache for the cached case

median_seconds() {  # name command: prints the median wall time of RUNS runs, in seconds
  local name="$1" command="$2"
  if command -v hyperfine >/dev/null; then
    hyperfine --runs "$RUNS" --warmup 1 --style none --export-json "$OUT/$name.hyperfine.json" \
      "$command" >"$OUT/$name.hyperfine.log" 2>&1 || { cat "$OUT/$name.hyperfine.log" >&2; return 1; }
    jq -r '.results[0].median' "$OUT/$name.hyperfine.json"
  else
    local times=() start end
    for _ in $(seq "$RUNS"); do
      start=$(date +%s%N)
      bash -c "$command" >"$OUT/$name.log" 2>&1 || { cat "$OUT/$name.log" >&2; return 1; }
      end=$(date +%s%N)
      times+=("$(( end - start ))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.6f\n", m / 1e9}'
  fi
}

# What a CycloneDX document lists.
packages() { jq '[.components[]? | select(.type == "library" or .type == "application" or .type == "framework")] | length' "$1"; }
installed_names() {  # name@version of the distribution's installed packages
  case "$1" in
    *bulkhead*) jq -r '.components[]? | select(.type == "library") | "\(.name)@\(.version)"' "$1" ;;
    # trivy (cdxgen's OS cataloguer) marks installed packages with a PkgID; source packages have none.
    *) jq -r '.components[]? | select(.type == "library") | select(any(.properties[]?; .name == "aquasecurity:trivy:PkgID")) | "\(.name)@\(.version)"' "$1" ;;
  esac | sort -u
}
other_kinds() {
  jq -r '[.components[]? | .type] | group_by(.) | map("\(length) \(.[0])") | join(", ")' "$1"
}

declare -A SECONDS_OF
for case in "${CASES[@]}"; do
  name="${case%%|*}"
  SECONDS_OF[$name]="$(median_seconds "$name" "${case#*|}")"
done

expected="$(jq '.packages | length' "$TESTBED_EXPECTED")"
{
  echo "SBOM of the test-bed image (Debian bookworm; dpkg-query lists $expected installed packages)"
  echo "bulkhead $("$BULKHEAD" --version | awk '{print $2}') vs cdxgen $CDXGEN_VERSION, median wall time of $RUNS runs (+1 warm-up) each, $(nproc) cores"
  printf '%-26s %10s %9s  %s\n' "run" "median" "packages" "all components"
  for case in "${CASES[@]}"; do
    name="${case%%|*}"
    file="$OUT/$name.json"
    printf '%-26s %9.3fs %9s  %s\n' "$name" "${SECONDS_OF[$name]}" "$(packages "$file")" "$(other_kinds "$file")"
  done
  for pair in "bulkhead-archive-nocache cdxgen-archive" "bulkhead-rootfs cdxgen-rootfs"; do
    read -r ours theirs <<<"$pair"
    installed_names "$OUT/$ours.json" >"$OUT/$ours.names"
    installed_names "$OUT/$theirs.json" >"$OUT/$theirs.names"
    both=$(comm -12 "$OUT/$ours.names" "$OUT/$theirs.names" | wc -l)
    only_ours=$(comm -23 "$OUT/$ours.names" "$OUT/$theirs.names" | wc -l)
    only_theirs=$(comm -13 "$OUT/$ours.names" "$OUT/$theirs.names" | wc -l)
    echo "installed packages, $ours vs $theirs: $both in both, $only_ours only bulkhead, $only_theirs only cdxgen"
  done
  awk -v a="${SECONDS_OF[cdxgen-archive]}" -v b="${SECONDS_OF[bulkhead-archive-nocache]}" \
    'BEGIN{printf "same OCI archive, no cache: bulkhead %.1fx faster than cdxgen\n", a/b}'
  awk -v a="${SECONDS_OF[cdxgen-rootfs]}" -v b="${SECONDS_OF[bulkhead-rootfs]}" \
    'BEGIN{printf "same root file system:      bulkhead %.1fx faster than cdxgen\n", a/b}'
} | tee "$OUT/summary.txt"
