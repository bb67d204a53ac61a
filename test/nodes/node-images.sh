#!/usr/bin/env bash
# Two tiny images for the real-node tests, made without a registry from Debian's static busybox
# (busybox-static): localhost/hrl-pause:1 (the Pod sandbox: sleeps) and localhost/hrl-busybox:1 (backends,
# e.g. busybox httpd). Written as docker-archive tarballs to ~/.cache/herald/images, for
# `ctr images import` into each node's containerd. Prints the directory holding them.
set -euo pipefail
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
out="$cache/images"
storage="$cache/containers/storage"
runroot=/run/herald-containers
bh() { buildah --root "$storage" --runroot "$runroot" --storage-driver overlay "$@"; }
log() { printf '[node-images] %s\n' "$*" >&2; }
[ -x /bin/busybox ] || { log "error: /bin/busybox is missing (apt-get install busybox-static)"; exit 1; }
/bin/busybox --list | grep -x httpd >/dev/null || { log "error: /bin/busybox has no httpd applet"; exit 1; }
mkdir -p "$out"
exec 9>"$out/.node-images.lock"; flock 9
image() { # image NAME TARBALL ENTRYPOINT-JSON
  [ -s "$2" ] && return 0
  local ctr; ctr=$(bh from --pull=never scratch)
  bh copy --quiet "$ctr" /bin/busybox /bin/busybox >/dev/null
  bh config --entrypoint "$3" --os linux --arch amd64 "$ctr"
  bh commit --quiet --rm "$ctr" "$1" >/dev/null
  rm -f "$2.tmp"; bh push --quiet "$1" "docker-archive:$2.tmp:$1" && mv "$2.tmp" "$2"
  log "wrote $2"
}
image localhost/hrl-pause:1 "$out/hrl-pause-1.tar" '["/bin/busybox","sleep","2147483647"]'
image localhost/hrl-busybox:1 "$out/hrl-busybox-1.tar" '["/bin/busybox"]'
echo "$out"
