#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl) from
# the Go module proxy into a cache outside git, keyed by version. Prints the directory holding the binaries on
# stdout; progress goes to stderr. A cache directory of this version that lacks some of them (one added to the
# list later, like kube-scheduler) gets just those built. Set HERALD_CLUSTER_BIN to a directory that already
# holds all of them to skip it.
set -euo pipefail

K8S_VERSION=v1.36.4
ETCD_VERSION=v3.6.14
here=$(cd "$(dirname "$0")" && pwd)
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
bin="$cache/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
need=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
k8s=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

log() { printf '[cluster-build] %s\n' "$*" >&2; }

# shellcheck source=cachedBuild.sh
. "$here/cachedBuild.sh"
cached_build_start HERALD_CLUSTER_BIN "another build of this version is running"

command -v go >/dev/null || { log "Go >= 1.26 is needed to build the test control plane (or set HERALD_CLUSTER_BIN)"; exit 1; }
mkdir -p "$bin"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
# Linking kube-apiserver peaks at 3-4 GB; one package build at a time per core keeps 2-core machines responsive.
start=$(date +%s)

if [ ! -x "$bin/etcd" ]; then
  log "building etcd $ETCD_VERSION (first time: a few minutes)"
  (cd "$here/etcdbin" && go build -trimpath -ldflags="-s -w" -o "$bin/etcd.tmp" . && mv "$bin/etcd.tmp" "$bin/etcd")
  log "etcd done after $(( $(date +%s) - start )) s"
fi

missing=()
for b in "${k8s[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "building ${missing[*]} $K8S_VERSION (first time: 15-30 minutes on 2 cores; one added binary: a few minutes)"
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  ldf="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  tmp="$bin/.tmp"; rm -rf "$tmp"; mkdir -p "$tmp"
  # A heartbeat so a long silent compile is visibly alive in CI logs.
  ( while sleep 60; do log "still compiling Kubernetes ($(( $(date +%s) - start )) s)"; done ) & beat=$!
  trap 'kill $beat 2>/dev/null || true' EXIT
  (cd "$here/k8sbin" && go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ldf" -o "$tmp/" \
     "${missing[@]/#/./cmd/}")
  mv "$tmp"/* "$bin/"; rmdir "$tmp"
  kill $beat 2>/dev/null || true
  log "Kubernetes binaries done after $(( $(date +%s) - start )) s"
fi
log "binaries in $bin: $(cd "$bin" && for b in "${need[@]}"; do printf '%s=%sMB ' "$b" $(( $(stat -c %s "$b") / 1048576 )); done)"
echo "$bin"
