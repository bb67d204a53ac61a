#!/usr/bin/env bash
# Builds MetalLB's speaker and controller (pinned) from the Go module proxy into the cache outside git, for the
# side-by-side idle comparison (bench/speaker/idleCompare.ts). Not used by tests or CI. Prints the directory
# on stdout; progress on stderr. HERALD_METALLB_BIN may point at a directory already holding both binaries.
set -euo pipefail
METALLB=v0.15.2
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
bin="$cache/bin/metallb-$METALLB"
log() { printf '[metallb-build] %s\n' "$*" >&2; }

if [ -n "${HERALD_METALLB_BIN:-}" ]; then echo "$HERALD_METALLB_BIN"; exit 0; fi
done_() { [ -x "$bin/speaker" ] && [ -x "$bin/controller" ] && [ -d "$bin/crd" ]; }
if done_; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
exec 9>"$bin.lock"
if ! flock -n 9; then log "another MetalLB build is running; waiting for it"; flock 9; fi
if done_; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { log "Go >= 1.24 is needed to build MetalLB (or set HERALD_METALLB_BIN)"; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cmd in speaker controller; do
  if [ ! -x "$bin/$cmd" ]; then
    log "building MetalLB $cmd $METALLB (first time: a few minutes)"
    GOBIN="$tmp" go install -trimpath -ldflags="-s -w" "go.universe.tf/metallb/$cmd@$METALLB"
    mv "$tmp/$cmd" "$bin/$cmd"
  fi
done
# The CRDs the binaries watch, from the same module version.
src=$(go mod download -json "go.universe.tf/metallb@$METALLB" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
mkdir -p "$tmp/crd" && cp "$src"/config/crd/bases/*.yaml "$tmp/crd/" && rm -rf "$bin/crd" && mv "$tmp/crd" "$bin/crd"
log "MetalLB $METALLB built in $(( $(date +%s) - start )) s"
echo "$bin"
