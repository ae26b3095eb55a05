"""A zfleet/1 producer and admin client with only pyzmq and msgpack.

A reference for schemas/PROTOCOL.md: one DEALER socket to the broker's
clients endpoint, every request carrying a request id (req) that the reply
echoes, so requests can be pipelined and replies matched in any order.

    from zfleet_client import Client
    with Client("tcp://127.0.0.1:5555") as c:
        task_id = c.submit(["/bin/echo", "hi"])
        view = c.result(task_id, wait=30)
        print(view["state"], view["outcome"]["stdout"])
"""

import itertools
import time

import msgpack
import zmq

PROTOCOL_TAG = b"zfleet/1"
FINAL_STATES = ("succeeded", "failed")
MAX_WAIT_MS = 3_600_000


class ZfleetError(Exception):
    """An ERROR reply from the broker (PROTOCOL.md §9) or a protocol failure."""

    def __init__(self, name, message, code=0, req=0):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.code = code
        self.req = req


class Timeout(ZfleetError):
    def __init__(self, message):
        super().__init__("TIMEOUT", message)


def make_task(argv, *, project=None, priority=None, stdin=None, env=None, cwd=None,
              timeout_ms=None, grace_ms=None, output_cap=None):
    """A task map for SUBMIT (PROTOCOL.md §4.1); unset fields take the broker's defaults."""
    task = {"type": "shell", "argv": [str(a) for a in argv]}
    optional = {"project": project, "priority": priority, "env": env, "cwd": cwd,
                "timeout_ms": timeout_ms, "grace_ms": grace_ms, "output_cap": output_cap}
    for key, value in optional.items():
        if value is not None:
            task[key] = value
    if stdin is not None:
        task["stdin"] = stdin.encode() if isinstance(stdin, str) else bytes(stdin)
    return task


def succeeded(view):
    """PROTOCOL.md §6.2: exit code 0, not timed out, no error."""
    outcome = view.get("outcome") or {}
    return (view.get("state") == "succeeded" and outcome.get("exit_code") == 0
            and not outcome.get("timed_out") and not outcome.get("error"))


class Client:
    """Not thread-safe: one Client per thread, like the socket it owns."""

    def __init__(self, endpoint="tcp://127.0.0.1:5555", timeout=5.0, context=None):
        self.endpoint = endpoint
        self.timeout = timeout  # seconds, per request, on top of any wait it asks for
        self._context = context or zmq.Context.instance()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, 8 * 1024 * 1024)
        self._socket.connect(endpoint)
        self._reqs = itertools.count(1)  # req 0 is reserved (PROTOCOL.md §3.3)

    def close(self):
        self._socket.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- requests --------------------------------------------------------

    def submit(self, argv, **task_fields):
        """Submits one shell task; returns its id once the broker has it durably."""
        body = self._call(b"SUBMIT", {"task": make_task(argv, **task_fields)}, b"SUBMITTED")
        return body["id"]

    def submit_many(self, tasks, window=64):
        """Submits task maps (see make_task) with up to `window` unanswered at once.

        Returns a list in the order of `tasks`: a task id, or the ZfleetError
        that task got.
        """
        results = [None] * len(tasks)
        in_flight = {}  # req -> index
        next_index = 0
        last_progress = time.monotonic()
        while next_index < len(tasks) or in_flight:
            while next_index < len(tasks) and len(in_flight) < max(1, window):
                req = self._send(b"SUBMIT", {"task": tasks[next_index]})
                in_flight[req] = next_index
                next_index += 1
            for req, command, body in self._receive(0.1):
                if req not in in_flight:
                    continue
                index = in_flight.pop(req)
                last_progress = time.monotonic()
                try:
                    results[index] = self._expect(command, body, b"SUBMITTED")["id"]
                except ZfleetError as error:
                    results[index] = error
            if in_flight and time.monotonic() - last_progress > self.timeout:
                for index in in_flight.values():
                    results[index] = Timeout(f"no SUBMITTED from {self.endpoint}")
                in_flight.clear()
        return results

    def status(self, task_id):
        return self._call(b"STATUS", {"id": task_id}, b"STATUS_REPLY")["task"]

    def result(self, task_id, wait=0.0):
        """The task's view; waits up to `wait` seconds on the broker for it to be final."""
        wait_ms = min(int(wait * 1000), MAX_WAIT_MS)
        body = {"id": task_id}
        if wait_ms > 0:
            body["wait_ms"] = wait_ms
        return self._call(b"RESULT", body, b"RESULT_REPLY", extra=wait_ms / 1000)["task"]

    def results_many(self, task_ids, wait=0.0):
        """RESULT for every id, pipelined; returns {id: view or ZfleetError}."""
        wait_ms = min(int(wait * 1000), MAX_WAIT_MS)
        pending = {}
        for task_id in task_ids:
            body = {"id": task_id}
            if wait_ms > 0:
                body["wait_ms"] = wait_ms
            pending[self._send(b"RESULT", body)] = task_id
        out = {}
        deadline = time.monotonic() + self.timeout + wait_ms / 1000
        while pending and time.monotonic() < deadline:
            for req, command, body in self._receive(deadline - time.monotonic()):
                task_id = pending.pop(req, None)
                if task_id is None:
                    continue
                try:
                    out[task_id] = self._expect(command, body, b"RESULT_REPLY")["task"]
                except ZfleetError as error:
                    out[task_id] = error
        for task_id in pending.values():
            out[task_id] = Timeout(f"no RESULT_REPLY for task {task_id}")
        return out

    def stats(self):
        return self._call(b"STATS", {}, b"STATS_REPLY")["stats"]

    def workers(self):
        return self._call(b"WORKERS", {}, b"WORKERS_REPLY")["workers"]

    def projects(self):
        return self._call(b"PROJECTS", {}, b"PROJECTS_REPLY")["projects"]

    def set_limit(self, project, limit):
        self._call(b"SET_LIMIT", {"project": project, "limit": limit}, b"OK")

    def ping(self):
        return self._call(b"PING", {}, b"PONG")

    # ---- wire ----------------------------------------------------------------

    def _send(self, command, body):
        req = next(self._reqs)
        frames = [PROTOCOL_TAG, command, msgpack.packb({"req": req, **body}, use_bin_type=True)]
        if not self._socket.poll(int(self.timeout * 1000), zmq.POLLOUT):
            raise Timeout(f"cannot send to {self.endpoint}")
        self._socket.send_multipart(frames)
        return req

    def _receive(self, timeout):
        """Yields (req, command, body) of the replies arriving within `timeout` s."""
        if not self._socket.poll(max(0, int(timeout * 1000)), zmq.POLLIN):
            return
        while True:
            try:
                frames = self._socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 3 or frames[0] != PROTOCOL_TAG:
                continue  # not a zfleet/1 reply: ignore (PROTOCOL.md §3.1)
            try:
                body = msgpack.unpackb(frames[2], raw=False)
            except Exception:  # noqa: BLE001 - any undecodable body is dropped
                continue
            if not isinstance(body, dict):
                continue
            req = body.get("req") or 0
            if req == 0 and frames[1] == b"ERROR":
                raise ZfleetError(body.get("name", "UNKNOWN"), body.get("message", ""),
                                  body.get("code", 0))
            yield req, frames[1], body

    def _expect(self, command, body, wanted):
        if command == b"ERROR":
            raise ZfleetError(body.get("name", "UNKNOWN"), body.get("message", ""),
                              body.get("code", 0), body.get("req", 0))
        if command != wanted:
            raise ZfleetError("PROTOCOL", f"expected {wanted.decode()}, got {command!r}")
        return body

    def _call(self, command, body, wanted, extra=0.0):
        req = self._send(command, body)
        deadline = time.monotonic() + self.timeout + extra
        while time.monotonic() < deadline:
            for got, reply_command, reply in self._receive(deadline - time.monotonic()):
                if got == req:
                    return self._expect(reply_command, reply, wanted)
                # A late reply to a request this client gave up on: drop it.
        raise Timeout(f"no reply to {command.decode()} from {self.endpoint} "
                      f"within {self.timeout + extra:.1f} s")
