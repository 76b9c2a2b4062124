#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DBULKHEAD_FUZZ=ON) if needed and runs each one for
# FUZZ_SECONDS on a seed corpus this script writes itself (tars made with tar, their gzip
# and zstd forms, sample manifests, indexes, configs, references, ...). Exits non-zero if
# any target crashes, leaks, times out or runs out of memory; the input that did it is left
# in $FUZZ_WORK/artifacts/ (reproduce: <target binary> <artifact>).
#
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_TARGETS    space-separated subset of targets (default: every *_fuzz target built)
#   FUZZ_JOBS       how many targets run at the same time (default 1)
#   FUZZ_BUILD_DIR  build directory (default <repo>/build-fuzz)
#   FUZZ_BUILD_TYPE CMAKE_BUILD_TYPE when this script configures (default RelWithDebInfo:
#                   an -O0 build runs about 5 times fewer inputs per second)
#   FUZZ_WORK       corpora, seeds, logs and artifacts (default $FUZZ_BUILD_DIR/fuzz-work)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
JOBS="${FUZZ_JOBS:-1}"
BUILD_DIR="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
WORK="${FUZZ_WORK:-$BUILD_DIR/fuzz-work}"
# Targets with seeds written below; any other *_fuzz target the build defines runs too,
# from an empty corpus.
SEEDED_TARGETS=(auth_challenge_fuzz decompress_fuzz image_source_fuzz layer_cache_fuzz
                layer_reader_fuzz manifest_fuzz os_release_fuzz reference_fuzz vuln_version_fuzz
                runtime_decode_fuzz net_http1_fuzz net_http2_fuzz net_tls_fuzz net_dns_fuzz
                net_ssh_fuzz net_redis_fuzz net_postgres_fuzz net_mysql_fuzz net_mongodb_fuzz
                net_kafka_fuzz net_hpack_fuzz net_graph_fuzz net_flow_assembler_fuzz net_link_fuzz
                net_queued_packet_fuzz runtime_root_path_fuzz)
TARGETS=()

log() { echo "fuzz: $*" >&2; }

# ---- build --------------------------------------------------------------------------------

configure() {  # SOURCE BUILD [cmake args...]
  local source="$1" build="$2"
  shift 2
  CC="${CC:-clang}" CXX="${CXX:-clang++}" cmake -G Ninja -S "$source" -B "$build" "$@" >/dev/null
}

# grep without -q reads all of ninja's output: with -q, ninja can die of SIGPIPE and pipefail
# turns the match into a failure.
has_fuzz_targets() { ninja -C "$1" -t targets all 2>/dev/null | grep '^bulkhead_fuzz_targets:' >/dev/null; }

build() {
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || ! grep -q '^BULKHEAD_FUZZ:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
    log "configuring $BUILD_DIR"
    configure "$ROOT" "$BUILD_DIR" -DBULKHEAD_FUZZ=ON -DBULKHEAD_TESTS=OFF -DBULKHEAD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE="${FUZZ_BUILD_TYPE:-RelWithDebInfo}"
  fi
  BIN_DIR="$BUILD_DIR"
  if ! has_fuzz_targets "$BUILD_DIR"; then
    # The project's CMakeLists.txt does not add tests/fuzz (yet): configure the directory on
    # its own, which pulls the project in with fuzzing on.
    BIN_DIR="$BUILD_DIR-standalone"
    log "$BUILD_DIR has no fuzz targets; building them standalone in $BIN_DIR"
    [ -f "$BIN_DIR/CMakeCache.txt" ] ||
      configure "$ROOT/tests/fuzz" "$BIN_DIR" -DCMAKE_BUILD_TYPE="${FUZZ_BUILD_TYPE:-RelWithDebInfo}"
  fi
  log "building in $BIN_DIR"
  cmake --build "$BIN_DIR" --target bulkhead_fuzz_targets -j "$(nproc)" >"$WORK/build.log" 2>&1 || {
    tail -n 50 "$WORK/build.log" >&2
    exit 2
  }
}

discover_targets() {  # every *_fuzz target of the build
  ninja -C "$BIN_DIR" -t targets all 2>/dev/null | sed -n 's/^\([A-Za-z0-9_]*_fuzz\): .*/\1/p' |
    grep -v '^cmake_' | sort -u
}

binary() {  # TARGET -> path of its executable
  find "$BIN_DIR" -maxdepth 5 -type f -name "$1" -perm -u+x -print -quit
}

# ---- seed corpus --------------------------------------------------------------------------

u64() {  # little-endian 8 bytes
  local v="$1" i
  for i in 0 1 2 3 4 5 6 7; do
    # shellcheck disable=SC2059
    printf "\\x$(printf %02x $(((v >> (8 * i)) & 255)))"
  done
}
str() { u64 "${#1}"; printf '%s' "$1"; }
le() {  # VALUE BYTES: little-endian
  local v="$1" n="$2" i
  for ((i = 0; i < n; i++)); do
    # shellcheck disable=SC2059
    printf "\\x$(printf %02x $(((v >> (8 * i)) & 255)))"
  done
}
# One eBPF sensor record (src/runtime/bpf/sensor_abi.h): KIND FAMILY PORT ADDR_FLAGS PATH
# DETAIL ARGV_FILE (NUL-separated arguments), the address 127.0.0.1 (or ::1 for family 10).
sensor_record() {
  local kind="$1" family="$2" port="$3" flags="$4" path="$5" detail="$6" argv="$7" argv_len
  argv_len="$(wc -c <"$argv")"
  le "$kind" 2; le $((128 + ${#path} + ${#detail} + argv_len)) 2
  le 4242 4; le 4243 4; le 1 4; le 1000 4; le 1000 4     # pid tid ppid uid gid
  le 123456789 8; le 4026531835 8; le 577 8; le -1 8     # time cgroup flags target
  le $((42 << 8)) 4; le "$family" 2; le "$port" 2; le 8080 2
  le "${#path}" 2; le "${#detail}" 2; le "$argv_len" 2
  if [ "$family" = 10 ]; then le 0 8; le 0 7; printf '\x01'; else printf '\x7f\x00\x00\x01'; le 0 12; fi
  printf 'bash\0\0\0\0\0\0\0\0\0\0\0\0'; printf 'containerd-shim\0'
  le "$flags" 4; le 0 4
  printf '%s%s' "$path" "$detail"; cat "$argv"
}

# flow_seed FILE: a recorded flow ("bulkhead-flow 1 tcp|udp PORT CLIENT SERVER" then the
# bytes) as the detectors' fuzz input.
flow_seed() {
  local proto clen flags
  read -r _ _ proto _ clen _ <"$1"
  flags='\x00'
  [ "$proto" = udp ] && flags='\x01'
  # shellcheck disable=SC2059
  printf "$flags\\x$(printf %02x $((clen & 255)))\\x$(printf %02x $((clen >> 8 & 255)))"
  tail -c +"$(($(head -1 "$1" | wc -c) + 1))" "$1"
}

write_seeds() {
  local seeds="$WORK/seeds" tree="$WORK/tree" t
  rm -rf "$seeds" "$tree"
  for t in "${SEEDED_TARGETS[@]}" "${TARGETS[@]}"; do mkdir -p "$seeds/$t"; done

  # A tiny root file system with every kind of entry a layer holds, hostile ones included.
  mkdir -p "$tree/etc" "$tree/usr/lib" "$tree/var/cache" "$tree/opaque" "$tree/tmp"
  printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' \
    >"$tree/usr/lib/os-release"
  ln -s ../usr/lib/os-release "$tree/etc/os-release"
  printf 'root:x:0:0:root:/root:/bin/bash\n' >"$tree/etc/passwd"
  ln "$tree/etc/passwd" "$tree/etc/passwd-"
  ln -s ../../../../etc/shadow "$tree/etc/evil"
  : >"$tree/var/cache/.wh.apt"
  : >"$tree/opaque/.wh..wh..opq"
  printf 'new\n' >"$tree/opaque/new"
  mkfifo "$tree/tmp/fifo"
  chmod 4755 "$tree/etc/passwd"
  mkdir -p "$tree/a/very/long/path/that/needs/a/pax/or/gnu/long/name/header/because/it/is/longer/than/one/hundred/bytes"
  printf 'x\n' >"$tree/a/very/long/path/that/needs/a/pax/or/gnu/long/name/header/because/it/is/longer/than/one/hundred/bytes/file"

  local fmt
  for fmt in pax gnu ustar; do
    tar -C "$tree" --format="$fmt" --numeric-owner -cf "$WORK/layer-$fmt.tar" . 2>/dev/null || true
  done
  # Hostile member names that tar would not write from a directory.
  tar -C "$tree" --format=pax --transform='s|^\./etc/passwd$|../etc/passwd|' -P -cf "$WORK/layer-dotdot.tar" ./etc/passwd
  tar -C "$tree" --format=gnu --transform='s|^\./etc/passwd$|/etc/passwd|' -P -cf "$WORK/layer-abs.tar" ./etc/passwd

  local tarball
  for tarball in "$WORK"/layer-*.tar; do
    local base
    base="$(basename "$tarball" .tar)"
    cp "$tarball" "$seeds/layer_reader_fuzz/$base.tar"
    gzip -9 -n -c "$tarball" >"$seeds/layer_reader_fuzz/$base.tar.gz"
    zstd -q -19 -c "$tarball" >"$seeds/layer_reader_fuzz/$base.tar.zst"
  done
  # Multi-member gzip and a truncated one.
  { head -c 3000 "$WORK/layer-pax.tar" | gzip -n; tail -c +3001 "$WORK/layer-pax.tar" | gzip -n; } \
    >"$seeds/layer_reader_fuzz/multi-member.tar.gz"
  head -c 200 "$seeds/layer_reader_fuzz/layer-pax.tar.gz" >"$seeds/layer_reader_fuzz/truncated.tar.gz"

  # decompress: the first byte picks read sizes, the rest is the stream.
  local control
  for control in 00 85; do
    # shellcheck disable=SC2059
    { printf "\\x$control"; gzip -9 -n -c "$WORK/layer-pax.tar"; } >"$seeds/decompress_fuzz/gzip-$control"
    # shellcheck disable=SC2059
    { printf "\\x$control"; zstd -q -c "$WORK/layer-pax.tar"; } >"$seeds/decompress_fuzz/zstd-$control"
    # shellcheck disable=SC2059
    { printf "\\x$control"; head -c 2000 "$WORK/layer-pax.tar"; } >"$seeds/decompress_fuzz/plain-$control"
  done
  { printf '\x01'; printf 'hello\n' | gzip -n; printf 'world\n' | gzip -n; } >"$seeds/decompress_fuzz/multi"
  { printf '\x02'; head -c 4096 /dev/zero | gzip -9 -n; } >"$seeds/decompress_fuzz/zeros"
  { printf '\x03'; printf '\xfd7zXZ\x00rest'; } >"$seeds/decompress_fuzz/xz"
  { printf '\x04'; printf 'BZh91AY&SY'; } >"$seeds/decompress_fuzz/bzip2"
  cp "$seeds/decompress_fuzz/"* "$seeds/layer_reader_fuzz/" 2>/dev/null || true

  # JSON documents.
  local hex64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  local m="$seeds/manifest_fuzz"
  printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'$hex64'","size":123},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:'$hex64'","size":456,"annotations":{"a":"b"}}]}' >"$m/manifest.json"
  printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'$hex64'","size":7,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha512:'$hex64$hex64'","size":9,"platform":{"os":"linux","architecture":"amd64"},"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' >"$m/index.json"
  printf '%s' '{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z","author":"me","config":{"User":"app","Env":["PATH=/usr/bin","A=b"],"Entrypoint":["/bin/sh","-c"],"Cmd":"run","WorkingDir":"/srv","ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"k":"v"},"StopSignal":"SIGTERM","Healthcheck":{"Test":["CMD","true"],"Interval":30000000000,"Retries":3}},"history":[{"created":"x","created_by":"RUN y","empty_layer":true}],"rootfs":{"type":"layers","diff_ids":["sha256:'$hex64'"]}}' >"$m/config.json"
  printf '%s' '{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[{"blobSum":"sha256:'$hex64'"}]}' >"$m/schema1.json"
  printf '%s' '{"architecture":5,"os":[],"config":{"User":1,"Env":"x","Labels":[1]},"history":[1,"x"],"rootfs":{"diff_ids":[5]}}' >"$m/wrong-types.json"
  printf 'sha256:%s' "$hex64" >"$m/digest"

  # References and platforms.
  local r="$seeds/reference_fuzz" i=0 ref
  for ref in debian debian:12 docker.io/library/debian:bookworm-slim localhost:5000/team/app:v1.2.3 \
             "127.0.0.1:5000/a/b@sha256:$hex64" "ghcr.io/o/r:t@sha256:$hex64" "[::1]:5000/x" \
             registry.example.com/a__b/c-d/e.f linux/amd64 linux/arm64/v8 windows/amd64/10.0; do
    printf '%s' "$ref" >"$r/ref-$i"
    i=$((i + 1))
  done

  # os-release files.
  cp "$tree/usr/lib/os-release" "$seeds/os_release_fuzz/debian"
  printf '# comment\nNAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' \
    >"$seeds/os_release_fuzz/alpine"
  printf "ID='rhel'\nVERSION_ID=\"9.\\\\\"3\\\\\"\"\n  KEY = value \r\n=x\nnoequals\n" >"$seeds/os_release_fuzz/quoting"

  # Layer cache records (src/image/layer_cache.cpp): magic, diff_id, compression, sizes,
  # entries, captured files, derived results, warnings, then the hex SHA-256 of all that.
  local record="$WORK/cache-record"
  {
    printf 'BHLC0003'
    str "sha256:$hex64"; u64 1; u64 100; u64 10240; u64 2
    str etc/passwd; u64 0; u64 420; u64 0; u64 0; u64 32; u64 1700000000; str ""
    str etc/evil; u64 2; u64 511; u64 0; u64 0; u64 0; u64 1700000000; str ../../../etc/shadow
    u64 1; str etc/passwd; str 'root:x:0:0:root:/root:/bin/bash'
    u64 1; str usr/bin/app; str 'go1.22 mod example.com/app'
    u64 1; str 'symlink climbs above the image root'
  } >"$record"
  { cat "$record"; sha256sum "$record" | cut -c1-64 | tr -d '\n'; } >"$seeds/layer_cache_fuzz/record"
  cp "$record" "$seeds/layer_cache_fuzz/record-without-checksum"
  printf 'BHLC0003' >"$seeds/layer_cache_fuzz/magic-only"

  # WWW-Authenticate headers.
  local a="$seeds/auth_challenge_fuzz"
  printf '%s' 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"' >"$a/bearer"
  printf '%s' 'Basic realm="Registry Realm"' >"$a/basic"
  printf '%s' 'Bearer realm="https://a/t\"x",error="invalid_token", Basic abc==, Negotiate, Digest realm=x, nonce="n"' >"$a/multi"
  printf '%s' 'BEARER REALM=unquoted , ,, service = "s" error="insufficient_scope"' >"$a/odd"

  # Image sources (see image_source_fuzz.cpp for the format).
  local s="$seeds/image_source_fuzz" layer="$WORK/layer-ustar.tar"
  {
    printf '@@ blob\n'; cat "$layer"
    printf '\n@@ blob\n{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:@D0"]}}'
    printf '\n@@ blob\n{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:@D1","size":@S1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:@D0","size":@S0}]}'
    printf '\n@@ blob\n{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:@D2","size":@S2,"platform":{"os":"linux","architecture":"amd64"}}]}'
    printf '\n@@ index.json\n{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:@D3","size":@S3,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}'
  } >"$s/oci-layout"
  {
    printf '@@ layer.tar\n'; cat "$layer"
    printf '\n@@ config.json\n{"architecture":"amd64","os":"linux","config":{"Env":["A=b"]},"rootfs":{"type":"layers","diff_ids":["sha256:@D0"]}}'
    printf '\n@@ manifest.json\n[{"Config":"config.json","RepoTags":["app:latest"],"Layers":["layer.tar"]}]'
  } >"$s/docker-archive"
  {
    printf '@@ blob\n'; cat "$layer"
    printf '\n@@ blob\n{"rootfs":{"diff_ids":["sha256:@D0"]}}'
    printf '\n@@ manifest.json\n[{"Config":"blobs/sha256/@D1","RepoTags":["app:latest"],"Layers":["blobs/sha256/@D0","../../etc/passwd"]}]'
  } >"$s/docker-archive-blobs"

  # eBPF sensor records: exec with argv, open, connect over IPv4 and IPv6, an abstract
  # unix listener, a mount, and a record cut short.
  local d="$seeds/runtime_decode_fuzz" argv="$WORK/argv"
  printf 'sh\0-c\0echo hi\0' >"$argv"
  sensor_record 1 0 0 0 /bin/sh "" "$argv" >"$d/exec"
  : >"$argv"
  sensor_record 3 0 0 0 /etc/shadow "" "$argv" >"$d/open"
  sensor_record 4 2 443 0 "" "" "$argv" >"$d/connect4"
  sensor_record 5 10 5432 0 "" "" "$argv" >"$d/accept6"
  sensor_record 6 1 0 1 "" bulkhead.sock "$argv" >"$d/listen-unix"
  sensor_record 11 0 0 0 /mnt overlay "$argv" >"$d/mount"
  head -c 100 "$d/exec" >"$d/truncated"

  # A container's root (runtime_root_path_fuzz.cpp): /usr/bin with a script and a link to
  # it, /bin -> usr/bin, a link climbing past the root, two links in a loop; then a path.
  printf '\x08\x00\x00usr\0\0\x00\x01bin\0\0\x02\x00bin\0usr/bin\0\x01\x02dash\0#!/bin/sh -e\n\0' \
    >"$seeds/runtime_root_path_fuzz/debian"
  printf '\x02\x02sh\0dash\0\x02\x00up\0../../../../usr\0\x02\x00loop1\0loop2\0\x02\x00loop2\0loop1\0/up/bin/./sh' \
    >>"$seeds/runtime_root_path_fuzz/debian"

  # Protocol detectors (net_detector_fuzz.h): every recorded flow of tests/net/flows (real
  # servers and clients) for every detector, as flags, client length (LE16), client, server.
  local f t
  for f in "$ROOT"/tests/net/flows/*.flow; do
    [ -f "$f" ] || continue
    for t in net_http1_fuzz net_http2_fuzz net_tls_fuzz net_dns_fuzz net_ssh_fuzz net_redis_fuzz \
             net_postgres_fuzz net_mysql_fuzz net_mongodb_fuzz net_kafka_fuzz; do
      flow_seed "$f" >"$seeds/$t/$(basename "$f" .flow)"
    done
  done
  # HPACK: the RFC 7541 C.4 requests (Huffman strings, then the dynamic table).
  printf '\x11\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff\x82\x86\x84\xbe\x58\x86\xa8\xeb\x10\x64\x9c\xbf' \
    >"$seeds/net_hpack_fuzz/rfc7541-c4"

  # Service graph files: one with a group edge and an outside address.
  printf '%s' '{"groups":{"front":{"containers":["front-1"]}},"edges":[{"from":{"group":"front"},"to":{"address":"192.0.2.1"},"port":443,"transport":"tcp","protocol":"tls","connections":3,"firstSeenNs":1,"lastSeenNs":2}]}' \
    >"$seeds/net_graph_fuzz/graph.json"

  # Flow assembler: a SYN, a SYN-ACK, "GET / HTTP/1.1" in two segments (the second first).
  printf '\x00\x02\x00\x00\x00\x00\x00''\x08\x12\x00\x00\x01\x00\x00''\x00\x10\x08\x00\x00\x00\x09''HTTP/1.1\n''\x00\x10\x01\x00\x00\x00\x06''GET / ' \
    >"$seeds/net_flow_assembler_fuzz/http"

  # Links in profiles.
  printf 'group:web-1a2b3c4d tcp/80' >"$seeds/net_link_fuzz/group"
  printf 'address:fd00::53 udp/53' >"$seeds/net_link_fuzz/address"
  printf 'name:*.example.com tcp/443' >"$seeds/net_link_fuzz/name"
  printf 'group:web-1a2b3c4d tcp/80 http GET /api/*' >"$seeds/net_link_fuzz/http"

  # Queued packets (IPv4): a DNS answer from port 53 (api.example.com A 192.0.2.10), and an
  # HTTP request to port 80 with a pipelined second request after a 5-byte body.
  printf '\x45\x00\x00\x3d\x00\x00\x40\x00\x40\x11\x00\x00\x0a\x00\x00\x35\x0a\x00\x00\x03''\x00\x35\x9c\x40\x00\x39\x00\x00''\x55\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00''\x03api\x07example\x03com\x00\x00\x01\x00\x01''\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x0a' \
    >"$seeds/net_queued_packet_fuzz/dns"
  printf '\x45\x00\x00\x00\x00\x00\x40\x00\x40\x06\x00\x00\x0a\x00\x00\x03\x0a\x00\x00\x02''\x9c\x40\x00\x50\x00\x00\x00\x01\x00\x00\x00\x01\x50\x18\xff\xff\x00\x00\x00\x00''POST /api/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /api/../admin HTTP/1.1\r\n\r\n' \
    >"$seeds/net_queued_packet_fuzz/http"

  # Version schemes (vuln_version_fuzz.cpp): the first byte picks the scheme (0 deb, 1 rpm,
  # 2 apk, 3 semver, 4 pep440, 5 go, 6 maven, 7 gem, 8 cargo, 9 npm range, 10 PEP 440
  # specifier), 0xff separates the two versions.
  local v="$seeds/vuln_version_fuzz" n=0 pair
  for pair in '\x00''1:2.3-4\xff''1:2.3-4~rc1' '\x01''1.0^git1\xff''1.0~rc1' '\x02''1.2.3_rc1-r2\xff''1.2.3-r10' \
              '\x03''1.0.0-alpha.1+b\xff''1.0.0' '\x04''1!1.0rc1.post2.dev3+local.1\xff''v1.0' \
              '\x05''v0.0.0-20191109021931-daa7c04131f5\xff''v1.2+incompatible' '\x06''1.0-alpha-1.RELEASE\xff''1a1' \
              '\x07''1.0.0.pre-1\xff''1.0.a' '\x08''1.0.0-rc.1\xff''1.0.0' \
              '\x09''^1.2.3 || 1.x - 2.3 || >=1.0.0-rc.1 <2\xff''1.5.0' '\x0a''~=1.4.5,!=1.4.7.*,===1.4.8\xff''1.4.6'; do
    # shellcheck disable=SC2059
    printf "$pair" >"$v/seed-$n"
    n=$((n + 1))
  done
}

write_dictionaries() {
  cat >"$WORK/json.dict" <<'EOF'
"{"
"}"
"["
"]"
":"
","
"\"schemaVersion\""
"\"mediaType\""
"\"manifests\""
"\"layers\""
"\"config\""
"\"digest\""
"\"size\""
"\"platform\""
"\"os\""
"\"architecture\""
"\"variant\""
"\"annotations\""
"\"rootfs\""
"\"diff_ids\""
"\"history\""
"\"Env\""
"\"Cmd\""
"\"Entrypoint\""
"\"Labels\""
"\"Healthcheck\""
"\"Config\""
"\"Layers\""
"\"RepoTags\""
"\"sha256:"
"application/vnd.oci.image.index.v1+json"
"application/vnd.oci.image.manifest.v1+json"
"application/vnd.docker.distribution.manifest.list.v2+json"
"application/vnd.docker.distribution.manifest.v2+json"
"org.opencontainers.image.ref.name"
EOF
  cat >"$WORK/tar.dict" <<'EOF'
"ustar\x00"
"ustar  \x00"
"././@LongLink"
"path="
"linkpath="
"size="
"GNU.sparse."
".wh."
".wh..wh..opq"
"../"
"/etc/"
"\x1f\x8b\x08"
"(\xb5/\xfd"
EOF
}

# ---- run ----------------------------------------------------------------------------------

run_target() {  # TARGET -> exit status of the run
  local t="$1" bin extra=()
  bin="$(binary "$t")"
  if [ -z "$bin" ]; then
    log "$t: no binary"
    return 1
  fi
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts"
  case "$t" in
    manifest_fuzz | image_source_fuzz) extra+=(-dict="$WORK/json.dict") ;;
    layer_reader_fuzz | decompress_fuzz) extra+=(-dict="$WORK/tar.dict") ;;
  esac
  case "$t" in
    layer_reader_fuzz | decompress_fuzz | image_source_fuzz | layer_cache_fuzz) extra+=(-max_len=65536) ;;
  esac
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" "${extra[@]}" \
    "$WORK/corpus/$t" "$WORK/seeds/$t" >"$WORK/logs/$t.log" 2>&1
}

main() {
  mkdir -p "$WORK/logs"
  build
  if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
  else
    mapfile -t TARGETS < <(discover_targets)
  fi
  if [ "${#TARGETS[@]}" -eq 0 ]; then
    log "no fuzz targets found in $BIN_DIR"
    exit 2
  fi
  write_seeds
  write_dictionaries
  local failed=() pids=() names=() t i
  for t in "${TARGETS[@]}"; do
    log "$t: ${SECONDS_PER_TARGET}s"
    run_target "$t" &
    pids+=($!)
    names+=("$t")
    if [ "${#pids[@]}" -ge "$JOBS" ]; then
      wait "${pids[0]}" || failed+=("${names[0]}")
      pids=("${pids[@]:1}")
      names=("${names[@]:1}")
    fi
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  for t in "${TARGETS[@]}"; do
    local runs speed
    runs="$(awk '/^stat::number_of_executed_units:/ {print $2}' "$WORK/logs/$t.log")"
    speed="$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$WORK/logs/$t.log")"
    printf 'fuzz: %-22s %10s runs %8s exec/s\n' "$t" "${runs:-?}" "${speed:-?}" >&2
  done
  if [ "${#failed[@]}" -gt 0 ]; then
    for t in "${failed[@]}"; do
      log "FAILED: $t (log $WORK/logs/$t.log)"
      grep -E '^==[0-9]+==ERROR|^SUMMARY|invariant broken|Test unit written' "$WORK/logs/$t.log" | head -n 5 >&2 || true
    done
    exit 1
  fi
  log "all ${#TARGETS[@]} targets ran ${SECONDS_PER_TARGET}s without a crash"
}

main "$@"
