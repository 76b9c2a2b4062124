#!/usr/bin/env bash
# Bulkhead test bed: builds real container images (Debian bookworm via
# debootstrap, packed with umoci/skopeo) and serves them from real registries
# (Debian's docker-registry = distribution 2.8) on 127.0.0.1.
#
# Usage: tests/testbed/testbed.sh build|registry-start|registry-stop|clean|verify|env
# See tests/testbed/README.md. Output: $BULKHEAD_TESTBED_DIR or <repo>/.testbed
set -Eeuo pipefail
export LC_ALL=C.UTF-8

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
OUT=${BULKHEAD_TESTBED_DIR:-$REPO_ROOT/.testbed}
PY=/usr/bin/python3
TOOL=$SCRIPT_DIR/testbed_tool.py

SUITE=bookworm
TAG=bookworm                      # tag of the main image in every layout
INCLUDE=ca-certificates,openssl,procps
REPO_NAME=bulkhead/testbed        # repository in the registries
MULTI_REPO=bulkhead/multi
DOCKER_REF=$REPO_NAME:$TAG        # reference inside image.docker.tar
TOKEN_SERVICE=bulkhead-testbed-registry
TOKEN_ISSUER=bulkhead-testbed-token-issuer
REGISTRY_USER=bulkhead
TOKEN_USER=bulkhead-token

STATE=$OUT/.state
RUN=$OUT/run
REG=$OUT/registry
LOGS=$OUT/logs
PKI=$OUT/pki
CACHE=$OUT/cache

CURRENT_STEP=startup
ERR_REPORTED=0
TMP_DIRS=()

log() { printf '[testbed] %s\n' "$*" >&2; }
warn() { printf '[testbed] WARNING: %s\n' "$*" >&2; }
die() {
  ERR_REPORTED=1
  printf '[testbed] ERROR in step "%s": %s\n' "$CURRENT_STEP" "$*" >&2
  exit 1
}
on_err() {
  local rc=$1 line=$2 cmd=$3
  if [[ $ERR_REPORTED == 0 ]]; then
    ERR_REPORTED=1
    printf '[testbed] FAILED in step "%s" (exit %s) at testbed.sh:%s: %s\n' "$CURRENT_STEP" "$rc" "$line" "$cmd" >&2
  fi
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# ----------------------------------------------------------------- helpers
umount_below() {
  local d m
  d=$(realpath -m -- "$1")
  # field 5 of mountinfo is the mount point; deepest first
  while read -r m; do
    [[ -n $m ]] || continue
    warn "unmounting leftover mount $m"
    umount -l -- "$m" || warn "could not unmount $m"
  done < <(awk -v p="$d" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

safe_rm() {
  local d
  for d in "$@"; do
    [[ -n $d && $d != / && $d != "$REPO_ROOT" ]] || die "refusing to remove '$d'"
    [[ -e $d || -L $d ]] || continue
    umount_below "$d"
    rm -rf --one-file-system -- "$d"
  done
}

cleanup() {
  local d
  for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do
    safe_rm "$d" 2>/dev/null || true
  done
}
trap cleanup EXIT

sk() { skopeo --policy "$SCRIPT_DIR/policy.json" "$@"; }

mktmp() { # mktmp VAR: a temporary directory under /tmp, removed on exit
  local d
  d=$(mktemp -d /tmp/bulkhead-testbed.XXXXXX)
  TMP_DIRS+=("$d")
  printf -v "$1" '%s' "$d"
}

ensure_out() {
  if [[ -d $OUT && ! -f $OUT/.bulkhead-testbed && -n $(ls -A "$OUT") ]]; then
    die "$OUT exists, is not empty and is not a test bed directory (no .bulkhead-testbed marker)"
  fi
  mkdir -p "$OUT" "$STATE/steps" "$LOGS" "$CACHE"
  touch "$OUT/.bulkhead-testbed"
}

# Serializes testbed.sh runs on one output directory. Long-running children
# (registries, token server) are started with fd 9 closed so they never hold it.
lock_out() {
  local lock=$OUT/.testbed.lock
  exec 9>"$lock"
  if ! flock -n 9; then
    log "waiting for another testbed.sh holding $lock"
    flock -w 3600 9 || die "timed out waiting for $lock"
  fi
}

# ------------------------------------------------------------------- tools
APT_UPDATED=0
ensure_tools() {
  CURRENT_STEP=tools
  local pkgs=() pair cmd pkg
  for pair in debootstrap:debootstrap skopeo:skopeo umoci:umoci docker-registry:docker-registry \
      htpasswd:apache2-utils jq:jq openssl:openssl curl:curl zstd:zstd flock:util-linux \
      setsid:util-linux gpgv:gpgv tar:tar gzip:gzip sha256sum:coreutils awk:mawk; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || pkgs+=("$pkg")
  done
  [[ -x $PY ]] || pkgs+=(python3)
  [[ -x $APPS_GO ]] || pkgs+=(golang-go)  # apps-image
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)  # apps-image
  [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || pkgs+=(debian-archive-keyring)
  if [[ -x $PY ]]; then
    "$PY" -c 'import jwt' 2>/dev/null || pkgs+=(python3-jwt)
    "$PY" -c 'import cryptography' 2>/dev/null || pkgs+=(python3-cryptography)
  else
    pkgs+=(python3-jwt python3-cryptography)
  fi
  [[ ${#pkgs[@]} -eq 0 ]] && return 0
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
  [[ $(id -u) == 0 ]] || die "missing packages (${pkgs[*]}) and not root: install them first"
  log "installing missing packages: ${pkgs[*]}"
  if [[ $APT_UPDATED == 0 ]]; then
    apt-get update -q >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2 \
    || die "apt-get install ${pkgs[*]} failed"
}

# ------------------------------------------------------------ build state
HOST_ARCH=
FOREIGN_ARCH=
MIRROR=
BUILD_HASH=

init_build_vars() {
  CURRENT_STEP=init
  HOST_ARCH=$(dpkg --print-architecture)
  case $HOST_ARCH in
    amd64) FOREIGN_ARCH=arm64 ;;
    *) FOREIGN_ARCH=amd64 ;;
  esac
  MIRROR=${BULKHEAD_TESTBED_MIRROR:-$("$PY" "$TOOL" mirror --suite "$SUITE")}
  local f
  BUILD_HASH=$(
    {
      # files that shape the artifacts (not README.md, registry templates, token server)
      for f in "$SCRIPT_DIR"/testbed.sh "$SCRIPT_DIR"/testbed_tool.py "$SCRIPT_DIR"/policy.json; do
        printf '== %s\n' "${f##*/}"
        if [[ $f == */testbed.sh ]]; then main_script_text "$f"; continue; fi  # apps-image
        cat "$f"
      done
      printf 'mirror=%s host=%s foreign=%s\n' "$MIRROR" "$HOST_ARCH" "$FOREIGN_ARCH"
      dpkg-query -W -f='${Package}=${Version}\n' debootstrap skopeo umoci 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
  )
  APPS_HASH=$(apps_hash)  # apps-image
  RUNTIME_HASH=$(runtime_hash)  # runtime-rootfs
}

RERUN_REST=0
step() { # step NAME FUNCTION OUTPUT...: run FUNCTION unless its stamp is current
  local name=$1 fn=$2 t0=$SECONDS o missing=0
  shift 2
  CURRENT_STEP=$name
  for o in "$@"; do [[ -e $o ]] || missing=1; done
  if [[ $RERUN_REST == 0 && $missing == 0 && -f $STATE/steps/$name &&
        $(<"$STATE/steps/$name") == "$BUILD_HASH" ]]; then
    log "step $name: up to date"
    return 0
  fi
  log "step $name: running"
  rm -f "$STATE/steps/$name"
  "$fn"
  echo "$BUILD_HASH" >"$STATE/steps/$name"
  RERUN_REST=1
  log "step $name: done ($((SECONDS - t0))s)"
}

# -------------------------------------------------------------- debootstrap
DEBOOTSTRAP_TARBALL=
debootstrap_cached() { # debootstrap_cached ARCH FOREIGN(0|1)
  local arch=$1 foreign=$2 key name work dlog
  local args=(--variant=minbase "--arch=$arch")
  if [[ $foreign == 1 ]]; then
    args+=(--foreign)
    name=debootstrap-$arch-foreign
  else
    args+=("--include=$INCLUDE")
    name=debootstrap-$arch
  fi
  key=$(printf '%s\n' "$SUITE" "$MIRROR" "${args[*]}" \
    "$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-16)
  DEBOOTSTRAP_TARBALL=$CACHE/$name-$key.tar.zst
  if [[ -s $DEBOOTSTRAP_TARBALL ]]; then
    log "using cached $name ($DEBOOTSTRAP_TARBALL)"
    return 0
  fi
  work=$OUT/scratch/$name
  dlog=$LOGS/$name.log
  safe_rm "$work"
  mkdir -p "$OUT/scratch"
  TMP_DIRS+=("$work")
  log "debootstrap ${args[*]} $SUITE $MIRROR (log: $dlog)"
  if ! debootstrap "${args[@]}" "$SUITE" "$work" "$MIRROR" >"$dlog" 2>&1; then
    tail -n 30 "$dlog" >&2 || true
    umount_below "$work"
    die "debootstrap ($name) failed; see $dlog"
  fi
  umount_below "$work"
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$work" -cf - . \
    | zstd -q -T0 -3 -o "$DEBOOTSTRAP_TARBALL.tmp"
  mv -f "$DEBOOTSTRAP_TARBALL.tmp" "$DEBOOTSTRAP_TARBALL"
  find "$CACHE" -maxdepth 1 -name "$name-*.tar.zst" ! -path "$DEBOOTSTRAP_TARBALL" -delete
  safe_rm "$work"
  log "cached $name as $DEBOOTSTRAP_TARBALL ($(du -h "$DEBOOTSTRAP_TARBALL" | cut -f1))"
}

extract_tarball() { # extract_tarball TARBALL DIR
  mkdir -p "$2"
  zstd -dcq "$1" | tar --numeric-owner --xattrs --xattrs-include='*' -xpf - -C "$2"
}

# --------------------------------------------------------------- build steps
step_rootfs() {
  debootstrap_cached "$HOST_ARCH" 0
  local tmp=$OUT/rootfs.tmp
  safe_rm "$tmp"
  extract_tarball "$DEBOOTSTRAP_TARBALL" "$tmp"
  # equivalent of `apt-get clean` + dropping apt lists, as Debian's own images do
  rm -f "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/cache/apt/*.bin
  find "$tmp/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  [[ -x $tmp/bin/sh && -s $tmp/var/lib/dpkg/status && -e $tmp/etc/os-release ]] \
    || die "debootstrap result in $tmp looks incomplete"
  safe_rm "$OUT/rootfs"
  mv "$tmp" "$OUT/rootfs"
}

step_oci() {
  local lay=$OUT/oci.tmp bundle=$OUT/scratch/bundle rec=$STATE/changes.json src=$OUT/scratch/opaque-src
  safe_rm "$lay" "$bundle" "$src"
  rm -f "$rec"
  mkdir -p "$OUT/scratch"
  TMP_DIRS+=("$bundle" "$src")
  umoci init --layout "$lay"
  umoci new --image "$lay:$TAG"
  umoci unpack --image "$lay:$TAG" "$bundle"
  cp -a "$OUT/rootfs/." "$bundle/rootfs/"
  log "layer 0: debootstrap root file system"
  umoci repack --refresh-bundle --image "$lay:$TAG" \
    --history.created_by "debootstrap --variant=minbase --include=$INCLUDE $SUITE $MIRROR" \
    --history.comment "layer 0: Debian $SUITE minbase root file system" "$bundle"
  log "layer 1: deletions, recreated directory, new files and links (umoci repack)"
  "$PY" "$TOOL" mutate-layer2 "$bundle/rootfs" "$rec" --layer 1
  umoci repack --image "$lay:$TAG" \
    --history.created_by "testbed_tool.py mutate-layer2" \
    --history.comment "layer 1: rm /etc/motd /etc/update-motd.d; recreate /usr/share/doc/procps; add /opt/bulkhead" \
    "$bundle"
  # umoci repack never writes opaque whiteouts, and `umoci insert --opaque` (0.4.7)
  # writes a truncated tar stream, so this layer is written by testbed_tool.py.
  log "layer 2: opaque whiteout of /usr/share/doc/openssl (testbed_tool.py append-layer)"
  "$PY" "$TOOL" prepare-opaque "$src" /usr/share/doc/openssl "$bundle/rootfs" "$rec" --layer 2
  "$PY" "$TOOL" append-layer --layout "$lay" --ref "$TAG" --src "$src" --target /usr/share/doc/openssl \
    --created-by "testbed_tool.py append-layer (opaque)" \
    --comment "layer 2: replace /usr/share/doc/openssl (opaque directory)"
  umoci config --image "$lay:$TAG" \
    --author "Bulkhead test bed" \
    --config.user nobody \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env LANG=C.UTF-8 \
    --config.env BULKHEAD_TESTBED=1 \
    --config.entrypoint /bin/cat \
    --config.cmd /opt/bulkhead/hello.txt \
    --config.workingdir /opt/bulkhead \
    --config.exposedports 8080/tcp \
    --config.volume /data \
    --config.stopsignal SIGTERM \
    --config.label org.opencontainers.image.title=bulkhead-testbed \
    --config.label "org.opencontainers.image.description=Bulkhead test bed image (Debian $SUITE minbase)" \
    --config.label org.opencontainers.image.version=$SUITE \
    --config.label dev.bulkhead.testbed=true \
    --manifest.annotation org.opencontainers.image.title=bulkhead-testbed \
    --history.created_by "umoci config" \
    --history.comment "set user, env, entrypoint, cmd, workdir, exposed port, volume, labels"
  umoci gc --layout "$lay"
  [[ $(umoci ls --layout "$lay") == "$TAG" ]] || die "unexpected tags in $lay"
  safe_rm "$bundle" "$src" "$OUT/oci"
  mv "$lay" "$OUT/oci"
}

layer_types() { # layer_types LAYOUT TAG -> media types of the layers, one per line
  local m
  m=$(jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$1/index.json")
  jq -r '.layers[].mediaType' "$1/blobs/${m/://}"
}

step_variants() {
  local z=$OUT/oci-zstd.tmp p=$OUT/oci-plain.tmp d=$OUT/scratch/plain-dir
  safe_rm "$z" "$p" "$d"
  TMP_DIRS+=("$d")
  log "oci-zstd: skopeo copy --dest-compress-format zstd"
  sk copy -q --dest-compress-format zstd "oci:$OUT/oci:$TAG" "oci:$z:$TAG"
  log "oci-plain: skopeo copy --dest-decompress to dir:, then --dest-oci-accept-uncompressed-layers"
  sk copy -q --dest-decompress "oci:$OUT/oci:$TAG" "dir:$d"
  sk copy -q --dest-oci-accept-uncompressed-layers "dir:$d" "oci:$p:$TAG"
  [[ $(layer_types "$z" "$TAG" | sort -u) == application/vnd.oci.image.layer.v1.tar+zstd ]] \
    || die "oci-zstd layers are not zstd"
  [[ $(layer_types "$p" "$TAG" | sort -u) == application/vnd.oci.image.layer.v1.tar ]] \
    || die "oci-plain layers are not uncompressed"
  safe_rm "$d" "$OUT/oci-zstd" "$OUT/oci-plain"
  mv "$z" "$OUT/oci-zstd"
  mv "$p" "$OUT/oci-plain"
}

step_archives() {
  rm -f "$OUT/image.docker.tar.tmp" "$OUT/image.oci.tar.tmp"
  sk copy -q "oci:$OUT/oci:$TAG" "docker-archive:$OUT/image.docker.tar.tmp:$DOCKER_REF"
  sk copy -q "oci:$OUT/oci:$TAG" "oci-archive:$OUT/image.oci.tar.tmp:$TAG"
  mv -f "$OUT/image.docker.tar.tmp" "$OUT/image.docker.tar"
  mv -f "$OUT/image.oci.tar.tmp" "$OUT/image.oci.tar"
}

triplet() {
  case $1 in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) die "no multiarch triplet known for $1" ;;
  esac
}

step_foreign() {
  debootstrap_cached "$FOREIGN_ARCH" 1
  local lay=$OUT/oci-$FOREIGN_ARCH.tmp bundle=$OUT/scratch/bundle-$FOREIGN_ARCH mk markers=()
  safe_rm "$lay" "$bundle"
  TMP_DIRS+=("$bundle")
  umoci init --layout "$lay"
  umoci new --image "$lay:$TAG"
  umoci unpack --image "$lay:$TAG" "$bundle"
  extract_tarball "$DEBOOTSTRAP_TARBALL" "$bundle/rootfs"
  for mk in "/usr/lib/$(triplet "$FOREIGN_ARCH")/libc.so.6" /debootstrap/debootstrap; do
    [[ -e $bundle/rootfs$mk ]] || die "foreign root file system lacks $mk"
    markers+=("$mk")
  done
  printf '%s\n' "${markers[@]}" >"$STATE/foreign-markers"
  umoci repack --image "$lay:$TAG" \
    --history.created_by "debootstrap --foreign --arch=$FOREIGN_ARCH --variant=minbase $SUITE $MIRROR" \
    --history.comment "first stage only: packages unpacked, not configured" "$bundle"
  umoci config --image "$lay:$TAG" \
    --architecture "$FOREIGN_ARCH" --os linux \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.cmd /bin/sh \
    --config.label "org.opencontainers.image.title=bulkhead-testbed-$FOREIGN_ARCH" \
    --history.created_by "umoci config" --history.comment "architecture $FOREIGN_ARCH"
  umoci gc --layout "$lay"
  safe_rm "$bundle" "$OUT/oci-$FOREIGN_ARCH"
  mv "$lay" "$OUT/oci-$FOREIGN_ARCH"
}

step_multi() {
  safe_rm "$OUT/multi.tmp" "$OUT/nested.tmp"
  "$PY" "$TOOL" make-index --out "$OUT/multi.tmp" --ref multi \
    --image "$OUT/oci:$TAG" --image "$OUT/oci-$FOREIGN_ARCH:$TAG" >/dev/null
  safe_rm "$OUT/multi"
  mv "$OUT/multi.tmp" "$OUT/multi"
  "$PY" "$TOOL" make-index --out "$OUT/nested.tmp" --ref nested --wrap "$OUT/multi:multi" >/dev/null
  safe_rm "$OUT/nested"
  mv "$OUT/nested.tmp" "$OUT/nested"
}

step_expected() {
  local markers=() mk
  while read -r mk; do markers+=(--foreign-marker "$mk"); done <"$STATE/foreign-markers"
  "$PY" "$TOOL" expected --record "$STATE/changes.json" --oci "$OUT/oci" --ref "$TAG" \
    --rootfs "$OUT/rootfs" --oci-zstd "$OUT/oci-zstd" --oci-plain "$OUT/oci-plain" \
    --multi "$OUT/multi" --nested "$OUT/nested" \
    --foreign-layout "$OUT/oci-$FOREIGN_ARCH" --foreign-ref "$TAG" "${markers[@]}" \
    --docker-ref "$DOCKER_REF" --docker-archive "$OUT/image.docker.tar" \
    --oci-archive "$OUT/image.oci.tar" --out "$OUT/expected.json"
}

step_verify() { verify_artifacts; }

# ----------------------------------------------------------------- verify
expect_eq() { # expect_eq WHAT ACTUAL EXPECTED
  [[ $2 == "$3" ]] || die "$1: got '$2', expected '$3'"
  log "ok: $1"
}

verify_artifacts() {
  CURRENT_STEP=verify-artifacts
  local e=$OUT/expected.json t l
  [[ -s $e ]] || die "$e missing: run build first"
  for l in oci oci-zstd oci-plain "oci-$FOREIGN_ARCH"; do
    t=$(sk inspect "oci:$OUT/$l:$TAG" | jq -r '.Architecture + "/" + .Os + " layers=" + (.Layers | length | tostring)')
    log "skopeo inspect oci:$l:$TAG -> $t"
  done
  expect_eq "skopeo inspect oci:oci labels" \
    "$(sk inspect "oci:$OUT/oci:$TAG" | jq -r '.Labels["org.opencontainers.image.title"]')" bulkhead-testbed
  # skopeo writes the normalized name (docker.io/bulkhead/testbed:bookworm) into RepoTags
  expect_eq "docker-archive manifest.json RepoTags" \
    "$(tar -xOf "$OUT/image.docker.tar" manifest.json | jq -r '.[0].RepoTags | join(",")')" "docker.io/$DOCKER_REF"
  expect_eq "skopeo inspect docker-archive layers" \
    "$(sk inspect "docker-archive:$OUT/image.docker.tar" | jq '.Layers | length')" \
    "$(jq '.image.layer_count' "$e")"
  expect_eq "skopeo inspect oci-archive digest" \
    "$(sk inspect "oci-archive:$OUT/image.oci.tar:$TAG" | jq -r .Digest)" "$(jq -r .image.manifest_digest "$e")"
  expect_eq "multi raw media type" \
    "$(sk inspect --raw "oci:$OUT/multi:multi" | jq -r .mediaType)" application/vnd.oci.image.index.v1+json
  expect_eq "multi default platform" \
    "$(sk inspect "oci:$OUT/multi:multi" | jq -r .Architecture)" "$HOST_ARCH"
  expect_eq "multi --override-arch $FOREIGN_ARCH" \
    "$(sk --override-arch "$FOREIGN_ARCH" inspect "oci:$OUT/multi:multi" | jq -r .Architecture)" "$FOREIGN_ARCH"
  expect_eq "nested: index.json -> index -> index" \
    "$(sk inspect --raw "oci:$OUT/nested:nested" | jq -r '.manifests[0].mediaType')" \
    application/vnd.oci.image.index.v1+json
  for l in oci oci-plain "oci-$FOREIGN_ARCH"; do
    umoci stat --image "$OUT/$l:$TAG" >/dev/null
    log "ok: umoci stat $l:$TAG"
  done
  local tmp
  mktmp tmp
  log "umoci unpack oci:$TAG -> $tmp/oci and checking expected.json (all layouts, all layers)"
  umoci unpack --image "$OUT/oci:$TAG" "$tmp/oci" >/dev/null
  "$PY" "$TOOL" check --expected "$e" --rootfs "$tmp/oci/rootfs" --base-rootfs "$OUT/rootfs" \
    --layout "$OUT/oci:$TAG" --layout "$OUT/oci-zstd:$TAG" --layout "$OUT/oci-plain:$TAG" \
    --multi "$OUT/multi" --nested "$OUT/nested"
  safe_rm "$tmp/oci"
  log "umoci unpack oci-plain:$TAG -> $tmp/plain and checking the merged view"
  umoci unpack --image "$OUT/oci-plain:$TAG" "$tmp/plain" >/dev/null
  "$PY" "$TOOL" check --quick --expected "$e" --rootfs "$tmp/plain/rootfs"
  safe_rm "$tmp"
  log "artifacts verified"
}

# >>> apps image (begin). The main images' hash leaves this section and the lines tagged
# "apps-image" out (init_build_vars), so changing the apps image never rebuilds them; the
# apps steps are stamped with APPS_HASH, which covers the whole script and the toolchains.
#
# The apps image: the debootstrap root file system, then Debian packages installed with
# apt-get in a chroot (Debian-packaged Python, a Debian-packaged Go binary, a Java
# library), then an npm app installed from the npm registry at pinned old versions and a
# Go binary built here with Debian's Go. The oracles are what the real tools say about it.
APPS_TAG=apps
APPS_DEBS=(python3 python3-requests python3-urllib3 umoci libcommons-lang3-java)
APPS_GO=/usr/lib/go/bin/go                    # Debian's golang-go (GOROOT /usr/lib/go)
APPS_GO_DEBIAN=/usr/bin/umoci                 # a Go binary from a Debian package
APPS_GO_BUILT=/usr/local/bin/bulkhead-go-demo # a Go binary with modules, built here
APPS_NPM_DEPS='"express": "4.16.0", "lodash": "4.17.4", "minimist": "0.0.8", "moment": "2.19.1"'
APPS_HASH=

# This script as the main images' hash sees it: without the apps image's lines.
main_script_text() {
  sed -e '/^# >>> apps image/,/^# <<< apps image/d' -e '/# apps-image$/d' \
    -e '/^# >>> runtime rootfs/,/^# <<< runtime rootfs/d' -e '/# runtime-rootfs$/d' "$1"
}

apps_hash() {
  {
    printf 'main=%s\n' "$BUILD_HASH"
    # the runtime root file system has a hash of its own: editing it never rebuilds this image
    sed -e '/^# >>> runtime rootfs/,/^# <<< runtime rootfs/d' -e '/# runtime-rootfs$/d' "$SCRIPT_DIR/testbed.sh"
    dpkg-query -W -f='${Package}=${Version}\n' golang-go 2>/dev/null || true
    printf 'node=%s npm=%s\n' "$(node --version 2>/dev/null || true)" "$(npm --version 2>/dev/null || true)"
  } | sha256sum | cut -d' ' -f1
}

build_apps() {
  local BUILD_HASH=$APPS_HASH # step() stamps with BUILD_HASH: here, the apps hash
  step apps step_apps "$OUT/apps/index.json" "$OUT/apps-rootfs/usr/bin/python3"
  step apps-oracles step_apps_oracles "$OUT/apps-npm-ls.json" "$OUT/apps-go-version-m.txt" \
    "$OUT/apps-python.json" "$OUT/apps-dpkg.txt"
}

# apt-get install in a chroot of ROOT, with the host's resolv.conf for the downloads; the
# .debs are kept in the cache for the next build, then apt's caches and lists are removed
# as Debian's own images do. No /proc: nothing these packages run needs it.
apps_apt_install() { # apps_apt_install ROOT
  local root=$1 debs=$CACHE/apps-debs alog=$LOGS/apps-apt.log saved=$OUT/scratch/apps-resolv.conf
  local env=(/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
  local apt=(apt-get -q -y -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0)
  rm -f "$saved"
  if [[ -e $root/etc/resolv.conf || -L $root/etc/resolv.conf ]]; then
    cp -a "$root/etc/resolv.conf" "$saved"
  fi
  rm -f "$root/etc/resolv.conf" # never write through a symlink in the image
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  if compgen -G "$debs/*.deb" >/dev/null; then cp "$debs"/*.deb "$root/var/cache/apt/archives/"; fi
  : >"$alog"
  if ! chroot "$root" "${env[@]}" "${apt[@]}" update >>"$alog" 2>&1 ||
     ! chroot "$root" "${env[@]}" "${apt[@]}" install --no-install-recommends "${APPS_DEBS[@]}" >>"$alog" 2>&1; then
    tail -n 20 "$alog" >&2 || true
    die "apt-get in the apps chroot failed; see $alog"
  fi
  mkdir -p "$debs"
  rm -f "$debs"/*.deb
  if compgen -G "$root/var/cache/apt/archives/*.deb" >/dev/null; then
    mv "$root"/var/cache/apt/archives/*.deb "$debs/"
  fi
  chroot "$root" "${env[@]}" apt-get clean >>"$alog" 2>&1
  rm -f "$root"/var/cache/apt/*.bin "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
  find "$root/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  if [[ -e $saved || -L $saved ]]; then mv "$saved" "$root/etc/resolv.conf"; fi
  [[ -x $root/usr/bin/python3 && -x $root$APPS_GO_DEBIAN ]] || die "apt-get left no python3 or $APPS_GO_DEBIAN"
}

# DIR: an npm app (package.json at pinned versions, package-lock.json, node_modules) made
# by `npm install` on the host. npm's cache lives in the test bed cache.
apps_npm_app() { # apps_npm_app DIR
  local app=$1 work=$OUT/scratch/npm-app nlog=$LOGS/apps-npm.log
  safe_rm "$work"
  mkdir -p "$work"
  cat >"$work/package.json" <<EOF
{
  "name": "bulkhead-testbed-app",
  "version": "1.0.0",
  "private": true,
  "description": "Bulkhead test bed: an npm app at pinned old versions",
  "dependencies": { $APPS_NPM_DEPS }
}
EOF
  if ! (cd "$work" && npm install --no-audit --no-fund --ignore-scripts --no-update-notifier \
      --cache "$CACHE/npm-cache" --prefer-offline) >"$nlog" 2>&1; then
    tail -n 20 "$nlog" >&2 || true
    die "npm install failed; see $nlog"
  fi
  mkdir -p "$app"
  cp -a "$work/." "$app/"
  chown -R 0:0 "$app"
  safe_rm "$work"
}

# OUT: a static Go binary with two local modules (replace directives: no module proxy),
# built with Debian's Go, -trimpath, GOFLAGS=-mod=mod, GOPROXY=off.
apps_go_build() { # apps_go_build OUT
  local out=$1 src=$OUT/scratch/go-demo glog=$LOGS/apps-go.log
  safe_rm "$src"
  mkdir -p "$src/helper" "$src/greeting" "$(dirname "$out")"
  cat >"$src/go.mod" <<'EOF'
module example.com/bulkhead/app

go 1.19

require (
	example.com/bulkhead/greeting v0.1.0
	example.com/bulkhead/helper v0.0.0
)

replace example.com/bulkhead/helper => ./helper

replace example.com/bulkhead/greeting v0.1.0 => ./greeting
EOF
  cat >"$src/main.go" <<'EOF'
// The Bulkhead test bed's Go binary: two module dependencies, both local replacements.
package main

import (
	"fmt"

	"example.com/bulkhead/greeting"
	"example.com/bulkhead/helper"
)

func main() { fmt.Println(greeting.Hello(), helper.Answer()) }
EOF
  printf 'module example.com/bulkhead/helper\n\ngo 1.19\n' >"$src/helper/go.mod"
  printf 'package helper\n\nfunc Answer() int { return 42 }\n' >"$src/helper/helper.go"
  printf 'module example.com/bulkhead/greeting\n\ngo 1.19\n' >"$src/greeting/go.mod"
  printf 'package greeting\n\nfunc Hello() string { return "hello" }\n' >"$src/greeting/greeting.go"
  if ! (cd "$src" && env GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GO111MODULE=on GOTOOLCHAIN=local \
      CGO_ENABLED=0 GOCACHE="$CACHE/go-build" GOPATH="$OUT/scratch/gopath" \
      "$APPS_GO" build -trimpath -buildvcs=false -o "$out" .) >"$glog" 2>&1; then
    tail -n 20 "$glog" >&2 || true
    die "go build failed; see $glog"
  fi
  safe_rm "$src" "$OUT/scratch/gopath"
}

step_apps() {
  local lay=$OUT/apps.tmp bundle=$OUT/scratch/apps-bundle root
  root=$bundle/rootfs
  safe_rm "$lay" "$bundle"
  mkdir -p "$OUT/scratch"
  TMP_DIRS+=("$bundle")
  umoci init --layout "$lay"
  umoci new --image "$lay:$APPS_TAG"
  umoci unpack --image "$lay:$APPS_TAG" "$bundle"
  cp -a "$OUT/rootfs/." "$root/"
  log "apps layer 0: debootstrap root file system"
  umoci repack --refresh-bundle --image "$lay:$APPS_TAG" \
    --history.created_by "debootstrap --variant=minbase --include=$INCLUDE $SUITE $MIRROR" \
    --history.comment "apps layer 0: Debian $SUITE minbase root file system" "$bundle"
  log "apps layer 1: apt-get install ${APPS_DEBS[*]} (chroot)"
  apps_apt_install "$root"
  umoci repack --refresh-bundle --image "$lay:$APPS_TAG" \
    --history.created_by "apt-get install --no-install-recommends ${APPS_DEBS[*]}" \
    --history.comment "apps layer 1: Debian packages (Python, a Go binary, a Java library)" "$bundle"
  log "apps layer 2: /app (npm install: $APPS_NPM_DEPS) and $APPS_GO_BUILT (go build)"
  apps_npm_app "$root/app"
  apps_go_build "$root$APPS_GO_BUILT"
  umoci repack --image "$lay:$APPS_TAG" \
    --history.created_by "npm install --no-audit --no-fund; go build -trimpath" \
    --history.comment "apps layer 2: /app (npm, pinned old versions) and $APPS_GO_BUILT" "$bundle"
  umoci config --image "$lay:$APPS_TAG" \
    --author "Bulkhead test bed" \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env LANG=C.UTF-8 \
    --config.workingdir /app \
    --config.cmd "$APPS_GO_BUILT" \
    --config.label org.opencontainers.image.title=bulkhead-testbed-apps \
    --config.label "org.opencontainers.image.description=Bulkhead test bed: language packages (Debian $SUITE)" \
    --config.label dev.bulkhead.testbed=true \
    --history.created_by "umoci config" --history.comment "set env, workdir, cmd, labels"
  umoci gc --layout "$lay"
  [[ $(umoci ls --layout "$lay") == "$APPS_TAG" ]] || die "unexpected tags in $lay"
  [[ $(layer_types "$lay" "$APPS_TAG" | wc -l) == 3 ]] || die "the apps image does not have 3 layers"
  safe_rm "$OUT/apps-rootfs" "$OUT/apps"
  mv "$root" "$OUT/apps-rootfs" # the merged view: oracles and TESTBED_APPS_ROOTFS
  mv "$lay" "$OUT/apps"
  safe_rm "$bundle"
}

# The oracles: what npm, Debian's go, Python's importlib.metadata and dpkg-query say about
# the apps image's root file system.
step_apps_oracles() {
  local root=$OUT/apps-rootfs f
  for f in apps-npm-ls.json apps-go-version-m.txt apps-python.json apps-dpkg.txt; do rm -f "$OUT/$f"; done
  (cd "$root/app" && npm ls --all --json --long) >"$OUT/apps-npm-ls.json.tmp" 2>>"$LOGS/apps-npm.log" ||
    die "npm ls --all --json --long failed in $root/app; see $LOGS/apps-npm.log"
  (cd "$root" && "$APPS_GO" version -m "${APPS_GO_DEBIAN#/}" "${APPS_GO_BUILT#/}") >"$OUT/apps-go-version-m.txt.tmp" ||
    die "go version -m failed"
  "$PY" - "$root" >"$OUT/apps-python.json.tmp" <<'EOF' || die "importlib.metadata oracle failed"
import glob, importlib.metadata, json, os, sys
root = sys.argv[1]
paths = sorted(set(glob.glob(root + "/usr/lib/python3/dist-packages") +
                   glob.glob(root + "/usr/lib/python3*/site-packages") +
                   glob.glob(root + "/usr/local/lib/python3*/dist-packages") +
                   glob.glob(root + "/usr/local/lib/python3*/site-packages")))
found = []
for d in importlib.metadata.distributions(path=paths):
    where = getattr(d, "_path", None)
    found.append({"name": d.metadata["Name"], "version": d.version,
                  "path": "/" + os.path.relpath(str(where), root) if where else ""})
found.sort(key=lambda p: (p["name"].lower(), p["version"], p["path"]))
json.dump({"paths": ["/" + os.path.relpath(p, root) for p in paths], "distributions": found},
          sys.stdout, indent=2)
print()
EOF
  dpkg-query --admindir="$root/var/lib/dpkg" -W >"$OUT/apps-dpkg.txt.tmp" || die "dpkg-query -W failed"
  for f in apps-npm-ls.json apps-go-version-m.txt apps-python.json apps-dpkg.txt; do
    mv -f "$OUT/$f.tmp" "$OUT/$f"
  done
  verify_apps
}

verify_apps() {
  if [[ ! -s $OUT/apps/index.json || ! -s $OUT/apps-dpkg.txt ]]; then
    log "apps image not built: skipped its checks"
    return 0
  fi
  CURRENT_STEP=verify-apps
  local npm=$OUT/apps-npm-ls.json gom=$OUT/apps-go-version-m.txt py=$OUT/apps-python.json b
  expect_eq "apps: skopeo inspect layers" "$(sk inspect "oci:$OUT/apps:$APPS_TAG" | jq '.Layers | length')" 3
  umoci stat --image "$OUT/apps:$APPS_TAG" >/dev/null
  expect_eq "apps: npm ls express" "$(jq -r .dependencies.express.version "$npm")" 4.16.0
  expect_eq "apps: npm ls lodash" "$(jq -r .dependencies.lodash.version "$npm")" 4.17.4
  expect_eq "apps: npm ls problems" "$(jq -r '.problems // [] | length' "$npm")" 0
  for b in "$APPS_GO_DEBIAN" "$APPS_GO_BUILT"; do
    grep -q "^${b#/}: go1\." "$gom" || die "apps: go version -m says nothing about $b"
  done
  grep -qP '^\tdep\texample.com/bulkhead/helper\t' "$gom" || die "apps: $APPS_GO_BUILT lacks its helper module"
  expect_eq "apps: importlib.metadata requests" \
    "$(jq -r '[.distributions[] | select(.name == "requests")] | length' "$py")" 1
  expect_eq "apps: importlib.metadata urllib3" \
    "$(jq -r '[.distributions[] | select(.name == "urllib3")] | length' "$py")" 1
  for b in python3-requests python3-urllib3 umoci libcommons-lang3-java; do
    grep -q "^$b	" "$OUT/apps-dpkg.txt" || die "apps: dpkg-query -W does not list $b"
  done
  [[ -s $OUT/apps-rootfs/usr/share/java/commons-lang3.jar ]] || die "apps: no commons-lang3.jar"
  log "apps image verified"
}

write_apps_env() {
  [[ -s $OUT/apps/index.json && -s $OUT/apps-dpkg.txt && -d $OUT/apps-rootfs ]] || return 0
  kv TESTBED_APPS "$OUT/apps"
  kv TESTBED_APPS_TAG "$APPS_TAG"
  kv TESTBED_APPS_ROOTFS "$OUT/apps-rootfs"
  kv TESTBED_APPS_NPM_LS "$OUT/apps-npm-ls.json"
  kv TESTBED_APPS_GO_VERSION_M "$OUT/apps-go-version-m.txt"
  # two paths: quoted, so that the file stays sourceable
  printf "TESTBED_APPS_GO_BINARIES='%s %s'\n" "$APPS_GO_DEBIAN" "$APPS_GO_BUILT"
  kv TESTBED_APPS_PYTHON "$OUT/apps-python.json"
  kv TESTBED_APPS_DPKG "$OUT/apps-dpkg.txt"
}
# <<< apps image (end)
# >>> runtime rootfs (begin). Left out of the main and apps hashes like the apps image;
# stamped with RUNTIME_HASH (the main hash, this section, the package list).
#
# The runtime root file system: the debootstrap root file system plus real services, for
# runtime tests that run containers (runc/crun over an overlay of it) and watch what they
# do. A plain directory, no image: containers use it as their lower layer.
RUNTIME_DEBS=(nginx-light redis-server socat netcat-openbsd procps iproute2 python3-minimal curl
  # real servers and clients for the protocol capture tests (tests/net/capture_test.cpp)
  openssh-server openssh-client dnsmasq-base postgresql-15 mariadb-server mariadb-client
  python3-grpcio python3-pymongo kcat nghttp2-client openssl bind9-dnsutils
  # load generators for the network benchmark (bench/net_overhead.sh)
  iperf3 wrk)
RUNTIME_HASH=

runtime_hash() {
  {
    printf 'main=%s\n' "$BUILD_HASH"
    printf '%s\n' "${RUNTIME_DEBS[@]}"
    sed -n -e '/^# >>> runtime rootfs/,/^# <<< runtime rootfs/p' "$SCRIPT_DIR/testbed.sh"
  } | sha256sum | cut -d' ' -f1
}

build_runtime() {
  local BUILD_HASH=$RUNTIME_HASH # step() stamps with BUILD_HASH: here, the runtime hash
  step runtime-rootfs step_runtime_rootfs "$OUT/runtime-rootfs/usr/sbin/nginx"
}

# apt-get install RUNTIME_DEBS in a chroot of a copy of the debootstrap root file system;
# .debs are kept in cache/runtime-debs for the next build. policy-rc.d stops the packages'
# scripts from starting their services in the chroot.
step_runtime_rootfs() {
  local tmp=$OUT/runtime-rootfs.tmp debs=$CACHE/runtime-debs alog=$LOGS/runtime-apt.log
  local env=(/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
  local apt=(apt-get -q -y -o APT::Sandbox::User=root -o Dpkg::Use-Pty=0)
  safe_rm "$tmp"
  mkdir -p "$tmp"
  TMP_DIRS+=("$tmp")
  cp -a "$OUT/rootfs/." "$tmp/"
  rm -f "$tmp/etc/resolv.conf"
  cp -L /etc/resolv.conf "$tmp/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
  if compgen -G "$debs/*.deb" >/dev/null; then cp "$debs"/*.deb "$tmp/var/cache/apt/archives/"; fi
  log "runtime rootfs: apt-get install ${RUNTIME_DEBS[*]} (chroot)"
  : >"$alog"
  if ! chroot "$tmp" "${env[@]}" "${apt[@]}" update >>"$alog" 2>&1 ||
     ! chroot "$tmp" "${env[@]}" "${apt[@]}" install --no-install-recommends "${RUNTIME_DEBS[@]}" >>"$alog" 2>&1; then
    tail -n 20 "$alog" >&2 || true
    die "apt-get in the runtime chroot failed; see $alog"
  fi
  mkdir -p "$debs"
  rm -f "$debs"/*.deb
  if compgen -G "$tmp/var/cache/apt/archives/*.deb" >/dev/null; then
    mv "$tmp"/var/cache/apt/archives/*.deb "$debs/"
  fi
  chroot "$tmp" "${env[@]}" apt-get clean >>"$alog" 2>&1
  rm -f "$tmp"/var/cache/apt/*.bin "$tmp/usr/sbin/policy-rc.d" "$tmp/etc/resolv.conf"
  find "$tmp/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  local b
  # no paths through absolute symlinks (/sbin/ip -> /bin/ip would resolve on the host)
  for b in /usr/sbin/nginx /usr/bin/redis-server /usr/bin/socat /bin/nc.openbsd /bin/ps /bin/ip /usr/bin/python3 /usr/bin/curl \
      /usr/sbin/sshd /usr/bin/ssh /usr/sbin/dnsmasq /usr/bin/dig /usr/lib/postgresql/15/bin/postgres \
      /usr/lib/postgresql/15/bin/initdb /usr/lib/postgresql/15/bin/psql /usr/sbin/mariadbd \
      /usr/bin/mariadb-install-db /usr/bin/mariadb /usr/bin/redis-cli /usr/bin/kcat /usr/bin/nghttp \
      /usr/bin/openssl /usr/sbin/runuser /usr/bin/iperf3 /usr/bin/wrk; do
    [[ -x $tmp$b ]] || die "runtime rootfs: apt-get left no $b"
  done
  for b in grpc pymongo; do
    [[ -f $tmp/usr/lib/python3/dist-packages/$b/__init__.py ]] || die "runtime rootfs: apt-get left no python3 module $b"
  done
  safe_rm "$OUT/runtime-rootfs"
  mv "$tmp" "$OUT/runtime-rootfs"
}

write_runtime_env() {
  [[ -x $OUT/runtime-rootfs/usr/sbin/nginx ]] || return 0
  kv TESTBED_RUNTIME_ROOTFS "$OUT/runtime-rootfs"
}
# <<< runtime rootfs (end)
# ------------------------------------------------------------------ build
do_build() {
  local t0=$SECONDS
  ensure_tools
  init_build_vars
  log "building test bed in $OUT (mirror $MIRROR, $HOST_ARCH + $FOREIGN_ARCH)"
  step rootfs step_rootfs "$OUT/rootfs/etc/os-release"
  step oci step_oci "$OUT/oci/index.json" "$STATE/changes.json"
  step variants step_variants "$OUT/oci-zstd/index.json" "$OUT/oci-plain/index.json"
  step archives step_archives "$OUT/image.docker.tar" "$OUT/image.oci.tar"
  step foreign step_foreign "$OUT/oci-$FOREIGN_ARCH/index.json" "$STATE/foreign-markers"
  step multi step_multi "$OUT/multi/index.json" "$OUT/nested/index.json"
  step expected step_expected "$OUT/expected.json"
  step verify step_verify
  build_apps  # apps-image
  build_runtime  # runtime-rootfs
  CURRENT_STEP=write-env
  safe_rm "$OUT/scratch"
  write_env
  log "build complete ($((SECONDS - t0))s); environment: $OUT/testbed.env"
}

# --------------------------------------------------------------- env file
kv() {
  [[ $2 =~ ^[A-Za-z0-9_./:@+,=-]*$ ]] || die "value of $1 ('$2') has characters unsafe for testbed.env"
  printf '%s=%s\n' "$1" "$2"
}

write_env() {
  local f=$OUT/testbed.env
  {
    echo "# Bulkhead test bed, generated by tests/testbed/testbed.sh; KEY=VALUE, sourceable. Do not edit."
    kv TESTBED_DIR "$OUT"
    if [[ -s $OUT/expected.json ]]; then
      [[ -n $FOREIGN_ARCH ]] || init_build_vars
      kv TESTBED_ROOTFS "$OUT/rootfs"
      kv TESTBED_OCI "$OUT/oci"
      kv TESTBED_OCI_TAG "$TAG"
      kv TESTBED_OCI_ZSTD "$OUT/oci-zstd"
      kv TESTBED_OCI_PLAIN "$OUT/oci-plain"
      kv TESTBED_OCI_FOREIGN "$OUT/oci-$FOREIGN_ARCH"
      kv TESTBED_ARCH "$HOST_ARCH"
      kv TESTBED_FOREIGN_ARCH "$FOREIGN_ARCH"
      kv TESTBED_DOCKER_ARCHIVE "$OUT/image.docker.tar"
      kv TESTBED_DOCKER_ARCHIVE_REF "$DOCKER_REF"
      kv TESTBED_OCI_ARCHIVE "$OUT/image.oci.tar"
      kv TESTBED_MULTI "$OUT/multi"
      kv TESTBED_MULTI_REF multi
      kv TESTBED_NESTED "$OUT/nested"
      kv TESTBED_NESTED_REF nested
      kv TESTBED_EXPECTED "$OUT/expected.json"
      kv TESTBED_MANIFEST_DIGEST "$(jq -r .image.manifest_digest "$OUT/expected.json")"
      kv TESTBED_MULTI_DIGEST "$(jq -r .layouts.multi.digest "$OUT/expected.json")"
    fi
    write_apps_env  # apps-image
    write_runtime_env  # runtime-rootfs
    if [[ -s $RUN/registry.env ]]; then
      cat "$RUN/registry.env"
    fi
  } >"$f.tmp"
  mv -f "$f.tmp" "$f"
}

# -------------------------------------------------------------- registries
ensure_pki() {
  CURRENT_STEP=pki
  mkdir -p "$PKI/certs.d"
  local ok=1 c
  for c in ca registry token-signer; do
    [[ -s $PKI/$c.pem && -s $PKI/$c.key ]] && openssl x509 -checkend 604800 -noout -in "$PKI/$c.pem" >/dev/null \
      || ok=0
  done
  if [[ $ok == 1 ]] && openssl verify -CAfile "$PKI/ca.pem" "$PKI/registry.pem" "$PKI/token-signer.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "creating test CA, registry TLS certificate and token signing certificate in $PKI"
  (
    set -e
    cd "$PKI"
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout ca.key -out ca.pem \
      -subj "/O=Bulkhead/CN=Bulkhead Testbed CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -addext "subjectKeyIdentifier=hash" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:::1" \
      "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >registry.ext
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid,issuer" >token-signer.ext
    for c in registry token-signer; do
      openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$c.key" -out "$c.csr" \
        -subj "/O=Bulkhead/CN=$([[ $c == registry ]] && echo 127.0.0.1 || echo 'Bulkhead Testbed token signer')" 2>/dev/null
      openssl x509 -req -sha256 -days 825 -in "$c.csr" -CA ca.pem -CAkey ca.key \
        -set_serial "0x$(openssl rand -hex 16)" -extfile "$c.ext" -out "$c.pem" 2>/dev/null
      rm -f "$c.csr" "$c.ext"
    done
    chmod 600 ca.key registry.key token-signer.key
    cp ca.pem certs.d/ca.crt
    openssl verify -CAfile ca.pem registry.pem token-signer.pem >/dev/null
  ) || die "creating certificates failed"
}

REGISTRY_PASS=
TOKEN_PASS=
ensure_credentials() {
  CURRENT_STEP=credentials
  local f=$PKI/credentials
  if [[ ! -s $f ]]; then
    printf 'REGISTRY_PASS=%s\nTOKEN_PASS=%s\n' "$(openssl rand -hex 12)" "$(openssl rand -hex 12)" >"$f.tmp"
    chmod 600 "$f.tmp"
    mv "$f.tmp" "$f"
  fi
  REGISTRY_PASS=$(sed -n 's/^REGISTRY_PASS=//p' "$f")
  TOKEN_PASS=$(sed -n 's/^TOKEN_PASS=//p' "$f")
  [[ -n $REGISTRY_PASS && -n $TOKEN_PASS ]] || die "bad credentials file $f"
}

write_credential_files() { # the htpasswd file (bcrypt) and the token server's USER:PASS file
  CURRENT_STEP=credentials
  htpasswd -B -b -c "$PKI/htpasswd" "$REGISTRY_USER" "$REGISTRY_PASS" 2>/dev/null
  (umask 077 && printf '%s:%s\n' "$TOKEN_USER" "$TOKEN_PASS" >"$PKI/token-credentials")
}

render() { # render TEMPLATE OUT KEY VALUE...
  local tmpl=$1 out=$2 args=()
  shift 2
  while (($#)); do
    args+=(-e "s|@$1@|$2|g")
    shift 2
  done
  sed "${args[@]}" "$tmpl" >"$out"
  ! grep -q '@[A-Z_]*@' "$out" || die "unrendered placeholder left in $out"
}

cmd_matches() { # cmd_matches PID WORD: is PID alive and its command line contains WORD?
  [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

SERVICES=(token-server anon tls token)
service_word() { [[ $1 == token-server ]] && echo token_server.py || echo docker-registry; }

service_alive() {
  local pidf=$RUN/$1.pid pid
  [[ -s $pidf ]] || return 1
  pid=$(<"$pidf")
  cmd_matches "$pid" "$(service_word "$1")"
}

http_code() { # http_code URL [curl options...]
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$@" "$url" || true
}

service_probe() { # service_probe NAME ADDR: does it answer as expected?
  case $1 in
    token-server) [[ $(http_code "http://$2/healthz") == 200 ]] ;;
    anon) [[ $(http_code "http://$2/v2/") == 200 ]] ;;
    tls) [[ $(http_code "https://$2/v2/" --cacert "$PKI/ca.pem") == 401 ]] ;;
    token) [[ $(http_code "http://$2/v2/") == 401 ]] ;;
  esac
}

registries_healthy() {
  local s
  [[ -s $RUN/registry.env ]] || return 1
  for s in "${SERVICES[@]}"; do
    service_alive "$s" && [[ -s $RUN/$s.addr ]] && service_probe "$s" "$(<"$RUN/$s.addr")" || return 1
  done
}

start_service() { # start_service NAME: pick a port, render config, start, wait until it answers
  local name=$1 attempt port addr pid cfg
  mkdir -p "$RUN" "$REG/$name"
  for attempt in 1 2 3; do
    port=$("$PY" "$TOOL" free-port)
    addr=127.0.0.1:$port
    cfg=$REG/$name/config.yml
    case $name in
      token-server)
        set -- "$PY" "$SCRIPT_DIR/token_server.py" --listen "$addr" --credentials "$PKI/token-credentials" \
          --key "$PKI/token-signer.key" --cert "$PKI/token-signer.pem" \
          --issuer "$TOKEN_ISSUER" --service "$TOKEN_SERVICE" ;;
      anon)
        render "$SCRIPT_DIR/registry-anon.yml.in" "$cfg" DATA "$REG/$name/data" ADDR "$addr" \
          SECRET "$(openssl rand -hex 16)"
        set -- docker-registry serve "$cfg" ;;
      tls)
        render "$SCRIPT_DIR/registry-tls.yml.in" "$cfg" DATA "$REG/$name/data" ADDR "$addr" \
          SECRET "$(openssl rand -hex 16)" HTPASSWD "$PKI/htpasswd" CERT "$PKI/registry.pem" KEY "$PKI/registry.key"
        set -- docker-registry serve "$cfg" ;;
      token)
        render "$SCRIPT_DIR/registry-token.yml.in" "$cfg" DATA "$REG/$name/data" ADDR "$addr" \
          SECRET "$(openssl rand -hex 16)" REALM "http://$(<"$RUN/token-server.addr")/token" \
          SERVICE "$TOKEN_SERVICE" ISSUER "$TOKEN_ISSUER" ROOTCERTBUNDLE "$PKI/ca.pem"
        set -- docker-registry serve "$cfg" ;;
    esac
    printf '=== %s start %s on %s\n' "$(date -u +%FT%TZ)" "$name" "$addr" >>"$LOGS/$name.log"
    setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$RUN/$name.pid"
    echo "$addr" >"$RUN/$name.addr"
    local i
    for ((i = 0; i < 150; i++)); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if service_probe "$name" "$addr"; then
        cmd_matches "$pid" "$(service_word "$name")" || die "pid $pid of $name is not the expected process"
        log "started $name on $addr (pid $pid, log $LOGS/$name.log)"
        return 0
      fi
      sleep 0.1
    done
    warn "$name did not come up on $addr (attempt $attempt); last log lines:"
    tail -n 5 "$LOGS/$name.log" >&2 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  die "could not start $name; see $LOGS/$name.log"
}

stop_service() {
  local name=$1 pidf=$RUN/$1.pid pid i
  [[ -s $pidf ]] || return 0
  pid=$(<"$pidf")
  if cmd_matches "$pid" "$(service_word "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    # a zombie (exited, not yet reaped) has an empty cmdline, so cmd_matches ends the wait
    for ((i = 0; i < 100; i++)); do
      cmd_matches "$pid" "$(service_word "$name")" || break
      sleep 0.1
    done
    if cmd_matches "$pid" "$(service_word "$name")"; then
      warn "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidf" "$RUN/$name.addr"
}

push_images() {
  CURRENT_STEP=push
  local anon tls token
  anon=$(<"$RUN/anon.addr") tls=$(<"$RUN/tls.addr") token=$(<"$RUN/token.addr")
  log "pushing to anon $anon: $REPO_NAME:$TAG, $REPO_NAME:zstd, $MULTI_REPO:latest (--all)"
  sk copy -q --dest-tls-verify=false "oci:$OUT/oci:$TAG" "docker://$anon/$REPO_NAME:$TAG"
  sk copy -q --dest-tls-verify=false "oci:$OUT/oci-zstd:$TAG" "docker://$anon/$REPO_NAME:zstd"
  sk copy -q --all --dest-tls-verify=false "oci:$OUT/multi:multi" "docker://$anon/$MULTI_REPO:latest"
  log "pushing to tls $tls (basic auth, CA-verified): $REPO_NAME:$TAG"
  sk copy -q --dest-cert-dir "$PKI/certs.d" --dest-creds "$REGISTRY_USER:$REGISTRY_PASS" \
    "oci:$OUT/oci:$TAG" "docker://$tls/$REPO_NAME:$TAG"
  log "pushing to token $token (bearer token): $REPO_NAME:$TAG"
  sk copy -q --dest-tls-verify=false --dest-creds "$TOKEN_USER:$TOKEN_PASS" \
    "oci:$OUT/oci:$TAG" "docker://$token/$REPO_NAME:$TAG"
  echo "$BUILD_HASH" >"$RUN/pushed"
}

write_registry_env() {
  local ts
  ts=$(<"$RUN/token-server.addr")
  {
    kv TESTBED_REGISTRY_ANON "$(<"$RUN/anon.addr")"
    kv TESTBED_REGISTRY_TLS "$(<"$RUN/tls.addr")"
    kv TESTBED_REGISTRY_USER "$REGISTRY_USER"
    kv TESTBED_REGISTRY_PASS "$REGISTRY_PASS"
    kv TESTBED_CA_CERT "$PKI/ca.pem"
    kv TESTBED_CERT_DIR "$PKI/certs.d"
    kv TESTBED_REGISTRY_TOKEN "$(<"$RUN/token.addr")"
    kv TESTBED_REGISTRY_TOKEN_SCHEME http
    kv TESTBED_TOKEN_REALM "http://$ts/token"
    kv TESTBED_TOKEN_SERVICE "$TOKEN_SERVICE"
    kv TESTBED_TOKEN_ISSUER "$TOKEN_ISSUER"
    kv TESTBED_TOKEN_USER "$TOKEN_USER"
    kv TESTBED_TOKEN_PASS "$TOKEN_PASS"
    kv TESTBED_REGISTRY_REPO "$REPO_NAME"
    kv TESTBED_REGISTRY_TAG "$TAG"
    kv TESTBED_REGISTRY_ZSTD_TAG zstd
    kv TESTBED_REGISTRY_MULTI_REPO "$MULTI_REPO"
    kv TESTBED_REGISTRY_MULTI_TAG latest
  } >"$RUN/registry.env.tmp"
  mv -f "$RUN/registry.env.tmp" "$RUN/registry.env"
}

remote_digest() { # remote_digest SKOPEO-INSPECT-ARGS... -> sha256 of the raw manifest
  local f
  f=$(mktemp)
  if ! sk inspect --raw "$@" >"$f"; then
    rm -f "$f"
    return 1
  fi
  sk manifest-digest "$f"
  rm -f "$f"
}

expect_denied() { # expect_denied WHAT SKOPEO-INSPECT-ARGS...
  local what=$1 err
  shift
  if err=$(sk inspect --raw "$@" 2>&1 >/dev/null); then
    die "$what: anonymous access was allowed"
  fi
  grep -qiE 'unauthorized|401|authentication required' <<<"$err" || die "$what: unexpected error: $err"
  log "ok: $what refused ($(grep -oiE 'unauthorized[^"]*|401[^"]*' <<<"$err" | head -n1))"
}

verify_registries() {
  CURRENT_STEP=verify-registries
  local e=$OUT/expected.json anon tls token ts img zstd multi code tok
  anon=$(<"$RUN/anon.addr") tls=$(<"$RUN/tls.addr") token=$(<"$RUN/token.addr") ts=$(<"$RUN/token-server.addr")
  img=$(jq -r .layouts.oci.digest "$e")
  zstd=$(jq -r '.layouts["oci-zstd"].digest' "$e")
  multi=$(jq -r .layouts.multi.digest "$e")
  # plain HTTP, anonymous
  expect_eq "anon GET /v2/" "$(http_code "http://$anon/v2/")" 200
  expect_eq "anon $REPO_NAME:$TAG digest" \
    "$(remote_digest --tls-verify=false --no-creds "docker://$anon/$REPO_NAME:$TAG")" "$img"
  expect_eq "anon $REPO_NAME:zstd digest" \
    "$(remote_digest --tls-verify=false --no-creds "docker://$anon/$REPO_NAME:zstd")" "$zstd"
  expect_eq "anon $MULTI_REPO:latest digest" \
    "$(remote_digest --tls-verify=false --no-creds "docker://$anon/$MULTI_REPO:latest")" "$multi"
  expect_eq "anon $MULTI_REPO:latest platforms" \
    "$(sk inspect --raw --tls-verify=false "docker://$anon/$MULTI_REPO:latest" |
      jq -r '[.manifests[].platform.architecture] | sort | join(",")')" \
    "$(printf '%s\n' "$HOST_ARCH" "$FOREIGN_ARCH" | sort | paste -sd,)"
  expect_eq "anon $MULTI_REPO:latest $FOREIGN_ARCH instance" \
    "$(sk --override-arch "$FOREIGN_ARCH" inspect --tls-verify=false "docker://$anon/$MULTI_REPO:latest" |
      jq -r .Architecture)" "$FOREIGN_ARCH"
  # HTTPS + basic auth
  expect_eq "tls GET /v2/ without credentials" "$(http_code "https://$tls/v2/" --cacert "$PKI/ca.pem")" 401
  curl -s -o /dev/null -D - --max-time 3 --cacert "$PKI/ca.pem" "https://$tls/v2/" \
    | grep -qi '^www-authenticate: basic' || die "tls registry did not send a Basic challenge"
  expect_eq "tls GET /v2/ with credentials" \
    "$(http_code "https://$tls/v2/" --cacert "$PKI/ca.pem" -u "$REGISTRY_USER:$REGISTRY_PASS")" 200
  expect_eq "tls GET /v2/ with wrong password" \
    "$(http_code "https://$tls/v2/" --cacert "$PKI/ca.pem" -u "$REGISTRY_USER:wrong")" 401
  expect_eq "tls $REPO_NAME:$TAG digest" \
    "$(remote_digest --cert-dir "$PKI/certs.d" --creds "$REGISTRY_USER:$REGISTRY_PASS" \
      "docker://$tls/$REPO_NAME:$TAG")" "$img"
  expect_denied "tls registry, anonymous" --cert-dir "$PKI/certs.d" --no-creds "docker://$tls/$REPO_NAME:$TAG"
  # bearer token
  expect_eq "token GET /v2/ without token" "$(http_code "http://$token/v2/")" 401
  curl -s -o /dev/null -D - --max-time 3 "http://$token/v2/" \
    | grep -qiF "www-authenticate: bearer realm=\"http://$ts/token\"" || die "token registry did not send the Bearer challenge"
  expect_eq "token server without credentials" \
    "$(http_code "http://$ts/token?service=$TOKEN_SERVICE&scope=repository:$REPO_NAME:pull")" 401
  expect_eq "token server with wrong password" \
    "$(http_code "http://$ts/token?service=$TOKEN_SERVICE&scope=repository:$REPO_NAME:pull" -u "$TOKEN_USER:wrong")" 401
  tok=$(curl -sf --max-time 5 -u "$TOKEN_USER:$TOKEN_PASS" \
    "http://$ts/token?service=$TOKEN_SERVICE&scope=repository:$REPO_NAME:pull" | jq -r .token) \
    || die "token request failed"
  code=$(http_code "http://$token/v2/$REPO_NAME/tags/list" -H "Authorization: Bearer $tok")
  expect_eq "token GET tags/list with bearer token" "$code" 200
  expect_eq "token $REPO_NAME:$TAG digest" \
    "$(remote_digest --tls-verify=false --creds "$TOKEN_USER:$TOKEN_PASS" "docker://$token/$REPO_NAME:$TAG")" "$img"
  expect_denied "token registry, anonymous" --tls-verify=false --no-creds "docker://$token/$REPO_NAME:$TAG"
  log "registries verified"
}

do_registry_start() {
  do_build
  CURRENT_STEP=registry-start
  ensure_pki
  ensure_credentials
  if registries_healthy; then
    if [[ -s $RUN/pushed && $(<"$RUN/pushed") == "$BUILD_HASH" ]]; then
      log "registries already running and answering; nothing to do"
      write_env
      return 0
    fi
    log "registries running, but the images changed: pushing again"
  else
    do_registry_stop quiet
    write_credential_files
    mkdir -p "$RUN" "$LOGS"
    local s
    for s in "${SERVICES[@]}"; do
      CURRENT_STEP=start-$s
      start_service "$s"
    done
  fi
  push_images
  write_registry_env
  write_env
  verify_registries
  log "registries ready; environment: $OUT/testbed.env"
}

do_registry_stop() {
  CURRENT_STEP=registry-stop
  local s i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    s=${SERVICES[i]}
    stop_service "$s"
  done
  safe_rm "$RUN" "$REG"
  [[ ${1:-} == quiet ]] && return 0
  write_env
  log "registries stopped"
}

do_clean() {
  do_registry_stop quiet
  CURRENT_STEP=clean
  exec 9>&-
  safe_rm "$OUT"
  log "removed $OUT"
}

usage() {
  cat >&2 <<EOF
usage: ${0##*/} COMMAND
  build           build (cached) rootfs, OCI layouts, archives, multi/nested indexes, expected.json
  registry-start  build if needed, start the registries on 127.0.0.1, push the images
  registry-stop   stop the registries and remove their state
  clean           registry-stop, then remove the output directory
  verify          re-run all checks (artifacts; registries if running)
  env             print testbed.env
Output directory: \$BULKHEAD_TESTBED_DIR or <repo>/.testbed (now: $OUT)
EOF
}

main() {
  local cmd=${1:-}
  case $cmd in
    build | registry-start | registry-stop | clean | verify | env) ;;
    -h | --help | help) usage; return 0 ;;
    *) usage; exit 2 ;;
  esac
  if [[ $cmd == clean && ! -e $OUT ]]; then
    log "nothing to clean ($OUT does not exist)"
    return 0
  fi
  ensure_out
  lock_out
  local t0=$SECONDS
  case $cmd in
    build) do_build ;;
    registry-start) do_registry_start ;;
    registry-stop) do_registry_stop ;;
    clean) do_clean ;;
    verify)
      ensure_tools
      init_build_vars
      verify_artifacts
      verify_apps  # apps-image
      if registries_healthy; then
        ensure_credentials
        verify_registries
      else
        log "registries not running: skipped their checks"
      fi ;;
    env)
      [[ -s $OUT/testbed.env ]] || die "$OUT/testbed.env missing: run build first"
      cat "$OUT/testbed.env" ;;
  esac
  log "$cmd finished in $((SECONDS - t0))s"
}

main "$@"
