#!/usr/bin/env bash
# Watch slad work: a private Redis, slad with the shipped norms, a local
# webhook sink, and sample ticket events whose deadlines pass within seconds.
#
#   tools/demo.sh               set up, feed events, show what happens for
#                               40 s, then keep following until Ctrl-C
#   tools/demo.sh --once        exit after the 40 s live view
#   tools/demo.sh --seconds N   length of the live view (default 40)
#   tools/demo.sh --no-deps     do not run tools/deps.sh
#   tools/demo.sh --cluster     three slad instances sharing 16 partitions
#                               (lease_ttl 2 s); after the live view one
#                               is killed (SIGKILL) and the others take
#                               over its partitions (slactl cluster)
#
# Everything runs from a temporary folder (mktemp -d): redis-server listens
# only on a Unix socket there (no TCP port; the system Redis is untouched),
# slad's control socket is there too, and the webhook sink listens on
# 127.0.0.1:8089, where the receivers of conf/slad.conf post. Ctrl-C (or the
# end of --once) stops everything the script started and removes the folder.
#
# "Compressed time": each event carries a `ts` in the past, so a 30-second,
# 10-minute or 1-hour target runs out a few seconds after the event is fed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

once=0
deps=1
cluster=0
PARTS=16
view_seconds=40
SINK_PORT=8089
PY=/usr/bin/python3

usage() { sed -n '2,23s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($# > 0)); do
    case "$1" in
        --once) once=1 ;;
        --no-deps) deps=0 ;;
        --cluster) cluster=1 ;;
        --seconds)
            (($# >= 2)) || { echo "demo.sh: --seconds needs a number" >&2; exit 2; }
            view_seconds=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "demo.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

# Bold headings only on a terminal, and not when NO_COLOR is set
# (no-color.org): piped into a file or a CI log, the output stays plain text.
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    BOLD=$'\033[1m' PLAIN=$'\033[0m'
else
    BOLD="" PLAIN=""
fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

# --- clean-up: stop what we started, newest first, then remove the folder ---
TMP=""
PIDS=()
cleaned=0
cleanup() {
    ((cleaned)) && return
    cleaned=1
    local i pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$TMP" && -d "$TMP" ]]; then
        rm -rf -- "$TMP"
    fi
}
trap cleanup EXIT
trap 'echo; echo "demo.sh: stopping"; exit 130' INT
trap 'exit 143' TERM

# --- 1. dependencies and build -------------------------------------------------
if ((deps)); then
    say "Installing what is missing (tools/deps.sh)"
    bash "$ROOT/tools/deps.sh"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slad-demo.XXXXXX")

say "Building slad (./build; log: $TMP/build.log)"
targets=(slad)
[[ -f "$ROOT/tools/slactl.c" ]] && targets+=(slactl)
if ! { cmake -S "$ROOT" -B "$ROOT/build" &&
       cmake --build "$ROOT/build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"
     } >"$TMP/build.log" 2>&1; then
    tail -40 "$TMP/build.log" >&2
    die "the build failed"
fi
SLAD=$ROOT/build/slad
SLACTL=$ROOT/build/slactl
[[ -x "$SLAD" ]] || die "build/slad was not built (is daemon/ complete?)"
[[ -f "$ROOT/conf/slad.conf" ]] || die "conf/slad.conf is missing"

REDIS_SOCK=$TMP/redis.sock
CTL_SOCK=$TMP/slad.sock
CONF=$TMP/slad.conf
RECORD=$TMP/webhooks.jsonl

# --- 2. private redis-server: Unix socket only, nothing saved -----------------
say "Starting a private redis-server on $REDIS_SOCK"
# setsid: Ctrl-C reaches only this script, which then stops slad before
# the sink and Redis, in that order.
setsid redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
    --dir "$TMP" --save "" --appendonly no --daemonize no \
    --logfile "$TMP/redis.log" &
PIDS+=($!)
for _ in $(seq 100); do
    [[ "$(redis-cli -s "$REDIS_SOCK" PING 2>/dev/null)" == PONG ]] && break
    sleep 0.1
done
[[ "$(redis-cli -s "$REDIS_SOCK" PING 2>/dev/null)" == PONG ]] ||
    die "redis-server did not start: $(tail -5 "$TMP/redis.log" 2>/dev/null)"
rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }

# --- 3. webhook sink ---------------------------------------------------------------
say "Starting the webhook sink on 127.0.0.1:$SINK_PORT"
setsid "$PY" "$ROOT/tools/webhook_sink.py" --port "$SINK_PORT" --record "$RECORD" \
    >"$TMP/sink.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
    grep -q 'listening on' "$TMP/sink.log" 2>/dev/null && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
done
grep -q 'listening on' "$TMP/sink.log" ||
    die "webhook sink did not start (port $SINK_PORT in use?): $(cat "$TMP/sink.log")"

# --- 4. demo configuration: the shipped one, with private sockets -------------
# conf/slad.conf is copied with its redis and control blocks replaced. The
# other files of conf/ (norms.conf, any secret file) are linked beside the
# copy, so that its relative @include and paths resolve as in conf/. (An
# absolute @include would not do: libconfig 1.5 prefixes the include folder
# even to absolute paths.)
say "Writing $CONF from conf/slad.conf"
for f in "$ROOT"/conf/*; do
    [[ "$(basename "$f")" == slad.conf ]] || ln -s "$f" "$TMP/$(basename "$f")"
done
awk -v redis_block="redis = { unix_socket = \"$REDIS_SOCK\"; };  # demo: private redis-server" \
    -v control_block="control = { socket = \"$CTL_SOCK\"; };  # demo: private control socket" '
    function delta(s,   o, c) { o = gsub(/\{/, "{", s); c = gsub(/\}/, "}", s); return o - c }
    skip { depth += delta($0); if (depth <= 0) skip = 0; next }
    /^[ \t]*redis[ \t]*[=:][ \t]*\{/ {
        print redis_block; seen_redis = 1
        depth = delta($0); skip = depth > 0; next
    }
    /^[ \t]*control[ \t]*[=:][ \t]*\{/ {
        print control_block; seen_control = 1
        depth = delta($0); skip = depth > 0; next
    }
    { print }
    END {
        if (!seen_redis) print redis_block
        if (!seen_control) print control_block
    }' "$ROOT/conf/slad.conf" >"$CONF"
grep -nE '^[[:space:]]*(redis|control) =|^@include' "$CONF" | sed 's/^/    /'

prefix=$(sed -nE 's/^[[:space:]]*prefix[[:space:]]*[=:][[:space:]]*"([^"]*)".*/\1/p' "$CONF" | head -1)
prefix=${prefix:-sla:}
EVENTS=${prefix}events
ESCALATIONS=${prefix}escalations
DEAD=${prefix}dead

if ! "$SLAD" --check-config -c "$CONF" >"$TMP/check.log" 2>&1; then
    cat "$TMP/check.log" >&2
    die "slad --check-config rejected the demo configuration"
fi

# --- 5. slad -------------------------------------------------------------------
# The partition of an id (README "Partitions"): FNV-1a 32 of its bytes.
partition_of() {
    local id=$1 h=2166136261 i c
    for ((i = 0; i < ${#id}; i++)); do
        printf -v c '%d' "'${id:i:1}"
        h=$(( ((h ^ (c & 255)) * 16777619) & 0xFFFFFFFF ))
    done
    echo $((h % PARTS))
}
# stream_of ID: the input stream of ID's events.
stream_of() {
    if ((cluster)); then echo "${prefix}{p$(partition_of "$1")}:events"; else echo "$EVENTS"; fi
}

SLAD_PIDS=()
if ((cluster)); then
    for i in 1 2 3; do
        sed -e "s/^partitions = 1;/partitions = $PARTS;/" \
            -e "s|^  lease_ttl = \"5s\";|  name = \"demo-$i\"; lease_ttl = \"2s\";|" \
            -e "s|$CTL_SOCK|$TMP/slad-$i.sock|" \
            -e 's|^  listen = "127.0.0.1:9464";|  listen = "";|' "$CONF" >"$TMP/slad-$i.conf"
        grep -q "name = \"demo-$i\"" "$TMP/slad-$i.conf" ||
            die "conf/slad.conf has no 'lease_ttl = \"5s\";' line in its instance block to set"
        say "Starting slad instance demo-$i -c $TMP/slad-$i.conf (log: $TMP/slad-$i.log)"
        setsid "$SLAD" -c "$TMP/slad-$i.conf" >"$TMP/slad-$i.log" 2>&1 &
        SLAD_PIDS+=($!)
        PIDS+=($!)
    done
    SLAD_PID=${SLAD_PIDS[0]}
    CTL_SOCK=$TMP/slad-1.sock
    # Feed once every partition has its group, so that no event predates it.
    for _ in $(seq 100); do
        n=0
        for ((p = 0; p < PARTS; p++)); do
            rcli XINFO GROUPS "${prefix}{p$p}:events" 2>/dev/null | grep -q . && n=$((n + 1))
        done
        ((n == PARTS)) && break
        sleep 0.2
    done
    for i in 0 1 2; do
        kill -0 "${SLAD_PIDS[i]}" 2>/dev/null || { cat "$TMP/slad-$((i + 1)).log" >&2;
                                                   die "slad demo-$((i + 1)) exited at start"; }
    done
    grep -h 'partition [0-9]*: started' "$TMP"/slad-?.log | sed 's/^/    slad: /'
else
    say "Starting slad -c $CONF (log: $TMP/slad.log)"
    setsid "$SLAD" -c "$CONF" >"$TMP/slad.log" 2>&1 &
    SLAD_PID=$!
    PIDS+=("$SLAD_PID")
    # Feed only once slad's consumer group exists, so that no event predates it.
    for _ in $(seq 100); do
        rcli XINFO GROUPS "$EVENTS" 2>/dev/null | grep -q . && break
        kill -0 "$SLAD_PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$SLAD_PID" 2>/dev/null; then
        cat "$TMP/slad.log" >&2
        die "slad exited at start"
    fi
    sed 's/^/    slad: /' "$TMP/slad.log"
fi

# --- 6. sample ticket events -----------------------------------------------------
if ((cluster)); then
    say "Feeding sample ticket events into each one's partition stream (timestamps in the past)"
else
    say "Feeding sample ticket events into $EVENTS (timestamps in the past)"
fi
now=$(date +%s%3N)
ago() { echo $((now - $1)); }   # ms timestamp, $1 ms before now

# feed NOTE FIELD VALUE...: one XADD, printed as a producer would send it.
feed() {
    local note=$1 stream=$EVENTS
    shift
    # the ticket's (or customer's) partition with --cluster
    if ((cluster)) && [[ "$1" == ticket || "$1" == customer ]]; then stream=$(stream_of "$2"); fi
    printf '  XADD %s * %s\n' "$stream" "$*"
    printf '      -> %s\n' "$note"
    rcli XADD "$stream" '*' "$@" >/dev/null
}

feed "chat, first reply due in 30 s: breach in ~5 s, delay reminder at once" \
    ticket T-1001 type ticket.opened channel chat customer c-17 \
    subject "Where is my parcel?" ts "$(ago 25000)"
feed "chat answered in time: no escalation expected" \
    ticket T-1002 type ticket.opened channel chat customer c-18 ts "$(ago 20000)"
feed "the reply" ticket T-1002 type agent.reply by agent-7 ts "$(ago 5000)"
feed "phone ringing, 3 rings (15 s) to answer: breach in ~5 s" \
    ticket T-2001 type call.ringing channel phone customer +86-10-5555 ts "$(ago 10000)"
feed "call ringing then abandoned before the target: breach at once" \
    ticket T-2002 type call.ringing channel phone ts "$(ago 4000)"
feed "the caller hangs up" ticket T-2002 type call.abandoned ts "$(ago 1000)"
feed "social media post, 10 min to respond: breach in ~10 s" \
    ticket T-3001 type ticket.opened channel social url https://social.example/p/42 \
    ts "$(ago $((600000 - 10000)))"
feed "email complaint, 1 h to first reply: warning now (late), breach in ~15 s" \
    ticket T-4001 type ticket.opened channel email category complaint ts "$(ago $((3600000 - 15000)))"
feed "high priority, first contact within 15 min: breach in ~20 s" \
    ticket T-5001 type ticket.opened channel email priority high ts "$(ago $((900000 - 20000)))"
feed "important (amount > 1000), opened 31 min ago: escalations fire at once, late" \
    ticket T-6001 type ticket.opened channel email amount 2500 ts "$(ago 1860000)"
feed "VIP customer, last revisited 30 days less 8 s ago: the monthly revisit breaches in ~8 s" \
    customer c-17 type customer.updated tier vip owner alice ts "$(ago $((30 * 86400000 - 8000)))"
feed "renewal in 10 days: the 15-days-ahead reminder fires at once (late); its webhook to team_lead waits for Shanghai working hours" \
    customer c-18 type customer.updated tier ordinary renewal "$(( now + 10 * 86400000 ))"
feed "bad event (no ticket): goes to $DEAD" type ticket.opened channel chat
feed "bad event (unknown type): goes to $DEAD" ticket T-9999 type ticket.teleported

# --- 7. live view ------------------------------------------------------------------
cat >"$TMP/view.py" <<'PYEOF'
import json, sys, time, datetime
import redis

# view.py SOCKET STREAM[,STREAM...] SINK_LOG SECONDS STATE_FILE (0 seconds: until Ctrl-C)
sock, streams, sink_log, state_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
seconds = float(sys.argv[4])
r = redis.Redis(unix_socket_path=sock, decode_responses=True)
try:
    with open(state_file) as fh:
        last, sink_pos = json.load(fh)
except (OSError, ValueError):
    last, sink_pos = {}, 0
last = {s: last.get(s, "0-0") for s in streams.split(",")}
shown = 0

def hhmmss(ms):
    try:
        t = datetime.datetime.fromtimestamp(int(ms) / 1000)
        return t.strftime("%H:%M:%S.") + "%03d" % (int(ms) % 1000)
    except (TypeError, ValueError):
        return "?"

def late(ms):
    try:
        ms = int(ms)
    except (TypeError, ValueError):
        return ""
    if ms <= 0:
        return "on time"
    return "late %dms" % ms if ms < 1000 else "late %.1fs" % (ms / 1000)

print("%-12s %-10s %-8s %-16s %-5s %-12s %s" %
      ("fired", "kind", "subject", "metric", "level", "receiver", "late"))
end = time.monotonic() + seconds if seconds > 0 else None
try:
    while end is None or time.monotonic() < end:
        for stream, entries in r.xread(last, count=200, block=1000) or []:
            for entry_id, f in entries:
                last[stream] = entry_id
                shown += 1
                print("%-12s %-10s %-8s %-16s %-5s %-12s %s" % (
                    hhmmss(f.get("fired_ms")), f.get("kind", "?"),
                    f.get("ticket") or f.get("customer", "?"),
                    f.get("metric", "?"), f.get("level", "?"), f.get("receiver", "-"),
                    late(f.get("late_ms"))), flush=True)
        try:
            with open(sink_log, encoding="utf-8", errors="replace") as fh:
                fh.seek(sink_pos)
                for line in fh:
                    if "listening on" not in line:
                        print("    -> " + line.rstrip().replace("webhook_sink: ", "webhook "),
                              flush=True)
                sink_pos = fh.tell()
        except OSError:
            pass
except KeyboardInterrupt:
    pass
except redis.exceptions.ConnectionError:
    print("(redis went away)")
print("(%d escalation records shown)" % shown)
with open(state_file, "w") as fh:
    json.dump([last, sink_pos], fh)
PYEOF

OUTBOXES=$ESCALATIONS
if ((cluster)); then
    OUTBOXES=$(for ((p = 0; p < PARTS; p++)); do printf '%s{p%d}:escalations,' "$prefix" "$p"; done)
    OUTBOXES=${OUTBOXES%,}
fi
say "Live view for ${view_seconds} s: the escalation records, then what the webhook sink received"
"$PY" "$TMP/view.py" "$REDIS_SOCK" "$OUTBOXES" "$TMP/sink.log" "$view_seconds" "$TMP/view.state" || true

# --- 8. what slad says about it ------------------------------------------------------
say "Dead-lettered input ($DEAD)"
"$PY" - "$REDIS_SOCK" "$DEAD" <<'PYEOF' || true
import sys, redis
r = redis.Redis(unix_socket_path=sys.argv[1], decode_responses=True)
rows = r.xrange(sys.argv[2])
for entry_id, f in rows:
    print("  %s reason=%s detail=%s" % (entry_id, f.get("dead.reason"), f.get("dead.detail", "")))
print("  (%d entries)" % len(rows))
PYEOF

if [[ -x "$SLACTL" ]] && ((cluster)); then
    say "slactl -s $CTL_SOCK cluster: three instances share the partitions"
    "$SLACTL" -s "$CTL_SOCK" cluster || true
    say "slactl -s $CTL_SOCK ticket T-1001 (any instance answers)"
    "$SLACTL" -s "$CTL_SOCK" ticket T-1001 || true
    say "SIGKILL to demo-2 (pid ${SLAD_PIDS[1]}): its leases expire within 2 s"
    kill -KILL "${SLAD_PIDS[1]}"
    wait "${SLAD_PIDS[1]}" 2>/dev/null || true
    sleep 3
    say "slactl -s $CTL_SOCK cluster: demo-1 and demo-3 took its partitions over"
    "$SLACTL" -s "$CTL_SOCK" cluster || true
    say "slactl -s $CTL_SOCK status"
    "$SLACTL" -s "$CTL_SOCK" status || true
elif [[ -x "$SLACTL" ]]; then
    say "slactl -s $CTL_SOCK status"
    "$SLACTL" -s "$CTL_SOCK" status || true
    say "slactl -s $CTL_SOCK breached"
    "$SLACTL" -s "$CTL_SOCK" breached || true
    say "slactl -s $CTL_SOCK customer c-17"
    "$SLACTL" -s "$CTL_SOCK" customer c-17 || true
else
    say "build/slactl is not built yet: skipping 'slactl status' and 'slactl breached'"
fi

kill -0 "$SLAD_PID" 2>/dev/null || { sed 's/^/    slad: /' "$TMP/slad.log"; die "slad has exited"; }

if ((once)); then
    say "Done (--once): stopping slad, the webhook sink and redis-server"
    exit 0
fi

say "Still running (slad pid $SLAD_PID, files in $TMP). Following new records; Ctrl-C stops everything."
echo "    try: redis-cli -s $REDIS_SOCK XADD $(stream_of T-7) '*' ticket T-7 type ticket.opened channel chat ts $(date +%s%3N)"
"$PY" "$TMP/view.py" "$REDIS_SOCK" "$OUTBOXES" "$TMP/sink.log" 0 "$TMP/view.state" || true
