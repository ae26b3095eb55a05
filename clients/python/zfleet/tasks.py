"""Task and retry-policy maps for SUBMIT (PROTOCOL.md §4.1, §6.5), and
predicates on the task views the broker returns."""

import os
import stat
import uuid

from .protocol import (FINAL_STATES, MAX_IDEMPOTENCY_KEY_BYTES, MAX_TASK_FILES,
                       MAX_TASK_FILES_BYTES, RETRY_KINDS)


def make_policy(*, max_attempts=None, backoff_ms=None, backoff_max_ms=None, retry_on=None):
    """A retry policy map (PROTOCOL.md §4.1, §6.5); unset fields are inherited."""
    policy = {}
    for key, value in (("max_attempts", max_attempts), ("backoff_ms", backoff_ms),
                       ("backoff_max_ms", backoff_max_ms)):
        if value is not None:
            policy[key] = int(value)
    if retry_on is not None:
        unknown = [kind for kind in retry_on if kind not in RETRY_KINDS]
        if unknown:
            raise ValueError(f"retry_on: unknown kinds {unknown} (known: {RETRY_KINDS})")
        policy["retry_on"] = list(retry_on)
    return policy


def new_idempotency_key():
    return "py-" + uuid.uuid4().hex


def task_file(path, data, mode=0o644):
    """One entry of a task's `files` (§4.1): `data` (bytes or str) written to
    `path`, relative to the task directory, with permission bits `mode`."""
    entry = {"path": path, "data": data.encode() if isinstance(data, str) else bytes(data)}
    if not 0 <= mode <= 0o777:
        raise ValueError("a task file's mode is permission bits (0 to 0o777)")
    if mode != 0o644:
        entry["mode"] = mode
    return entry


def attach(local_path, name=None):
    """A task file read from `local_path`, sent as `name` (default: its last
    component); executable when its owner may execute it, like zfleetctl's
    --attach."""
    with open(local_path, "rb") as f:
        data = f.read(MAX_TASK_FILES_BYTES + 1)
    if len(data) > MAX_TASK_FILES_BYTES:
        raise ValueError(f"{local_path}: larger than {MAX_TASK_FILES_BYTES} bytes")
    executable = os.stat(local_path).st_mode & stat.S_IXUSR
    return task_file(name or os.path.basename(os.path.normpath(local_path)), data,
                     0o755 if executable else 0o644)


def _files_list(files):
    if isinstance(files, dict):
        files = [task_file(path, data) for path, data in files.items()]
    files = list(files)
    if len(files) > MAX_TASK_FILES:
        raise ValueError(f"at most {MAX_TASK_FILES} files go with a task")
    if sum(len(f["data"]) for f in files) > MAX_TASK_FILES_BYTES:
        raise ValueError(f"a task's files may hold {MAX_TASK_FILES_BYTES} bytes in all")
    return files


def make_task(argv=(), *, task_type="shell", project=None, priority=None, stdin=None, env=None,
              cwd=None, files=None, timeout_ms=None, grace_ms=None, output_cap=None, retry=None,
              not_before_ms=None, idempotency_key=None):
    """A task map for SUBMIT (PROTOCOL.md §4.1); unset fields take the broker's defaults.

    Keys are written in the order of the reference encoder, so a map with
    every field packs to the same bytes as the golden vectors. `retry` is a
    map from make_policy(); `idempotency_key` is left out when None or empty
    (Client.submit and submit_many add one). `files` is a list of
    task_file()/attach() entries, or a {path: data} dict: written into the
    task's directory before it starts.
    """
    task = {"type": task_type}
    if project is not None:
        task["project"] = project
    if priority is not None:
        task["priority"] = priority
    if argv or task_type == "shell":
        task["argv"] = [str(a) for a in argv]
    if stdin is not None:
        task["stdin"] = stdin.encode() if isinstance(stdin, str) else bytes(stdin)
    optional = {"env": env, "cwd": cwd, "files": _files_list(files) if files else None,
                "timeout_ms": timeout_ms, "grace_ms": grace_ms,
                "output_cap": output_cap, "retry": retry or None,
                "not_before_ms": not_before_ms, "idempotency_key": idempotency_key or None}
    for key, value in optional.items():
        if value is not None:
            task[key] = value
    key = task.get("idempotency_key")
    if key is not None and len(key.encode() if isinstance(key, str) else key) \
            > MAX_IDEMPOTENCY_KEY_BYTES:
        raise ValueError(f"idempotency_key is longer than {MAX_IDEMPOTENCY_KEY_BYTES} bytes")
    return task


def succeeded(view):
    """PROTOCOL.md §6.2: exit code 0, not timed out, not cancelled, no error."""
    outcome = view.get("outcome") or {}
    return (view.get("state") == "succeeded" and outcome.get("exit_code") == 0
            and not outcome.get("timed_out") and not outcome.get("cancelled")
            and not outcome.get("error"))


def is_final(view):
    return view.get("state") in FINAL_STATES
