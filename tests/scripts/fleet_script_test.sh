#!/usr/bin/env bash
# Drives scripts/fleet as an operator would, against the binaries in BUILD:
# a taken events port stops `start` with the broker's reason on the terminal;
# a taken default port is replaced by a free one, and start says so; the
# endpoints file can be sourced to reach the fleet (events included) and a
# module task runs, since the workers get the build's modules directory.
# Owns only the processes scripts/fleet starts in its own temporary state
# directory, and the one listener it opens to occupy a port.
set -euo pipefail
root=$1 build=$2
fleet=$root/scripts/fleet
ctl=$build/broker/zfleetctl/zfleetctl
[ -x "$ctl" ] || ctl=$build/zfleetctl
tmp=$(mktemp -d)
holder=
cleanup() {
  "$fleet" stop --dir "$tmp/fleet" --timeout 5 >/dev/null 2>&1 || true
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A listener on PORT (0 = any free port) that prints its port and waits.
hold_port() {
  python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(600)' "$1" >"$tmp/port" &
  holder=$!
  for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
  [ -s "$tmp/port" ] || fail "could not open a listener"
}
stop_holder() { kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true; holder=; }
any='tcp://127.0.0.1:*'
common=(--dir "$tmp/fleet" --build "$build" --workers 1 --slots 1 --timeout 5)

echo "== a taken --events port stops start with the reason"
hold_port 0
port=$(<"$tmp/port")
if "$fleet" start "${common[@]}" --clients "$any" --workers-endpoint "$any" \
  --events "tcp://127.0.0.1:$port" >"$tmp/out" 2>&1; then
  fail "start succeeded with its events port taken"
fi
grep -q "cannot bind events endpoint tcp://127.0.0.1:$port" "$tmp/out" ||
  { cat "$tmp/out"; fail "start did not show why the broker stopped"; }
grep -q "choose another with --events" "$tmp/out" || fail "no way out was suggested"
[ ! -e "$tmp/fleet/broker.pid" ] || fail "a broker pid file was left behind"
stop_holder

echo "== a taken default clients port moves to a free one, and start says so"
# Port 5555 is scripts/fleet's default; if something else already holds it the
# check is the same, so a failed bind here is fine.
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",5555)); s.close()' 2>/dev/null &&
  hold_port 5555
"$fleet" start "${common[@]}" --workers-endpoint "$any" --events "$any" >"$tmp/out" 2>&1 ||
  { cat "$tmp/out"; fail "start failed"; }
grep -q "clients port 5555 is in use; using a free port instead" "$tmp/out" ||
  { cat "$tmp/out"; fail "start did not say the default port moved"; }
grep -q "^export ZFLEET_BROKER=tcp://127.0.0.1:[0-9]" "$tmp/fleet/endpoints" || fail "no ZFLEET_BROKER"
grep -q "^ZFLEET_EVENTS=tcp://127.0.0.1:[0-9]" "$tmp/fleet/endpoints" || fail "no ZFLEET_EVENTS"
grep -q "^ZFLEET_CLIENTS=tcp://127.0.0.1:5555$" "$tmp/fleet/endpoints" && fail "clients still on the taken port"

echo "== the endpoints file reaches the fleet; a module task runs"
(
  # shellcheck disable=SC1091
  source "$tmp/fleet/endpoints"
  "$ctl" ping >/dev/null || fail "ping through ZFLEET_BROKER failed"
  out=$("$ctl" submit --type module --module echo --args '{"word": "hi"}' --wait 2>&1) ||
    { echo "$out"; fail "module task did not succeed"; }
  echo "$out"
  # The event stream is up: a subscriber sees an event of a task submitted
  # after it connected (tasks keep coming until it has, as a subscriber
  # joins a PUB socket asynchronously).
  timeout 10 "$ctl" events --count 1 >"$tmp/events" 2>&1 &
  ev=$!
  while kill -0 "$ev" 2>/dev/null; do
    "$ctl" submit -- true >/dev/null
    sleep 0.2
  done
  wait "$ev" || { cat "$tmp/events"; fail "zfleetctl events saw nothing"; }
) || exit 1
"$fleet" stop --dir "$tmp/fleet" --timeout 5 >/dev/null 2>&1
stop_holder
echo "PASS"
