#!/usr/bin/env bash
# Install what slad needs to build, run and test, on Debian 12 (bookworm).
#
# Checks each package with dpkg-query and installs only the missing ones, so
# a second run does nothing and prints nothing. Needs root (or sudo) only when
# something is missing. To add a dependency, add it to PACKAGES below.
#
#   tools/deps.sh            install what is missing
#   tools/deps.sh --check    list what is missing, exit 1 if anything is
#   tools/deps.sh --list     print the full package list
set -euo pipefail

PACKAGES=(
    # build
    cmake
    pkg-config
    libevent-dev
    libhiredis-dev
    libcurl4-openssl-dev
    libconfig-dev
    libjansson-dev
    libssl-dev
    libsystemd-dev
    # run
    redis-server
    redis-tools            # redis-cli: tools/demo.sh, the Redis Cluster of tests/integration
    tzdata                 # IANA zones for business calendars
    # test
    python3                # Debian's /usr/bin/python3 runs the integration tests
    python3-redis
    valgrind
    clang
    libclang-rt-14-dev     # clang's sanitizer runtimes (fuzz targets)
    prometheus             # promtool: checks the /metrics output, tests the alert rules
    prometheus-alertmanager
    systemd                # systemd-analyze checks the unit file
    curl
    # package (tools/build-deb.sh, ctest label "package")
    dpkg-dev               # dpkg-buildpackage
    debhelper              # dh, compat 13, dh_installsysusers
    lintian
    groff-base             # groff checks the man pages
    man-db                 # man -l
)

# gcc and make are normally there already; build-essential only when not.
if ! command -v gcc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    PACKAGES=(build-essential "${PACKAGES[@]}")
fi

mode=install
case "${1:-}" in
    --check) mode=check ;;
    --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
    -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    "") ;;
    *) echo "deps.sh: unknown option '$1'" >&2; exit 2 ;;
esac

is_installed() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
    [[ "$status" == installed ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ "$mode" == check ]]; then
    printf 'missing: %s\n' "${missing[*]}"
    exit 1
fi

SUDO=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "deps.sh: missing packages (${missing[*]}) and not root; run as root" >&2
        exit 1
    fi
fi

# Installing redis-server or prometheus must not start system-wide services:
# slad's demo and tests run their own private instances. When the machine has
# no policy-rc.d, put a temporary one in place that refuses service starts.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
    "${SUDO[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $POLICY && chmod 0755 $POLICY"
    trap '"${SUDO[@]}" rm -f "$POLICY"' EXIT
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef
          -o Dpkg::Options::=--force-confold)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install --no-install-recommends "${APT_OPTS[@]}" "${missing[@]}"

# Confirm: a package that apt could not install is a failure here, not later.
still=()
for pkg in "${missing[@]}"; do
    is_installed "$pkg" || still+=("$pkg")
done
if ((${#still[@]} > 0)); then
    echo "deps.sh: still missing after install: ${still[*]}" >&2
    exit 1
fi
echo "deps.sh: done"
