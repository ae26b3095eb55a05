#!/usr/bin/env bash
# The Python client as a user installs it: `pip install` of clients/python
# into a fresh venv (with Debian's pyzmq and msgpack through
# --system-site-packages, no network), then its own tests run against that
# installed copy, not the source tree, and against BROKER and WORKER.
# A skipped test fails this script: under CTest everything must run.
# usage: python_package_test.sh SOURCE_DIR BROKER_BIN WORKER_BIN VERSION
# Owns only its temporary directory (the tests stop the fleet they start).
set -euo pipefail
root=$1 broker=$2 worker=$3 version=$4
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset PYTHONPATH

echo "== venv and pip install"
"$python" -m venv --system-site-packages "$tmp/venv" ||
  fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
# pip builds in the directory it is given: a copy keeps build/ and
# *.egg-info out of the source tree.
cp -r "$root/clients/python" "$tmp/src"
"$tmp/venv/bin/python" -m pip install --no-index --no-build-isolation --disable-pip-version-check \
  "$tmp/src" >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; fail "pip install failed"; }
rm -rf "$tmp/src"
"$tmp/venv/bin/python" -m pip show zfleet | grep -E '^(Name|Version|Requires):'

echo "== the package's tests against the installed copy"
tests=$root/clients/python/tests
cd "$tmp"
ZFLEET_BROKER_BIN=$broker ZFLEET_WORKER_BIN=$worker ZFLEET_TEST_REQUIRE_FLEET=1 \
  ZFLEET_EXPECT_INSTALLED=1 ZFLEET_SOURCE_DIR=$root ZFLEET_EXPECTED_VERSION=$version \
  PYTHONDONTWRITEBYTECODE=1 \
  "$tmp/venv/bin/python" -m unittest discover -s "$tests" -t "$tests" -v >"$tmp/tests.log" 2>&1 ||
  { cat "$tmp/tests.log"; fail "the package's tests failed"; }
cat "$tmp/tests.log"
! grep -q "skipped" "$tmp/tests.log" || fail "tests were skipped"
echo "ok: pip-installed zfleet $version passed its tests"
