#!/usr/bin/env bash
# shellcheck disable=SC2317  # the step functions are called through run_step
# Install what is missing, build slad and run the whole test suite.
#
#   tools/test.sh               deps, build (./build), ctest; then a second
#                               build (./build-asan) with ASan+UBSan and the
#                               whole ctest again under the sanitizers
#   tools/test.sh --quick       skip the sanitizer pass
#   tools/test.sh --valgrind    also run the unit tests under valgrind memcheck
#   tools/test.sh -L LABEL      only tests with this ctest label (unit,
#                               integration, ...); -R REGEX likewise
#   tools/test.sh -j N          ctest parallelism (default 2)
#   tools/test.sh --no-deps     do not run tools/deps.sh
#
# Works from any directory. Exits non-zero when any step fails; every pass
# runs even after an earlier one failed, and a summary closes the output.
# The integration tests start their own redis-server (it must be on PATH).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 1

quick=0
valgrind=0
deps=1
jobs=2
ctest_filter=()

usage() { sed -n '3,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($# > 0)); do
    case "$1" in
        --quick) quick=1 ;;
        --valgrind) valgrind=1 ;;
        --no-deps) deps=0 ;;
        -L|-R|-LE|-E)
            (($# >= 2)) || { echo "test.sh: $1 needs an argument" >&2; exit 2; }
            ctest_filter+=("$1" "$2"); shift ;;
        -j)
            (($# >= 2)) || { echo "test.sh: -j needs a number" >&2; exit 2; }
            jobs=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "test.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

build_jobs=$(nproc 2>/dev/null || echo 2)

# --- bookkeeping for the closing summary -----------------------------------
steps=()
failed=0

# run_step NAME COMMAND...: run, time and record one step.
run_step() {
    local name=$1 start rc
    shift
    printf '\n==== %s ====\n' "$name"
    start=$SECONDS
    "$@"
    rc=$?
    if ((rc == 0)); then
        steps+=("$(printf 'ok      %-28s %5ds' "$name" $((SECONDS - start)))")
    else
        steps+=("$(printf 'FAILED  %-28s %5ds  (exit %d)' "$name" $((SECONDS - start)) "$rc")")
        failed=1
    fi
    return "$rc"
}

skip_step() {
    steps+=("$(printf 'skipped %-28s        (%s)' "$1" "$2")")
}

summary() {
    printf '\n==== test.sh summary ====\n'
    printf '  %s\n' "${steps[@]}"
    if ((failed)); then
        echo "test.sh: FAILED"
    else
        echo "test.sh: all steps succeeded"
    fi
    # The closing line: every ctest run of this invocation, added up.
    echo "tests: $total_passed passed, $total_failed failed"
}

# --- the steps ---------------------------------------------------------------
configure_and_build() {
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$ROOT/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSLA_WERROR=ON "$@" &&
        cmake --build "$ROOT/$dir" -j "$build_jobs"
}

total_passed=0
total_failed=0

# run_ctest DIR: the whole suite of one build; its counts go to the summary.
run_ctest() {
    local dir=$1 log rc line
    log=$(mktemp)
    ctest --test-dir "$ROOT/$dir" --output-on-failure --no-tests=error \
        -j "$jobs" "${ctest_filter[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # "97% tests passed, 1 tests failed out of 25"
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    rm -f "$log"
    if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
        total_failed=$((total_failed + BASH_REMATCH[1]))
        total_passed=$((total_passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
    elif ((rc == 0)); then
        rc=1 # ctest said nothing countable: treat as a failure
    fi
    return "$rc"
}

# Each unit test, exactly as ctest registered it (command, environment,
# working directory), under valgrind memcheck. Any error or definite leak
# fails the test.
run_valgrind() {
    local dir=$1
    ctest --test-dir "$ROOT/$dir" -L unit --show-only=json-v1 |
        /usr/bin/python3 -c '
import json, os, subprocess, sys
tests = json.load(sys.stdin).get("tests", [])
vg = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
      "--track-origins=yes", "--quiet"]
failed = []
for t in tests:
    env = dict(os.environ)
    cwd = None
    for p in t.get("properties", []):
        if p["name"] == "ENVIRONMENT":
            for kv in p["value"]:
                k, _, v = kv.partition("=")
                env[k] = v
        elif p["name"] == "WORKING_DIRECTORY":
            cwd = p["value"]
    print("valgrind:", t["name"], flush=True)
    rc = subprocess.call(vg + t["command"], env=env, cwd=cwd)
    if rc != 0:
        print("valgrind: %s FAILED (exit %d)" % (t["name"], rc), flush=True)
        failed.append(t["name"])
print("valgrind: %d unit tests, %d failed%s" % (len(tests), len(failed),
      (": " + " ".join(failed)) if failed else ""))
sys.exit(1 if failed or not tests else 0)
'
}

if ((deps)); then
    run_step "deps" bash "$ROOT/tools/deps.sh" || { summary; exit 1; }
fi

if run_step "build (build)" configure_and_build build; then
    run_step "ctest (build)" run_ctest build
else
    skip_step "ctest (build)" "build failed"
fi

if ((quick)); then
    skip_step "build (build-asan)" "--quick"
    skip_step "ctest (build-asan)" "--quick"
elif run_step "build (build-asan)" configure_and_build build-asan -DSLA_SANITIZE=ON; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        run_step "ctest (build-asan)" run_ctest build-asan
else
    skip_step "ctest (build-asan)" "build failed"
fi

if ((valgrind)); then
    if [[ -f "$ROOT/build/CTestTestfile.cmake" ]]; then
        run_step "valgrind unit (build)" run_valgrind build
    else
        skip_step "valgrind unit (build)" "no build"
        failed=1
    fi
fi

summary
exit "$failed"
