#!/usr/bin/env bash
# The Debian package, built from this tree and checked from outside
# (ctest package.deb; label "package").
#
#   test_deb.sh SOURCE_DIR OUT_DIR
#
# Builds the package once with tools/build-deb.sh --lintian (nocheck,
# parallel=2; lintian errors and warnings fail it), then checks:
#   dpkg-deb -I   name, version (= CMakeLists.txt), the sysusers dependency,
#                 the conffiles list, postinst (group slad, unit enabled,
#                 not started);
#   dpkg-deb -c   the binaries, unit, sysusers file, man pages, and
#                 /etc/slad/slad.conf mode 0640;
#   dpkg-deb -x   into a temporary root: the packaged slad accepts the
#                 packaged slad.conf, which notifies nobody; the man pages
#                 format without warnings (test_man.py);
#   an install    when run as root where a private mount namespace and
#                 overlayfs are allowed: dpkg -i in a chroot over an overlay
#                 of / (the real system is not touched; systemd does not
#                 run there): user, group, modes, enabled unit; then an
#                 edited slad.conf survives reinstalling; then purge.
#                 Otherwise that part says why it was skipped.
# Exits 77 (ctest: skipped) only when dpkg-buildpackage is missing.
set -uo pipefail

src=${1:?usage: test_deb.sh SOURCE_DIR OUT_DIR}
out=${2:?usage: test_deb.sh SOURCE_DIR OUT_DIR}
if ! command -v dpkg-buildpackage >/dev/null; then
    echo "SKIPPED: dpkg-buildpackage not found (tools/deps.sh installs dpkg-dev, debhelper, lintian)"
    exit 77
fi

fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/slad-debtest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

rm -rf "$out"
start=$SECONDS
DEB_BUILD_OPTIONS="nocheck parallel=2" "$src/tools/build-deb.sh" --lintian "$out" \
    >"$tmp/build.log" 2>&1
rc=$?
if ((rc != 0)); then
    tail -60 "$tmp/build.log"
    echo "FAIL tools/build-deb.sh --lintian (exit $rc)"
    exit 1
fi
sed -n '/build-deb.sh: lintian/,$p' "$tmp/build.log"
deb=$(tail -1 "$tmp/build.log")
ok "built and lintian-clean in $((SECONDS - start)) s: $deb"

version=$(sed -n 's/^project(slad VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
check "Package: slad" test "$(dpkg-deb -f "$deb" Package)" = slad
check "Version $version, as CMakeLists.txt" test "$(dpkg-deb -f "$deb" Version)" = "$version"
check "Depends on a systemd-sysusers" \
    grep -q 'systemd | systemd-standalone-sysusers' <<<"$(dpkg-deb -f "$deb" Depends)"

dpkg-deb -e "$deb" "$tmp/control"
check "conffiles: exactly /etc/slad/norms.conf and /etc/slad/slad.conf" \
    test "$(sort "$tmp/control/conffiles")" = "$(printf '/etc/slad/norms.conf\n/etc/slad/slad.conf')"
post=$tmp/control/postinst
check "postinst passes sh -n" sh -n "$post"
check "postinst creates the user (systemd-sysusers slad.conf)" \
    grep -q '^ *systemd-sysusers .*slad\.conf' "$post"
check "postinst gives slad.conf to group slad" grep -q 'chown root:slad /etc/slad/slad.conf' "$post"
check "postinst enables slad.service" grep -q "deb-systemd-helper enable 'slad.service'" "$post"
check "postinst does not start slad on first install" \
    bash -c '! grep -q "deb-systemd-invoke start\|_dh_action=start" "$1"' _ "$post"
check "postinst restarts a running slad on upgrade" \
    grep -q "deb-systemd-invoke try-restart 'slad.service'" "$post"

dpkg-deb -c "$deb" >"$tmp/contents"
entry() { # entry MODE PATH: dpkg-deb -c has PATH with these permissions, owned by root
    grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" "$tmp/contents"
}
check "0755 /usr/sbin/slad" entry -rwxr-xr-x usr/sbin/slad
check "0755 /usr/bin/slactl" entry -rwxr-xr-x usr/bin/slactl
check "0640 /etc/slad/slad.conf" entry -rw-r----- etc/slad/slad.conf
check "0644 /etc/slad/norms.conf" entry -rw-r--r-- etc/slad/norms.conf
check "the unit in /lib/systemd/system" entry -rw-r--r-- lib/systemd/system/slad.service
check "the sysusers file" entry -rw-r--r-- usr/lib/sysusers.d/slad.conf
for page in man1/slactl.1 man5/slad.conf.5 man8/slad.8; do
    check "man page $page" entry -rw-r--r-- "usr/share/man/$page.gz"
done
check "nothing under /tmp, /usr/local or a build path" \
    bash -c '! grep -E "\./(tmp|usr/local|home|build)" "$1"' _ "$tmp/contents"

root=$tmp/root
dpkg-deb -x "$deb" "$root"
check "the packaged sysusers file is systemd/slad.sysusers" \
    cmp -s "$root/usr/lib/sysusers.d/slad.conf" "$src/systemd/slad.sysusers"
check "the packaged unit is systemd/slad.service" \
    cmp -s "$root/lib/systemd/system/slad.service" "$src/systemd/slad.service"
check "the packaged slad accepts the packaged slad.conf" \
    "$root/usr/sbin/slad" --check-config -c "$root/etc/slad/slad.conf"
check "the packaged slad.conf does not post to the demo sink (127.0.0.1:8089)" \
    bash -c '! grep -n "127\.0\.0\.1:8089" "$1"' _ "$root/etc/slad/slad.conf"
check "its four receivers point at unconfigured.invalid" \
    test "$(grep -c 'url = "https://unconfigured\.invalid/' "$root/etc/slad/slad.conf")" = 4
check "slad --version says $version" \
    test "$("$root/usr/sbin/slad" --version)" = "slad $version"
check "the man pages" /usr/bin/python3 "$src/tests/package/test_man.py" --source "$src" \
    --slad "$root/usr/sbin/slad" --slactl "$root/usr/bin/slactl" \
    "$root"/usr/share/man/man*/*.gz

# --- dpkg -i in a throwaway overlay of the real root ------------------------
install_in_overlay() {
    local ov=$tmp/ov
    mkdir -p "$ov/up" "$ov/work" "$ov/m" || return 1
    cp "$deb" "$ov/up/slad.deb" || return 1
    # Inside the chroot: install, look, edit, reinstall, purge. Any
    # failing step fails the whole script (set -e); the echo lines are
    # the checks, in order.
    cat >"$ov/up/check.sh" <<'INNER'
set -eu
test ! -d /run/systemd/system && echo "ok   systemd is not running here"
if getent passwd slad >/dev/null; then echo "SKIP the system already has a user slad"; exit 3; fi
dpkg -i /slad.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
echo "ok   dpkg -i without systemd running"
getent passwd slad | grep -q ':/usr/sbin/nologin$' && echo "ok   user slad (nologin)"
test "$(stat -c '%a %U:%G' /etc/slad/slad.conf)" = "640 root:slad" && echo "ok   /etc/slad/slad.conf is 0640 root:slad"
test -L /etc/systemd/system/multi-user.target.wants/slad.service && echo "ok   slad.service enabled"
su -s /bin/sh slad -c 'slad --check-config -c /etc/slad/slad.conf' >/dev/null && echo "ok   user slad can load /etc/slad/slad.conf"
echo "# edited" >>/etc/slad/slad.conf
dpkg -i --force-confold /slad.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
tail -1 /etc/slad/slad.conf | grep -qx '# edited' && echo "ok   an edited slad.conf survives reinstalling"
test "$(stat -c '%a %U:%G' /etc/slad/slad.conf)" = "640 root:slad" && echo "ok   and stays 0640 root:slad"
dpkg --purge slad >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
test ! -e /etc/slad && test ! -e /etc/systemd/system/multi-user.target.wants/slad.service && echo "ok   purge removes /etc/slad and the enablement"
echo done
INNER
    unshare -m sh -c '
        set -e
        mount -t overlay overlay -o "lowerdir=/,upperdir=$1/up,workdir=$1/work" "$1/m"
        mount -t proc proc "$1/m/proc"
        mount --bind /dev "$1/m/dev"
        mount -t tmpfs tmpfs "$1/m/run"
        exec chroot "$1/m" /bin/sh /check.sh' _ "$ov" >"$tmp/overlay.log" 2>&1
}
if ((EUID != 0)); then
    echo "skip dpkg -i in an overlay chroot: needs root"
elif ! unshare -m true 2>/dev/null; then
    echo "skip dpkg -i in an overlay chroot: no private mount namespace here"
else
    install_in_overlay
    rc=$?
    cat "$tmp/overlay.log"
    if grep -q '^SKIP' "$tmp/overlay.log"; then
        echo "skip dpkg -i in an overlay chroot (see above)"
    elif grep -q 'overlay.*\(not supported\|permission denied\|unknown filesystem\)' \
            "$tmp/overlay.log"; then
        echo "skip dpkg -i in an overlay chroot: overlayfs over / is not allowed here"
    else
        check "dpkg -i, reinstall and purge in an overlay chroot" \
            bash -c '[[ $1 == 0 ]] && tail -1 "$2" | grep -qx done' _ "$rc" "$tmp/overlay.log"
        n=$(grep -c '^ok ' "$tmp/overlay.log")
        check "all 9 checks inside the chroot passed ($n)" test "$n" = 9
    fi
fi

if ((fails)); then
    echo "test_deb: $fails check(s) failed"
    exit 1
fi
echo "test_deb: all checks passed"
