#!/usr/bin/env bash
# What a user of `cmake --install` gets, checked from outside the tree:
#   - the install holds the binaries, the worker's helpers, the modules, the
#     client library, exactly the public headers, the CMake package and
#     zfleet.pc;
#   - the prefix still works after it is moved (nothing in it names the
#     directory it was installed to);
#   - tests/packaging/consumer builds against it with find_package(zfleet)
#     and, the producer, again with `pkg-config --cflags --libs zfleet` and a
#     plain compiler command;
#   - the installed zfleet-worker answers --help, and the installed broker
#     and worker run a shell task, a module task (the runner is found in
#     libexec/zfleet), the consumer's own module and both consumer builds'
#     noop tasks.
# usage: install_test.sh SOURCE_DIR BUILD_DIR VERSION [CONSUMER_FLAGS]
# CONSUMER_FLAGS go to the compile and link of the programs that link
# libzfleet.a (a sanitizer build's -fsanitize=...), not to the C module. Owns only its temporary directory and the broker and
# worker it starts.
set -euo pipefail
root=$1 build=$2 version=$3
read -r -a extra <<<"${4:-}"
consumer_src=$root/tests/packaging/consumer
tmp=$(mktemp -d)
# Sandboxed children run as other users: they must reach the helpers and
# modules inside the prefix, as they would under /usr/local.
chmod 755 "$tmp"
broker_pid='' worker_pid=''
stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$worker_pid"
  stop "$broker_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$tmp"/broker.log "$tmp"/worker.log; do
    [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; } >&2
  done
  exit 1
}
step() { echo "== $*"; }
# Repeated runs compile the same consumer: let ccache see through the
# temporary directory's name when it is there.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$tmp CCACHE_NOHASHDIR=1
  launcher=(ccache)
fi

step "cmake --install into a staging prefix, then moved"
cmake --install "$build" --prefix "$tmp/staged" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }
mv "$tmp/staged" "$tmp/prefix"
prefix=$tmp/prefix
grep -rlF "$tmp/staged" "$prefix" >"$tmp/mentions" || true
[ ! -s "$tmp/mentions" ] || fail "files name the install directory: $(cat "$tmp/mentions")"

step "the install layout"
for f in bin/zfleet-broker bin/zfleet-worker bin/zfleetctl \
  libexec/zfleet/zfleet-module-runner libexec/zfleet/zfleet-http-fetch; do
  [ -x "$prefix/$f" ] || fail "$f is not installed (or not executable)"
done
for f in lib/libzfleet.a lib/zfleet/modules/echo.so lib/zfleet/modules/hash.so \
  lib/cmake/zfleet/zfleetConfig.cmake lib/cmake/zfleet/zfleetConfigVersion.cmake \
  lib/pkgconfig/zfleet.pc; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
[ ! -e "$prefix/lib/zfleet/modules/crashy.so" ] || fail "the test-only module was installed"
headers=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
want="./zfleet/common/client.hpp ./zfleet/common/clock.hpp ./zfleet/common/codec.hpp \
./zfleet/common/error_code.hpp ./zfleet/common/event_subscriber.hpp \
./zfleet/common/messages.hpp ./zfleet/common/protocol.hpp ./zfleet/common/version.hpp \
./zfleet/common/wire/client_bodies.hpp ./zfleet/common/wire/commands.hpp \
./zfleet/common/wire/event_bodies.hpp ./zfleet/common/wire/fields.hpp \
./zfleet/common/wire/task_spec.hpp ./zfleet/common/wire/task_views.hpp \
./zfleet/common/wire/validate.hpp ./zfleet/common/wire/worker_bodies.hpp \
./zfleet/common/zfleet_module.h "
[ "$headers" = "$want" ] || fail "installed headers: $headers; expected: $want"

step "consumer with find_package(zfleet)"
cmake -S "$consumer_src" -B "$tmp/consumer-cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=ccache} \
  -DCMAKE_CXX_FLAGS="${extra[*]}" -DCMAKE_EXE_LINKER_FLAGS="${extra[*]}" \
  ${launcher:+-DCMAKE_C_COMPILER_LAUNCHER=ccache} >"$tmp/consumer-cmake.log" 2>&1 ||
  { cat "$tmp/consumer-cmake.log"; fail "the consumer does not configure"; }
cmake --build "$tmp/consumer-cmake" -j2 >>"$tmp/consumer-cmake.log" 2>&1 ||
  { cat "$tmp/consumer-cmake.log"; fail "the consumer does not build"; }

step "consumer with pkg-config and a plain c++ command"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion zfleet)" = "$version" ] ||
  fail "zfleet.pc says version $(pkg-config --modversion zfleet), expected $version"
read -r -a pc_flags <<<"$(pkg-config --cflags --libs zfleet)"
"${launcher[@]}" c++ -std=c++20 -O1 "${extra[@]}" "$consumer_src/main.cpp" "${pc_flags[@]}" \
  -o "$tmp/consumer-pc" >"$tmp/consumer-pc.log" 2>&1 ||
  { cat "$tmp/consumer-pc.log"; fail "c++ \$(pkg-config --cflags --libs zfleet) failed"; }

step "consumers run without a broker"
for bin in "$tmp/consumer-cmake/zfleet-consumer" "$tmp/consumer-pc"; do
  out=$("$bin") || fail "$bin failed: $out"
  grep -qx "zfleet client library $version" <<<"$out" || fail "$bin printed: $out"
done

step "installed zfleet-worker --help"
"$prefix/bin/zfleet-worker" --help >"$tmp/help" 2>&1 || fail "zfleet-worker --help failed"
grep -q -- "--modules-dir" "$tmp/help" || fail "zfleet-worker --help: $(head -5 "$tmp/help")"

step "installed broker and worker"
cp "$tmp/consumer-cmake/greet.so" "$prefix/lib/zfleet/modules/"
"$prefix/bin/zfleet-broker" --clients 'tcp://127.0.0.1:*' --workers 'tcp://127.0.0.1:*' \
  --events '' --ready-file "$tmp/ready" --data-dir "$tmp/data" >"$tmp/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
[ -s "$tmp/ready" ] || fail "the installed broker wrote no ready file"
clients=$(sed -n 's/^clients=//p' "$tmp/ready")
workers=$(sed -n 's/^workers=//p' "$tmp/ready")
# No --module-runner or --http-fetch: the worker must find its helpers.
"$prefix/bin/zfleet-worker" --broker "$workers" --slots 2 --id pkg-w1 --work-dir "$tmp/work" \
  --modules-dir "$prefix/lib/zfleet/modules" >"$tmp/worker.log" 2>&1 &
worker_pid=$!
ctl=("$prefix/bin/zfleetctl" --broker "$clients" --timeout-ms 10000)

out=$("${ctl[@]}" submit --wait -- /bin/echo hello from the install 2>&1) ||
  fail "shell task: $out"
grep -qx "hello from the install" <<<"$out" || fail "shell task printed: $out"
"${ctl[@]}" --json workers >"$tmp/workers.json" || fail "zfleetctl workers failed"
for type in '"module"' '"http"'; do
  grep -q "\"task_types\":\[[^]]*$type" "$tmp/workers.json" ||
    fail "the worker does not offer $type tasks: $(cat "$tmp/workers.json")"
done
out=$("${ctl[@]}" submit --type module --module echo --args '{"n": 7}' --wait 2>&1) ||
  fail "module task: $out"
grep -qx '{"n":7}' <<<"$out" || fail "echo module task printed: $out"
out=$("${ctl[@]}" submit --type module --module greet --wait 2>&1) ||
  fail "the consumer's module: $out"
grep -qx '"hello from greet"' <<<"$out" || fail "greet module task printed: $out"

step "consumers against the installed broker"
for bin in "$tmp/consumer-cmake/zfleet-consumer" "$tmp/consumer-pc"; do
  out=$("$bin" "$clients" 2>&1) || fail "$bin $clients failed: $out"
  grep -qx "broker version $version" <<<"$out" || fail "$bin printed: $out"
  grep -qE "^task [0-9]+ succeeded$" <<<"$out" || fail "$bin printed: $out"
done
echo "$out"
kill -0 "$broker_pid" 2>/dev/null || fail "the broker died"
kill -0 "$worker_pid" 2>/dev/null || fail "the worker died"
echo "ok: installed, relocated, consumed by CMake and pkg-config, and ran tasks"
