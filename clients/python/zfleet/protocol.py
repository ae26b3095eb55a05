"""Wire constants of zfleet/1 (schemas/PROTOCOL.md) that the client needs."""

PROTOCOL_TAG = b"zfleet/1"
FINAL_STATES = ("succeeded", "failed", "cancelled", "dead")  # PROTOCOL.md §6.1
RETRY_KINDS = ("exit", "signal", "timeout", "lost", "error", "spawn")  # PROTOCOL.md §6.5
MAX_WAIT_MS = 3_600_000  # the longest RESULT wait_ms (§4.3)
MAX_IDEMPOTENCY_KEY_BYTES = 128  # §6.9
MAX_TASK_FILES = 64  # files sent with one task (§4.1 "files")
MAX_TASK_FILES_BYTES = 1024 * 1024  # their contents in all
MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # largest reply accepted from the broker (§10)
