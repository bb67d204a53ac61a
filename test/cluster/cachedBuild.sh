# Sourced by build.sh and build-node.sh (not run): the part of a cached binary build that decides whether
# there is anything to build. Before sourcing, set `bin` (the cache directory), `need` (the binaries it
# must hold) and a `log` function. `cached_build_start OVERRIDE_VAR "what runs"` then
#   - prints $OVERRIDE_VAR and exits 0 if that variable names a directory holding every binary (exits 1,
#     naming the one missing, if it lacks any);
#   - prints $bin and exits 0 if the cache holds every binary already;
#   - otherwise takes the build lock ($bin.lock, fd 9, held until the script ends), waiting for another
#     build of the same directory if one is running, and returns to build what is missing, unless that
#     build produced everything (then it prints $bin and exits 0).

all_there() { for b in "${need[@]}"; do [ -x "$bin/$b" ] || return 1; done; }

cached_build_start() {
  local override_var=$1 running=$2
  local override=${!override_var:-}
  if [ -n "$override" ]; then
    for b in "${need[@]}"; do [ -x "$override/$b" ] || { log "$override_var=$override lacks an executable $b"; exit 1; }; done
    echo "$override"; exit 0
  fi
  if all_there; then echo "$bin"; exit 0; fi
  mkdir -p "$bin"
  # Two runs building into the same cache at once would waste up to an hour of CPU; the second waits for the first.
  exec 9>"$bin.lock"
  if ! flock -n 9; then log "$running; waiting for it"; flock 9; fi
  if all_there; then echo "$bin"; exit 0; fi
}
