#!/usr/bin/env bash
# Builds the node binaries (kubelet, kube-proxy) of the test control plane's Kubernetes version from the Go
# module proxy, the same way build.sh builds the apiserver (same module, test/cluster/k8sbin), into a cache
# outside git. Prints the directory on stdout; progress goes to stderr. About 4 minutes when build.sh has
# run before (shared Go build cache). Set HERALD_NODE_BIN to a directory holding both to skip it.
set -euo pipefail
K8S_VERSION=v1.36.4
here=$(cd "$(dirname "$0")" && pwd)
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
bin="$cache/bin/node-k8s-$K8S_VERSION"
need=(kubelet kube-proxy)
log() { printf '[node-build] %s\n' "$*" >&2; }

# shellcheck source=cachedBuild.sh
. "$here/cachedBuild.sh"
cached_build_start HERALD_NODE_BIN "another build of the node binaries is running"
command -v go >/dev/null || { log "Go >= 1.26 is needed to build kubelet and kube-proxy (or set HERALD_NODE_BIN)"; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ldf="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldf="$ldf -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
done
start=$(date +%s)
log "building kubelet and kube-proxy $K8S_VERSION"
tmp="$bin/.tmp"; rm -rf "$tmp"; mkdir -p "$tmp"
(cd "$here/k8sbin" && go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ldf" -o "$tmp/" ./cmd/kubelet ./cmd/kube-proxy)
mv "$tmp"/* "$bin/"; rmdir "$tmp"
log "kubelet and kube-proxy built in $(( $(date +%s) - start )) s"
echo "$bin"
