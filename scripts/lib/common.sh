# Shell functions sourced by the scripts in scripts/: messages, locating the
# built binaries, and starting, waiting for and stopping only the processes
# a script started itself (by pid, checked against the expected binary).
# shellcheck shell=bash

# shellcheck disable=SC2034  # used by the scripts that source this file
zf_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
zf_prog=${zf_prog:-$(basename "$0")}

zf_say() { printf '%s: %s\n' "$zf_prog" "$*" >&2; }
zf_die() {
  zf_say "$*"
  exit 1
}

# Absolute path of $1, which need not exist yet.
zf_abspath() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

# Sets zf_broker_bin, zf_worker_bin and zf_ctl_bin for build directory $1.
zf_set_bins() {
  zf_broker_bin=$1/broker/zfleet-broker
  zf_worker_bin=$1/worker/zfleet-worker
  zf_ctl_bin=$1/broker/zfleetctl/zfleetctl
}

# Fails with advice unless the three binaries exist in build directory $1.
zf_require_bins() {
  zf_set_bins "$1"
  local bin
  for bin in "$zf_broker_bin" "$zf_worker_bin" "$zf_ctl_bin"; do
    [ -x "$bin" ] || zf_die "$bin is missing: build first (scripts/bootstrap, or cmake --build $1)"
  done
}

# True while pid $1 runs (a zombie does not count).
zf_alive() {
  local state
  [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# True when pid $1 runs the executable named $2 (guards against pid reuse).
zf_pid_is() {
  local exe
  zf_alive "$1" || return 1
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [ "$(basename "${exe% (deleted)}")" = "$2" ]
}

# zf_stop TIMEOUT_S PID...: SIGTERM, wait up to TIMEOUT_S, then SIGKILL.
zf_stop() {
  local timeout=$1 pid deadline left
  shift
  for pid in "$@"; do
    if zf_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  deadline=$((SECONDS + timeout))
  for pid in "$@"; do
    while zf_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
    if zf_alive "$pid"; then
      zf_say "pid $pid still running after ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  left=0
  for pid in "$@"; do
    while zf_alive "$pid" && ((left < 50)); do
      sleep 0.1
      left=$((left + 1))
    done
  done
  # Reap our own children, if these were, so their exit codes are collected.
  for pid in "$@"; do
    wait "$pid" 2>/dev/null || true
  done
}

# zf_wait_file FILE TIMEOUT_S PID: waits for FILE to hold a "workers=" line;
# fails early when PID exits first.
zf_wait_ready_file() {
  local file=$1 timeout=$2 pid=$3 deadline
  deadline=$((SECONDS + timeout))
  until [ -s "$file" ] && grep -q '^workers=' "$file" && grep -q '^clients=' "$file"; do
    zf_alive "$pid" || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# Value of "KEY=value" in FILE.
zf_ready_value() {
  sed -n "s/^$2=//p" "$1" | head -n 1
}

# zf_wait_ping CTL ENDPOINT TIMEOUT_S: until `zfleetctl ping` answers.
zf_wait_ping() {
  local ctl=$1 endpoint=$2 deadline=$((SECONDS + $3))
  until "$ctl" --broker "$endpoint" --timeout-ms 1000 ping >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Prints the last lines of each log given, for a failure report.
zf_show_logs() {
  local log
  for log in "$@"; do
    [ -s "$log" ] || continue
    printf -- '--- last lines of %s ---\n' "$log" >&2
    tail -n 20 "$log" >&2
  done
}
