# Helpers shared by the benchmark scripts that run workloads in paired rounds (sourced).
# The sourcing script defines:
#   die MESSAGE          report and exit
#   check_foreign ROUND  mark ROUND when something foreign (another agent) ran beside it
#   excluded_for METRIC  the rounds left out of METRIC's figures, space-separated
# and sets SAMPLES, the file samples go to: "round metric side value" lines.
# shellcheck shell=bash

now_ns() { date +%s%N; }
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# measure ROUND "METRIC..." SIDE COMMAND...: one sample; the command prints one figure per
# metric.
measure() {
  local r="$1" side="$3" out m v
  local -a metrics figures
  read -ra metrics <<<"$2"
  shift 3
  check_foreign "$r"
  out="$("$@")" || die "round $r: ${metrics[*]} ($side) failed: $out"
  check_foreign "$r"
  read -ra figures <<<"$out"
  [ "${#figures[@]}" = "${#metrics[@]}" ] || die "round $r: ${metrics[*]} ($side): got '$out'"
  for m in "${!metrics[@]}"; do
    v="${figures[$m]}"
    [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "round $r: no figure for ${metrics[$m]} ($side): $out"
    echo "$r ${metrics[$m]} $side $v" >>"$SAMPLES"
  done
}
# values METRIC SIDE: the metric's values on that side over the rounds kept.
values() {
  awk -v m="$1" -v s="$2" -v ex=" $(excluded_for "$1") " \
    '$2 == m && $3 == s && index(ex, " " $1 " ") == 0 { print $4 }' "$SAMPLES"
}
# paired METRIC SIDE-A SIDE-B [ratio|diff]: per round kept, b/a (default) or b-a.
paired() {
  awk -v m="$1" -v a="$2" -v b="$3" -v op="${4:-ratio}" -v ex=" $(excluded_for "$1") " '
    index(ex, " " $1 " ") { next }
    $2 == m && $3 == a { x[$1] = $4 } $2 == m && $3 == b { y[$1] = $4 }
    END { for (r in x) if (r in y) { if (op != "ratio") print y[r] - x[r]; else if (x[r] > 0) print y[r] / x[r] } }' "$SAMPLES"
}
# A process's CPU time (user + system, clock ticks) and peak resident memory (KiB).
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
CLK_TCK="$(getconf CLK_TCK)"
