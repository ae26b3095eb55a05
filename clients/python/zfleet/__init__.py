"""zfleet: a Python client of the zfleet task-queue fleet, with only pyzmq and
msgpack (the wire protocol is schemas/PROTOCOL.md in the zfleet sources).

    import zfleet
    with zfleet.Client("tcp://127.0.0.1:5555") as c:
        task_id = c.submit(["/bin/echo", "hi"])
        view = c.result(task_id, wait=30)
        print(view["state"], view["outcome"]["stdout"])

Broker errors raise a ZfleetError subclass per catalogued code (NotFound,
InvalidState, InvalidField, ...); no reply in time raises Timeout.
"""

from ._version import __version__
from .client import Client
from .errors import (BadFrames, BrokerError, Internal, InvalidField, InvalidState, MalformedBody,
                     NotFound, ProtocolError, QueueFull, ShuttingDown, StorageFull, Timeout,
                     TooLarge, UnknownCommand, UnknownWorker, UnsupportedVersion, WorkerIdInUse,
                     ZfleetError, error_from_reply)
from .events import Events
from .protocol import FINAL_STATES, MAX_WAIT_MS, PROTOCOL_TAG, RETRY_KINDS
from .tasks import (attach, is_final, make_policy, make_task, new_idempotency_key, succeeded,
                    task_file)

__all__ = [
    "__version__", "Client", "Events", "make_task", "make_policy", "new_idempotency_key",
    "succeeded", "is_final", "error_from_reply", "FINAL_STATES", "MAX_WAIT_MS", "PROTOCOL_TAG",
    "RETRY_KINDS", "ZfleetError", "Timeout", "ProtocolError", "BrokerError", "BadFrames",
    "UnsupportedVersion", "UnknownCommand", "MalformedBody", "InvalidField", "TooLarge",
    "NotFound", "UnknownWorker", "QueueFull", "ShuttingDown", "Internal", "InvalidState",
    "WorkerIdInUse", "StorageFull",
]
