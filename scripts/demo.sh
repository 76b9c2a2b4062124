#!/usr/bin/env bash
# The main job on embedded defaults: build Bulkhead and the test-bed image (a real Debian
# bookworm image made with debootstrap and umoci), then show what `image inspect` finds,
# the packages in it (`sbom`), its compliance checks (`bench image`) and, with the shared
# advisory data, the vulnerabilities of the apps image (`db build`, `image scan`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
"$ROOT/tests/testbed/testbed.sh" build >&2
set -a; source "${BULKHEAD_TESTBED_DIR:-$ROOT/.testbed}/testbed.env"; set +a
BULKHEAD="$BUILD_DIR/src/cli/bulkhead"
echo "== bulkhead image inspect $TESTBED_OCI:bookworm"
"$BULKHEAD" image inspect "$TESTBED_OCI:bookworm"
echo
echo "== bulkhead sbom $TESTBED_OCI:bookworm"
"$BULKHEAD" sbom "$TESTBED_OCI:bookworm"
echo
echo "== bulkhead bench image $TESTBED_OCI:bookworm"
"$BULKHEAD" bench image "$TESTBED_OCI:bookworm" --failed-only
echo
DATA="${BULKHEAD_ADVISORY_DATA:-$ROOT/../shared/data/advisories}"
if [ -d "$DATA" ]; then
  echo "== bulkhead db build --data $DATA"
  "$BULKHEAD" db build --data "$DATA" 2>/dev/null
  echo
  echo "== bulkhead image scan $TESTBED_APPS:$TESTBED_APPS_TAG"
  "$BULKHEAD" image scan "$TESTBED_APPS:$TESTBED_APPS_TAG"
else
  echo "== no advisory data at $DATA (set BULKHEAD_ADVISORY_DATA): vulnerability scan skipped"
fi
