#!/usr/bin/env bash
# Network overhead, in one run (issue 7 point 6): throughput and requests per second between
# two runc containers on a Linux bridge, timed inside the client container, without the
# agent and with `bulkhead agent run` watching both containers:
#  1. `iperf3 -c B -t DURATION -J`: Gbit/s received (end.sum_received.bits_per_second);
#  2. the same with `-P PARALLEL` streams (PARALLEL=0 leaves it out);
#  2b. one stream with client and server pinned to the same CPU (`-A PIN_CPU,PIN_CPU`; empty
#     PIN_CPU leaves it out): on 2 shared cores the unpinned figures swing by up to 1.7x with
#     where the scheduler puts sender and receiver, the pinned one by a few per cent, and it
#     is one core's worth of the whole data path (both sockets, veth, bridge, any BPF on it);
#  3. `wrk -tWRK_THREADS -cWRK_CONNECTIONS -dDURATIONs http://B/`: requests/s (nginx's
#     default page);
# on the sides (a) no agent, (b) the agent without --graph (its syscall sensor only),
# (c) the agent with --graph (the sensor, plus the cgroup_skb flow capture on both
# containers' cgroups that copies each new flow's first packets for protocol
# identification: "L7 inspection"), (d) L4 rules: the agent without --graph with A's group in
# Protect, its learned links (B's group on tcp/80 and tcp/5201) an nftables allow-list in A's
# network namespace (every packet of A's passes the table; new connections are matched
# against the links), (e) L7 rules: the same with the HTTP conditions A learned on tcp/80
# ("GET /"), so every request wrk sends goes through the agent's HTTP gate (NFQUEUE) before
# it leaves; iperf3's tcp/5201 has none and is not queued. The agent is started afresh for each side that has one (Discover mode), and
# each round's graph file is checked for the client -> server edge on port 80 with protocol
# "http" (the wrk traffic), as evidence that the L7 path was on. Then protocol
# identification throughput on the recorded flows (bench/net_identify_bench.cpp, one
# thread: per core).
# Sides alternate in ROUNDS paired rounds (their order rotates); figures are medians over
# rounds, slowdowns medians of per-round ratios. Rounds during which another Bulkhead
# sensor or flow capture was loaded on the host (tests running beside this, seen with
# bpftool) are left out when at least 3 rounds remain.
# Needs root, runc, jq, ip, nsenter, bpftool (for the check above), the agent's kernel
# support (docs/runtime.md) and the test bed's runtime root file system with iperf3 and wrk
# (tests/testbed/testbed.sh build). Alone:
#   BUILD_DIR=build bench/net_overhead.sh
# Environment (defaults): ROUNDS (5), DURATION (5: seconds per iperf3 and wrk run), PARALLEL
# (4), PIN_CPU (0), WRK_THREADS (2), WRK_CONNECTIONS (32), SUBNET (10.232.0: B is .2, A is .3, /24),
# CTR_PREFIX (bulkhead-bench-net), QUIET_WAIT (10), REPETITIONS (5: net_identify_bench),
# BULKHEAD_BINARY, IDENTIFY_BENCH ($BUILD_DIR/bench/net_identify_bench), RESULTS_DIR
# ($BUILD_DIR/bench-net), KEEP_TMP=1 keeps the temporary directory (event files, graphs,
# logs). bench/README.md has figures.
# jq filters and container shell programs are single-quoted on purpose:
# shellcheck disable=SC2016
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BULKHEAD_SRC="${BULKHEAD_BINARY:-$BUILD_DIR/src/cli/bulkhead}"
IDENTIFY_SRC="${IDENTIFY_BENCH:-$BUILD_DIR/bench/net_identify_bench}"
ENV_FILE="${BULKHEAD_TESTBED_ENV:-${BULKHEAD_TESTBED_DIR:-$HOME/.cache/bulkhead-testbed}/testbed.env}"
RESULTS_DIR="${RESULTS_DIR:-$BUILD_DIR/bench-net}"
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5}"
PARALLEL="${PARALLEL:-4}"
PIN_CPU="${PIN_CPU-0}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-32}"
SUBNET="${SUBNET:-10.232.0}"
CTR_PREFIX="${CTR_PREFIX:-bulkhead-bench-net}"
QUIET_WAIT="${QUIET_WAIT:-10}"
REPETITIONS="${REPETITIONS:-5}"
SERVER_IP="$SUBNET.2" CLIENT_IP="$SUBNET.3"
CTR_A="$CTR_PREFIX-a" CTR_B="$CTR_PREFIX-b" # client, server

die() { echo "net_overhead: $*" >&2; exit 1; }
note() { echo "net_overhead: $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "net_overhead: needs root (eBPF, mounts, network namespaces)" >&2; exit 2; }
for tool in runc jq ip nsenter awk; do
  command -v "$tool" >/dev/null || { echo "net_overhead: $tool is missing" >&2; exit 2; }
done
[ -x "$BULKHEAD_SRC" ] || { echo "net_overhead: no bulkhead binary at $BULKHEAD_SRC (build first)" >&2; exit 2; }
[ -x "$IDENTIFY_SRC" ] || { echo "net_overhead: no net_identify_bench at $IDENTIFY_SRC (build first)" >&2; exit 2; }
[ -f "$ENV_FILE" ] || { echo "net_overhead: no test bed at $ENV_FILE (tests/testbed/testbed.sh build)" >&2; exit 2; }
# shellcheck disable=SC1090
source "$ENV_FILE"
LOWER="${TESTBED_RUNTIME_ROOTFS:-}"
for b in /usr/bin/iperf3 /usr/bin/wrk /usr/sbin/nginx; do
  if [ -z "$LOWER" ] || [ ! -x "$LOWER$b" ]; then
    echo "net_overhead: $ENV_FILE has no runtime root file system with $b (rebuild the test bed)" >&2
    exit 2
  fi
done

TMP="$(mktemp -d /tmp/bulkhead-netbench.XXXXXX)"
STATE="$TMP/state"          # runc --root, watched by the agent
PROFILES="$TMP/profiles"
SAMPLES="$TMP/samples.tsv"  # round  metric  side  value
STATS="$TMP/agent-runs.tsv" # label  dropped  received  events-dropped-lines  alerts
EDGES="$TMP/edges.txt"      # round  the A -> B edges of that round's graph
NETNS="bhnb-$$"             # holds the bridge (tests use bhg-PID and 10.231.x.y)
mkdir -p "$STATE" "$PROFILES"
: >"$SAMPLES"
: >"$STATS"
: >"$EDGES"
AGENT_PID="" AGENT_EV="" AGENT_LOG="" AGENT_LABEL="" NETNS_MADE=0
declare -A MOUNTED=()

cleanup() {
  set +e
  if [ -n "$AGENT_PID" ]; then kill -TERM "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null; fi
  ctr_destroy "$CTR_A"
  ctr_destroy "$CTR_B"
  [ "$NETNS_MADE" = 0 ] || ip netns delete "$NETNS" # the bridge and every veth with it
  if [ -n "${MOUNTED[*]}" ]; then
    note "still mounted: ${!MOUNTED[*]}; leaving $TMP"
  elif [ "${KEEP_TMP:-0}" = 1 ]; then
    note "kept $TMP"
  else
    rm -rf --one-file-system "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The binaries are copied first: the build directory may be rebuilt while this runs.
BULKHEAD="$TMP/bulkhead" IDENTIFY="$TMP/net_identify_bench"
cp "$BULKHEAD_SRC" "$BULKHEAD"
cp "$IDENTIFY_SRC" "$IDENTIFY"

# --- helpers -----------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
# Another Bulkhead agent on the host (tests running beside this) puts every syscall through
# the tracepoint slow path and competes for the 2 cores: rounds that saw more sensors (or
# flow captures) loaded than this script's own agent are marked, and left out of the figures
# when at least 3 other rounds remain.
CONTAM="$TMP/contaminated" # round
: >"$CONTAM"
progs_loaded() { # count of BPF programs named $1
  if command -v bpftool >/dev/null; then
    bpftool -j prog show 2>/dev/null | jq --arg n "$1" '[.[] | select(.name == $n)] | length'
  else echo 0; fi
}
SIDE=""
foreign_agents() {
  local sensors=0 captures=0
  case "$SIDE" in sensor | l4 | l7) sensors=1 ;; graph) sensors=1 captures=1 ;; esac
  (($(progs_loaded handle_exec) > sensors || $(progs_loaded flow_egress) > captures))
}
check_foreign() { if foreign_agents; then echo "$1" >>"$CONTAM"; fi; }
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT))
  while foreign_agents && ((SECONDS < deadline)); do sleep 0.5; done
}
EXCLUDED=""
excluded_for() { echo "$EXCLUDED"; }

rexec() { local id="$1"; shift; runc --root "$STATE" exec "$id" "$@" </dev/null; }

# --- the two containers on a bridge ---------------------------------------------------------
# ctr_create ID ADDRESS PORT WAIT ARGS_JSON [CAPS_JSON]: an overlay over the runtime root
# file system (its own superblock, as for runtime_overhead.sh), `runc create`, WAIT (the
# agent's line about it), then eth0 with ADDRESS/24 in its network namespace whose veth peer
# PORT is on the bridge (as a CNI plugin does it: after create, before start), `runc start`.
ctr_create() {
  local id="$1" address="$2" port="$3" wait="$4" args="$5" caps="${6:-null}" dir="$TMP/$1" pid inside
  mkdir -p "$dir/upper" "$dir/work" "$dir/bundle/rootfs"
  mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$dir/upper,workdir=$dir/work" "$dir/bundle/rootfs"
  MOUNTED[$id]=1
  (cd "$dir/bundle" && runc spec)
  # rlimits dropped: raising RLIMIT_NOFILE needs CAP_SYS_RESOURCE, which root may lack in VMs.
  jq --arg root "$dir/bundle/rootfs" --argjson args "$args" --argjson caps "$caps" '
      .process.args = $args | .process.terminal = false
      | .root = {path: $root, readonly: false} | del(.process.rlimits)
      | if $caps then .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps} else . end' \
    "$dir/bundle/config.json" >"$dir/bundle/config.json.new"
  mv "$dir/bundle/config.json.new" "$dir/bundle/config.json"
  runc --root "$STATE" create --bundle "$dir/bundle" "$id" </dev/null >"$dir/runc.log" 2>&1 ||
    die "runc create $id failed: $(cat "$dir/runc.log")"
  "$wait" "$id"
  pid="$(runc --root "$STATE" state "$id" | jq -r .pid)"
  inside="nsenter --net=/proc/$pid/ns/net"
  ip -n "$NETNS" link add "$port" type veth peer name eth0 netns "$pid"
  ip -n "$NETNS" link set "$port" master br0 up
  $inside ip addr add "$address/24" dev eth0
  $inside ip link set eth0 up
  runc --root "$STATE" start "$id" </dev/null >>"$dir/runc.log" 2>&1 ||
    die "runc start $id failed: $(cat "$dir/runc.log")"
}
ctr_destroy() {
  local id="$1"
  if [ -d "$STATE/$id" ]; then
    runc --root "$STATE" kill "$id" KILL >/dev/null 2>&1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      runc --root "$STATE" delete -f "$id" >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  if [ -n "${MOUNTED[$id]:-}" ]; then
    umount "$TMP/$id/bundle/rootfs" 2>/dev/null || umount -l "$TMP/$id/bundle/rootfs" || return 1
    unset "MOUNTED[$id]"
  fi
}

# --- the agent -----------------------------------------------------------------------------
# agent_start LABEL [GRAPH]: Discover mode, its own event file; with GRAPH, --graph GRAPH.
agent_start() {
  AGENT_EV="$TMP/agent-$1.jsonl"
  AGENT_LOG="$TMP/agent-$1.log"
  AGENT_LABEL="$1"
  local -a with_graph=()
  [ -z "${2:-}" ] || with_graph=(--graph "$2")
  "$BULKHEAD" agent run --profiles "$PROFILES" -o "$AGENT_EV" --runc-root "$STATE" \
    --mode discover --hook-socket "" "${with_graph[@]}" >"$AGENT_LOG" 2>&1 &
  AGENT_PID=$!
  wait_event 'select(.type == "agent" and .action == "started")' "its start"
}
# Waits until a line of the current event file matches a jq filter ($id: a container).
wait_event() {
  local deadline=$((SECONDS + 30))
  until [ -s "$AGENT_EV" ] && jq -R -c --arg id "${3:-}" "fromjson? | $1" "$AGENT_EV" | grep -q .; do
    kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited before $2: $(tail -3 "$AGENT_LOG")"
    ((SECONDS < deadline)) || die "no line for $2 from the agent within 30 s"
    sleep 0.05
  done
}
CONTAINER_STARTED='select(.type == "container" and .action == "started" and .container.id == $id)'
wait_container() { wait_event "$CONTAINER_STARTED" "$1's start" "$1"; }
agent_group() { jq -R -r --arg id "$1" "fromjson? | $CONTAINER_STARTED | .group" "$AGENT_EV" | head -1; }
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
         ($l | map(select(.type == "alert")) | length)] | @tsv' "$AGENT_EV" >>"$STATS"
}
# The graph's edges from A's group to B's group, one compact JSON line each.
graph_edges() {
  jq -c --arg a "$GROUP_A" --arg b "$GROUP_B" \
    '.edges[] | select(.from.group == $a and .to.group == $b)
     | {port, transport, protocol, connections}' "$1"
}
http_connections() { # the A -> B tcp/80 http edge's connections, 0 without one
  jq --arg a "$GROUP_A" --arg b "$GROUP_B" \
    '[.edges[] | select(.from.group == $a and .to.group == $b and .port == 80 and .protocol == "http")
      | .connections] | add // 0' "$1"
}

# a_profile full|l4 MODE: A's profile as learned in the set-up, all of it or its L4 links only
# (no HTTP conditions), in MODE (policy as code: the file is what the agent reads).
a_profile() {
  local f="$PROFILES/$GROUP_A.yaml"
  if [ "$1" = full ]; then cp "$TMP/a-full.yaml" "$f"; else grep -v ' http ' "$TMP/a-full.yaml" >"$f"; fi
  sed -i -E "s/^mode: .*/mode: $2/" "$f"
}

# --- workloads (in A, against B) ---------------------------------------------------------------
iperf_gbps() { # streams [iperf3 options]
  local streams="$1"
  shift
  rexec "$CTR_A" iperf3 -c "$SERVER_IP" -t "$DURATION" -P "$streams" "$@" -J |
    jq -e -r 'if .error then error(.error) else .end.sum_received.bits_per_second / 1e9 end' |
    awk '{ printf "%.3f\n", $1 }'
}
# Requests/s, and errors: socket errors plus non-2xx/3xx responses.
wrk_rps() {
  rexec "$CTR_A" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${DURATION}s" "http://$SERVER_IP/" | awk '
    /^Requests\/sec:/ { rps = $2 }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    END { if (rps == "") exit 1; printf "%s %d\n", rps, err }'
}

note "bulkhead $("$BULKHEAD" --version | awk '{ print $NF }') ($BULKHEAD_SRC), $(runc --version | head -1), kernel $(uname -r), $(nproc) CPUs"
note "test-bed root file system: $LOWER; temporary directory: $TMP"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
T_START=$SECONDS

# --- set-up: the bridge, B then A created with an agent (--graph) running ----------------------
ip netns add "$NETNS"
NETNS_MADE=1
ip -n "$NETNS" link add br0 type bridge
ip -n "$NETNS" link set br0 up
ip -n "$NETNS" link set lo up
DOCKER_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID",
  "CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
agent_start setup "$TMP/graph-setup.json"
# nginx (master + one worker per CPU, its default site) and an iperf3 server; nginx drops
# privileges, hence Docker's default capabilities.
ctr_create "$CTR_B" "$SERVER_IP" vb wait_container \
  '["sh", "-c", "iperf3 -s -D --logfile /tmp/iperf3.log && exec nginx -g \"daemon off;\""]' "$DOCKER_CAPS"
ctr_create "$CTR_A" "$CLIENT_IP" va wait_container '["sleep", "infinity"]'
GROUP_A="$(agent_group "$CTR_A")" GROUP_B="$(agent_group "$CTR_B")"
if [ -z "$GROUP_A" ] || [ -z "$GROUP_B" ]; then die "no group for the containers in $AGENT_EV"; fi
served=0
for _ in $(seq 1 50); do
  if rexec "$CTR_A" curl -sf -o /dev/null --max-time 2 "http://$SERVER_IP/" &&
    rexec "$CTR_A" iperf3 -c "$SERVER_IP" -t 1 >/dev/null 2>&1; then
    served=1
    break
  fi
  sleep 0.2
done
[ "$served" = 1 ] || die "nginx or iperf3 in $CTR_B did not answer from $CTR_A"
# Warm-up (and a check of the graph before spending the rounds).
rexec "$CTR_A" wrk -t1 -c4 -d1s "http://$SERVER_IP/" >/dev/null
agent_stop
SETUP_HTTP="$(http_connections "$TMP/graph-setup.json")"
((SETUP_HTTP > 0)) || die "the set-up graph has no $GROUP_A -> $GROUP_B tcp/80 http edge: $(cat "$TMP/graph-setup.json")"
note "set-up done: groups $GROUP_A (A) and $GROUP_B (B), graph edge tcp/80 http with $SETUP_HTTP connections"
for link in "tcp/80" "tcp/5201" "tcp/80 http GET /"; do
  grep -q "group:$GROUP_B $link" "$PROFILES/$GROUP_A.yaml" ||
    die "A's profile did not learn its link to B $link: $(cat "$PROFILES/$GROUP_A.yaml")"
done
cp "$PROFILES/$GROUP_A.yaml" "$TMP/a-full.yaml"

# --- rounds ----------------------------------------------------------------------------------
declare -A AGENT_TICKS=([sensor]=0 [graph]=0 [l4]=0 [l7]=0) AGENT_WALL=([sensor]=0 [graph]=0 [l4]=0 [l7]=0)
declare -A AGENT_HWM=([sensor]=0 [graph]=0 [l4]=0 [l7]=0)
LINKS_OK=0
HTTP_OK=0
for r in $(seq 1 "$ROUNDS"); do
  SIDE=""
  wait_quiet
  sides=(none sensor graph l4 l7)
  for SIDE in "${sides[@]:$(((r - 1) % 5))}" "${sides[@]:0:$(((r - 1) % 5))}"; do
    graph=""
    if [ "$SIDE" != none ]; then
      [ "$SIDE" != graph ] || graph="$TMP/graph-$r.json"
      [ "$SIDE" != l4 ] || a_profile l4 protect
      [ "$SIDE" != l7 ] || a_profile full protect
      agent_start "$SIDE-$r" "$graph"
      wait_container "$CTR_A"
      wait_container "$CTR_B"
      if [ "$SIDE" = l4 ] || [ "$SIDE" = l7 ]; then
        wait_event 'select(.type == "container" and .action == "links-enforced" and .container.id == $id)' \
          "A's links in force" "$CTR_A"
        pid_a="$(runc --root "$STATE" state "$CTR_A" | jq -r .pid)"
        links_table="$(nsenter --net="/proc/$pid_a/ns/net" nft list table inet bulkhead_links 2>&1 || true)"
        grep -q "tcp dport 5201 accept" <<<"$links_table" ||
          die "round $r: no links table with the tcp/5201 link in A's namespace: $links_table"
        l7_chain="$(nsenter --net="/proc/$pid_a/ns/net" iptables -w -S BULKHEAD-L7 2>/dev/null || true)"
        if [ "$SIDE" = l7 ]; then
          grep -q "dport 80 .*NFQUEUE" <<<"$l7_chain" || die "round $r: no HTTP queue rule in A's namespace: $l7_chain"
        else
          [ -z "$l7_chain" ] || die "round $r: an HTTP queue rule with L4 links only: $l7_chain"
        fi
        LINKS_OK=$((LINKS_OK + 1))
      fi
      c0="$(cpu_ticks "$AGENT_PID")" t0="$(now_ns)"
    fi
    rexec "$CTR_B" sh -c ': >/var/log/nginx/access.log' # not to fill the disk over the rounds
    measure "$r" iperf "$SIDE" iperf_gbps 1
    [ "$PARALLEL" = 0 ] || measure "$r" iperfp "$SIDE" iperf_gbps "$PARALLEL"
    [ -z "$PIN_CPU" ] || measure "$r" iperfpin "$SIDE" iperf_gbps 1 -A "$PIN_CPU,$PIN_CPU"
    measure "$r" "wrk wrkerr" "$SIDE" wrk_rps
    if [ "$SIDE" != none ]; then
      c1="$(cpu_ticks "$AGENT_PID")" t1="$(now_ns)"
      AGENT_TICKS[$SIDE]=$((AGENT_TICKS[$SIDE] + c1 - c0)) AGENT_WALL[$SIDE]=$((AGENT_WALL[$SIDE] + t1 - t0))
      hwm="$(hwm_kb "$AGENT_PID")"
      ((hwm > AGENT_HWM[$SIDE])) && AGENT_HWM[$SIDE]=$hwm
      agent_stop # writes the graph a last time
      [ "$SIDE" != l4 ] && [ "$SIDE" != l7 ] || a_profile full discover
    fi
    if [ -n "$graph" ]; then
      [ -s "$graph" ] || die "round $r: the agent wrote no graph file $graph"
      graph_edges "$graph" | sed "s/^/round $r: /" >>"$EDGES"
      n="$(http_connections "$graph")"
      if ((n >= WRK_CONNECTIONS)); then
        HTTP_OK=$((HTTP_OK + 1))
      else
        note "round $r: the graph's tcp/80 http edge has $n connections, wrk opened $WRK_CONNECTIONS"
      fi
    fi
  done
  note "round $r/$ROUNDS (no agent / sensor / sensor + flow capture / L4 rules / L7 rules) done"
done
SIDE=""
ctr_destroy "$CTR_A"
ctr_destroy "$CTR_B"
T_ROUNDS=$((SECONDS - T_START))

# --- protocol identification throughput (one thread) ----------------------------------------
IDOUT="$TMP/net-identify.json"
"$IDENTIFY" --benchmark_repetitions="$REPETITIONS" --benchmark_report_aggregates_only=true \
  --benchmark_out="$IDOUT" --benchmark_out_format=json >"$TMP/net-identify.txt" 2>&1 ||
  die "net_identify_bench failed: $(tail -3 "$TMP/net-identify.txt")"
# The median's Gbit/s counter (the single run's with REPETITIONS=1).
id_gbps() {
  jq -r --arg n "$1" '[.benchmarks[] | select(.run_name == $n)]
    | (map(select(.aggregate_name == "median")) + map(select(.run_type == "iteration")))
    | first | .["Gbit/s"] // "nan"' "$IDOUT"
}
id_protocols() { # "dns 1.75, grpc 4.53, ..." for the BM_Identify/PROTOCOL benchmarks
  jq -r '[.benchmarks[] | select(.run_name | startswith("BM_Identify/"))
      | select(.aggregate_name == "median" or .run_type == "iteration")
      | {p: (.run_name | ltrimstr("BM_Identify/")), g: .["Gbit/s"]}]
    | group_by(.p) | map("\(.[0].p) \(.[0].g * 100 | round / 100)") | join(", ")' "$IDOUT"
}

# --- report ----------------------------------------------------------------------------------
stat_sum() { awk -v p="$1" -v c="$2" 'index($1, p) == 1 && $c != "nan" { s += $c } END { print s + 0 }' "$STATS"; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf f, v }'; }
# + means slower: more time per byte or per request on the second side (throughputs).
slowdown() {
  awk -v q="$(paired "$1" "$2" "$3" | median)" 'BEGIN { if (q == "nan") print "n/a"; else printf "%+.1f %%", (1 / q - 1) * 100 }'
}
row() { # label metric format
  printf '%-40s %7s %7s %7s %7s %7s %8s %8s %8s %8s %8s\n' "$1" "$(fmt "$(values "$2" none | median)" "$3")" \
    "$(fmt "$(values "$2" sensor | median)" "$3")" "$(fmt "$(values "$2" graph | median)" "$3")" \
    "$(fmt "$(values "$2" l4 | median)" "$3")" "$(fmt "$(values "$2" l7 | median)" "$3")" \
    "$(slowdown "$2" none sensor)" "$(slowdown "$2" none graph)" "$(slowdown "$2" none l4)" \
    "$(slowdown "$2" sensor l4)" "$(slowdown "$2" none l7)"
}
agent_line() { # side label
  awk -v t="${AGENT_TICKS[$1]}" -v hz="$CLK_TCK" -v w="${AGENT_WALL[$1]}" -v hwm="${AGENT_HWM[$1]}" -v l="$2" 'BEGIN {
    printf "agent, %s: CPU %.2f s over %.1f s of workloads (%.1f %% of one CPU); peak RSS (VmHWM) %.1f MiB\n",
      l, t / hz, w / 1e9, 100 * (t / hz) / (w / 1e9), hwm / 1024 }'
}
BAD="$(sort -un "$CONTAM" | tr '\n' ' ')"
(($(wc -w <<<"$BAD") <= ROUNDS - 3)) && EXCLUDED="$BAD"
foreign_note() {
  if ! command -v bpftool >/dev/null; then echo "not checked (no bpftool)"
  elif [ -z "$BAD" ]; then echo "none"
  elif [ -n "$EXCLUDED" ]; then echo "rounds $BAD(left out)"
  else echo "rounds $BAD(kept: fewer than 3 other rounds)"; fi
}
{
  echo "Bulkhead network overhead: bulkhead $("$BULKHEAD" --version | awk '{ print $NF }'), $(runc --version | head -1),"
  echo "kernel $(uname -r), $(nproc) CPUs, load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "$ROUNDS paired rounds, medians; rounds took $T_ROUNDS s."
  echo "A (client, $CLIENT_IP) and B (server, $SERVER_IP: nginx default page, iperf3 -s), runc containers on a"
  echo "Linux bridge (veth, MTU 1500) in a network namespace of the script's own; workloads run in A."
  echo
  echo "sides: (a) no agent; (b) agent, sensor only; (c) agent --graph: sensor + L7 flow capture (cgroup_skb) on A and B;"
  echo "(d) agent, A in Protect: sensor + exec guard + A's learned links as an nftables allow-list in its namespace (L4 rules);"
  echo "(e) as (d) with A's learned HTTP conditions on tcp/80: every request judged by the HTTP gate (L7 rules)"
  echo "slowdown: median of per-round ratios, + = more time per byte or per request"
  printf '%-40s %7s %7s %7s %7s %7s %8s %8s %8s %8s %8s\n' "workload (in A, against B)" "(a)" "(b)" "(c)" "(d)" "(e)" \
    "b vs a" "c vs a" "d vs a" "d vs b" "e vs a"
  row "iperf3 -t $DURATION, 1 stream, Gbit/s" iperf %.2f
  [ "$PARALLEL" = 0 ] || row "iperf3 -t $DURATION -P $PARALLEL, Gbit/s" iperfp %.2f
  [ -z "$PIN_CPU" ] || row "iperf3 -t $DURATION -A $PIN_CPU,$PIN_CPU (one CPU), Gbit/s" iperfpin %.2f
  row "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s, requests/s" wrk %.0f
  echo "goals: L4 rules (d vs a) < 3 %; L7 (c vs a: identification; e vs a: HTTP conditions enforced) < 25 %"
  echo "(d), (e) checked before measuring: A's namespace held the links table, and the HTTP queue rule in (e) only ($LINKS_OK of $((2 * ROUNDS)))"
  echo "wrk errors (socket errors + non-2xx/3xx), all runs: $(awk '$2 == "wrkerr" { s += $4 } END { print s + 0 }' "$SAMPLES")"
  echo "another Bulkhead agent loaded on the host: $(foreign_note)"
  echo
  agent_line sensor "sensor only (b)"
  agent_line graph "sensor + flow capture (c)"
  agent_line l4 "A in Protect, L4 rules (d)"
  agent_line l7 "A in Protect, L7 rules (e)"
  echo "agent runs: events received $(stat_sum "" 3), dropped $(stat_sum "" 2) ($(stat_sum "" 4) events-dropped lines), alerts $(stat_sum "" 5)"
  echo
  echo "graph (c): edges $GROUP_A (A) -> $GROUP_B (B) after each round (wrk: $WRK_CONNECTIONS connections to tcp/80):"
  cat "$EDGES"
  echo "tcp/80 identified as http with >= $WRK_CONNECTIONS connections in $HTTP_OK of $ROUNDS rounds"
  echo
  echo "protocol identification, net_identify_bench (one thread; bytes = the flow samples identify() is given),"
  echo "median of $REPETITIONS repetitions:"
  echo "  BM_IdentifyRecorded (every recorded flow): $(fmt "$(id_gbps BM_IdentifyRecorded)" %.2f) Gbit/s per core (goal >= 1)"
  echo "  BM_IdentifyUnknown (random bytes, every detector says no): $(fmt "$(id_gbps BM_IdentifyUnknown)" %.2f) Gbit/s per core"
  echo "  per protocol (BM_Identify/P, Gbit/s): $(id_protocols)"
  echo
  echo "whole run: $((SECONDS - T_START)) s"
} >"$TMP/table.txt"

mkdir -p "$RESULTS_DIR"
cp "$TMP/table.txt" "$RESULTS_DIR/net-overhead.txt"
cp "$SAMPLES" "$RESULTS_DIR/net-overhead-samples.tsv"
cp "$STATS" "$RESULTS_DIR/net-overhead-agent-runs.tsv"
cp "$IDOUT" "$RESULTS_DIR/net-identify.json"
cp "$TMP/graph-setup.json" "$RESULTS_DIR/net-overhead-graph-setup.json"
echo
cat "$TMP/table.txt"
((HTTP_OK == ROUNDS)) || die "the L7 path was not seen in every round (see the graph lines above)"
