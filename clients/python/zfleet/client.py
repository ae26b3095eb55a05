"""Client: a zfleet/1 producer and admin client (schemas/PROTOCOL.md).

One DEALER socket to the broker's clients endpoint, every request carrying
a request id (req) that the reply echoes, so requests can be pipelined and
replies matched in any order. An ERROR reply raises the ZfleetError subclass
of its code (errors.py).

Every SUBMIT carries an idempotency key (PROTOCOL.md §6.9), generated unless
the caller gives one, and a SUBMIT that gets no reply is sent again with the
same key, so a task is created once even when replies are lost.
"""

import itertools
import random
import time

import msgpack
import zmq

from .errors import ProtocolError, Timeout, ZfleetError, error_from_reply, retryable_submit_error
from .protocol import MAX_MESSAGE_BYTES, MAX_WAIT_MS, PROTOCOL_TAG
from .tasks import make_policy, make_task, new_idempotency_key


class Client:
    """Not thread-safe: one Client per thread, like the socket it owns."""

    def __init__(self, endpoint="tcp://127.0.0.1:5555", timeout=5.0, context=None,
                 submit_attempts=5):
        self.endpoint = endpoint
        self.timeout = timeout  # seconds, per request, on top of any wait it asks for
        # SUBMITs sent per task, the first included, while replies time out or
        # say "retry later"; each resend carries the same idempotency key.
        self.submit_attempts = max(1, submit_attempts)
        self._context = context or zmq.Context.instance()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self._socket.connect(endpoint)
        self._reqs = itertools.count(1)  # req 0 is reserved (PROTOCOL.md §3.3)

    def close(self):
        self._socket.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- requests --------------------------------------------------------

    def submit(self, argv=(), *, idempotency_key=None, **task_fields):
        """Submits one task; returns its id once the broker has it durably.

        The task gets `idempotency_key`, or a fresh random one when None (pass
        "" for none). A SUBMIT that times out or gets a retryable ERROR is sent
        again with the same key, up to `submit_attempts` times in all, so it
        creates at most one task (PROTOCOL.md §6.9).
        """
        return self.submit_task(make_task(argv, **task_fields),
                                idempotency_key=idempotency_key)["id"]

    def submit_task(self, task, *, idempotency_key=None):
        """Submits a task map (see make_task); returns the SUBMITTED body ({id, duplicate?})."""
        task = self._with_key(task, idempotency_key)
        keyed = bool(task.get("idempotency_key"))
        attempts = self.submit_attempts if keyed else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._call(b"SUBMIT", {"task": task}, b"SUBMITTED")
            except ZfleetError as error:
                if attempt == attempts or not retryable_submit_error(error):
                    raise
                time.sleep(self._retry_delay(attempt))
        raise AssertionError("unreachable")

    def submit_many(self, tasks, window=64):
        """Submits task maps (see make_task) with up to `window` unanswered at once.

        Each task without an idempotency key gets a random one; a SUBMIT whose
        reply does not come within `timeout`, or that gets a retryable ERROR,
        is sent again with the same key (up to `submit_attempts` in all).
        Returns a list in the order of `tasks`: a task id, or the ZfleetError
        that task got.
        """
        tasks = [self._with_key(task, None) for task in tasks]
        results = [None] * len(tasks)
        sends = [0] * len(tasks)
        in_flight = {}  # req -> (index, time sent)
        ready = list(range(len(tasks)))  # indexes to send, in order
        ready.reverse()
        not_before = {}  # index -> monotonic time before which it is not resent
        while ready or in_flight or not_before:
            now = time.monotonic()
            for index, when in list(not_before.items()):
                if when <= now:
                    del not_before[index]
                    ready.append(index)
            while ready and len(in_flight) < max(1, window):
                index = ready.pop()
                sends[index] += 1
                in_flight[self._send(b"SUBMIT", {"task": tasks[index]})] = (index, now)
            for req, command, body in self._receive(0.05):
                if req not in in_flight:
                    continue  # a late reply to a SUBMIT already resent: dropped
                index, _ = in_flight.pop(req)
                try:
                    results[index] = self._expect(command, body, b"SUBMITTED")["id"]
                except ZfleetError as error:
                    if retryable_submit_error(error) and sends[index] < self.submit_attempts:
                        not_before[index] = time.monotonic() + self._retry_delay(sends[index])
                    else:
                        results[index] = error
            now = time.monotonic()
            for req, (index, sent) in list(in_flight.items()):
                if now - sent <= self.timeout:
                    continue
                del in_flight[req]
                if sends[index] < self.submit_attempts:
                    ready.append(index)  # same task, same key: no twin (§6.9)
                else:
                    results[index] = Timeout(f"no SUBMITTED from {self.endpoint} "
                                             f"after {sends[index]} attempts")
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

    def cancel(self, task_id):
        """CANCEL (§4.11): raises InvalidState if the task is already final, NotFound if
        there is no such task."""
        self._call(b"CANCEL", {"id": task_id}, b"OK")

    def dlq_list(self, limit=100):
        """DLQ_LIST (§4.12): {"total": dead tasks held, "tasks": [views, oldest first]}."""
        body = self._call(b"DLQ_LIST", {"limit": limit}, b"DLQ_REPLY")
        return {"total": body.get("total", 0), "tasks": body["tasks"]}

    def dlq_retry(self, task_id):
        """DLQ_RETRY (§4.13): queues a dead task again with a fresh attempt budget."""
        self._call(b"DLQ_RETRY", {"id": task_id}, b"OK")

    def dlq_purge(self):
        """DLQ_PURGE (§4.14): deletes every dead task; returns how many."""
        return self._call(b"DLQ_PURGE", {}, b"OK").get("count", 0)

    def set_policy(self, project, **policy_fields):
        """SET_POLICY (§4.15): replaces the project's retry policy (see make_policy)."""
        self._call(b"SET_POLICY", {"project": project, "policy": make_policy(**policy_fields)},
                   b"OK")

    def suspend(self, task_id):
        """SUSPEND (§4.16): SIGSTOP of a running task's process group."""
        self._call(b"SUSPEND", {"id": task_id}, b"OK")

    def resume(self, task_id):
        """RESUME (§4.16): SIGCONT of a task stopped by SUSPEND."""
        self._call(b"RESUME", {"id": task_id}, b"OK")

    def logs(self, task_id):
        """LOGS (§4.17): "state", "stdout"/"stderr" (bytes: the last output the broker holds)
        and "stdout_offset"/"stderr_offset" (where those bytes start in the whole stream)."""
        return self._call(b"LOGS", {"id": task_id}, b"LOGS_REPLY")

    def events_endpoint(self):
        """The events endpoint PONG announces (§4.9, §13.1), or None when events are off.
        A wildcard host ("*", "0.0.0.0", "::") stands for the broker's own host."""
        announced = self.ping().get("events") or ""
        if not announced:
            return None
        scheme, _, address = announced.partition("://")
        host, _, port = address.rpartition(":")
        if host in ("*", "0.0.0.0", "[::]", "::"):
            broker_host = self.endpoint.partition("://")[2].rpartition(":")[0]
            return f"{scheme}://{broker_host}:{port}"
        return announced

    # ---- helpers -------------------------------------------------------------

    @staticmethod
    def _with_key(task, idempotency_key):
        """The task with an idempotency key: the given one, its own, or a new one."""
        task = dict(task)
        if idempotency_key is not None:
            if idempotency_key:
                task["idempotency_key"] = idempotency_key
            else:
                task.pop("idempotency_key", None)
        elif "idempotency_key" not in task:
            task["idempotency_key"] = new_idempotency_key()
        return task

    def _retry_delay(self, attempt):
        """Seconds before resending a SUBMIT the n-th time: 0.1 s doubling, jittered."""
        base = min(5.0, 0.1 * 2 ** (attempt - 1))
        return random.uniform(base / 2, base)

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
                raise error_from_reply(body)
            yield req, frames[1], body

    def _expect(self, command, body, wanted):
        if command == b"ERROR":
            raise error_from_reply(body)
        if command != wanted:
            raise ProtocolError(f"expected {wanted.decode()}, got {command!r}")
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
