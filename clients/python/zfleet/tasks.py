"""Task and retry-policy maps for SUBMIT (PROTOCOL.md §4.1, §6.5), and
predicates on the task views the broker returns."""

import uuid

from .protocol import FINAL_STATES, MAX_IDEMPOTENCY_KEY_BYTES, RETRY_KINDS


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


def make_task(argv=(), *, task_type="shell", project=None, priority=None, stdin=None, env=None,
              cwd=None, timeout_ms=None, grace_ms=None, output_cap=None, retry=None,
              not_before_ms=None, idempotency_key=None):
    """A task map for SUBMIT (PROTOCOL.md §4.1); unset fields take the broker's defaults.

    Keys are written in the order of the reference encoder, so a map with
    every field packs to the same bytes as the golden vectors. `retry` is a
    map from make_policy(); `idempotency_key` is left out when None or empty
    (Client.submit and submit_many add one).
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
    optional = {"env": env, "cwd": cwd, "timeout_ms": timeout_ms, "grace_ms": grace_ms,
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
