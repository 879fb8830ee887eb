#!/usr/bin/env bash
# `cmake --install` into a temporary DESTDIR, twice, with the operator's
# edit in between (ctest package.install; label "package").
#
#   test_install.sh BUILD_DIR
#
# First install: every file of README's Install table is there, slad.conf
# is 0640 and notifies nobody (no 127.0.0.1:8089, receivers on
# unconfigured.invalid) and passes the installed slad's --check-config.
# Then slad.conf is edited and the install repeated: the edit must survive,
# the shipped version must land beside it as slad.conf.new (same mode) with
# a notice, and the untouched norms.conf must get no .new.
set -uo pipefail

build=${1:?usage: test_install.sh BUILD_DIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/slad-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
mode() { stat -c %a "$1"; }

root=$tmp/root
log=$tmp/install.log
install_once() {
    DESTDIR=$root cmake --install "$build" --prefix /usr >"$log" 2>&1
    local rc=$?
    cat "$log"
    return "$rc"
}

conf=$root/etc/slad
check "first install succeeds" install_once
for f in usr/sbin/slad usr/bin/slactl etc/slad/slad.conf etc/slad/norms.conf \
         usr/lib/systemd/system/slad.service usr/lib/sysusers.d/slad.conf \
         usr/share/man/man1/slactl.1 usr/share/man/man5/slad.conf.5 \
         usr/share/man/man8/slad.8; do
    check "installed: /$f" test -f "$root/$f"
done
check "slad.conf is 0640 (it holds receiver URLs)" test "$(mode "$conf/slad.conf")" = 640
check "norms.conf is 0644" test "$(mode "$conf/norms.conf")" = 644
check "installed slad.conf does not post to the demo sink" \
    bash -c '! grep -n "127\.0\.0\.1:8089" "$1"' _ "$conf/slad.conf"
check "installed receivers point at unconfigured.invalid" \
    test "$(grep -c 'url = "https://unconfigured\.invalid/' "$conf/slad.conf")" = 4
check "installed slad --check-config accepts the installed slad.conf" \
    "$root/usr/sbin/slad" --check-config -c "$conf/slad.conf"

shipped=$(cat "$conf/slad.conf")
printf '\n# edited by the operator\n' >>"$conf/slad.conf"
edited=$(cat "$conf/slad.conf")

check "second install succeeds" install_once
check "the edited slad.conf is kept" test "$(cat "$conf/slad.conf")" = "$edited"
check "the shipped slad.conf is installed as slad.conf.new" \
    test "$(cat "$conf/slad.conf.new" 2>/dev/null)" = "$shipped"
check "slad.conf.new is 0640" test "$(mode "$conf/slad.conf.new" 2>/dev/null)" = 640
check "a notice names the kept file" \
    grep -q "kept $conf/slad.conf .*slad.conf.new" "$log"
check "the untouched norms.conf gets no .new" test ! -e "$conf/norms.conf.new"
check "the kept slad.conf still loads" \
    "$root/usr/sbin/slad" --check-config -c "$conf/slad.conf"

if ((fails)); then
    echo "test_install: $fails check(s) failed"
    exit 1
fi
echo "test_install: all checks passed"
