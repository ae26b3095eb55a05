#!/usr/bin/env python3
"""Follows one task live with only pyzmq and msgpack: its events and output
from the broker's events endpoint (PROTOCOL.md §13), SUSPEND and RESUME
while it runs (§4.16), and LOGS once it is done (§4.17).

    follow_task.py --broker tcp://127.0.0.1:5555

Submits a shell task that prints, reports progress and sleeps; suspends it
at 50%, checks it does not finish while stopped, resumes it, and prints
each event and output chunk as it arrives. Exits 0 when everything it saw
matches what the task does, 1 (with the reason) when not.
"""

import argparse
import os
import sys
import time

# Run from the repository, the package in clients/python; else the installed one.
_REPO_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients",
                            "python")
if os.path.isdir(os.path.join(_REPO_CLIENT, "zfleet")):
    sys.path.insert(0, _REPO_CLIENT)

from zfleet import Client, Events  # noqa: E402

SCRIPT = ("sleep 0.5; echo one; echo '::progress 50 half way'; sleep 2; "
          "echo two; echo '::progress 100 done'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole run")
    args = parser.parse_args()

    with Client(args.broker) as client:
        endpoint = client.events_endpoint()
        if endpoint is None:
            print("the broker has events off (--events off)", file=sys.stderr)
            return 1
        with Events(endpoint, ["task.", "log."]) as events:
            task_id = client.submit(["/bin/sh", "-c", SCRIPT], timeout_ms=60_000)
            print(f"task {task_id} submitted; events from {endpoint}")
            return follow(client, events, task_id, time.monotonic() + args.timeout)


def follow(client, events, task_id, deadline):
    kinds = []
    output = {}
    suspended_at = None
    while time.monotonic() < deadline:
        if suspended_at is not None and time.monotonic() - suspended_at > 2.5:
            # Longer than the task's own sleep: had SIGSTOP not held it, it
            # would have finished by now.
            if "finished" in kinds:
                return fail("the task finished while suspended")
            client.resume(task_id)
            print("resume sent")
            suspended_at = None
        got = events.receive(0.1)
        if got is None:
            continue
        topic, body = got
        family, ident, rest = topic.split(".", 2)
        if int(ident) != task_id:
            continue
        if family == "log":
            data = body.get("data", b"")
            output[rest] = output.get(rest, b"") + data
            print(f"  {rest} @{body.get('offset', 0)}: {data!r}")
            continue
        kinds.append(rest)
        print(f"  event {rest}: " + ", ".join(f"{k}={v}" for k, v in sorted(body.items())
                                              if k not in ("kind", "at_ms")))
        if rest == "progress" and body.get("percent") == 50 and "suspended" not in kinds:
            client.suspend(task_id)
            print("suspend sent")
        elif rest == "suspended":
            suspended_at = time.monotonic()
            view = wait_for(lambda: client.status(task_id),
                            lambda v: (v.get("live") or {}).get("suspended"), deadline)
            if view is None:
                return fail("STATUS never showed the task suspended")
        elif rest == "finished":
            return check(client, task_id, body, kinds, output)
    return fail(f"no finished event in time; saw {kinds}")


def wait_for(read, accept, deadline):
    while time.monotonic() < deadline:
        value = read()
        if accept(value):
            return value
        time.sleep(0.05)
    return None


def check(client, task_id, finished, kinds, output):
    for kind in ("progress", "suspended", "resumed"):
        if kind not in kinds:
            return fail(f"no {kind} event; saw {kinds}")
    if finished.get("state") != "succeeded":
        return fail(f"finished {finished}")
    logs = client.logs(task_id)
    print(f"LOGS: state {logs['state']}, stdout {logs['stdout']!r}")
    expected = b"one\n::progress 50 half way\ntwo\n::progress 100 done\n"
    if logs["stdout"] != expected:
        return fail(f"LOGS stdout {logs['stdout']!r}, expected {expected!r}")
    # The stream may start late (a subscription takes effect once it reaches
    # the broker) and its last bytes may come with the outcome instead
    # (LOGS has them): what did arrive is one piece of the output.
    streamed = output.get("stdout", b"")
    if not streamed or streamed not in expected:
        return fail(f"streamed stdout {streamed!r} is not a piece of {expected!r}")
    print("ok: events, output, suspend and resume all seen")
    return 0


def fail(why):
    print(f"FAILED: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
