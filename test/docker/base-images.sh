#!/usr/bin/env bash
# Creates, without any image registry, the two base images the Dockerfile's FROM lines name, in herald's own
# buildah storage (~/.cache/herald/containers), so `buildah build --pull=never` builds the Dockerfile as is:
#
#   docker.io/library/node:<v>-bookworm-slim  debootstrap --variant=minbase bookworm + the official Node build
#                                             (scripts/node24.sh: bin, lib/node_modules/npm, include) in /usr/local
#   docker.io/library/node:<v>-bookworm       the same plus python3, make and g++ (node-gyp's needs)
#
# These stand in for the official node images (which are Debian bookworm with the same Node tarball in
# /usr/local; the full one is buildpack-deps with far more tools). Root filesystems are cached as tarballs
# in ~/.cache/herald/images by Node version, and the .debs debootstrap fetched in ~/.cache/herald/images/debs.
# Needs root, debootstrap and buildah. Prints the storage options (JSON) for buildah on stdout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
suite=bookworm
mirror=${HERALD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
images="$cache/images"
storage="$cache/containers/storage"
runroot=/run/herald-containers

log() { printf '[base-images] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
bh() { buildah --root "$storage" --runroot "$runroot" --storage-driver overlay "$@"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, buildah)"
for t in debootstrap buildah; do command -v $t >/dev/null || die "$t is missing (apt-get install $t)"; done

node_dir=$(bash "$root/scripts/node24.sh" --dir)
version=$(basename "$node_dir"); version=${version#node-v}
slim="docker.io/library/node:$version-$suite-slim"
full="docker.io/library/node:$version-$suite"

mkdir -p "$images/debs" "$storage" "$runroot"
exec 9>"$images/.lock"
if ! flock -n 9; then log "another run is creating base images; waiting for it"; flock 9; fi

# rootfs TARBALL [PACKAGES]: a bookworm root filesystem with Node in /usr/local, as a tarball.
rootfs() {
  local tarball=$1 include=${2:-} start dir
  [ -s "$tarball" ] && return 0
  start=$(date +%s)
  dir=$(mktemp -d "$images/.rootfs.XXXXXX")
  log "debootstrap $suite ${include:+(with $include) }into $dir"
  debootstrap --variant=minbase --arch=amd64 --cache-dir="$images/debs" ${include:+--include="$include"} \
    "$suite" "$dir" "$mirror" >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; rm -rf "$dir"; die "debootstrap failed (log above)"; }
  # What the official images do: Node's tarball in /usr/local, no apt lists or downloaded packages.
  cp -a "$node_dir/bin" "$node_dir/lib" "$node_dir/include" "$dir/usr/local/"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/* "$dir"/dev/*
  chmod 755 "$dir"   # mktemp made it 0700: as the image's / it would lock out every non-root user
  tar --numeric-owner -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$dir" "$dir.log"
  log "$(basename "$tarball"): $(( $(stat -c %s "$tarball") / 1048576 )) MB after $(( $(date +%s) - start )) s"
}

# image NAME TARBALL [CA-BUNDLE]: one-layer image from the tarball, configured like the official node images.
# The build image gets the host's CA bundle when there is one: the build stage's `npm ci` reaches the registry
# the way the host does, also through a TLS-inspecting egress proxy (as an organisation's own base image
# would). The runtime image downloads nothing and gets no extra certificates.
image() {
  local name=$1 tarball=$2 ca=${3:-} ctr
  bh inspect --type image "$name" >/dev/null 2>&1 && return 0
  ctr=$(bh from --pull=never scratch)
  bh add --quiet "$ctr" "$tarball" / >/dev/null
  if [ -n "$ca" ]; then
    bh copy --quiet "$ctr" "$ca" /etc/ssl/certs/ca-certificates.crt >/dev/null
    bh config --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"
  fi
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$version" \
    --cmd node --os linux --arch amd64 --created-by "test/docker/base-images.sh" "$ctr"
  bh commit --quiet --rm "$ctr" "$name" >/dev/null
  log "created $name"
}

rootfs "$images/node-$version-$suite-slim.tar"
rootfs "$images/node-$version-$suite.tar" python3,make,g++
image "$slim" "$images/node-$version-$suite-slim.tar"
ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$ca" ] || ca=''
image "$full" "$images/node-$version-$suite.tar" "$ca"
printf '{"root":"%s","runroot":"%s","storageDriver":"overlay","images":["%s","%s"]}\n' "$storage" "$runroot" "$full" "$slim"
