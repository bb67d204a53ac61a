#!/usr/bin/env bash
# Builds pinned helm binaries (v4 and v3; the chart must work with both) from the Go module proxy into
# the cache outside git. Prints the directory on stdout; progress on stderr. HERALD_HELM_BIN may point at
# a directory already holding `helm` (v4) and `helm3`.
set -euo pipefail
HELM4=v4.2.4
HELM3=v3.21.4
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
bin="$cache/bin/helm-$HELM4-$HELM3"
log() { printf '[helm-build] %s\n' "$*" >&2; }

if [ -n "${HERALD_HELM_BIN:-}" ]; then echo "$HERALD_HELM_BIN"; exit 0; fi
if [ -x "$bin/helm" ] && [ -x "$bin/helm3" ]; then echo "$bin"; exit 0; fi
mkdir -p "$bin"
exec 9>"$bin.lock"
if ! flock -n 9; then log "another helm build is running; waiting for it"; flock 9; fi
if [ -x "$bin/helm" ] && [ -x "$bin/helm3" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { log "Go >= 1.26 is needed to build helm (or set HERALD_HELM_BIN)"; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$bin/helm" ]; then
  log "building helm $HELM4 (first time: a few minutes)"
  GOBIN="$tmp/v4" go install -trimpath -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM4" "helm.sh/helm/v4/cmd/helm@$HELM4"
  mv "$tmp/v4/helm" "$bin/helm"
fi
if [ ! -x "$bin/helm3" ]; then
  log "building helm $HELM3"
  GOBIN="$tmp/v3" go install -trimpath -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM3" "helm.sh/helm/v3/cmd/helm@$HELM3"
  mv "$tmp/v3/helm" "$bin/helm3"
fi
log "helm built in $(( $(date +%s) - start )) s: $("$bin/helm" version --short 2>/dev/null), $("$bin/helm3" version --short 2>/dev/null)"
echo "$bin"
