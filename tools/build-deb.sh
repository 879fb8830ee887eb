#!/usr/bin/env bash
# Build slad's Debian package (Debian 12) from this tree.
#
#   tools/build-deb.sh [--lintian] [OUTDIR]
#
# Copies the tree (the files git tracks, plus new files it does not ignore;
# every file when there is no git) into a temporary directory, runs
#   dpkg-buildpackage -us -uc -b
# there (debian/: debhelper compat 13, CMake) and moves the .deb, .changes
# and .buildinfo into OUTDIR (default: build-deb/ in the tree; the debug
# symbols are in slad-dbgsym_*.deb). The last
# line printed is the path of the .deb. With --lintian, lintian then checks
# the upload (.changes and .deb) and any error or warning fails the script.
# DEB_BUILD_OPTIONS is passed on; parallel=<cores> is added when it names
# no parallelism. Needs dpkg-dev and debhelper (tools/deps.sh installs them),
# and the build dependencies of debian/control; not root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

lintian=0
out=
while (($# > 0)); do
    case "$1" in
        --lintian) lintian=1 ;;
        -h|--help) sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "build-deb.sh: unknown option '$1'" >&2; exit 2 ;;
        *) [[ -z "$out" ]] || { echo "build-deb.sh: one OUTDIR only" >&2; exit 2; }
           out=$1 ;;
    esac
    shift
done
out=${out:-$ROOT/build-deb}
command -v dpkg-buildpackage >/dev/null ||
    { echo "build-deb.sh: dpkg-buildpackage not found (apt-get install dpkg-dev)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd -P)
work=$(mktemp -d "${TMPDIR:-/tmp}/slad-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/slad"

# The tree as it is now (uncommitted changes included), without build
# directories or other ignored files.
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -C "$work/slad" -xf -
else
    tar -C "$ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work/slad" -xf -
fi

opts=${DEB_BUILD_OPTIONS:-}
[[ "$opts" == *parallel=* ]] || opts="${opts:+$opts }parallel=$(nproc 2>/dev/null || echo 2)"

(cd "$work/slad" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b)

shopt -s nullglob
built=("$work"/*.deb "$work"/*.changes "$work"/*.buildinfo)
debs=("$work"/slad_*.deb)   # and slad-dbgsym_*.deb, the detached debug symbols
((${#debs[@]} == 1)) || { echo "build-deb.sh: expected one slad_*.deb, got ${#debs[@]}" >&2; exit 1; }
for f in "${built[@]}"; do
    rm -f "$out/$(basename "$f")"
    mv "$f" "$out/"
done
deb="$out/$(basename "${debs[0]}")"
changes=("$out"/"$(basename "${debs[0]}" .deb)".changes)

if ((lintian)); then
    command -v lintian >/dev/null ||
        { echo "build-deb.sh: lintian not found (apt-get install lintian)" >&2; exit 1; }
    echo "build-deb.sh: lintian $(basename "${changes[0]}")"
    lintian --fail-on error,warning --display-info "${changes[0]}"
fi
echo "$deb"
