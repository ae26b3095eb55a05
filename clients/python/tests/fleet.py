"""A broker and one worker for the tests, started from the binaries named by
ZFLEET_BROKER_BIN and ZFLEET_WORKER_BIN (CTest sets them to the build's) on
ephemeral loopback ports, in a temporary directory removed at stop().

Without those variables the fleet tests skip, unless ZFLEET_TEST_REQUIRE_FLEET
is 1 (as under CTest), where a skip would hide that nothing ran.
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest


class Fleet:
    def __init__(self):
        self.dir = None
        self.broker = None
        self.worker = None
        self.clients = None

    @staticmethod
    def binaries():
        broker = os.environ.get("ZFLEET_BROKER_BIN")
        worker = os.environ.get("ZFLEET_WORKER_BIN")
        if broker and worker:
            return broker, worker
        why = "ZFLEET_BROKER_BIN and ZFLEET_WORKER_BIN name no zfleet binaries"
        if os.environ.get("ZFLEET_TEST_REQUIRE_FLEET") == "1":
            raise RuntimeError(why)
        raise unittest.SkipTest(why)

    def start(self):
        broker_bin, worker_bin = self.binaries()
        self.dir = tempfile.mkdtemp(prefix="zfleet-pytest-")
        ready = os.path.join(self.dir, "ready")
        self.broker = self._spawn("broker", [
            broker_bin, "--clients", "tcp://127.0.0.1:*", "--workers", "tcp://127.0.0.1:*",
            "--events", "tcp://127.0.0.1:*", "--ready-file", ready,
            "--data-dir", os.path.join(self.dir, "data")])
        endpoints = self._read_ready(ready, 15)
        self.clients = endpoints["clients"]
        self.worker = self._spawn("worker", [
            worker_bin, "--broker", endpoints["workers"], "--slots", "2", "--id", "py-pkg-w1",
            "--work-dir", os.path.join(self.dir, "work")])
        return self

    def stop(self):
        for proc in (self.worker, self.broker):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self):
        out = []
        for name in ("broker", "worker"):
            path = os.path.join(self.dir or "", name + ".log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append(f"--- {name} log:\n" + "".join(f.readlines()[-20:]))
        return "\n".join(out)

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, name + ".log"), "wb")  # noqa: SIM115 - child owns it
        try:
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def _read_ready(self, path, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.broker.poll() is not None:
                raise RuntimeError("the broker exited at start\n" + self.logs())
            try:
                with open(path) as f:
                    pairs = dict(line.strip().split("=", 1) for line in f if "=" in line)
                if pairs.get("clients") and pairs.get("workers"):
                    return pairs
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no ready file within {timeout} s\n" + self.logs())
