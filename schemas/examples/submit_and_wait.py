#!/usr/bin/python3
"""Submits N echo tasks to a zfleet broker, waits for every result and checks
each task's output. Exits 0 when all succeeded with the expected output.
Every SUBMIT carries an idempotency key and is resent on a timeout, so each
task is created once; with --noop the tasks are noop tasks (no child), which
measures the fleet itself.

    submit_and_wait.py --broker tcp://127.0.0.1:5555 -n 100
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

from zfleet import Client, ZfleetError, is_final, make_task, succeeded  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="tcp://127.0.0.1:5555",
                        help="the broker's clients endpoint")
    parser.add_argument("-n", type=int, default=10, help="number of tasks")
    parser.add_argument("--project", default=None, help="project of the tasks")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for all results")
    parser.add_argument("--noop", action="store_true",
                        help="submit noop tasks (no child, no output)")
    args = parser.parse_args()

    started = time.monotonic()
    deadline = started + args.timeout
    with Client(args.broker) as client:
        try:
            pong = client.ping()
        except ZfleetError as error:
            print(f"broker {args.broker} does not answer PING: {error}", file=sys.stderr)
            return 2
        print(f"broker {args.broker}: version {pong.get('version')}")

        expected = ["" if args.noop else f"zfleet-{i}\n" for i in range(args.n)]
        if args.noop:
            tasks = [make_task(task_type="noop", project=args.project) for _ in expected]
        else:
            tasks = [make_task(["/bin/echo", text.strip()], project=args.project)
                     for text in expected]
        ids = client.submit_many(tasks)
        failures = [f"task #{i}: {r}" for i, r in enumerate(ids) if isinstance(r, Exception)]
        submitted = {r: i for i, r in enumerate(ids) if not isinstance(r, Exception)}
        print(f"submitted {len(submitted)} of {args.n} tasks")

        views = {}
        while len(views) < len(submitted) and time.monotonic() < deadline:
            waiting = [task_id for task_id in submitted if task_id not in views]
            wait = max(0.0, min(5.0, deadline - time.monotonic()))
            for task_id, view in client.results_many(waiting, wait=wait).items():
                if isinstance(view, Exception):
                    failures.append(f"task {task_id}: {view}")
                    views[task_id] = None
                elif is_final(view):
                    views[task_id] = view

    for task_id, index in sorted(submitted.items(), key=lambda item: item[1]):
        view = views.get(task_id, "missing")
        if view is None:
            continue  # already counted
        if view == "missing":
            failures.append(f"task {task_id}: not final within {args.timeout} s")
            continue
        stdout = (view.get("outcome") or {}).get("stdout", b"")
        if not succeeded(view):
            failures.append(f"task {task_id}: {view.get('state')} {view.get('outcome')}")
        elif stdout != expected[index].encode():
            failures.append(f"task {task_id}: stdout {stdout!r}, expected {expected[index]!r}")

    elapsed = time.monotonic() - started
    ok = args.n - len(failures)
    print(f"{ok} of {args.n} tasks succeeded with the expected output in {elapsed:.2f} s")
    for line in failures[:20]:
        print(f"  FAIL {line}", file=sys.stderr)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
