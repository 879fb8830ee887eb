#!/usr/bin/env bash
# perf_phase.sh — profile slad during one phase of slabench.
#
#   tools/bench/perf_phase.sh PHASE OUT.data [slabench options...]
#
# PHASE is ingest, restart, lateness, delivery or catchup. Runs
# build/slabench (or $SLABENCH) with the given options, follows its progress
# lines on stderr, and records `perf record -g` of the slad process from the
# start to the end of that phase (PERF_OPTS replaces "-g -F 999", e.g.
# "--call-graph dwarf -F 499"). Then:
#
#   perf report -i OUT.data --no-children --percent-limit 1 --stdio
#
# Build slad with frame pointers for useful call graphs:
#   cmake -S . -B build-prof -DCMAKE_C_FLAGS=-fno-omit-frame-pointer
#   cmake --build build-prof -j && SLABENCH=build-prof/slabench tools/bench/perf_phase.sh ...
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
phase=$1 out=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=${SLABENCH:-$here/build/slabench}

# Progress lines of slabench that open and close each phase. For restart
# the slad to profile is the one spawned after the opening line.
case $phase in
ingest)   start='^slabench: ceiling:';          stop='^slabench: slad:' ;;
restart)  start='^slabench: memory:';           stop='^slabench: restart:' ;;
lateness) start='^slabench: due tickets: .* in slad'; stop='^slabench: lateness of' ;;
delivery) start='^slabench: past-due tickets:'; stop='^slabench: delivery:' ;;
catchup)  start='^slabench: catch-up: slad started'; stop='^slabench: catch-up: ready' ;;
*) echo "perf_phase.sh: unknown phase '$phase'" >&2; exit 2 ;;
esac

work=$(mktemp -d)
perf_pid=
bench_pid=
cleanup() {
    [[ -n $perf_pid ]] && kill -INT "$perf_pid" 2>/dev/null && wait "$perf_pid" 2>/dev/null || true
    [[ -n $bench_pid ]] && kill "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

: >"$work/err"
"$bench" "$@" >"$work/out" 2>"$work/err" &
bench_pid=$!

# The slad child of slabench, other than $1 (empty: any).
slad_child() {
    local p
    for p in $(pgrep -P "$bench_pid" -x slad || true); do
        [[ $p != "${1:-}" ]] && { echo "$p"; return; }
    done
}

wait_line() { # pattern, seconds
    local i
    for ((i = 0; i < $2 * 100; i++)); do
        grep -qE "$1" "$work/err" && return 0
        kill -0 "$bench_pid" 2>/dev/null || { cat "$work/err" >&2; return 1; }
        sleep 0.01
    done
    echo "perf_phase.sh: no line /$1/ within $2 s" >&2
    return 1
}

wait_line "$start" 900
old=
[[ $phase == restart ]] && old=$(slad_child)
pid=
for ((i = 0; i < 2000; i++)); do
    pid=$(slad_child "$old")
    [[ -n $pid ]] && break
    sleep 0.005
done
[[ -n $pid ]] || { echo "perf_phase.sh: no slad process found" >&2; exit 1; }
perf record ${PERF_OPTS:--g -F 999} -p "$pid" -o "$out" 2>"$work/perf.err" &
perf_pid=$!
wait_line "$stop" 900
kill -INT "$perf_pid"
wait "$perf_pid" || true
perf_pid=
wait "$bench_pid" || true
bench_pid=
cat "$work/err" >&2
cat "$work/out"
echo "perf data of slad (pid $pid) during '$phase': $out" >&2
