#!/usr/bin/env bash
# Prove the README's two commands on a clean Debian 12 machine, as a new user would meet them.
#
#   bash scripts/fresh-machine-check.sh [pytest arguments...]
#
# Builds a clean Debian 12 root (debootstrap minbase + ca-certificates + git, from Debian's
# packages), clones this checkout's HEAD into it, runs the README's test command there unchanged,
# then the demo command, and checks that the demo's portal answers.  Everything runs inside its own
# mount and PID namespaces: when the check ends, the kernel removes every mount it made and stops
# every process it started.  Not part of .ci/run (it takes many minutes); run it before resolving
# an issue that changes set-up.  Logs: $BITAQA_FRESH_MACHINE_DIR/{test,demo}.log.
#
# Only the pristine debootstrap output is cached (a tarball beside the logs, default
# /var/tmp/bitaqa-fresh-machine); each run unpacks it into a new root and deletes that root at the
# end.  The registries' CA settings are carried over from the host: its extra CA certificates and
# the environment variables that point tools at the CA bundle.
set -euo pipefail

source_checkout=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=${BITAQA_FRESH_MACHINE_DIR:-/var/tmp/bitaqa-fresh-machine}
base_tarball=$work/debian12-minbase.tar
root=$work/root
mirror=http://deb.debian.org/debian
demo_port=8443

keep_root=${BITAQA_FRESH_MACHINE_KEEP_ROOT:-0}  # 1: leave the root in place to look into a failure

if [[ ${1:-} == --inside-namespace ]]; then
    shift
    inside_namespace=1
else
    inside_namespace=0
fi

say() { printf '== %s\n' "$*"; }

build_base_root() {
    if [[ -f $base_tarball ]]; then return; fi
    command -v debootstrap >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    say "debootstrap bookworm (minbase + ca-certificates + git) — once, then cached in $base_tarball"
    local staging=$work/base.partial
    rm -rf "$staging"
    debootstrap --variant=minbase --include=ca-certificates,git bookworm "$staging" "$mirror" >"$work/debootstrap.log"
    tar -C "$staging" -cf "$base_tarball.partial" .
    mv "$base_tarball.partial" "$base_tarball"
    rm -rf "$staging"
}

prepare_root() {
    say "a new root from the cached base"
    rm -rf "$root"
    mkdir -p "$root"
    tar -C "$root" -xf "$base_tarball"
    cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    cp /etc/hosts "$root/etc/hosts"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
        chroot "$root" update-ca-certificates >/dev/null
    fi
    # npm's own CA setting, as on the host (pip and Node read the environment kept below).
    echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$root/root/.npmrc"
}

mount_root() {
    # The root bind-mounted onto itself makes it a mount point, so `unshare --propagation private`
    # (the tests' private pcscd namespaces) works inside the chroot.
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/dev/shm"
    mount -t tmpfs tmpfs "$root/run"
    mount -t tmpfs tmpfs "$root/tmp"
    mkdir -p "$root/mnt/source"
    mount --bind -o ro "$source_checkout" "$root/mnt/source"
}

in_root() {
    (exec_in_root "$@")
}

exec_in_root() {
    # Replaces the calling (sub)shell, so a background demo's PID is the demo's own.  A clean
    # environment, as a root login on a new machine has, plus the CA variables.
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
        NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
        "$@"
}

run_test_command() {
    say "git clone and the README's test command (log: $work/test.log)"
    in_root git clone -q /mnt/source /root/bitaqa
    local status=0
    in_root bash -c 'cd /root/bitaqa && bash scripts/test.sh "$@"' test "$@" >"$work/test.log" 2>&1 || status=$?
    tail -n 1 "$work/test.log"
    return $status
}

run_demo_command() {
    say "the README's demo command (log: $work/demo.log)"
    exec_in_root bash -c 'cd /root/bitaqa && exec bash scripts/demo.sh --no-browser' >"$work/demo.log" 2>&1 &
    local demo=$! answered=0
    for _ in $(seq 1 600); do
        if in_root python3 -c "import urllib.request as u; u.urlopen('http://localhost:$demo_port/', timeout=2).read()" 2>/dev/null; then
            answered=1
            break
        fi
        kill -0 "$demo" 2>/dev/null || break
        sleep 0.5
    done
    kill -INT "$demo" 2>/dev/null || true
    wait "$demo" 2>/dev/null || true
    if ((answered)); then
        echo "demo: the portal answered at http://localhost:$demo_port/"
    else
        echo "demo: the portal did not answer (see $work/demo.log)"
        return 1
    fi
}

if ((inside_namespace)); then
    mount_root
    test_status=0
    run_test_command "$@" || test_status=$?
    demo_status=0
    run_demo_command || demo_status=$?
    if ((test_status || demo_status)); then
        echo "fresh machine: FAILED (test command exit $test_status, demo exit $demo_status)"
        exit 1
    fi
    echo "fresh machine: passed"
    exit 0
fi

[[ $(id -u) == 0 ]] || { echo "run as root (debootstrap, chroot and mounts need it)" >&2; exit 2; }
mkdir -p "$work"
build_base_root
prepare_root
status=0
# Own mount namespace (every mount goes when it ends) and own PID namespace (every process the
# check starts is stopped when its first process exits).
unshare --mount --propagation private --pid --fork --kill-child \
    bash "$0" --inside-namespace "$@" || status=$?
((keep_root)) || rm -rf "$root"
exit $status
