#!/usr/bin/env bash
# Runtime agent overhead, in one run: workloads inside a real runc container, timed inside
# the container, without the agent and with `bulkhead agent run` watching that container.
#  1. `dd if=/dev/zero of=/dev/null bs=500 count=DD_COUNT`: MB/s as dd reports it;
#  2. an exec loop: dash running /bin/true EXEC_COUNT times (time per exec);
#  3. an open loop: python3 opening a file for writing and one for reading OPEN_COUNT times
#     each (time per open);
# for each, the slowdown against the same workload without the agent (baseline), plus the
# agent's CPU time (utime+stime from /proc/PID/stat over the workloads), peak RSS (VmHWM)
# and events received/dropped (its "stopped" and "events-dropped" lines). The agent runs in
# Discover mode for these (it learns the profile used below). The same dd also runs on the
# host, outside any container, to show what the agent costs processes it does not watch.
# A third side, "hooks", runs the same workloads with no agent but bench/hook_floor.c: a
# program that returns at once on every tracepoint the agent's sensor hooks (read from its
# BPF object, sensor.bpf.o in BUILD_DIR). That is the floor for any sensor hooking those
# events on this kernel: enabling a syscall tracepoint sends every system call of every
# task through the slow path, and the kernel's dispatch to a program costs before the
# program runs. "g vs h" is the agent's own share: what its programs and user space add.
#  4. Protect exec latency: python3 in the container spawning /bin/true SPAWN_COUNT times
#     (posix_spawn + waitpid, each timed; median and mean per spawn) (a) with nothing, (b) with
#     bench/fanotify_floor.c (a FAN_OPEN_EXEC_PERM responder that allows everything: the
#     floor for any exec check), (c) with the agent in Protect mode with the learned profile,
#     (d) with fapolicyd (installed when missing) if it can run, (e) with the agent in Discover
#     mode (its eBPF sensor without the exec guard, to split (c)); microseconds added per
#     spawn over (a), and (c-a)/(b-a).
# Without-agent and with-agent runs alternate in ROUNDS paired rounds (the order of rows
# (a)-(e) rotates); figures are medians over rounds, slowdowns and added times medians of
# per-round pairs.
# Rounds during which another Bulkhead sensor was loaded on the host (seen with bpftool:
# tests running beside this) are left out when at least 3 rounds remain.
# Needs root, runc, jq, cc, unshare, the agent's kernel support (docs/runtime.md) and the
# test bed's runtime root file system (tests/testbed/testbed.sh build). Alone:
#   BUILD_DIR=build bench/runtime_overhead.sh
# Environment (defaults): ROUNDS (7), DD_COUNT (1000000), EXEC_COUNT (1000), OPEN_COUNT
# (20000; each round's figure is the median of three loops), PIN_CPU (the last CPU: where
# the timed dd, exec and open loops run; "none" leaves them to the scheduler), SPAWN_COUNT (300), SPAWN_ROUNDS (3 x ROUNDS: the exec latency rows alternate in
# short blocks, as this shared machine's speed drifts by 20 % within a minute), CTR_ID (bulkhead-bench-rt), QUIET_WAIT (10: seconds a round
# waits for other sensors to go), BULKHEAD_BINARY, EXEC_WAIT ($BUILD_DIR/bench/exec_wait), RESULTS_DIR ($BUILD_DIR/bench-runtime),
# FAPOLICYD_INSTALL (1: install Debian's fapolicyd when missing), KEEP_TMP=1 keeps the temporary directory (event files, logs),
# ACCOUNTING_ONLY=1 runs only the pass that counts the programs' time per dd block, exec and open (about a minute). bench/README.md has figures.
# jq filters and container shell programs are single-quoted on purpose:
# shellcheck disable=SC2016
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BULKHEAD="${BULKHEAD_BINARY:-$BUILD_DIR/src/cli/bulkhead}"
EXEC_WAIT="${EXEC_WAIT:-$BUILD_DIR/bench/exec_wait}"
ENV_FILE="${BULKHEAD_TESTBED_ENV:-${BULKHEAD_TESTBED_DIR:-$HOME/.cache/bulkhead-testbed}/testbed.env}"
RESULTS_DIR="${RESULTS_DIR:-$BUILD_DIR/bench-runtime}"
ROUNDS="${ROUNDS:-7}"
DD_COUNT="${DD_COUNT:-1000000}"
EXEC_COUNT="${EXEC_COUNT:-1000}"
SPAWN_COUNT="${SPAWN_COUNT:-300}"
SPAWN_ROUNDS="${SPAWN_ROUNDS:-$((3 * ROUNDS))}"
OPEN_COUNT="${OPEN_COUNT:-20000}"
PIN_CPU="${PIN_CPU:-$(($(nproc) - 1))}"
CTR_ID="${CTR_ID:-bulkhead-bench-rt}"
QUIET_WAIT="${QUIET_WAIT:-10}"

die() { echo "runtime_overhead: $*" >&2; exit 1; }
note() { echo "runtime_overhead: $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "runtime_overhead: needs root (eBPF, fanotify, mounts)" >&2; exit 2; }
[ -x "$EXEC_WAIT" ] || { echo "runtime_overhead: $EXEC_WAIT is missing (built with the bench targets)" >&2; exit 2; }
for tool in runc jq cc unshare awk taskset; do
  command -v "$tool" >/dev/null || { echo "runtime_overhead: $tool is missing" >&2; exit 2; }
done
[ -x "$BULKHEAD" ] || { echo "runtime_overhead: no bulkhead binary at $BULKHEAD (build first)" >&2; exit 2; }
[ -f "$ENV_FILE" ] || { echo "runtime_overhead: no test bed at $ENV_FILE (tests/testbed/testbed.sh build)" >&2; exit 2; }
# shellcheck disable=SC1090
source "$ENV_FILE"
LOWER="${TESTBED_RUNTIME_ROOTFS:-}"
if [ -z "$LOWER" ] || [ ! -x "$LOWER/usr/bin/python3" ]; then
  echo "runtime_overhead: $ENV_FILE has no runtime root file system with python3 (rebuild the test bed)" >&2
  exit 2
fi

TMP="$(mktemp -d /tmp/bulkhead-rtbench.XXXXXX)"
STATE="$TMP/state"          # runc --root, watched by the agent
PROFILES="$TMP/profiles"
CTR="$TMP/ctr"              # overlay upper and work dirs, the bundle
RF="$CTR/bundle/rootfs"
SAMPLES="$TMP/samples.tsv"  # round  metric  side  value
STATS="$TMP/agent-runs.tsv" # label  dropped  received  events-dropped-lines  blocked  alerts
mkdir -p "$STATE" "$PROFILES"
: >"$SAMPLES"
: >"$STATS"
AGENT_PID="" AGENT_EV="" AGENT_LOG="" FLOOR_PID="" FAPO_PID="" HOOKS_PID="" MOUNTED=0 STATS_WAS=""
SENSOR_OBJ="$BUILD_DIR/src/runtime/bpf-sensor/sensor.bpf.o"
[ -f "$SENSOR_OBJ" ] || { echo "runtime_overhead: no $SENSOR_OBJ (build first)" >&2; exit 2; }

cleanup() {
  set +e
  [ -z "$STATS_WAS" ] || echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
  for pid in "$FAPO_PID" "$FLOOR_PID" "$HOOKS_PID" "$AGENT_PID"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  ctr_destroy
  if [ "$MOUNTED" = 1 ]; then
    note "$RF is still mounted; leaving $TMP"
  elif [ "${KEEP_TMP:-0}" = 1 ]; then
    note "kept $TMP"
  else
    rm -rf --one-file-system "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -----------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# Another Bulkhead sensor on the host (tests running beside this) hooks syscalls and execs
# too and spoils a baseline: rounds that saw more sensors loaded than this script's own
# agent are marked, and left out of the figures when at least 3 other rounds remain.
CONTAM="$TMP/contaminated" # phase round
: >"$CONTAM"
sensors_loaded() {
  if command -v bpftool >/dev/null; then
    bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name == "handle_exec")] | length'
  else echo 0; fi
}
foreign_sensors() {
  local expected=0
  [ -z "$AGENT_PID" ] || expected=1
  (($(sensors_loaded) > expected))
}
check_foreign() { if foreign_sensors; then echo "$PHASE $1" >>"$CONTAM"; fi; }
# Before a round: up to QUIET_WAIT seconds for other sensors to go away.
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT))
  while foreign_sensors && ((SECONDS < deadline)); do sleep 0.5; done
}
# Rounds left out of a phase's figures (set by the report).
EXCLUDED1="" EXCLUDED2=""
excluded_for() { if [[ $1 == spawn* || $1 == wait* ]]; then echo "$EXCLUDED2"; else echo "$EXCLUDED1"; fi; }

rexec() { runc --root "$STATE" exec "$CTR_ID" "$@" </dev/null; }
# The timed workloads run on one CPU (PIN_CPU): this machine's two vCPUs differ by up to
# 20 % in speed (the first takes the interrupts), and a workload that landed on either at
# random made each side's samples bimodal.
pinned() { if [ "$PIN_CPU" = none ]; then "$@"; else taskset -c "$PIN_CPU" "$@"; fi; }
rpinned() { if [ "$PIN_CPU" = none ]; then rexec "$@"; else rexec taskset -c "$PIN_CPU" "$@"; fi; }

# ctr_create [WAIT]: with the agent running, WAIT (a function) runs between `runc create`
# and `runc start`: the agent arms on create, and `runc run` could exec the container's first
# process before the agent has seen the container (docs/runtime.md, "Not yet").
ctr_create() {
  mkdir -p "$CTR/upper" "$CTR/overlay-work" "$RF"
  # Its own overlay superblock: the agent's exec guard refuses a root file system it
  # shares with the host.
  mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$CTR/upper,workdir=$CTR/overlay-work" "$RF"
  MOUNTED=1
  (cd "$CTR/bundle" && rm -f config.json && runc spec)
  # rlimits dropped: raising RLIMIT_NOFILE needs CAP_SYS_RESOURCE, which root may lack in VMs.
  jq --arg root "$RF" '.process.args = ["sleep", "infinity"] | .process.terminal = false
      | .root = {path: $root, readonly: false} | del(.process.rlimits)' \
    "$CTR/bundle/config.json" >"$CTR/bundle/config.json.new"
  mv "$CTR/bundle/config.json.new" "$CTR/bundle/config.json"
  runc --root "$STATE" create --bundle "$CTR/bundle" "$CTR_ID" </dev/null >"$TMP/runc.log" 2>&1 ||
    die "runc create failed: $(cat "$TMP/runc.log")"
  [ -z "${1:-}" ] || "$1"
  runc --root "$STATE" start "$CTR_ID" </dev/null >>"$TMP/runc.log" 2>&1 ||
    die "runc start failed: $(cat "$TMP/runc.log")"
}

ctr_destroy() {
  if [ -d "$STATE/$CTR_ID" ]; then
    runc --root "$STATE" kill "$CTR_ID" KILL >/dev/null 2>&1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      runc --root "$STATE" delete -f "$CTR_ID" >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  if [ "$MOUNTED" = 1 ]; then
    umount "$RF" 2>/dev/null || umount -l "$RF" || return 1
    MOUNTED=0
    rm -rf --one-file-system "$CTR"
  fi
}

# The agent. Each start writes its own event file; the profile directory persists.
agent_start() {
  AGENT_EV="$TMP/agent-$1.jsonl"
  AGENT_LOG="$TMP/agent-$1.log"
  "$BULKHEAD" agent run --profiles "$PROFILES" -o "$AGENT_EV" --runc-root "$STATE" \
    --mode discover >"$AGENT_LOG" 2>&1 &
  AGENT_PID=$!
  AGENT_LABEL="$1"
  wait_event 'select(.type == "agent" and .action == "started")' "its start"
}
# Waits until a line of the current event file matches a jq filter ($id is the container).
wait_event() {
  local deadline=$((SECONDS + 30))
  until [ -s "$AGENT_EV" ] && jq -R -c --arg id "$CTR_ID" "fromjson? | $1" "$AGENT_EV" | grep -q .; do
    kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited before $2: $(tail -3 "$AGENT_LOG")"
    ((SECONDS < deadline)) || die "no line for $2 from the agent within 30 s"
    sleep 0.05
  done
}
wait_container() {
  wait_event 'select(.type == "container" and .action == "started" and .container.id == $id)' \
    "the container's start"
}
wait_protected() {
  wait_event 'select(.type == "container" and .action == "protected" and .container.id == $id)' \
    "the container's exec guard"
  local err
  err="$(jq -R -r --arg id "$CTR_ID" \
    'fromjson? | select(.action == "protected" and .container.id == $id) | .error' "$AGENT_EV")"
  [ -z "$err" ] || die "the exec guard was not armed: $err"
}
agent_stop() {
  local rc=0
  kill -TERM "$AGENT_PID"
  wait "$AGENT_PID" || rc=$?
  AGENT_PID=""
  [ "$rc" = 0 ] || die "the agent exited with $rc: $(tail -3 "$AGENT_LOG")"
  jq -R -r --arg run "$AGENT_LABEL" -s '
      [split("\n")[] | fromjson? ] as $l
      | ($l | map(select(.type == "agent" and .action == "stopped")) | last) as $s
      | [$run, ($s.dropped // "nan"), ($s.received // "nan"),
         ($l | map(select(.action == "events-dropped")) | length),
         ($l | map(select(.action == "blocked")) | length),
         ($l | map(select(.type == "alert")) | length)] | @tsv' "$AGENT_EV" >>"$STATS"
}
agent_group() {
  jq -R -r --arg id "$CTR_ID" \
    'fromjson? | select(.type == "container" and .action == "started" and .container.id == $id) | .group' \
    "$AGENT_EV" | head -1
}
set_profile_mode() { sed -i "s/^mode: .*/mode: $1/" "$PROFILE"; }

# --- workloads (timed inside the container) ----------------------------------------------
EXEC_LOOP='n=$1; s=$(date +%s%N); i=0
while [ "$i" -lt "$n" ]; do /bin/true; i=$((i + 1)); done
e=$(date +%s%N); echo $(((e - s) / 1000))'
OPEN_LOOP='
import os, sys, time
n = int(sys.argv[1])
which = sys.argv[2] if len(sys.argv) > 2 else "both"  # or "write", "read", "relative": n of that open only
os.makedirs("/tmp/bh-open", exist_ok=True)
names = ["/tmp/bh-open/f%d" % i for i in range(64)]
read = "/usr/lib/os-release"
if which == "relative":  # a read by a path relative to the working directory
    os.chdir("/usr/lib")
    which, read = "read", "os-release"
t = time.perf_counter()
for i in range(n):
    if which != "read":
        os.close(os.open(names[i % 64], os.O_WRONLY | os.O_CREAT, 0o644))
    if which != "write":
        os.close(os.open(read, os.O_RDONLY))
print(round((time.perf_counter() - t) * 1e6))'
# Each spawn timed alone, so that a burst of load on this shared machine moves the mean but
# hardly the median.
SPAWN_LOOP='
import os, sys, time
n = int(sys.argv[1])
env = {"PATH": "/usr/bin:/bin"}
spawns = []
for _ in range(n):
    t = time.perf_counter_ns()
    os.waitpid(os.posix_spawn("/bin/true", ["true"], env), 0)
    spawns.append(time.perf_counter_ns() - t)
spawns.sort()
print("%.2f %.2f %.2f" % (spawns[n // 2] / 1e3, sum(spawns) / n / 1e3, spawns[n // 10] / 1e3))'

# dd_mbps [runc exec ...]: in the container, or on the host without arguments. MB/s from
# dd's own line ("N bytes (...) copied, S s, R MB/s"): N / S, as R has two digits only.
dd_mbps() {
  "$@" dd if=/dev/zero of=/dev/null bs=500 count="$DD_COUNT" 2>&1 | awk '
    / copied, / && $(NF - 2) == "s," && $(NF - 3) > 0 { printf "%.1f\n", $1 / $(NF - 3) / 1e6; ok = 1 }
    END { if (!ok) exit 1 }'
}
# Microseconds per exec or per open.
exec_us() { rpinned sh -c "$EXEC_LOOP" sh "$1" | awk -v n="$1" '{ printf "%.2f\n", $1 / n }'; }
# start_ready NAME OUT ERR SECONDS COMMAND...: COMMAND in the background (its PID in
# STARTED_PID), waiting until it prints "ready".
start_ready() {
  local name="$1" out="$2" err="$3" deadline=$((SECONDS + $4))
  shift 4
  "$@" >"$out" 2>>"$err" &
  STARTED_PID=$!
  until grep -q ready "$out" 2>/dev/null; do
    kill -0 "$STARTED_PID" 2>/dev/null || die "$name failed: $(cat "$err")"
    ((SECONDS < deadline)) || die "$name did not get ready"
    sleep 0.02
  done
}
# spawn_us: the loop's median, mean and 10th percentile per spawn, then, from exec_wait (in
# the kernel, so without the noise of fork, exit and wait), the median and 90th percentile
# of the time a spawn slept between its fork and its exec: the exec check's wait.
spawn_us() {
  local loop pid
  start_ready exec_wait "$TMP/exec_wait.out" "$TMP/exec_wait.err" 20 "$EXEC_WAIT" "$(ctr_cgroup)"
  pid=$STARTED_PID
  loop="$(rexec python3 -c "$SPAWN_LOOP" "$SPAWN_COUNT")"
  kill -TERM "$pid"
  wait "$pid" || die "exec_wait failed: $(cat "$TMP/exec_wait.err")"
  echo "$loop $(awk 'END { print $2, $3 }' "$TMP/exec_wait.out")"
}
# The container's cgroup2 directory, from its init's /proc/PID/cgroup.
ctr_cgroup() {
  local pid mount
  pid="$(runc --root "$STATE" state "$CTR_ID" | jq -r .pid)"
  mount="$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)"
  echo "$mount$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")"
}
# The open loop is short (a second or less): the median of three runs.
open_us() {
  for _ in 1 2 3; do rpinned python3 -c "$OPEN_LOOP" "$OPEN_COUNT"; done |
    sort -n | awk -v n="$OPEN_COUNT" 'NR == 2 { printf "%.3f\n", $1 / (2 * n) }'
}

# --- the responders of rows (b) and (d) ----------------------------------------------------
# fapolicyd (d): in a private mount namespace with its own /etc/fapolicyd, /run and
# /var/lib/fapolicyd, watching only this container's overlay (the namespace drops every
# other overlay mount before it starts), --permissive so that nothing can be denied.
FAPO="$TMP/fapolicyd"
FAPO_SKIP=""
FAPO_VERSION=""
# Debian's package is installed when missing (FAPOLICYD_INSTALL=0: not), with its service
# neither started nor enabled: installed as it comes, it would watch and judge every exec
# on the host.
fapo_install() {
  [ "${FAPOLICYD_INSTALL:-1}" = 1 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || return 0
  note "installing Debian's fapolicyd package (its service neither started nor enabled)"
  local policy=/usr/sbin/policy-rc.d placed=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && placed=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fapolicyd >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fapolicyd >/dev/null 2>&1; } ||
    note "could not install fapolicyd"
  [ -z "$placed" ] || rm -f "$policy"
  if [ -d /run/systemd/system ]; then systemctl disable --now fapolicyd >/dev/null 2>&1 || true; fi
}
fapo_prepare() {
  command -v fapolicyd >/dev/null || fapo_install
  command -v fapolicyd >/dev/null || { FAPO_SKIP="fapolicyd is not installed (Debian package fapolicyd)"; return; }
  getent passwd fapolicyd >/dev/null || { FAPO_SKIP="no fapolicyd user (the package's postinst creates it)"; return; }
  FAPO_VERSION="$(dpkg-query -W -f '${Version}' fapolicyd 2>/dev/null || echo '?')"
  cc -O2 -Wall -Werror -DFAPOLICYD_CAPSET_SHIM -shared -fPIC -o "$TMP/capset_shim.so" "$ROOT/bench/fanotify_floor.c"
  mkdir -p "$FAPO/etc/rules.d" "$FAPO/etc/trust.d" "$FAPO/run/fapolicyd" "$FAPO/lib"
  # Its defaults but: permissive, overlay only, file trust only, superblock marks (the
  # container's root is its own mount in its own namespace), statistics off.
  cat >"$FAPO/etc/fapolicyd.conf" <<'EOF'
permissive = 1
nice_val = 0
q_size = 640
uid = fapolicyd
gid = fapolicyd
do_stat_report = 0
detailed_report = 0
db_max_size = 50
subj_cache_size = 1549
obj_cache_size = 8191
watch_fs = overlay
trust = file
integrity = none
syslog_format = rule,dec,perm,auid,pid,exe,:,path,ftype,trust
rpm_sha256_only = 0
allow_filesystem_mark = 1
EOF
  # The same policy as Protect's: the loop's executables (and the loader) are trusted and
  # may run, any other execution would be denied; opens are allowed.
  cat >"$FAPO/etc/compiled.rules" <<'EOF'
allow perm=execute all : trust=1
deny_audit perm=execute all : all
allow perm=open all : all
EOF
  # fapolicyd sees the container's paths (the mount's root is the container's /).
  : >"$FAPO/etc/fapolicyd.trust"
  local p
  for p in $(rexec readlink -f /bin/sh /bin/true /usr/bin/date /usr/bin/python3 /lib64/ld-linux-x86-64.so.2); do
    echo "$p $(stat -c %s "$RF$p") $(sha256sum <"$RF$p" | cut -d' ' -f1)" >>"$FAPO/etc/fapolicyd.trust"
  done
  chown -R root:fapolicyd "$FAPO/etc"
  chown fapolicyd:fapolicyd "$FAPO/run/fapolicyd" "$FAPO/lib"
  cat >"$FAPO/start.sh" <<EOF
set -e
mount --bind "$FAPO/etc" /etc/fapolicyd
mount --bind "$FAPO/run" /run
mount --bind "$FAPO/lib" /var/lib/fapolicyd
awk -v keep="$RF" '\$3 == "overlay" && \$2 != keep { print \$2 }' /proc/self/mounts | while read -r m; do
  umount -l "\$m" 2>/dev/null || true
done
LD_PRELOAD="$TMP/capset_shim.so" exec fapolicyd --debug-deny --permissive
EOF
}
fapo_start() {
  local log="$FAPO/log-$1" deadline=$((SECONDS + 30))
  rm -rf "${FAPO:?}/lib/"*
  unshare -m --propagation private sh "$FAPO/start.sh" >"$log" 2>&1 &
  FAPO_PID=$!
  until grep -q "Starting to listen for events" "$log" 2>/dev/null; do
    if ! kill -0 "$FAPO_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      kill -TERM "$FAPO_PID" 2>/dev/null && wait "$FAPO_PID" 2>/dev/null
      FAPO_PID=""
      FAPO_SKIP="fapolicyd did not start: $(grep -v '^$' "$log" | tail -1)"
      return 1
    fi
    sleep 0.05
  done
}
fapo_stop() {
  kill -TERM "$FAPO_PID"
  wait "$FAPO_PID" || true
  FAPO_PID=""
}
floor_start() {
  start_ready fanotify_floor "$TMP/floor.out" "$TMP/floor.err" 10 "$FLOOR" "$RF"
  FLOOR_PID=$STARTED_PID
}
floor_stop() {
  kill -TERM "$FLOOR_PID"
  wait "$FLOOR_PID" || die "fanotify_floor failed: $(cat "$TMP/floor.err")"
  FLOOR_PID=""
}
# The third side: empty programs on the sensor's tracepoints, less its raw_syscalls
# fallback for module loads, which the agent attaches only when asked (--module-attempts).
hooks_start() {
  start_ready hook_floor "$TMP/hooks.out" "$TMP/hooks.err" 10 "$HOOKS" "$SENSOR_OBJ" raw_syscalls/sys_exit
  HOOKS_PID=$STARTED_PID
}
hooks_stop() {
  kill -TERM "$HOOKS_PID"
  wait "$HOOKS_PID" || die "hook_floor failed: $(cat "$TMP/hooks.err")"
  HOOKS_PID=""
}
# --- build the floor responder (fapo_prepare builds the capset shim) -------------------------
FLOOR="$TMP/fanotify_floor"
cc -O2 -Wall -Werror -o "$FLOOR" "$ROOT/bench/fanotify_floor.c"
HOOKS="$TMP/hook_floor"
cc -O2 -Wall -Werror -o "$HOOKS" "$ROOT/bench/hook_floor.c" -lbpf

note "bulkhead $("$BULKHEAD" --version | awk '{ print $NF }'), $(runc --version | head -1), kernel $(uname -r), $(nproc) CPUs"
note "test-bed root file system: $LOWER; temporary directory: $TMP"

# --- 1-3: workloads without and with the agent (Discover) --------------------------------
# A first pass learns the container's start too (its `sleep`), which Protect needs later.
agent_start learn
ctr_create wait_container
GROUP="$(agent_group)"
rexec sh -c "$EXEC_LOOP" sh 50 >/dev/null
rexec dd if=/dev/zero of=/dev/null bs=500 count=1000 2>/dev/null
rexec python3 -c "$OPEN_LOOP" 10 >/dev/null
rexec python3 -c "$SPAWN_LOOP" 10 >/dev/null
agent_stop
# ACCOUNTING_ONLY=1: only the pass that counts the programs' run time per operation (about a
# minute): for working on the sensor's programs.
if [ "${ACCOUNTING_ONLY:-0}" = 1 ]; then ROUNDS=0; else fapo_prepare; fi # fapo_prepare resolves paths in the container
AGENT_CPU_TICKS=0 AGENT_WALL_NS=0 AGENT_HWM_KB=0
PHASE=1
for r in $(seq 1 "$ROUNDS"); do
  wait_quiet
  sides=(none hooks agent)
  for side in "${sides[@]:$(((r - 1) % 3))}" "${sides[@]:0:$(((r - 1) % 3))}"; do
    [ "$side" != hooks ] || hooks_start
    if [ "$side" = agent ]; then
      agent_start "discover-$r"
      wait_container
      c0="$(cpu_ticks "$AGENT_PID")" t0="$(now_ns)"
    fi
    measure "$r" dd "$side" dd_mbps rpinned
    measure "$r" exec "$side" exec_us "$EXEC_COUNT"
    measure "$r" open "$side" open_us
    measure "$r" hostdd "$side" dd_mbps pinned
    if [ "$side" = agent ]; then
      c1="$(cpu_ticks "$AGENT_PID")" t1="$(now_ns)"
      AGENT_CPU_TICKS=$((AGENT_CPU_TICKS + c1 - c0)) AGENT_WALL_NS=$((AGENT_WALL_NS + t1 - t0))
      hwm="$(hwm_kb "$AGENT_PID")"
      ((hwm > AGENT_HWM_KB)) && AGENT_HWM_KB=$hwm
      agent_stop
    fi
    [ -z "$HOOKS_PID" ] || hooks_stop
  done
  note "round $r/$ROUNDS (no agent / empty programs on its hooks / agent in Discover) done"
done

# --- the agent's programs in the kernel, per unit of work ----------------------------------
# kernel.bpf_stats_enabled makes the kernel count each BPF program's run time. One pass with
# the agent, outside the paired rounds (the counting costs a clock read per run), reads what
# its programs (those its start loaded) spent per dd block, per exec and per open: their
# share of the work, without the wall clock's noise. (The floor of the syscall tracepoint,
# the slow system-call path, is not a program's run time; side (h) measures it.)
BPF_COST="not measured (needs bpftool and kernel.bpf_stats_enabled)"
prog_ids() { bpftool -j prog show 2>/dev/null | jq -r '.[] | select(.name | startswith("handle_")) | .id' | sort -n; }
if command -v bpftool >/dev/null && [ -w /proc/sys/kernel/bpf_stats_enabled ]; then
  STATS_WAS="$(cat /proc/sys/kernel/bpf_stats_enabled)"
  before="$(prog_ids)"
  agent_start accounting
  wait_container
  OUR_PROGS="$(comm -13 <(echo "$before") <(prog_ids) | paste -sd, -)"
  bpf_ns() { bpftool -j prog show 2>/dev/null | jq --arg ids ",$OUR_PROGS," '[.[] | (.id | tostring) as $i | select($ids | contains("," + $i + ",")) | .run_time_ns // 0] | add // 0'; }
  cost() { # label units command...: ns per unit
    local label="$1" units="$2" b0 b1
    shift 2
    b0="$(bpf_ns)"
    "$@" >/dev/null
    b1="$(bpf_ns)"
    awk -v l="$label" -v d="$((b1 - b0))" -v n="$units" 'BEGIN { printf "%s %.0f ns", l, d / n }'
  }
  echo 1 >/proc/sys/kernel/bpf_stats_enabled
  BPF_COST="$(cost "per dd block (2 system calls)" "$DD_COUNT" dd_mbps rexec), $(cost "per exec" "$EXEC_COUNT" exec_us "$EXEC_COUNT"),"
  BPF_COST+=" $(cost "per write open" "$OPEN_COUNT" rexec python3 -c "$OPEN_LOOP" "$OPEN_COUNT" write),"
  BPF_COST+=" $(cost "per read open" "$OPEN_COUNT" rexec python3 -c "$OPEN_LOOP" "$OPEN_COUNT" read),"
  BPF_COST+=" $(cost "per relative read open" "$OPEN_COUNT" rexec python3 -c "$OPEN_LOOP" "$OPEN_COUNT" relative)"
  BPF_COST+=" ($(tr -cd , <<<"$OUR_PROGS" | wc -c | awk '{ print $1 + 1 }') programs)"
  echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
  STATS_WAS=""
  agent_stop
fi

if [ "${ACCOUNTING_ONLY:-0}" = 1 ]; then
  echo "agent (Discover): its BPF programs' run time in the kernel, one pass: $BPF_COST"
  exit 0
fi
ctr_destroy

PROFILE="$PROFILES/$GROUP.yaml"
[ -f "$PROFILE" ] || die "the agent saved no profile for group $GROUP in $PROFILES"
for exe in /usr/bin/sleep /usr/bin/dash /usr/bin/true /usr/bin/date; do
  grep -q "path: \"$exe\"" "$PROFILE" || die "the learned profile $PROFILE lacks $exe"
done

# --- 4: Protect exec latency ---------------------------------------------------------------
# Protect is armed when discovery sees the container at create: the agent starts first.
set_profile_mode protect
agent_start protect-0
ctr_create wait_protected
[ "$(agent_group)" = "$GROUP" ] || die "the new container is in group $(agent_group), not $GROUP"
rexec python3 -c "$SPAWN_LOOP" 50 >/dev/null # warm-up (also proves the profile allows the loop)

declare -A RESP_TICKS=([b]=0 [c]=0 [d]=0 [e]=0) RESP_SPAWNS=([b]=0 [c]=0 [d]=0 [e]=0)
# One timed loop with a responder process: the loop's time per spawn, and the responder's
# CPU over it.
timed_with() {
  local row="$1" pid="$2" r="$3" t0 t1
  t0="$(cpu_ticks "$pid")"
  measure "$r" "spawn spawnmean spawnp10 wait waitp90" "$row" spawn_us
  t1="$(cpu_ticks "$pid")"
  RESP_TICKS[$row]=$((RESP_TICKS[$row] + t1 - t0))
  RESP_SPAWNS[$row]=$((RESP_SPAWNS[$row] + SPAWN_COUNT))
}
PROTECT_HWM_KB=0
PHASE=2
rows=(c a b d e)
for r in $(seq 1 "$SPAWN_ROUNDS"); do
  wait_quiet
  order=("${rows[@]:$(((r - 1) % 5))}" "${rows[@]:0:$(((r - 1) % 5))}")
  for row in "${order[@]}"; do
    case "$row" in
      a) measure "$r" "spawn spawnmean spawnp10 wait waitp90" a spawn_us ;;
      b)
        floor_start
        timed_with b "$FLOOR_PID" "$r"
        floor_stop
        ;;
      c)
        if [ -z "$AGENT_PID" ]; then # restarted: it arms the guard on the running container
          agent_start "protect-$r"
          wait_protected
        fi
        timed_with c "$AGENT_PID" "$r"
        hwm="$(hwm_kb "$AGENT_PID")"
        ((hwm > PROTECT_HWM_KB)) && PROTECT_HWM_KB=$hwm
        agent_stop
        ;;
      d)
        [ -z "$FAPO_SKIP" ] || continue
        fapo_start "$r" || continue
        timed_with d "$FAPO_PID" "$r"
        fapo_stop
        ;;
      e)
        set_profile_mode discover
        agent_start "sensor-$r"
        wait_container
        timed_with e "$AGENT_PID" "$r"
        agent_stop
        set_profile_mode protect
        ;;
    esac
  done
  note "round $r/$SPAWN_ROUNDS (exec latency) done"
done
FAPO_DENIED=0
if [ -z "$FAPO_SKIP" ]; then
  FAPO_DENIED="$(cat "$FAPO"/log-* | grep -c 'dec=deny' || true)"
fi
ctr_destroy

# --- report --------------------------------------------------------------------------------
stat_sum() { awk -v p="$1" -v c="$2" 'index($1, p) == 1 && $c != "nan" { s += $c } END { print s + 0 }' "$STATS"; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf f, v }'; }
slowdown() { # metric [from to]: + means slower (more time per unit of work) on the to side
  local q
  q="$(paired "$1" "${2:-none}" "${3:-agent}" ratio | median)"
  case "$1" in
    dd | hostdd) awk -v q="$q" 'BEGIN { printf "%+.1f %%", (1 / q - 1) * 100 }' ;;
    *) awk -v q="$q" 'BEGIN { printf "%+.1f %%", (q - 1) * 100 }' ;;
  esac
}
row3() { # label metric format
  printf '%-52s %9s %9s %9s %9s %9s %9s\n' "$1" "$(fmt "$(values "$2" none | median)" "$3")" \
    "$(fmt "$(values "$2" hooks | median)" "$3")" "$(fmt "$(values "$2" agent | median)" "$3")" \
    "$(slowdown "$2" none hooks)" "$(slowdown "$2")" "$(slowdown "$2" hooks agent)"
}
contaminated() { awk -v p="$1" '$1 == p { print $2 }' "$CONTAM" | sort -un | tr '\n' ' '; }
BAD1="$(contaminated 1)" BAD2="$(contaminated 2)"
(($(wc -w <<<"$BAD1") <= ROUNDS - 3)) && EXCLUDED1="$BAD1"
(($(wc -w <<<"$BAD2") <= SPAWN_ROUNDS - 3)) && EXCLUDED2="$BAD2"
foreign_note() { # phase's bad rounds, excluded rounds
  if ! command -v bpftool >/dev/null; then echo "not checked (no bpftool)"
  elif [ -z "$1" ]; then echo "none"
  elif [ -n "$2" ]; then echo "rounds $1(left out)"
  else echo "rounds $1(kept: fewer than 3 other rounds)"; fi
}
{
  echo "Bulkhead runtime agent overhead: bulkhead $("$BULKHEAD" --version | awk '{ print $NF }'), $(runc --version | head -1),"
  echo "kernel $(uname -r), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS paired rounds, medians; timed loops on CPU $PIN_CPU."
  echo
  echo "sides: no agent (a); a program that returns at once on each of the agent's $(awk '{ print $2 }' "$TMP/hooks.out") tracepoints (h); the agent in Discover (g)"
  printf '%-52s %9s %9s %9s %9s %9s %9s\n' "workload (in the container)" "(a)" "(h)" "(g)" "h vs a" "g vs a" "g vs h"
  row3 "dd bs=500 count=$DD_COUNT, MB/s" dd %.0f
  row3 "exec loop, /bin/true x$EXEC_COUNT, us per exec" exec %.1f
  row3 "open loop, 2x$OPEN_COUNT opens (half O_WRONLY), us/open" open %.2f
  row3 "the same dd on the host, outside the container, MB/s" hostdd %.0f
  echo "another Bulkhead sensor loaded on the host: $(foreign_note "$BAD1" "$EXCLUDED1")"
  echo
  awk -v t="$AGENT_CPU_TICKS" -v hz="$CLK_TCK" -v w="$AGENT_WALL_NS" -v hwm="$AGENT_HWM_KB" 'BEGIN {
    printf "agent (Discover): CPU %.2f s over %.1f s of workloads (%.1f %% of one CPU); peak RSS (VmHWM) %.1f MiB\n",
      t / hz, w / 1e9, 100 * (t / hz) / (w / 1e9), hwm / 1024 }'
  echo "agent (Discover): its BPF programs' run time in the kernel, one pass: $BPF_COST"
  echo "agent (Discover): events received $(stat_sum discover- 3), dropped $(stat_sum discover- 2)" \
    "($(stat_sum discover- 4) events-dropped lines), alerts $(stat_sum discover- 6)"
  echo
  echo "Protect exec latency: python3 spawning /bin/true x$SPAWN_COUNT in the container, $SPAWN_ROUNDS rounds; per spawn (us):"
  echo "median, 10th percentile and mean of each round's spawns, then medians over rounds;"
  echo "added = median of per-round differences"
  printf '%-46s %8s %8s %8s %8s %8s %8s %16s\n' "row" "median" "added" "p10" "added" "mean" "added" "responder CPU"
  printf '%-46s %8s %8s %8s %8s %8s %8s %16s\n' "(a) nothing" "$(fmt "$(values spawn a | median)" %.1f)" "-" \
    "$(fmt "$(values spawnp10 a | median)" %.1f)" "-" "$(fmt "$(values spawnmean a | median)" %.1f)" "-" "-"
  declare -A names=([b]="(b) fanotify floor (allow all)" [c]="(c) bulkhead agent, Protect"
    [d]="(d) fapolicyd ${FAPO_VERSION} --permissive" [e]="(e) bulkhead agent, Discover (no exec guard)")
  declare -A added=() addedmean=() addedp10=()
  for row in b c d e; do
    if [ "$row" = d ] && [ -n "$FAPO_SKIP" ]; then
      printf '%-46s %s\n' "(d) fapolicyd" "skipped: $FAPO_SKIP"
      continue
    fi
    added[$row]="$(paired spawn a "$row" diff | median)"
    addedmean[$row]="$(paired spawnmean a "$row" diff | median)"
    addedp10[$row]="$(paired spawnp10 a "$row" diff | median)"
    printf '%-46s %8s %8s %8s %8s %8s %8s %16s\n' "${names[$row]}" "$(fmt "$(values spawn "$row" | median)" %.1f)" \
      "$(fmt "${added[$row]}" '%+.1f')" "$(fmt "$(values spawnp10 "$row" | median)" %.1f)" \
      "$(fmt "${addedp10[$row]}" '%+.1f')" "$(fmt "$(values spawnmean "$row" | median)" %.1f)" \
      "$(fmt "${addedmean[$row]}" '%+.1f')" \
      "$(awk -v t="${RESP_TICKS[$row]}" -v n="${RESP_SPAWNS[$row]}" -v hz="$CLK_TCK" 'BEGIN { if (n) printf "%.1f us/spawn", 1e6 * t / hz / n; else print "n/a" }')"
  done
  ratio() { # a ratio of two added times only when both are above zero, else noise
    awk -v c="$1" -v b="$2" 'BEGIN { if (b > 0 && c > 0) printf "%.2f", c / b; else printf "n/a (%+.1f / %+.1f us)", c, b }'
  }
  echo "(c-a)/(b-a) = $(ratio "${added[c]}" "${added[b]}") on medians, $(ratio "${addedp10[c]}" "${addedp10[b]}") on p10," \
    "$(ratio "${addedmean[c]}" "${addedmean[b]}") on means (goal <= 1.2)"
  # The exec check alone: Protect less the sensor it shares with Discover (row e), per round.
  check="$(paired spawn e c diff | median)" checkp10="$(paired spawnp10 e c diff | median)"
  echo "exec check alone, (c-e)/(b-a) = $(ratio "$check" "${added[b]}") on medians," \
    "$(ratio "$checkp10" "${addedp10[b]}") on p10 (Protect less its Discover-mode sensor, against the floor)"
  echo
  echo "The exec check's wait in the kernel (exec_wait): time each spawn slept between its fork and its exec"
  echo "(us; each round's median and 90th percentile, then medians over rounds; added = median of per-round differences)"
  printf '%-46s %8s %8s %8s %8s\n' "row" "median" "added" "p90" "added"
  for row in a b c d e; do
    [ "$row" != d ] || [ -z "$FAPO_SKIP" ] || continue
    printf '%-46s %8s %8s %8s %8s\n' "${names[$row]:-(a) nothing}" "$(fmt "$(values wait "$row" | median)" %.1f)" \
      "$(fmt "$(paired wait a "$row" diff | median)" '%+.1f')" "$(fmt "$(values waitp90 "$row" | median)" %.1f)" \
      "$(fmt "$(paired waitp90 a "$row" diff | median)" '%+.1f')"
  done
  # A wait of exactly 0 is no check at all (Protect passes the profile's own files in the
  # kernel), not noise: its ratio is 0.
  wait_ratio() { awk -v c="$1" -v b="$2" 'BEGIN { if (b > 0 && c >= 0) printf "%.2f", c / b; else printf "n/a (%+.1f / %+.1f us)", c, b }'; }
  waitb="$(paired wait a b diff | median)"
  echo "in the kernel: (c-a)/(b-a) = $(wait_ratio "$(paired wait a c diff | median)" "$waitb") on medians," \
    "$(wait_ratio "$(paired waitp90 a c diff | median)" "$(paired waitp90 a b diff | median)") on p90;" \
    "(c-e)/(b-a) = $(wait_ratio "$(paired wait e c diff | median)" "$waitb") on medians (goal <= 1.2)"
  echo "agent (Protect): blocked $(stat_sum protect- 5), alerts $(stat_sum protect- 6)," \
    "events received $(stat_sum protect- 3), dropped $(stat_sum protect- 2); peak RSS $(awk -v k="$PROTECT_HWM_KB" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
  echo "agent (Discover, row e): events received $(stat_sum sensor- 3), dropped $(stat_sum sensor- 2)"
  echo "all $(wc -l <"$STATS") agent runs: dropped $(stat_sum "" 2) of $(stat_sum "" 3) events received"
  [ -n "$FAPO_SKIP" ] || echo "fapolicyd: $FAPO_DENIED would-be denials (0 expected: its trust list holds the loop's files)"
  echo "another Bulkhead sensor loaded on the host: $(foreign_note "$BAD2" "$EXCLUDED2")"
} >"$TMP/table.txt"

mkdir -p "$RESULTS_DIR"
cp "$TMP/table.txt" "$RESULTS_DIR/runtime-overhead.txt"
cp "$SAMPLES" "$RESULTS_DIR/runtime-overhead-samples.tsv"
cp "$STATS" "$RESULTS_DIR/runtime-overhead-agent-runs.tsv"
echo
cat "$TMP/table.txt"
