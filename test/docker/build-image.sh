#!/usr/bin/env bash
# Builds herald's image from the Dockerfile, unmodified, with buildah (--isolation chroot, no daemon) and no
# image registry: the base images come from test/docker/base-images.sh and pulling is disabled. The image is
# tagged localhost/herald:tree-<hash>, where the hash covers everything the build reads (the Dockerfile, the
# build context's tracked and untracked files, the base images' ids), so a second run on the same tree
# reuses it. Needs root, buildah and debootstrap.
#
# Usage: test/docker/build-image.sh [--archive FILE [--tag NAME]]
#   --archive FILE  also write the image as a docker-archive tarball (for `ctr images import`, `kind load
#                   image-archive`, `docker load`), named NAME (default herald:dev)
# Prints one JSON line on stdout: image, storage options, whether it was built now, seconds taken.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

archive='' tag=herald:dev
while [ $# -gt 0 ]; do
  case "$1" in
    --archive) archive=${2:?--archive needs a file}; shift 2 ;;
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done

git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || die "$root is not a git checkout: the image's cache key is computed from git ls-files"
start=$(date +%s)
storage_json=$(bash "$root/test/docker/base-images.sh")
base_seconds=$(( $(date +%s) - start ))
storage=$(sed -n 's/.*"root":"\([^"]*\)".*/\1/p' <<<"$storage_json")
runroot=$(sed -n 's/.*"runroot":"\([^"]*\)".*/\1/p' <<<"$storage_json")
bh() { buildah --root "$storage" --runroot "$runroot" --storage-driver overlay "$@"; }

# The build context as the Dockerfile sees it (.dockerignore mirrors .gitignore), plus the base images.
hash=$(
  cd "$root"
  git ls-files -z --cached --others --exclude-standard -- Dockerfile .dockerignore package.json package-lock.json \
    tsconfig.json tsconfig.base.json packages | sort -z | xargs -0 sha256sum
  grep '^FROM\|^ARG NODE_IMAGE' Dockerfile | grep -o 'node:[^ ]*' | sort -u | while read -r b; do
    bh inspect --type image --format '{{.FromImageID}}' "docker.io/library/$b"
  done
)
hash=$(sha256sum <<<"$hash" | cut -c1-16)
image="localhost/herald:tree-$hash"

exec 9>"$cache/containers/build.lock"
if ! flock -n 9; then log "another image build is running; waiting for it"; flock 9; fi

built=false
if ! bh inspect --type image "$image" >/dev/null 2>&1; then
  log "building $image from $root/Dockerfile"
  t=$(date +%s)
  bh build --isolation chroot --pull=never --layers --network host -f "$root/Dockerfile" -t "$image" "$root" >&2 \
    || die "buildah build failed (output above)"
  log "built $image in $(( $(date +%s) - t )) s"
  built=true
  # Keep the one just built and the three newest others (other worktrees may be testing theirs); drop older ones
  # and dangling layers. CreatedAtRaw sorts as text; CreatedAt is "About an hour ago" and does not.
  bh images --format '{{.Name}}:{{.Tag}} {{.CreatedAtRaw}}' --filter reference='localhost/herald:tree-*' 2>/dev/null \
    | { grep -v "^$image " || true; } | sort -k2 -r | tail -n +4 | cut -d' ' -f1 | while read -r old; do bh rmi "$old" >/dev/null 2>&1 || true; done
  bh rmi --prune >/dev/null 2>&1 || true
fi

if [ -n "$archive" ]; then
  rm -f "$archive"
  bh push --quiet "$image" "docker-archive:$archive:$tag" >&2
  log "wrote $archive ($tag)"
fi

printf '{"image":"%s","root":"%s","runroot":"%s","storageDriver":"overlay","built":%s,"seconds":%d,"baseImageSeconds":%d}\n' \
  "$image" "$storage" "$runroot" "$built" "$(( $(date +%s) - start ))" "$base_seconds"
