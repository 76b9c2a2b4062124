#!/usr/bin/env bash
# Installs what Bulkhead needs from Debian's packages (only what is missing), then
# configures and builds. Sourced by demo.sh and test.sh; safe to run again.
#   BUILD_DIR   build directory (default: build)
#   CMAKE_ARGS  extra arguments for cmake (e.g. -DBULKHEAD_SANITIZE=ON)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
# ccache hits across clones in other directories (CI clones afresh): paths relative to the
# checkout, and the build directory left out of the hash.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries
  libarchive-dev libisal-dev libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev
  libsqlite3-dev
  # net quarantine: nftables rules written in a container's network namespace (nft, the
  # command line, is the tests' independent witness of those rules)
  libnftables-dev nftables
  # name-based links: DNS answers held in an NFQUEUE (netlink through libmnl) until the links
  # table knows their addresses; iptables writes the queue rule (nft's own queue expression
  # is not in every kernel, the xtables NFQUEUE target is)
  libnetfilter-queue-dev libmnl-dev iptables
  # test bed: real images and registries
  debootstrap skopeo umoci docker-registry apache2-utils openssl ca-certificates
  python3 python3-jwt python3-cryptography jq gzip zstd curl
  # compliance tests: real runc bundles and containers, lynis as a peer for host checks
  runc lynis
  # sbom tests: rpm databases made by rpm itself (sqlite) and db5.3_load (BerkeleyDB)
  rpm db5.3-util
  # sbom benchmark: hyperfine times bulkhead sbom against cdxgen (bench/sbom_vs_cdxgen.sh)
  hyperfine
  # vulnerability matching: each version scheme is checked against the real implementation
  # (libdpkg, librpm, python3-packaging, Ruby's Gem::Version, Maven's ComparableVersion,
  # golang.org/x/mod/semver), and the scan test's oracle reads the feeds with PyYAML
  libdpkg-dev librpm-dev python3-packaging python3-yaml ruby golang-go golang-golang-x-mod-dev
  libmaven3-core-java openjdk-17-jdk-headless
  # runtime sensor: bpftool (vmlinux.h, skeleton) and libbpf build and load the eBPF programs
  bpftool libbpf-dev libelf-dev
  # runtime tests: containers run by crun as well as runc; liburing drives an io_uring ring
  crun liburing-dev
)
# sbom tests and benchmark: node + npm run the pinned validator (tests/tools/sbom-validate)
# and cdxgen. Debian's are installed only when there is no node: Debian's npm cannot sit
# beside another distribution's nodejs package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "setup: need root to install packages (run as root or with sudo)" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

configure_and_build() {
  local jobs
  jobs="$(nproc)"
  # shellcheck disable=SC2086
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$BUILD_DIR" -j "$jobs"
}

install_missing
configure_and_build
