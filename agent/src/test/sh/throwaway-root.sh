#!/bin/sh
# throwaway-root.sh ROOT [--host] COMMAND...: runs COMMAND in a throwaway copy of this host, so
# that installing a package there never touches the host's packages, /etc/muster or users.
#   /usr   an overlay over the host's /usr (the package's files land in ROOT/.usr-upper)
#   /etc   a copy of the host's /etc made on first use, without /etc/muster
#   /var, /run, /tmp   the root's own (an empty dpkg and rpm database)
# COMMAND runs chrooted into ROOT; with --host it runs on the host with ROOT's mounts in place
# (for `rpm --root ROOT`, which chroots for the scriptlets itself). Needs root; the mounts live
# in a private mount namespace and end with COMMAND.
set -eu
root=$(readlink -f "$1")
shift
if [ ! -d "$root/etc" ]; then
    mkdir -p "$root/usr" "$root/.usr-upper" "$root/.usr-work" "$root/dev" "$root/proc" \
        "$root/run" "$root/tmp" "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" \
        "$root/var/log" "$root/var/cache" "$root/var/lib/systemd" "$root/var/lib/rpm"
    chmod 1777 "$root/tmp"
    cp -a /etc "$root/etc"
    rm -rf "$root/etc/muster"
    : > "$root/var/lib/dpkg/status"
    : > "$root/var/lib/dpkg/available"
    for link in bin sbin lib lib64; do
        ln -s "usr/$link" "$root/$link"
    done
fi
chroot=chroot
if [ "${1:-}" = "--host" ]; then
    chroot=
    shift
fi
exec unshare --mount --fork sh -eu -c '
    root=$1; chroot=$2; shift 2
    mount --make-rprivate /
    mount -t overlay overlay \
        -o "lowerdir=/usr,upperdir=$root/.usr-upper,workdir=$root/.usr-work" "$root/usr"
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    if [ -n "$chroot" ]; then
        exec chroot "$root" "$@"
    fi
    exec "$@"' sh "$root" "$chroot" "$@"
